"""Issue 15, point 4: household intake in one transaction (HUD: exactly one head of household,
the others 2-5; errors name the member) and a household's members, listed for whoever sees
the HOUSEHOLD group, in statements that do not grow with the page."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from hmis.db import models
from hmis.seed.build import unsafe_bulk_seed

from . import lifecycle as L
from .lifecycle import errors, ok, refused
from .support import gql
from .test_statements import statements_of


@pytest.fixture
async def w(api, token):
    return await L.world(api, token)


def intake(w, *members, entry="2025-01-10") -> dict:
    return dict(projectId=w.projects["Shelter"], entryDate=entry,
                members=[{"clientId": c, "relationshipToHoH": r} for c, r in members])  # fmt: skip


async def enrollment_count(sessions) -> int:
    async with sessions() as s:
        return await s.scalar(select(func.count()).select_from(models.Enrollment))


async def test_household_intake_enrolls_everyone_in_one_household(w, sessions):
    ada, ben, cy = await L.client(w), await L.client(w, first="Ben"), await L.client(w, first="Cy")
    payload = await ok(
        w,
        "shelter",
        "createHouseholdEnrollment",
        **intake(w, (ada, "SELF"), (ben, "CHILD"), (cy, "SPOUSE_OR_PARTNER")),
    )
    households = {e["household"]["householdId"] for e in payload["enrollments"]}
    assert households == {payload["householdId"]}
    assert [e["household"]["relationshipToHoH"] for e in payload["enrollments"]] == [
        "SELF", "CHILD", "SPOUSE_OR_PARTNER"]  # fmt: skip
    for client_id, enrollment in zip((ada, ben, cy), payload["enrollments"], strict=True):
        assert [k for k, _, _ in await L.versions(sessions, enrollment["id"])] == ["create"]
        events = await L.audit_events(sessions, client_id)
        assert ("create", ["ENROLLMENTS", "HOUSEHOLD"], "shelter-staff") in events
    members = (await L.enrollments(w, "shelter", cy))[0]["household"]["members"]
    assert [m["client"]["id"] for m in members] == [ada, ben, cy]  # head first


async def test_household_intake_errors_name_the_member_and_write_nothing(w, sessions):
    ada, ben = await L.client(w), await L.client(w, first="Ben")
    await L.enroll(w, ben)
    before = await enrollment_count(sessions)
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    cases = [
        (intake(w), [(["input", "members"], "REQUIRED")]),
        (intake(w, (ada, "CHILD")), [(["input", "members"], "NO_HEAD")]),
        (intake(w, (ada, "SELF"), (ben, "SELF")),
         [(["input", "members", "1", "relationshipToHoH"], "HEAD_EXISTS")]),
        (intake(w, (ada, "SELF"), (ben, "DATA_NOT_COLLECTED")),
         [(["input", "members", "1", "relationshipToHoH"], "INVALID_RELATIONSHIP")]),
        (intake(w, (ada, "SELF"), (ada, "CHILD")),
         [(["input", "members", "1", "clientId"], "DUPLICATE_MEMBER")]),
        (intake(w, (ada, "SELF"), (L.RANDOM_ID, "CHILD")),
         [(["input", "members", "1", "clientId"], "NOT_FOUND")]),
        (intake(w, (ada, "SELF"), ("nope", "CHILD")),
         [(["input", "members", "1", "clientId"], "INVALID_ID")]),
        (intake(w, (ada, "SELF"), (ben, "CHILD")),
         [(["input", "members", "1", "clientId"], "OPEN_ENROLLMENT_EXISTS")]),
        (intake(w, (ada, "SELF"), entry=tomorrow), [(["input", "entryDate"], "DATE_IN_FUTURE")]),
    ]  # fmt: skip
    for input, expected in cases:
        assert await errors(w, "shelter", "createHouseholdEnrollment", **input) == expected
    assert await enrollment_count(sessions) == before
    # Only the organization operating the project enrolls in it.
    code = await refused(w, "outreach", "createHouseholdEnrollment", **intake(w, (ada, "SELF")))
    assert code == "FORBIDDEN"
    assert await refused(w, "admin", "createHouseholdEnrollment",
                         **intake(w, (ada, "SELF"))) == "FORBIDDEN"  # fmt: skip


MEMBERS = """query($first: Int) { clients(first: $first) { edges { node { id
  enrollments(first: 5) { edges { node { household { householdId members { relationshipToHoH
    client { id } } } } } } } } } }"""


@pytest.mark.parametrize("role", ["agency_staff", "hmis_admin"])
async def test_members_statements_do_not_grow_with_page_size(app, api, token, sessions, engine,
                                                             role):  # fmt: skip
    await unsafe_bulk_seed(engine, clients=120, seed=5)
    async with sessions() as s:
        org = await s.scalar(select(models.Organization.id).order_by(models.Organization.name))
    caller = token(role, org=org if role == "agency_staff" else None)
    await gql(api, MEMBERS, {"first": 1}, token=caller)
    counts, listed = {}, {}
    for first in (10, 60):
        with statements_of(app) as statements:
            status, body = await gql(api, MEMBERS, {"first": first}, token=caller)
        assert status == 200 and "errors" not in body, body
        counts[first] = len(statements)
        listed[first] = sum(len(e["node"]["household"]["members"])
                            for c in body["data"]["clients"]["edges"]
                            for e in c["node"]["enrollments"]["edges"]
                            if e["node"]["household"])  # fmt: skip
    assert listed[60] > listed[10] > 0, listed
    assert counts[10] == counts[60], counts


async def test_a_signed_in_client_sees_only_themselves_among_the_members(w, token):
    ada, ben = await L.client(w), await L.client(w, first="Ben")
    await ok(w, "shelter", "createHouseholdEnrollment", **intake(w, (ada, "SELF"), (ben, "CHILD")))
    await ok(w, "admin", "linkClientLogin", clientId=ada, subject="ada-login")
    document = """{ myRecord { client { enrollments { edges { node { household {
      members { relationshipToHoH client { id } } } } } } } } }"""
    status, body = await gql(w.api, document, token=token("client", sub="ada-login"))
    assert status == 200 and "errors" not in body, body
    (edge,) = body["data"]["myRecord"]["client"]["enrollments"]["edges"]
    assert edge["node"]["household"]["members"] == [
        {"relationshipToHoH": "SELF", "client": {"id": ada}}]  # fmt: skip
