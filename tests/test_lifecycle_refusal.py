"""Issue 15: the lifecycle under a sharing refusal (POLICY.md, the refusal rule). After Ada
refuses at R, a correction by the shelter reaches the outreach partner for the fields the
partner could see at R; a deletion disappears for everyone; anything else made after R (a new
enrollment and its updates, a post-R household intake, an assignment's end) stays invisible to
the partner, and a record it cannot see answers NOT_FOUND exactly as one that does not exist.
Everything through GraphQL with real tokens."""

from __future__ import annotations

import uuid
from datetime import date
from types import SimpleNamespace

import pytest

from hmis.db import history, models

from . import lifecycle as L
from .lifecycle import ok, refused

REASON = "entered in error"


@pytest.fixture
async def f(api, token):
    """Before R: Ada's past stay (exited, no reason for leaving) and her current household
    stay with Ben, her case manager; the shelter corrects the past stay's entry date. Then
    Ada refuses (R)."""
    w = await L.world(api, token)
    ada, ben = await L.client(w), await L.client(w, first="Ben")
    past = await L.enroll(w, ada, "2024-01-10")
    await ok(w, "shelter", "exitEnrollment", enrollmentId=past, exitDate="2024-02-01",
             destination="RENTAL_NO_SUBSIDY")  # fmt: skip
    intake = await ok(w, "shelter", "createHouseholdEnrollment", projectId=w.projects["Shelter"],
                      entryDate="2025-01-10", members=[
                          {"clientId": ada, "relationshipToHoH": "SELF"},
                          {"clientId": ben, "relationshipToHoH": "CHILD"}])  # fmt: skip
    current, bens = (e["id"] for e in intake["enrollments"])
    assignment = (await ok(w, "shelter", "assignCaseManager", clientId=ada,
                           staffUserId=w.managers["Shelter"]))["assignment"]["id"]  # fmt: skip
    # Before R a correction is simply the current value, for everyone.
    await ok(w, "shelter", "updateEnrollment", enrollmentId=past, entryDate="2024-01-09")
    assert (await stay(w, "outreach", ada, past))["entryDate"] == "2024-01-09"
    await L.refuse(w, ada)
    return SimpleNamespace(w=w, ada=ada, ben=ben, past=past, current=current, bens=bens,
                           assignment=assignment)  # fmt: skip


async def stay(w, who: str, client_id: str, enrollment_id: str) -> dict | None:
    found = [e for e in await L.enrollments(w, who, client_id) if e["id"] == enrollment_id]
    return found[0] if found else None


async def test_a_correction_after_r_reaches_the_partner_for_fields_it_saw(f):
    w = f.w
    await ok(w, "shelter", "updateEnrollment", enrollmentId=f.past, entryDate="2024-01-08")
    await ok(w, "shelter", "updateExit", enrollmentId=f.past, exitDate="2024-02-03",
             reasonForLeaving="COMPLETED_PROGRAM")  # fmt: skip
    partner = await stay(w, "outreach", f.ada, f.past)
    # The entry and exit dates held values at R: corrected. The reason for leaving was empty
    # then: the partner does not learn it.
    assert (partner["entryDate"], partner["exitDate"], partner["reasonForLeaving"]) == (
        "2024-01-08", "2024-02-03", None)  # fmt: skip
    own = await stay(w, "shelter", f.ada, f.past)
    assert own["reasonForLeaving"] == "COMPLETED_PROGRAM"
    # The partner still may not write it.
    assert await refused(w, "outreach", "updateEnrollment", enrollmentId=f.past,
                         entryDate="2024-01-07") == "FORBIDDEN"  # fmt: skip


async def test_a_deletion_or_a_reopening_after_r_reaches_the_partner(f):
    w = f.w
    await ok(w, "shelter", "exitEnrollment", enrollmentId=f.current, exitDate="2025-02-01",
             destination="RENTAL_NO_SUBSIDY")  # fmt: skip
    await ok(w, "shelter", "reopenEnrollment", enrollmentId=f.past, reason=REASON)
    assert (await stay(w, "outreach", f.ada, f.past))["exitDate"] is None
    await ok(w, "shelter", "deleteEnrollment", id=f.past, reason=REASON)
    assert await stay(w, "outreach", f.ada, f.past) is None
    assert await stay(w, "shelter", f.ada, f.past) is None
    await ok(w, "shelter", "deleteCaseManagerAssignment", id=f.assignment, reason=REASON)
    assert await L.case_manager(w, "outreach", f.ada) is None


async def test_an_assignment_ended_after_r_still_shows_as_it_stood(f):
    w = f.w
    await ok(w, "shelter", "endCaseManagerAssignment", assignmentId=f.assignment)
    assert (await L.case_manager(w, "outreach", f.ada))["endDate"] is None
    assert (await L.case_manager(w, "shelter", f.ada))["endDate"] is not None


async def test_a_stay_made_after_r_and_then_updated_stays_invisible(f):
    w = f.w
    await ok(w, "shelter", "exitEnrollment", enrollmentId=f.current, exitDate="2025-02-01",
             destination="RENTAL_NO_SUBSIDY")  # fmt: skip
    later = await L.enroll(w, f.ada, "2025-03-01")
    await ok(w, "shelter", "updateEnrollment", enrollmentId=later, entryDate="2025-03-02")
    await ok(w, "shelter", "exitEnrollment", enrollmentId=later, exitDate="2025-04-01",
             destination="RENTAL_NO_SUBSIDY")  # fmt: skip
    await ok(w, "shelter", "updateExit", enrollmentId=later, exitDate="2025-04-02")
    assert await stay(w, "outreach", f.ada, later) is None
    assert (await stay(w, "shelter", f.ada, later))["entryDate"] == "2025-03-02"
    # Its existence does not leak: the answers are those for an ID that names nothing.
    for name, input in (("updateEnrollment", {"entryDate": "2025-03-03"}),
                        ("updateExit", {"exitDate": "2025-04-03"}),
                        ("reopenEnrollment", {"reason": REASON})):  # fmt: skip
        hidden = await L.op(w, "outreach", name, {"enrollmentId": later, **input})
        missing = await L.op(w, "outreach", name, {"enrollmentId": L.RANDOM_ID, **input})
        assert hidden == missing and hidden["errors"][0]["code"] == "NOT_FOUND", name
    hidden = await L.op(w, "outreach", "deleteEnrollment", {"id": later, "reason": REASON})
    missing = await L.op(w, "outreach", "deleteEnrollment", {"id": L.RANDOM_ID, "reason": REASON})
    assert hidden == missing and hidden["errors"][0]["code"] == "NOT_FOUND"
    # The partner's list of Ada's stays is what it was at R (with the exit, which it sees not).
    assert {e["id"] for e in await L.enrollments(w, "outreach", f.ada)} == {f.past, f.current}


async def test_household_members_only_for_those_who_see_the_household(f):
    """HOUSEHOLD is not shared with partners (POLICY.md): the shelter lists Ada and Ben, each
    presented as the shelter may see them; the partner gets no household at all."""
    w = f.w
    shelter = (await stay(w, "shelter", f.ben, f.bens))["household"]["members"]
    assert [(m["enrollmentId"], m["client"]["id"], m["relationshipToHoH"],
             m["client"]["identity"]["firstName"]) for m in shelter] == [
        (f.current, f.ada, "SELF", "Ada"), (f.bens, f.ben, "CHILD", "Ben")]  # fmt: skip
    assert (await stay(w, "outreach", f.ben, f.bens))["household"] is None
    admin = (await stay(w, "admin", f.ben, f.bens))["household"]["members"]
    assert [m["enrollmentId"] for m in admin] == [f.current, f.bens]


async def test_a_household_intake_after_r_never_shows_the_refused_member(f):
    w = f.w
    carl = await L.client(w, first="Carl")
    for enrollment in (f.current, f.bens):
        await ok(w, "shelter", "exitEnrollment", enrollmentId=enrollment, exitDate="2025-02-01",
                 destination="RENTAL_NO_SUBSIDY")  # fmt: skip
    members = [{"clientId": carl, "relationshipToHoH": "SELF"},
               {"clientId": f.ada, "relationshipToHoH": "SPOUSE_OR_PARTNER"}]  # fmt: skip
    intake = await ok(w, "shelter", "createHouseholdEnrollment", projectId=w.projects["Shelter"],
                      entryDate="2025-03-01", members=members)  # fmt: skip
    carls, adas = (e["id"] for e in intake["enrollments"])
    shelter = (await stay(w, "shelter", carl, carls))["household"]["members"]
    assert [m["enrollmentId"] for m in shelter] == [carls, adas]
    # The partner sees Carl's new stay (he refused nothing), not its household, and not
    # Ada's stay: made after her refusal.
    partner = await stay(w, "outreach", carl, carls)
    assert partner["entryDate"] == "2025-03-01" and partner["household"] is None
    assert await stay(w, "outreach", f.ada, adas) is None
    assert {e["id"] for e in await L.enrollments(w, "outreach", f.ada)} == {f.past, f.current}


async def test_an_exit_written_out_of_the_owners_sight_tells_it_nothing(f, sessions):
    """An exit an administrator's import wrote after R (no organization's write) is not seen by
    the shelter, frozen at R for others' writes: to the shelter the stay has no exit, and an
    entry date after that exit's date is no error that would reveal it."""
    w = f.w
    async with sessions() as s, s.begin():
        row = await s.get(models.Enrollment, uuid.UUID(f.current))
        await history.create(s, history.Writer("import-admin", None), models.Exit,
                             organization_id=row.organization_id, enrollment_id=row.id,
                             client_id=row.client_id, exit_date=date(2025, 1, 20),
                             destination=101)  # fmt: skip
    assert (await stay(w, "shelter", f.ada, f.current))["exitDate"] is None
    assert await L.errors(
        w, "shelter", "updateExit", enrollmentId=f.current, exitDate="2025-01-21"
    ) == [(["input", "enrollmentId"], "NOT_EXITED")]
    assert await L.errors(
        w, "shelter", "reopenEnrollment", enrollmentId=f.current, reason=REASON
    ) == [(["input", "enrollmentId"], "NOT_EXITED")]
    await ok(w, "shelter", "updateEnrollment", enrollmentId=f.current, entryDate="2025-01-25")
