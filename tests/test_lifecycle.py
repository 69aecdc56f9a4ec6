"""Issue 15: fixing, ending and deleting records through GraphQL with real tokens, by the
organization they belong to (another organization: FORBIDDEN), each with its history (the
versions) and its audit events; invalid input as FieldErrors that write nothing."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from hmis.db import history, models

from . import lifecycle as L
from .lifecycle import errors, ok, refused

TOMORROW = (date.today() + timedelta(days=1)).isoformat()


@pytest.fixture
async def w(api, token):
    return await L.world(api, token)


async def test_update_enrollment_is_a_correction_with_history_and_audit(w, sessions):
    ada = await L.client(w)
    enrollment = await L.enroll(w, ada)
    payload = await ok(w, "shelter", "updateEnrollment", enrollmentId=enrollment,
                       entryDate="2025-01-03", relationshipToHoH="SELF", version=1)  # fmt: skip
    assert payload["enrollment"]["entryDate"] == "2025-01-03" and payload["version"] == 2
    # Only what changed is recorded, as a correction, and audited as one.
    assert (await L.versions(sessions, enrollment))[1] == ("correct", {"entry_date": "2025-01-03"},
                                                         None)  # fmt: skip
    assert ("correct", ["ENROLLMENTS"], "shelter-staff") in await L.audit_events(sessions, ada)
    stale = await errors(w, "shelter", "updateEnrollment", enrollmentId=enrollment,
                         entryDate="2025-01-04", version=1)  # fmt: skip
    assert stale == [(["input", "version"], "STALE_VERSION")]
    moved = await ok(w, "shelter", "updateEnrollment", enrollmentId=enrollment,
                     householdId="HH-ADA", relationshipToHoH="CHILD")  # fmt: skip
    assert moved["enrollment"]["household"] == {"householdId": "HH-ADA",
                                                "relationshipToHoH": "CHILD"}  # fmt: skip
    # Another organization, and an administrator (no organization's staff), may not.
    for who in ("outreach", "admin"):
        code = await refused(w, who, "updateEnrollment", enrollmentId=enrollment,
                             entryDate="2025-01-05")  # fmt: skip
        assert code == "FORBIDDEN"
    assert len(await L.versions(sessions, enrollment)) == 3


async def test_update_enrollment_validation_names_the_field_and_writes_nothing(w, sessions):
    ada = await L.client(w)
    enrollment = await L.enroll(w, ada)
    await ok(w, "shelter", "exitEnrollment", enrollmentId=enrollment, exitDate="2025-02-01",
             destination="RENTAL_NO_SUBSIDY")  # fmt: skip
    cases = [
        ({"entryDate": "2025-03-01"}, (["input", "entryDate"], "DATE_ORDER")),  # after the exit
        ({"entryDate": TOMORROW}, (["input", "entryDate"], "DATE_IN_FUTURE")),
        ({"entryDate": "2010-01-01"}, (["input", "entryDate"], "DATE_ORDER")),  # project start
        ({"entryDate": None}, (["input", "entryDate"], "REQUIRED")),
        ({"householdId": "x" * 33}, (["input", "householdId"], "TOO_LONG")),
        ({"entryDate": "2025-01-01", "enrollmentId": "nope"}, (["input", "enrollmentId"],
                                                                "INVALID_ID")),
        ({"enrollmentId": L.RANDOM_ID}, (["input", "enrollmentId"], "NOT_FOUND")),
    ]  # fmt: skip
    for values, expected in cases:
        found = await errors(w, "shelter", "updateEnrollment",
                             **{"enrollmentId": enrollment, **values})  # fmt: skip
        assert found[0] == expected, values
        assert all(field == expected[0] for field, _ in found)  # tomorrow: after the exit too
    assert len(await L.versions(sessions, enrollment)) == 1


async def test_one_head_of_household_per_household(w):
    ada, ben = await L.client(w), await L.client(w, first="Ben")
    head = await L.enroll(w, ada)
    household = (await L.enrollments(w, "shelter", ada))[0]["household"]["householdId"]
    other = await L.enroll(w, ben)
    assert await errors(w, "shelter", "updateEnrollment", enrollmentId=other,
                        householdId=household, relationshipToHoH="SELF") == [
        (["input", "relationshipToHoH"], "HEAD_EXISTS")]  # fmt: skip
    await ok(w, "shelter", "updateEnrollment", enrollmentId=other, householdId=household,
             relationshipToHoH="CHILD")  # fmt: skip
    # Handing the head over: the old head first, then the new one.
    await ok(w, "shelter", "updateEnrollment", enrollmentId=head,
             relationshipToHoH="SPOUSE_OR_PARTNER")  # fmt: skip
    await ok(w, "shelter", "updateEnrollment", enrollmentId=other, relationshipToHoH="SELF")
    members = (await L.enrollments(w, "shelter", ben))[0]["household"]["members"]
    assert [(m["client"]["id"], m["relationshipToHoH"]) for m in members] == [
        (ben, "SELF"), (ada, "SPOUSE_OR_PARTNER")]  # fmt: skip


async def test_update_exit_and_reopen(w, sessions):
    ada = await L.client(w)
    enrollment = await L.enroll(w, ada)
    assert await errors(
        w, "shelter", "updateExit", enrollmentId=enrollment, exitDate="2025-02-01"
    ) == [(["input", "enrollmentId"], "NOT_EXITED")]
    await ok(w, "shelter", "exitEnrollment", enrollmentId=enrollment, exitDate="2025-02-01",
             destination="RENTAL_NO_SUBSIDY")  # fmt: skip
    assert await errors(
        w, "shelter", "updateExit", enrollmentId=enrollment, exitDate="2025-01-01"
    ) == [(["input", "exitDate"], "DATE_ORDER")]
    fixed = await ok(w, "shelter", "updateExit", enrollmentId=enrollment, exitDate="2025-02-03",
                     reasonForLeaving="COMPLETED_PROGRAM", version=1)  # fmt: skip
    assert fixed["enrollment"] == {"id": enrollment, "exitDate": "2025-02-03",
                                   "destination": "RENTAL_NO_SUBSIDY",
                                   "reasonForLeaving": "COMPLETED_PROGRAM"}  # fmt: skip
    assert fixed["version"] == 2
    assert await refused(w, "outreach", "updateExit", enrollmentId=enrollment,
                         exitDate="2025-02-04") == "FORBIDDEN"  # fmt: skip
    assert await refused(w, "outreach", "reopenEnrollment", enrollmentId=enrollment,
                         reason="wrong") == "FORBIDDEN"  # fmt: skip
    assert await errors(w, "shelter", "reopenEnrollment", enrollmentId=enrollment, reason="  ") == [
        (["input", "reason"], "REQUIRED")
    ]
    reopened = await ok(w, "shelter", "reopenEnrollment", enrollmentId=enrollment,
                        reason="exit entered for the wrong client")  # fmt: skip
    assert reopened["enrollment"]["exitDate"] is None
    async with sessions() as s:
        exit = await s.scalar(select(models.Exit).where(
            models.Exit.enrollment_id == uuid.UUID(enrollment)))  # fmt: skip
    assert exit.date_deleted is not None
    kinds = [(k, r) for k, _, r in await L.versions(sessions, str(exit.id))]
    assert kinds == [("create", None), ("correct", None),
                     ("delete", "exit entered for the wrong client")]  # fmt: skip
    assert ("delete", ["ENROLLMENTS"], "shelter-staff") in await L.audit_events(sessions, ada)
    assert await errors(
        w, "shelter", "reopenEnrollment", enrollmentId=enrollment, reason="again"
    ) == [(["input", "enrollmentId"], "NOT_EXITED")]
    # An exit after reopening is a new one.
    await ok(w, "shelter", "exitEnrollment", enrollmentId=enrollment, exitDate="2025-03-01",
             destination="RENTAL_NO_SUBSIDY")  # fmt: skip


async def test_reopening_refused_while_another_stay_in_the_project_is_open(w):
    ada = await L.client(w)
    first = await L.enroll(w, ada, "2024-01-10")
    await ok(w, "shelter", "exitEnrollment", enrollmentId=first, exitDate="2024-02-01",
             destination="RENTAL_NO_SUBSIDY")  # fmt: skip
    await L.enroll(w, ada, "2025-01-10")
    assert await errors(w, "shelter", "reopenEnrollment", enrollmentId=first, reason="oops") == [
        (["input", "enrollmentId"], "OPEN_ENROLLMENT_EXISTS")]  # fmt: skip


async def test_end_case_manager_assignment(w, sessions):
    ada = await L.client(w)
    assigned = await ok(w, "shelter", "assignCaseManager", clientId=ada,
                        staffUserId=w.managers["Shelter"])  # fmt: skip
    assignment = assigned["assignment"]["id"]
    start = assigned["assignment"]["startDate"]
    before = (date.fromisoformat(start) - timedelta(days=1)).isoformat()
    assert await errors(
        w, "shelter", "endCaseManagerAssignment", assignmentId=assignment, endDate=before
    ) == [(["input", "endDate"], "DATE_ORDER")]
    assert await errors(
        w, "shelter", "endCaseManagerAssignment", assignmentId=assignment, endDate=TOMORROW
    ) == [(["input", "endDate"], "DATE_IN_FUTURE")]
    assert await refused(w, "outreach", "endCaseManagerAssignment",
                         assignmentId=assignment) == "FORBIDDEN"  # fmt: skip
    ended = await ok(w, "shelter", "endCaseManagerAssignment", assignmentId=assignment,
                     version=1)  # fmt: skip
    assert ended["assignment"]["endDate"] == date.today().isoformat()
    assert await errors(w, "shelter", "endCaseManagerAssignment", assignmentId=assignment) == [
        (["input", "assignmentId"], "ALREADY_ENDED")]  # fmt: skip
    assert [k for k, _, _ in await L.versions(sessions, assignment)] == ["create", "update"]
    assert ("update", ["CASE_MANAGER"], "shelter-staff") in await L.audit_events(sessions, ada)


async def test_one_current_assignment_per_client_and_organization(w, sessions):
    """Assigning a new case manager ends the previous one; the database refuses a second
    current assignment of one organization whatever writes it (a partial unique index)."""
    ada = await L.client(w)
    first = (await ok(w, "shelter", "assignCaseManager", clientId=ada,
                      staffUserId=w.managers["Shelter"]))["assignment"]["id"]  # fmt: skip
    await ok(w, "shelter", "assignCaseManager", clientId=ada, staffUserId=w.managers["Shelter"])
    a = models.CaseManagerAssignment
    async with sessions() as s:
        current = await s.scalar(select(func.count()).select_from(a).where(
            a.client_id == uuid.UUID(ada), a.end_date.is_(None)))  # fmt: skip
        assert current == 1
        assert (await s.get(a, uuid.UUID(first))).end_date == date.today()
    writer = history.Writer("shelter-staff", uuid.UUID(w.orgs["Shelter"]))
    with pytest.raises(IntegrityError):
        async with sessions() as s, s.begin():
            await history.create(s, writer, a, client_id=uuid.UUID(ada),
                                 staff_user_id=uuid.UUID(w.managers["Shelter"]),
                                 start_date=date.today())  # fmt: skip
