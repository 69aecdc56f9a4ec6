"""Outside disclosures (POLICY.md, Other uses) and the client's accounting of who accessed or
received their information (POLICY.md, Rights): organizations, never staff."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from hmis.db import models

from . import people
from .support import gql
from .test_audit import ask, assert_no_ppi, events

DISCLOSE = """mutation($input: RecordDisclosureInput!) { recordDisclosure(input: $input) {
  disclosure { id recipient recipientType legalBasis reference groups recordedAt }
  record { id identity { lastName } demographics { race } contact { phone } caseNotes { text }
           caseManager { lastName }
           enrollments { edges { node { entryDate household { householdId } } } }
           access { group visible basis } }
  errors { field code } } }"""
MINE = """{ myRecord {
  accessHistory { organization { name } at action purpose groups }
  disclosures { recipient recipientType legalBasis reference groups } } }"""


def disclosure(client, **changes) -> dict:
    given = {
        "clientId": str(client.id),
        "recipient": "County Sheriff",
        "recipientType": "LAW_ENFORCEMENT",
        "legalBasis": "Court order, 18th Judicial Circuit",
        "reference": "2026-CR-0042",
        "groups": ["ENROLLMENTS", "IDENTITY"],
    }
    return {"input": {**given, **changes}}


async def link(sessions, client, subject):
    async with sessions() as s, s.begin():
        s.add(models.ClientLogin(client_id=client.id, subject=subject, created_by="admin",
                                 created_at=datetime.now(UTC)))  # fmt: skip


async def test_a_disclosure_returns_only_the_requested_groups_of_that_one_person(
    api, token, sessions
):
    world = await people.coc(sessions)
    ada = await people.fully_recorded_client(sessions, world)
    # Same household (HH-1): a household member, never part of Ada's disclosure.
    bob = await people.fully_recorded_client(sessions, world, first_name="Bob")
    data, request_id = await ask(api, DISCLOSE, disclosure(ada),
                                 token=token("hmis_admin", sub="admin-1"))  # fmt: skip
    payload = data["recordDisclosure"]
    assert payload["errors"] == []
    assert payload["disclosure"]["groups"] == ["IDENTITY", "ENROLLMENTS"]
    assert payload["disclosure"]["reference"] == "2026-CR-0042"
    record = payload["record"]
    assert record["id"] == str(ada.id) and record["identity"] == {"lastName": "Lovelace"}
    assert record["enrollments"]["edges"][0]["node"]["household"] is None
    assert record["demographics"] is record["contact"] is record["caseNotes"] is None
    assert record["caseManager"] is None
    bases = {a["group"]: (a["visible"], a["basis"]) for a in record["access"]}
    assert bases == {g: (True, "ADMINISTRATOR") if g in ("IDENTITY", "ENROLLMENTS")
                     else (False, "NOT_REQUESTED") for g in bases} and len(bases) == 10  # fmt: skip
    assert str(bob.id) not in str(data)

    # Logged once, as a disclosure of those groups, with the write; nothing about Bob.
    (event,) = await events(sessions, request_id=request_id)
    assert (event.client_id, event.action) == (ada.id, "disclose")
    assert event.groups == ["IDENTITY", "ENROLLMENTS"]
    assert not await events(sessions, client_id=bob.id)
    assert_no_ppi([event], "Sheriff", "2026-CR-0042")
    async with sessions() as s:
        (row,) = await s.scalars(select(models.Disclosure))
    assert (row.client_id, row.recorded_by, row.recipient_type) == (ada.id, "admin-1",
                                                                     "LAW_ENFORCEMENT")  # fmt: skip


async def test_only_administrators_record_disclosures_and_input_is_checked(api, token, sessions):
    world = await people.coc(sessions)
    ada = await people.fully_recorded_client(sessions, world)
    for role in ("agency_staff", "auditor", "client"):
        status, body = await gql(api, DISCLOSE, disclosure(ada),
                                 token=token(role, org=world.shelter.id))  # fmt: skip
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", (role, body)
    admin = token("hmis_admin")
    for changes, field, code in [
        ({"groups": []}, ["input", "groups"], "REQUIRED"),
        ({"recipient": "  "}, ["input", "recipient"], "REQUIRED"),
        ({"legalBasis": ""}, ["input", "legalBasis"], "REQUIRED"),
        ({"clientId": "not-an-id"}, ["input", "clientId"], "INVALID_ID"),
        ({"clientId": "00000000-0000-4000-8000-000000000000"}, ["input", "clientId"], "NOT_FOUND"),
    ]:
        data, _ = await ask(api, DISCLOSE, disclosure(ada, **changes), token=admin)
        assert data["recordDisclosure"]["errors"] == [{"field": field, "code": code}], changes
        assert data["recordDisclosure"]["record"] is None
    async with sessions() as s:
        assert not list(await s.scalars(select(models.Disclosure)))
    assert await events(sessions) == []


async def test_a_client_sees_which_organizations_accessed_them_and_disclosures(
    api, token, sessions
):
    world = await people.coc(sessions)
    ada = await people.fully_recorded_client(sessions, world)
    await link(sessions, ada, "ada-login")
    read = "query($id: ID!) { client(id: $id) { identity { lastName } } }"
    outreach = token("agency_staff", org=world.outreach.id, sub="outreach-worker-7")
    for _ in range(2):  # twice the same day: one line of the accounting
        await ask(api, read, {"id": str(ada.id)}, token=outreach)
    await ask(api, "query($id: ID!) { client(id: $id) { contact { city } } }",
              {"id": str(ada.id)}, token=token("agency_staff", org=world.shelter.id,
                                               sub="shelter-worker-3"),
              headers={"HMIS-Purpose": "BILLING"})  # fmt: skip
    await ask(api, DISCLOSE, disclosure(ada, groups=["IDENTITY"]),
              token=token("hmis_admin", sub="admin-1"))  # fmt: skip

    mine = token("client", sub="ada-login")
    await ask(api, MINE, token=mine)  # the client's own reads are logged...
    data, _ = await ask(api, MINE, token=mine)
    history = data["myRecord"]["accessHistory"]
    # ...but are not accesses by anyone else: newest first, organizations only.
    assert [(h["organization"], h["action"], h["purpose"], h["groups"]) for h in history] == [
        (None, "disclose", "ADMINISTRATION", ["IDENTITY"]),
        ({"name": "Shelter Org"}, "view", "BILLING", ["CONTACT"]),
        ({"name": "Outreach Org"}, "view", "SERVICE_COORDINATION", ["IDENTITY"]),
    ]
    assert data["myRecord"]["disclosures"] == [
        {"recipient": "County Sheriff", "recipientType": "LAW_ENFORCEMENT",
         "legalBasis": "Court order, 18th Judicial Circuit", "reference": "2026-CR-0042",
         "groups": ["IDENTITY"]}
    ]  # fmt: skip
    for subject in ("outreach-worker-7", "shelter-worker-3", "admin-1"):
        assert subject not in str(data)
    assert len(await events(sessions, actor_subject="ada-login")) == 2
    assert len(await events(sessions, actor_subject="outreach-worker-7")) == 2


async def test_the_downloaded_copy_is_logged_as_an_export(api, token, sessions):
    world = await people.coc(sessions)
    ada = await people.fully_recorded_client(sessions, world)
    await link(sessions, ada, "ada-login")
    bearer = {"Authorization": f"Bearer {token('client', sub='ada-login')}"}
    response = await api.get("/my-record.json", headers=bearer)
    assert response.status_code == 200
    (event,) = await events(sessions, actor_subject="ada-login")
    assert (event.client_id, event.action, event.purpose) == (ada.id, "export", "SELF_ACCESS")
    assert set(event.groups) >= {"IDENTITY", "CONTACT", "HOUSEHOLD", "CASE_NOTES"}
