"""Helpers for the record lifecycle tests (issue 15): a CoC built through the admin mutations
(`tests.writes.build_world`), and each lifecycle mutation called over GraphQL with real tokens
as the organization's staff, an administrator or a partner."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from hmis.db import models

from .support import gql
from .writes import ERRORS, build_world

DELETIONS = (
    "deleteEnrollment", "deleteCaseManagerAssignment", "deleteContact", "deleteHealthRecord",
    "deleteIncome", "deleteDomesticViolence", "deleteCaseNote", "deleteClient")  # fmt: skip
SELECTS = {
    "createEnrollment": "enrollment { id }",
    "exitEnrollment": "enrollment { id exitDate }",
    "updateEnrollment": "enrollment { id entryDate exitDate household { householdId "
    "relationshipToHoH } } version",
    "updateExit": "enrollment { id exitDate destination reasonForLeaving } version",
    "reopenEnrollment": "enrollment { id exitDate } version",
    "assignCaseManager": "assignment { id startDate endDate }",
    "endCaseManagerAssignment": "assignment { id startDate endDate }",
    "createHouseholdEnrollment": "householdId enrollments { id household { householdId "
    "relationshipToHoH } }",
    "setContact": "contact { id }",
    "recordHealth": "health { id disabilities { disabilityType } }",
    "recordIncome": "income { id }",
    "recordDomesticViolence": "domesticViolence { id }",
    "addCaseNote": "caseNote { id }",
    "linkClientLogin": "login { __typename }",
    "createClient": "client { id }",
    **dict.fromkeys(DELETIONS, "deletedId"),
}
ENROLLMENTS = """query($id: ID!) { client(id: $id) { enrollments { edges { node {
  id entryDate exitDate reasonForLeaving household { householdId relationshipToHoH
  members { enrollmentId relationshipToHoH client { id identity { firstName } } } } } } }
  caseManager { id endDate } } }"""
AGENCY = """query($id: ID!) { client(id: $id) { contact { id } health { id disabilities {
  disabilityType } } income { id } domesticViolence { id } caseNotes { id } } }"""
RANDOM_ID = "00000000-0000-4000-8000-000000000000"


async def world(api, token):
    w = await build_world(api, token)
    w.tokens = {"shelter": w.staff["Shelter"], "outreach": w.staff["Outreach"],
                "housing": w.staff["Housing"], "admin": w.admin}  # fmt: skip
    return w


async def raw(w, who: str, name: str, input: dict) -> dict:
    """The whole response body of mutation `name` asked by `who`."""
    kind = name[0].upper() + name[1:] + "Input"
    document = (f"mutation($input: {kind}!) {{ {name}(input: $input) {{ {SELECTS[name]} "
                f"{ERRORS} }} }}")  # fmt: skip
    status, body = await gql(w.api, document, {"input": input}, token=w.tokens[who])
    assert status == 200, body
    return body


async def op(w, who: str, name: str, input: dict) -> dict:
    """The payload of mutation `name` (GraphQL errors fail the test)."""
    body = await raw(w, who, name, input)
    assert "errors" not in body, body
    return body["data"][name]


async def ok(w, who: str, name: str, **input) -> dict:
    payload = await op(w, who, name, input)
    assert payload["errors"] == [], payload["errors"]
    return payload


async def refused(w, who: str, name: str, **input) -> str:
    """The GraphQL error code of a mutation refused outright (FORBIDDEN...)."""
    body = await raw(w, who, name, input)
    assert body["data"] is None or body["data"][name] is None, body
    return body["errors"][0]["extensions"]["code"]


async def errors(w, who: str, name: str, **input) -> list[tuple[list[str], str]]:
    payload = await op(w, who, name, input)
    return [(e["field"], e["code"]) for e in payload["errors"]]


async def client(w, org: str = "shelter", first: str = "Ada") -> str:
    document = """mutation($input: CreateClientInput!) { createClient(input: $input) {
      client { id } errors { code } } }"""
    status, body = await gql(w.api, document, {"input": {"firstName": first, "lastName": "L"}},
                             token=w.tokens[org])  # fmt: skip
    return body["data"]["createClient"]["client"]["id"]


async def enroll(w, client_id: str, entry: str = "2025-01-10") -> str:
    payload = await ok(w, "shelter", "createEnrollment", clientId=client_id,
                       projectId=w.projects["Shelter"], entryDate=entry)  # fmt: skip
    return payload["enrollment"]["id"]


async def enrollments(w, who: str, client_id: str) -> list[dict]:
    status, body = await gql(w.api, ENROLLMENTS, {"id": client_id}, token=w.tokens[who])
    assert status == 200 and "errors" not in body, body
    found = body["data"]["client"]
    return found and [e["node"] for e in found["enrollments"]["edges"]]


async def case_manager(w, who: str, client_id: str) -> dict | None:
    status, body = await gql(w.api, ENROLLMENTS, {"id": client_id}, token=w.tokens[who])
    return body["data"]["client"]["caseManager"]


async def refuse(w, client_id: str) -> None:
    document = """mutation($input: RecordSharingRefusalInput!) { recordSharingRefusal(
      input: $input) { refusal { id } errors { code } } }"""
    status, body = await gql(w.api, document, {"input": {"clientId": client_id}},
                             token=w.tokens["shelter"])  # fmt: skip
    assert body["data"]["recordSharingRefusal"]["errors"] == [], body


async def versions(sessions, record_id: str) -> list[tuple[str, dict, str | None]]:
    """(kind, changes, reason) of a record's versions, in order."""
    v = models.RecordVersion
    async with sessions() as s:
        query = select(v.kind, v.changes, v.reason).where(v.record_id == uuid.UUID(record_id))
        rows = await s.execute(query.order_by(v.seq))
        return [tuple(r) for r in rows]


async def audit_events(sessions, client_id: str) -> list[tuple[str, list[str], str | None]]:
    """(action, groups, actor) of a client's audit events, oldest first."""
    e = models.AuditEvent
    async with sessions() as s:
        query = select(e.action, e.groups, e.actor_subject)
        rows = await s.execute(query.where(e.client_id == uuid.UUID(client_id)).order_by(e.id))
        return [tuple(r) for r in rows]


async def agency_records(w, who: str, client_id: str) -> dict:
    status, body = await gql(w.api, AGENCY, {"id": client_id}, token=w.tokens[who])
    assert status == 200 and "errors" not in body, body
    return body["data"]["client"]
