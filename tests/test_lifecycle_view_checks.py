"""Lifecycle checks answered from the caller's view (docs/caller-view.md, the lifecycle row):
whether a client has an open stay in a project, whether an enrollment has an exit, who else
is in a household and who heads it. Each question is asked of live rows and answered from the
caller's as-of view (`hmis.db.as_of.views`), so a record written out of the caller's sight
changes no answer.

Scenario: Ada refused sharing at R; an administrator's import (no organization's write, as in
test_an_exit_written_out_of_the_owners_sight_tells_it_nothing) wrote a record after R, which
the shelter (the owning organization, the caller) does not see in its as-of view."""

from __future__ import annotations

import uuid
from datetime import date
from types import SimpleNamespace

import pytest
from sqlalchemy import event, select

from hmis.db import history, in_view, models

from . import lifecycle as L
from .lifecycle import ok

ADMIN_IMPORT = history.Writer("import-admin", None)


@pytest.fixture
async def shelter_world(api, token):
    """Ada's stay at the shelter (open); Ada refuses at R (recorded by the shelter); then the
    shelter exits the stay (its own write, after R)."""
    w = await L.world(api, token)
    ada = await L.client(w)
    stay = await L.enroll(w, ada, "2025-01-10")
    await L.refuse(w, ada)
    await ok(w, "shelter", "exitEnrollment", enrollmentId=stay, exitDate="2025-02-01",
             destination="RENTAL_NO_SUBSIDY")  # fmt: skip
    return SimpleNamespace(w=w, ada=ada, stay=stay)


async def _admin_enrolls_after_r(w, sessions, ada, household="HX", relationship=1) -> str:
    """An administrator's import (`hmis import-csv`: no organization's write, as in
    test_an_exit_written_out_of_the_owners_sight_tells_it_nothing) enrolls Ada in the
    shelter's project after R: the shelter, frozen at R for others' writes, does not see it."""
    async with sessions() as s, s.begin():
        project = await s.get(models.Project, uuid.UUID(w.projects["Shelter"]))
        row = await history.create(s, ADMIN_IMPORT, models.Enrollment,
                                   organization_id=project.organization_id,
                                   client_id=uuid.UUID(ada), project_id=project.id,
                                   entry_date=date(2025, 3, 1), household_id=household,
                                   relationship_to_hoh=relationship)  # fmt: skip
        hidden = str(row.id)
    assert hidden not in {e["id"] for e in await L.enrollments(w, "shelter", ada)}
    return hidden


async def test_reopen_reveals_a_stay_hidden_from_the_caller(shelter_world, sessions):
    """LEAK (reopenEnrollment, OPEN_ENROLLMENT_EXISTS). The check for another open stay of the
    client in the project reads every live enrollment, not the caller's view: a stay written
    after R out of the shelter's sight (an administrator's, as in
    test_an_exit_written_out_of_the_owners_sight_tells_it_nothing) turns the shelter's
    `reopenEnrollment(input: {enrollmentId: <its exited stay>, reason: "..."})` into
    OPEN_ENROLLMENT_EXISTS, so the shelter learns that a stay it cannot see exists (and is
    open). Without the hidden stay the same request succeeds."""
    w, ada = shelter_world.w, shelter_world.ada
    await _admin_enrolls_after_r(w, sessions, ada)
    assert await L.errors(w, "shelter", "reopenEnrollment", enrollmentId=shelter_world.stay,
                          reason="exit entered in error") == []  # fmt: skip


async def test_household_intake_reveals_a_stay_hidden_from_the_caller(shelter_world, sessions):
    """LEAK (createHouseholdEnrollment, OPEN_ENROLLMENT_EXISTS on members.<i>.clientId). The
    same check in the household intake: `createHouseholdEnrollment(input: {projectId: <the
    shelter's project>, entryDate: ..., members: [{clientId: <Ada>, relationshipToHoH: SELF}]})`
    answers OPEN_ENROLLMENT_EXISTS because of a stay the shelter cannot see (written after R
    by an administrator); the shelter's own view has no open stay in the project."""
    w, ada = shelter_world.w, shelter_world.ada
    await _admin_enrolls_after_r(w, sessions, ada)
    assert (
        await L.errors(
            w,
            "shelter",
            "createHouseholdEnrollment",
            projectId=w.projects["Shelter"],
            entryDate="2025-04-01",
            members=[{"clientId": ada, "relationshipToHoH": "SELF"}],
        )
        == []
    )


async def _household_of(w, ada, stay) -> str:
    (own,) = [e for e in await L.enrollments(w, "shelter", ada) if e["id"] == stay]
    return own["household"]["householdId"]


async def test_delete_reveals_a_hidden_household_member(shelter_world, sessions):
    """LEAK (deleteEnrollment, HEAD_OF_HOUSEHOLD). The check for other members of the head's
    household reads every live enrollment, not the caller's view: a member stay written after
    R out of the shelter's sight (an administrator's import) makes the shelter's
    `deleteEnrollment(input: {id: <its own stay, head of its household>, reason: "..."})`
    answer HEAD_OF_HOUSEHOLD; in the shelter's view the household has no other member
    (`household.members` lists the head alone), so the error reveals the hidden stay."""
    w, ada, stay = shelter_world.w, shelter_world.ada, shelter_world.stay
    household = await _household_of(w, ada, stay)
    await _admin_enrolls_after_r(w, sessions, ada, household=household, relationship=2)
    assert await L.errors(w, "shelter", "deleteEnrollment", id=stay,
                          reason="entered in error") == []  # fmt: skip


async def test_update_enrollment_reveals_a_hidden_head(shelter_world, sessions):
    """LEAK (updateEnrollment, HEAD_EXISTS). `_check_head` looks for another head of the
    household in the project among every live enrollment, not the caller's view: with a stay
    written after R out of the shelter's sight heading household "HX",
    `updateEnrollment(input: {enrollmentId: <the shelter's stay>, householdId: "HX",
    relationshipToHoH: SELF})` answers HEAD_EXISTS, so the shelter learns that a hidden stay
    heads that household (and can probe household IDs)."""
    w, ada, stay = shelter_world.w, shelter_world.ada, shelter_world.stay
    await _admin_enrolls_after_r(w, sessions, ada, household="HX", relationship=1)
    assert await L.errors(w, "shelter", "updateEnrollment", enrollmentId=stay,
                          householdId="HX", relationshipToHoH="SELF") == []  # fmt: skip


async def test_create_enrollment_ignores_a_stay_hidden_from_the_caller(shelter_world, sessions):
    """createEnrollment, OPEN_ENROLLMENT_EXISTS: the same question as reopenEnrollment's. A stay
    written after R out of the shelter's sight does not make the shelter's
    `createEnrollment(clientId: <Ada>, projectId: <its project>)` answer
    OPEN_ENROLLMENT_EXISTS: its view has no open stay there."""
    w, ada = shelter_world.w, shelter_world.ada
    await _admin_enrolls_after_r(w, sessions, ada)
    assert await L.errors(w, "shelter", "createEnrollment", clientId=ada,
                          projectId=w.projects["Shelter"],
                          entryDate="2025-04-01") == []  # fmt: skip


async def test_the_open_stay_question_still_counts_what_the_caller_sees(shelter_world):
    """The caller's own open stay is still OPEN_ENROLLMENT_EXISTS, in every check."""
    w, ada = shelter_world.w, shelter_world.ada
    await L.enroll(w, ada, "2025-03-01")
    code = "OPEN_ENROLLMENT_EXISTS"
    assert await L.errors(
        w,
        "shelter",
        "reopenEnrollment",
        enrollmentId=shelter_world.stay,
        reason="exit entered in error",
    ) == [(["input", "enrollmentId"], code)]
    assert await L.errors(
        w,
        "shelter",
        "createEnrollment",
        clientId=ada,
        projectId=w.projects["Shelter"],
        entryDate="2025-04-01",
    ) == [(["input", "projectId"], code)]
    assert await L.errors(w, "shelter", "createHouseholdEnrollment",
                          projectId=w.projects["Shelter"], entryDate="2025-04-01",
                          members=[{"clientId": ada, "relationshipToHoH": "SELF"}],
                          ) == [(["input", "members", "0", "clientId"], code)]  # fmt: skip


async def test_exit_enrollment_ignores_an_exit_hidden_from_the_caller(api, token, sessions):
    """exitEnrollment, ALREADY_EXITED: an exit an administrator's import wrote after R is no
    exit to the shelter, so the shelter's exit is recorded (not ALREADY_EXITED) and it sees
    its own exit date. One live exit per enrollment (a unique index): the hidden exit is
    superseded, deleted with a reason, and stays in the record's history."""
    w = await L.world(api, token)
    ada = await L.client(w)
    stay = await L.enroll(w, ada, "2025-01-10")
    await L.refuse(w, ada)
    async with sessions() as s, s.begin():
        row = await s.get(models.Enrollment, uuid.UUID(stay))
        hidden = await history.create(s, ADMIN_IMPORT, models.Exit,
                                      organization_id=row.organization_id, enrollment_id=row.id,
                                      client_id=row.client_id, exit_date=date(2025, 1, 20),
                                      destination=101)  # fmt: skip
        hidden_id = hidden.id
    payload = await ok(w, "shelter", "exitEnrollment", enrollmentId=stay, exitDate="2025-02-01",
                       destination="RENTAL_NO_SUBSIDY")  # fmt: skip
    assert payload["enrollment"]["exitDate"] == "2025-02-01"
    x = models.Exit
    async with sessions() as s:
        exits = (await s.scalars(select(x).where(x.enrollment_id == uuid.UUID(stay)))).all()
    assert [e.exit_date for e in exits if e.date_deleted is None] == [date(2025, 2, 1)]
    assert [e.id for e in exits if e.date_deleted is not None] == [hidden_id]
    # Its own exit is still ALREADY_EXITED.
    assert await L.errors(w, "shelter", "exitEnrollment", enrollmentId=stay,
                          exitDate="2025-02-02", destination="RENTAL_NO_SUBSIDY",
                          ) == [(["input", "enrollmentId"], "ALREADY_EXITED")]  # fmt: skip


async def test_assigning_ends_a_current_assignment_hidden_from_the_caller(api, token, sessions):
    """assignCaseManager ends the organization's current assignment (one per client and
    organization: a unique index). A current assignment an administrator's import made for
    the shelter after R is hidden from the shelter: it is ended too, out of the shelter's sight,
    and the shelter's new assignment is made as without it."""
    w = await L.world(api, token)
    ada = await L.client(w)
    await L.refuse(w, ada)
    async with sessions() as s, s.begin():
        staff = await s.get(models.StaffUser, uuid.UUID(w.managers["Shelter"]))
        hidden = await history.create(s, ADMIN_IMPORT, models.CaseManagerAssignment,
                                      organization_id=staff.organization_id,
                                      client_id=uuid.UUID(ada), staff_user_id=staff.id,
                                      start_date=date(2025, 3, 1))  # fmt: skip
        hidden_id = hidden.id
    assert (await L.case_manager(w, "shelter", ada)) is None
    payload = await ok(w, "shelter", "assignCaseManager", clientId=ada,
                       staffUserId=w.managers["Shelter"])  # fmt: skip
    assert payload["assignment"]["endDate"] is None
    async with sessions() as s:
        row = await s.get(models.CaseManagerAssignment, hidden_id)
    assert row.end_date is not None and row.date_deleted is None


async def test_a_member_moved_out_of_the_callers_sight_is_still_a_member(api, token, sessions):
    """The other way round: a stay the shelter sees, moved to another household after R by an
    administrator's import, is still in the head's household in the shelter's view (frozen at
    R for others' writes), so deleting the head is still HEAD_OF_HOUSEHOLD, and `household`
    still lists both: the hidden change changes no answer either."""
    w = await L.world(api, token)
    ada, ben = await L.client(w), await L.client(w, first="Ben")
    intake = await ok(w, "shelter", "createHouseholdEnrollment", projectId=w.projects["Shelter"],
                      entryDate="2025-01-10", members=[
                          {"clientId": ada, "relationshipToHoH": "SELF"},
                          {"clientId": ben, "relationshipToHoH": "CHILD"}])  # fmt: skip
    adas, bens = (e["id"] for e in intake["enrollments"])
    await L.refuse(w, ben)
    async with sessions() as s, s.begin():
        row = await s.get(models.Enrollment, uuid.UUID(bens))
        await history.update(s, ADMIN_IMPORT, row, {"household_id": "ELSEWHERE"})
    (head,) = [e for e in await L.enrollments(w, "shelter", ada) if e["id"] == adas]
    assert [m["enrollmentId"] for m in head["household"]["members"]] == [adas, bens]
    assert await L.errors(w, "shelter", "deleteEnrollment", id=adas, reason="entered in error",
                          ) == [(["input", "id"], "HEAD_OF_HOUSEHOLD")]  # fmt: skip


REFUSE = """mutation($input: RecordSharingRefusalInput!) { recordSharingRefusal(input: $input) {
  refusal { id } errors { field code } } }"""


async def test_a_refusal_names_household_members_from_the_recorders_view(shelter_world, sessions):
    """recordSharingRefusal's householdMemberIds (NOT_IN_HOUSEHOLD): a household is read from
    the recorder's view, so Ada's stay in Ben's household written after her refusal out of the
    shelter's sight does not make her a member of Ben's household: the same NOT_IN_HOUSEHOLD
    as without it (before, the hidden stay turned it into a recorded refusal)."""
    w, ada = shelter_world.w, shelter_world.ada
    ben = await L.client(w, first="Ben")
    bens = await L.enroll(w, ben, "2025-03-01")
    household = await _household_of(w, ben, bens)
    await _admin_enrolls_after_r(w, sessions, ada, household=household, relationship=2)
    given = {"input": {"clientId": ben, "householdMemberIds": [ada]}}
    status, body = await L.gql(w.api, REFUSE, given, token=w.tokens["shelter"])
    assert status == 200, body
    assert body["data"]["recordSharingRefusal"]["errors"] == [
        {"field": ["input", "householdMemberIds", "0"], "code": "NOT_IN_HOUSEHOLD"}
    ]


async def test_the_checks_take_as_many_statements_for_one_client_as_for_many(
    api, token, sessions, engine
):
    """`in_view` reads the candidates live, then decides them in one batch: the number of
    statements does not grow with the rows (here five clients, each with a stay the shelter
    sees and one written out of its sight)."""
    w = await L.world(api, token)
    ids = [await L.client(w, first=f"C{i}") for i in range(5)]
    for client_id in ids:
        await L.enroll(w, client_id, "2025-01-10")
        await L.refuse(w, client_id)
        await _admin_enrolls_after_r(w, sessions, client_id)
    counted: list[str] = []

    def before(_conn, _cursor, statement, *_args):
        counted.append(statement)

    project_id = uuid.UUID(w.projects["Shelter"])
    found, statements = [], []
    for some in (ids[:1], ids):
        async with sessions() as s:
            org = (await s.get(models.Project, project_id)).organization_id
            event.listen(engine.sync_engine, "before_cursor_execute", before)
            try:
                found.append(await in_view.open_stays(s, org, map(uuid.UUID, some), project_id))
            finally:
                event.remove(engine.sync_engine, "before_cursor_execute", before)
            statements.append(len(counted))
            counted.clear()
    assert found == [{uuid.UUID(ids[0])}, set(map(uuid.UUID, ids))]
    assert statements[0] == statements[1], statements


SET_CONTACT = """mutation($input: SetContactInput!) { setContact(input: $input) {
  contact { phone } errors { code } } }"""


async def test_set_contact_supersedes_a_contact_hidden_from_the_caller(api, token, sessions):
    """setContact keeps one contact per client and organization. A contact an administrator's
    import wrote for the shelter after R is hidden from the shelter: before, updating it failed
    (an internal error, where without it the write succeeds); now the shelter's contact is
    recorded as without it, and the hidden one is superseded (deleted, history kept)."""
    w = await L.world(api, token)
    ada = await L.client(w)
    await L.refuse(w, ada)
    async with sessions() as s, s.begin():
        project = await s.get(models.Project, uuid.UUID(w.projects["Shelter"]))
        hidden = await history.create(s, ADMIN_IMPORT, models.Contact,
                                      organization_id=project.organization_id,
                                      client_id=uuid.UUID(ada), phone="5555555555")  # fmt: skip
        hidden_id = hidden.id
    assert (await L.agency_records(w, "shelter", ada))["contact"] is None
    given = {"input": {"clientId": ada, "phone": "5555555556"}}
    status, body = await L.gql(w.api, SET_CONTACT, given, token=w.tokens["shelter"])
    assert status == 200 and "errors" not in body, body
    assert body["data"]["setContact"] == {"contact": {"phone": "5555555556"}, "errors": []}
    async with sessions() as s:
        assert (await s.get(models.Contact, hidden_id)).date_deleted is not None
