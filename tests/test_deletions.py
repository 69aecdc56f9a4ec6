"""Issue 15, point 2: deleting what was entered in error, by the organization that entered it
or an administrator, soft (HUD DateDeleted), with a required reason kept on the deletion's
version and an audit event; a record the caller cannot see is NOT_FOUND exactly as an ID that
names nothing. Deleting a client is for administrators."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from hmis.db import models

from . import lifecycle as L
from .lifecycle import errors, ok, refused

REASON = "entered for the wrong client"


@pytest.fixture
async def w(api, token):
    return await L.world(api, token)


async def recorded(w, ada: str, enrollment: str | None = None) -> dict[str, str]:
    """Every agency-only record of Ada, by the shelter; their IDs by mutation."""
    at = {"clientId": ada, "informationDate": "2025-01-10"}
    if enrollment:
        at["enrollmentId"] = enrollment
    made = {
        "deleteContact": (await ok(w, "shelter", "setContact", clientId=ada,
                                   phone="6305550199"))["contact"]["id"],
        "deleteHealthRecord": (await ok(w, "shelter", "recordHealth", **at,
                                        disablingCondition="YES", disabilities=[
                                            {"disabilityType": "PHYSICAL", "response": 1}])
                               )["health"]["id"],
        "deleteIncome": (await ok(w, "shelter", "recordIncome", **at,
                                  incomeFromAnySource="NO"))["income"]["id"],
        "deleteDomesticViolence": (await ok(w, "shelter", "recordDomesticViolence", **at,
                                            survivor="NO"))["domesticViolence"]["id"],
        "deleteCaseNote": (await ok(w, "shelter", "addCaseNote", clientId=ada,
                                    text="Intake."))["caseNote"]["id"],
    }  # fmt: skip
    return made


async def test_agency_only_records_deleted_by_their_organization_with_a_reason(w, sessions):
    ada = await L.client(w)
    made = await recorded(w, ada)
    for name, record_id in made.items():
        # A partner never sees these records: NOT_FOUND, word for word as for no record.
        hidden = await L.op(w, "outreach", name, {"id": record_id, "reason": REASON})
        missing = await L.op(w, "outreach", name, {"id": L.RANDOM_ID, "reason": REASON})
        assert hidden == missing and hidden["errors"][0]["code"] == "NOT_FOUND", name
        assert await errors(w, "shelter", name, id=record_id, reason="") == [
            (["input", "reason"], "REQUIRED")]  # fmt: skip
        assert (await ok(w, "shelter", name, id=record_id, reason=REASON))["deletedId"] == \
            record_id  # fmt: skip
        assert (await L.versions(sessions, record_id))[-1] == ("delete", {}, REASON)
        again = await errors(w, "shelter", name, id=record_id, reason=REASON)
        assert again == [(["input", "id"], "NOT_FOUND")]
    assert await L.agency_records(w, "shelter", ada) == {
        "contact": None, "health": None, "income": None, "domesticViolence": None,
        "caseNotes": []}  # fmt: skip
    # The disability recorded with the health record went with it.
    async with sessions() as s:
        d = models.Disability
        assert await s.scalar(select(func.count()).select_from(d).where(
            d.client_id == uuid.UUID(ada), d.date_deleted.is_(None))) == 0  # fmt: skip
    events = await L.audit_events(sessions, ada)
    for group in ("CONTACT", "HEALTH", "INCOME", "DOMESTIC_VIOLENCE", "CASE_NOTES"):
        assert ("delete", [group], "shelter-staff") in events


async def test_an_administrator_may_delete_any_organizations_record(w, sessions):
    ada = await L.client(w)
    note = (await ok(w, "shelter", "addCaseNote", clientId=ada, text="x"))["caseNote"]["id"]
    await ok(w, "admin", "deleteCaseNote", id=note, reason=REASON)
    async with sessions() as s:
        v = models.RecordVersion
        deletion = await s.scalar(select(v).where(v.record_id == uuid.UUID(note), v.seq == 2))
    assert (deletion.kind, deletion.subject, deletion.organization_id) == (
        "delete", "admin-1", None)  # fmt: skip
    # Roles that write nothing may not delete either.
    for who, role in (("auditor", "auditor"), ("client", "client")):
        w.tokens[who] = w.token(role, sub=f"{who}-1")
        assert await refused(w, who, "deleteCaseNote", id=note, reason=REASON) == "FORBIDDEN"


async def test_delete_enrollment_takes_its_exit_and_assessments(w, sessions):
    ada = await L.client(w)
    enrollment = await L.enroll(w, ada)
    await ok(w, "shelter", "exitEnrollment", enrollmentId=enrollment, exitDate="2025-02-01",
             destination="RENTAL_NO_SUBSIDY")  # fmt: skip
    made = await recorded(w, ada, enrollment)
    ben = await L.client(w, first="Ben")
    await L.enroll(w, ben)
    assignment = (await ok(w, "shelter", "assignCaseManager", clientId=ada,
                           staffUserId=w.managers["Shelter"]))["assignment"]["id"]  # fmt: skip
    # A partner sees the enrollment (shared), so it is refused as not its own.
    assert await refused(w, "outreach", "deleteEnrollment", id=enrollment,
                         reason=REASON) == "FORBIDDEN"  # fmt: skip
    assert await refused(w, "outreach", "deleteCaseManagerAssignment", id=assignment,
                         reason=REASON) == "FORBIDDEN"  # fmt: skip
    await ok(w, "shelter", "deleteEnrollment", id=enrollment, reason=REASON)
    assert await L.enrollments(w, "shelter", ada) == []
    assert await L.enrollments(w, "outreach", ada) == []
    # Its exit and the assessments taken at it are gone; contact and notes are not tied to it.
    left = await L.agency_records(w, "shelter", ada)
    assert left["health"] is None and left["income"] is None
    assert left["domesticViolence"] is None
    assert left["contact"] == {"id": made["deleteContact"]}
    async with sessions() as s:
        exit = await s.scalar(select(models.Exit).where(
            models.Exit.enrollment_id == uuid.UUID(enrollment)))  # fmt: skip
    assert (await L.versions(sessions, str(exit.id)))[-1] == ("delete", {}, REASON)
    assert len(await L.enrollments(w, "shelter", ben)) == 1  # another client's stay stays
    await ok(w, "shelter", "deleteCaseManagerAssignment", id=assignment, reason=REASON)
    assert await L.case_manager(w, "shelter", ada) is None
    events = await L.audit_events(sessions, ada)
    (deleted,) = [g for a, g, _ in events if a == "delete" and "ENROLLMENTS" in g]
    assert {"HOUSEHOLD", "HEALTH", "INCOME", "DOMESTIC_VIOLENCE"} <= set(deleted)


async def test_the_head_of_a_household_with_members_is_not_deleted(w):
    ada, ben = await L.client(w), await L.client(w, first="Ben")
    intake = await ok(w, "shelter", "createHouseholdEnrollment", projectId=w.projects["Shelter"],
                      entryDate="2025-01-10", members=[
                          {"clientId": ada, "relationshipToHoH": "SELF"},
                          {"clientId": ben, "relationshipToHoH": "CHILD"}])  # fmt: skip
    head, child = (e["id"] for e in intake["enrollments"])
    assert await errors(w, "shelter", "deleteEnrollment", id=head, reason=REASON) == [
        (["input", "id"], "HEAD_OF_HOUSEHOLD")]  # fmt: skip
    await ok(w, "shelter", "deleteEnrollment", id=child, reason=REASON)
    await ok(w, "shelter", "deleteEnrollment", id=head, reason=REASON)


async def test_delete_client_is_for_administrators_and_takes_everything(w, sessions):
    ada = await L.client(w)
    enrollment = await L.enroll(w, ada)
    await recorded(w, ada, enrollment)
    await ok(w, "admin", "linkClientLogin", clientId=ada, subject="ada-login")
    for who in ("shelter", "outreach"):
        assert await refused(w, who, "deleteClient", id=ada, reason=REASON) == "FORBIDDEN"
    assert await errors(w, "admin", "deleteClient", id=L.RANDOM_ID, reason=REASON) == [
        (["input", "id"], "NOT_FOUND")]  # fmt: skip
    assert (await ok(w, "admin", "deleteClient", id=ada, reason=REASON))["deletedId"] == ada
    view = "query($id: ID!) { client(id: $id) { id } }"
    for who in ("shelter", "outreach", "admin"):
        _, body = await L.gql(w.api, view, {"id": ada}, token=w.tokens[who])
        assert body["data"]["client"] is None
    async with sessions() as s:
        for model in models.CLIENT_DATA_MODELS:
            key = model.id if model is models.Client else model.client_id
            alive = await s.scalar(select(func.count()).select_from(model).where(
                key == uuid.UUID(ada), model.date_deleted.is_(None)))  # fmt: skip
            assert alive == 0, model
        logins = await s.scalar(select(func.count()).select_from(models.ClientLogin).where(
            models.ClientLogin.client_id == uuid.UUID(ada)))  # fmt: skip
        assert logins == 0
        v = models.RecordVersion
        reasons = set(await s.scalars(select(v.reason).where(
            v.client_id == uuid.UUID(ada), v.kind == "delete")))  # fmt: skip
    assert reasons == {REASON}
    # One event: the administrator deleted every group of hers that held something.
    events = await L.audit_events(sessions, ada)
    (deleted,) = [g for a, g, who in events if a == "delete" and who == "admin-1"]
    assert {"IDENTITY", "DEMOGRAPHICS", "ENROLLMENTS", "CONTACT", "CASE_NOTES"} <= set(deleted)
