# ruff: noqa: F811 (pytest fixtures imported from other test modules)
"""Partner HUD CSV imports and exports against the caller-view rule (docs/caller-view.md,
docs/hud-csv.md): from an adversarial review (tests first written on branch `review`,
adapted here to the streaming import with source lineages). Every test makes real HTTP
requests with real tokens; each failed on the code as reviewed and passes once the leak is
closed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hmis.db import models
from hmis.exports import hud_csv

from . import people
from .test_export import export
from .test_import import agency, post, rows_text, vendor_files  # noqa: F401 (a fixture)

ENROLLMENT_IDS = """query($id: ID!) { client(id: $id) { enrollments { edges { node { id
  project { name } } } } } }"""


async def _shelter_imports(agency, personal_id: str, enrollment_id: str, condition: str):
    """The shelter's service account imports one client with one stay and its disabling
    condition (a HEALTH record: agency-only, never shown to partners)."""
    files = vendor_files(agency, {
        ("Client.csv", 0, "PersonalID"): personal_id,
        ("Enrollment.csv", 0, "PersonalID"): personal_id,
        ("Enrollment.csv", 0, "EnrollmentID"): enrollment_id,
        ("Enrollment.csv", 0, "DisablingCondition"): condition,
        ("Exit.csv", 0, "PersonalID"): personal_id,
        ("Exit.csv", 0, "EnrollmentID"): enrollment_id,
        ("Exit.csv", 0, "ExitID"): "X-" + enrollment_id,
    })  # fmt: skip
    async with agency.sessions() as s:
        before = set((await s.scalars(select(models.Enrollment.id))).all())
    reply = await post(agency, files)
    assert reply.status_code == 200, reply.text
    async with agency.sessions() as s:
        rows = (await s.scalars(select(models.Enrollment))).all()
    (row,) = [r for r in rows if r.id not in before]
    return row.client_id, row.id


def _partner_files(
    agency, client_id, enrollment_id, *, condition: str = "0", deleted: str | None = None
) -> dict[str, str]:
    """Outreach's own export naming the shelter's client and stay by their IDs (the UUIDs
    the API shows it), in outreach's own project, as HUD CSV allows (an ID that is a UUID is
    taken as ours)."""
    org, project = agency.outreach.id.hex, agency.outreach_project.id.hex
    files = vendor_files(agency, {
        ("Organization.csv", 0, "OrganizationID"): org,
        ("Organization.csv", 0, "OrganizationName"): "Outreach Org",
        ("Project.csv", 0, "ProjectID"): project,
        ("Project.csv", 0, "OrganizationID"): org,
        ("Project.csv", 0, "ProjectName"): "Street Outreach",
        ("Project.csv", 0, "ProjectType"): "4",
        ("Client.csv", 0, "PersonalID"): client_id.hex,
        ("Enrollment.csv", 0, "PersonalID"): client_id.hex,
        ("Enrollment.csv", 0, "EnrollmentID"): enrollment_id.hex,
        ("Enrollment.csv", 0, "ProjectID"): project,
        ("Enrollment.csv", 0, "DisablingCondition"): condition,
        ("Enrollment.csv", 0, "DateDeleted"): deleted or "",
    })  # fmt: skip
    files["Exit.csv"] = rows_text(hud_csv.EXIT, [])
    return files


@pytest.fixture
def outreach_service(agency):
    return agency.token("agency_staff", org=agency.outreach.id, sub="svc-outreach",
                        client_id="svc-outreach")  # fmt: skip


async def _seen_enrollment_ids(agency, gql, client_id) -> set[str]:
    partner = agency.token("agency_staff", org=agency.outreach.id, sub="o")
    status, body = await gql(agency.api, ENROLLMENT_IDS, {"id": str(client_id)}, token=partner)
    assert status == 200, body
    return {e["node"]["id"] for e in body["data"]["client"]["enrollments"]["edges"]}


async def test_partner_import_confirms_a_hidden_disabling_condition(agency, outreach_service, gql):
    """LEAK (POST /imports/hmis-csv, HEALTH group). The loader keys the disabling condition of
    an Enrollment.csv row as uuid5(EnrollmentID, "DisablingCondition") and, when that record
    exists, updates it through `history.update`, which compares with `as_of.view`: a view
    that applies the refusal rule but not the group rule, so for another organization's HEALTH
    record it is the hidden current value. The reply's counts (`updated` vs `unchanged`) then
    say whether the partner's guess equals the shelter's hidden disabling condition.

    Request: the outreach service account POSTs a zip whose Enrollment.csv names the
    shelter's stay by the UUID the API shows it (EnrollmentID = Enrollment.id), in its own
    project, with DisablingCondition = 0. For a client whose hidden condition is 0 the reply
    has one more `unchanged` (and one fewer `updated`) than for a client whose condition is
    1: the partner learns a non-shared HEALTH value. (It also overwrites the shelter's
    HEALTH record and moves the shelter's stay into its own project.)"""
    no, no_stay = await _shelter_imports(agency, "P1", "N1", "0")
    yes, yes_stay = await _shelter_imports(agency, "P2", "N2", "1")
    # The partner sees both stays' IDs (ENROLLMENTS is shared).
    assert str(no_stay) in await _seen_enrollment_ids(agency, gql, no)
    assert str(yes_stay) in await _seen_enrollment_ids(agency, gql, yes)
    counts = []
    for client_id, stay in ((no, no_stay), (yes, yes_stay)):
        reply = await post(agency, _partner_files(agency, client_id, stay, condition="0"),
                           token=outreach_service)  # fmt: skip
        body = reply.json()
        counts.append((reply.status_code, body.get("created"), body.get("updated"),
                       body.get("unchanged"), body.get("deleted")))  # fmt: skip
    # The same request about two clients must get the same answer whatever the shelter's
    # hidden HEALTH value is.
    assert counts[0] == counts[1], counts


async def test_partner_import_deletes_another_organizations_stay(agency, outreach_service, gql):
    """LEAK/BYPASS (POST /imports/hmis-csv, deletions). `deleteEnrollment` answers a partner
    FORBIDDEN for a stay it sees but does not own; the import deletes it. The loader's
    `_write` soft-deletes any existing row whose key the file names with a DateDeleted,
    without checking that the importer's organization owns it (or even sees it): only the
    ProjectID of the row is checked to be the importer's, not the existing record's.

    Request: the outreach service account POSTs a zip whose Enrollment.csv has
    EnrollmentID = the shelter's stay's UUID (as the API shows it), ProjectID = outreach's
    project, DateDeleted set. Reply: 200 with `deleted: 2` (the stay and the shelter's
    HEALTH record); the shelter's stay is gone for everyone. The `deleted` count also tells
    the partner that a HEALTH record of another organization existed for that stay."""
    ada, stay = await _shelter_imports(agency, "P1", "N1", "1")
    assert str(stay) in await _seen_enrollment_ids(agency, gql, ada)
    reply = await post(agency, _partner_files(agency, ada, stay, deleted="2025-03-01 00:00:00"),
                       token=outreach_service)  # fmt: skip
    async with agency.sessions() as s:
        row = await s.get(models.Enrollment, stay)
        health = (await s.scalars(select(models.HealthRecord))).all()
    assert row.date_deleted is None, (reply.status_code, reply.text)
    assert all(h.date_deleted is None for h in health), (reply.status_code, reply.text)


async def test_partner_import_probes_for_a_stay_made_after_the_refusal(
    agency, outreach_service, gql
):
    """LEAK (POST /imports/hmis-csv, existence of a record made after R). HUD CSV keys are
    name-based UUIDs of (SourceID, file, the source's ID), and the importer chooses its
    SourceID: a partner naming the shelter's vendor source and a guessed source EnrollmentID
    (vendors number them) reaches the shelter's row. For a stay the shelter made after the
    client's refusal (which the partner's view does not have), the loader's
    `history.update` raises NotVisible and the import fails; for an ID that names nothing the
    same request creates a stay (200). So the partner learns that a stay it cannot see
    exists (and, by the PersonalID it names, whose). The same request naming a stay it can
    see is accepted and moves that stay into the partner's project."""
    await _shelter_imports(agency, "P1", "N1", "0")
    async with agency.sessions() as s:
        ada = (await s.scalars(select(models.Client))).one()
    await people.refuse(agency.sessions, agency, ada)
    await _shelter_imports(agency, "P1", "N2", "0")  # after R: hidden from outreach
    org, project = agency.outreach.id.hex, agency.outreach_project.id.hex

    def probe(enrollment_id: str) -> dict[str, str]:
        files = vendor_files(agency, {
            ("Organization.csv", 0, "OrganizationID"): org,
            ("Organization.csv", 0, "OrganizationName"): "Outreach Org",
            ("Project.csv", 0, "ProjectID"): project,
            ("Project.csv", 0, "OrganizationID"): org,
            ("Project.csv", 0, "ProjectName"): "Street Outreach",
            ("Project.csv", 0, "ProjectType"): "4",
            ("Enrollment.csv", 0, "EnrollmentID"): enrollment_id,
            ("Enrollment.csv", 0, "ProjectID"): project,
        })  # fmt: skip
        files["Exit.csv"] = rows_text(hud_csv.EXIT, [])
        return files

    replies = []
    for guess in ("N2", "N7"):  # N2: the shelter's hidden stay; N7: nothing
        try:
            reply = await post(agency, probe(guess), token=outreach_service)
            replies.append(reply.status_code)
        except Exception as error:
            replies.append(type(error).__name__)
    assert replies[0] == replies[1], replies


async def test_partner_import_deletes_a_client(agency, outreach_service):
    """BYPASS (POST /imports/hmis-csv, Client.csv DateDeleted). `deleteClient` is for
    administrators only; an agency's service account deletes any client whose ID it sees (every
    client: IDENTITY is shared) by importing a Client.csv row with PersonalID = that ID and a
    DateDeleted. The loader soft-deletes the existing client without any ownership or role
    check; the client then answers nobody (a partner thereby also removes a record that other
    organizations, and the client, rely on)."""
    ada = await people.fully_recorded_client(agency.sessions, agency, first_name="Ada")
    org = agency.outreach.id.hex
    files = vendor_files(agency, {
        ("Organization.csv", 0, "OrganizationID"): org,
        ("Project.csv", 0, "ProjectID"): agency.outreach_project.id.hex,
        ("Project.csv", 0, "OrganizationID"): org,
        ("Client.csv", 0, "PersonalID"): ada.id.hex,
        ("Client.csv", 0, "DateDeleted"): "2025-03-01 00:00:00",
    })  # fmt: skip
    files["Enrollment.csv"] = rows_text(hud_csv.ENROLLMENT, [])
    files["Exit.csv"] = rows_text(hud_csv.EXIT, [])
    reply = await post(agency, files, token=outreach_service)
    async with agency.sessions() as s:
        row = await s.get(models.Client, ada.id)
    assert row.date_deleted is None, (reply.status_code, reply.text)
    # Not even a client of its own imports: a service account never deletes a client (the
    # row's DateDeleted is ignored, with a warning).
    files["Client.csv"] = files["Client.csv"].replace("2025-03-01 00:00:00", "")
    assert (await post(agency, files, token=outreach_service)).status_code == 200
    async with agency.sessions() as s:
        (own,) = await s.scalars(select(models.Client).where(models.Client.id != ada.id))
    files["Client.csv"] = files["Client.csv"].replace("u1,,E1", "u1,2025-03-01 00:00:00,E1")
    reply = await post(agency, files, token=outreach_service)
    assert reply.status_code == 200, reply.text
    assert reply.json()["deleted"] == 0
    assert [(w["file"], w["row"], w["column"]) for w in reply.json()["warnings"]] == [
        ("Client.csv", 2, "DateDeleted")
    ]
    async with agency.sessions() as s:
        assert (await s.get(models.Client, own.id)).date_deleted is None


# --- HUD CSV export stamps ---------------------------------------------------------------------


async def test_export_userid_shows_a_write_after_the_refusal(agency):
    """LEAK (GET /exports/hmis-csv.zip, the UserID stamp). An import keeps the source's
    UserID on the record (`_keep_stamps`: `hud_user_id`, overwritten by every import that
    changes the record) and the export writes `UserID = hud_user_id` whatever the caller's
    view: unlike DateUpdated (`Visibility.updated_at`), it is not taken as of the refusal.
    After Ada refuses, the shelter's next import changes her stay (a later entry date, by its
    user u2): outreach's export still shows the stay as it stood at R (the old entry date) but
    with UserID u2, so the partner learns that the stay was written after the refusal, and by
    whom (User.csv names the source's users)."""
    assert (await post(agency, vendor_files(agency))).status_code == 200
    async with agency.sessions() as s:
        ada = (await s.scalars(select(models.Client))).one()
    partner = agency.token("agency_staff", org=agency.outreach.id, sub="o")
    before = (await export(agency.api, partner))["Enrollment.csv"]
    await people.refuse(agency.sessions, agency, ada)
    later = vendor_files(agency, {
        ("Enrollment.csv", 0, "EntryDate"): "2025-01-03",
        ("Enrollment.csv", 0, "UserID"): "u2",
        ("Enrollment.csv", 0, "DateUpdated"): "2025-02-10 10:00:00",
    })  # fmt: skip
    reply = await post(agency, later)
    assert reply.status_code == 200 and reply.json()["updated"] >= 1, reply.text
    after = (await export(agency.api, partner))["Enrollment.csv"]
    assert [r["EntryDate"] for r in after] == [r["EntryDate"] for r in before]  # as of R
    assert [r["UserID"] for r in after] == [r["UserID"] for r in before], (before, after)


async def test_export_dateupdated_changes_with_a_write_after_the_refusal(agency):
    """LEAK (GET /exports/hmis-csv.zip, the DateUpdated stamp). For an imported record the
    export writes the source's DateUpdated (`hud_date_updated`) only while the caller's view
    of the record is its current state (`updated == row.date_updated`); once the shelter's
    import changes the stay after Ada's refusal, outreach's view is the as-of state and the
    export falls back to the database time of the last write it sees. So the partner's
    DateUpdated of the very same (frozen) row changes from the source's stamp to another
    value at the moment a hidden write happens: the partner learns that the stay was written
    after the refusal although every value it sees is unchanged."""
    assert (await post(agency, vendor_files(agency))).status_code == 200
    async with agency.sessions() as s:
        ada = (await s.scalars(select(models.Client))).one()
    partner = agency.token("agency_staff", org=agency.outreach.id, sub="o")
    await people.refuse(agency.sessions, agency, ada)
    before = (await export(agency.api, partner))["Enrollment.csv"]
    later = vendor_files(agency, {
        ("Enrollment.csv", 0, "EntryDate"): "2025-01-03",
        ("Enrollment.csv", 0, "DateUpdated"): "2025-02-10 10:00:00",
    })  # fmt: skip
    reply = await post(agency, later)
    assert reply.status_code == 200 and reply.json()["updated"] >= 1, reply.text
    after = (await export(agency.api, partner))["Enrollment.csv"]
    assert [r["EntryDate"] for r in after] == [r["EntryDate"] for r in before]  # as of R
    assert [r["DateUpdated"] for r in after] == [r["DateUpdated"] for r in before], (
        before, after)  # fmt: skip


async def test_export_start_date_reveals_a_hidden_stay(agency, gql):
    """LEAK (GET /exports/hmis-csv.zip, Export.csv ExportStartDate). Without a period the
    export's start date is `min(Enrollment.entry_date)` over every enrollment row of the HMIS:
    not the caller's view, not even live rows. A stay the shelter makes after Ada's refusal
    (hidden from outreach) with an early entry date becomes outreach's ExportStartDate, so
    the partner learns that a stay it cannot see exists and its exact entry date. (A deleted
    stay, which disappears for everyone, counts too.)"""
    assert (await post(agency, vendor_files(agency))).status_code == 200
    async with agency.sessions() as s:
        ada = (await s.scalars(select(models.Client))).one()
    partner = agency.token("agency_staff", org=agency.outreach.id, sub="o")
    await people.refuse(agency.sessions, agency, ada)
    before = (await export(agency.api, partner))["Export.csv"][0]["ExportStartDate"]
    shelter = agency.token("agency_staff", org=agency.shelter.id, sub="s")
    enroll = """mutation($input: CreateEnrollmentInput!) { createEnrollment(input: $input) {
      enrollment { id } errors { code } } }"""
    status, body = await gql(agency.api, enroll, {"input": {
        "clientId": str(ada.id), "projectId": str(agency.shelter_project.id),
        "entryDate": "2019-06-01"}}, token=shelter)  # fmt: skip
    assert body["data"]["createEnrollment"]["errors"] == [], body
    seen = (await export(agency.api, partner))["Enrollment.csv"]
    assert "2019-06-01" not in {r["EntryDate"] for r in seen}  # the stay is hidden...
    after = (await export(agency.api, partner))["Export.csv"][0]["ExportStartDate"]
    assert after == before, (before, after)  # ...and so must be its entry date


async def test_partner_import_into_another_project_then_probes_its_households(
    agency, outreach_service, gql
):
    """LEAK (POST /imports/hmis-csv, then updateEnrollment HEAD_EXISTS; HOUSEHOLD group). The
    import checks that an enrollment's project is the importer's by the OrganizationID the
    file's own Project.csv gives it (`Loader._reference`), never by the project in the
    database. Outreach's service account lists the shelter's project with outreach's
    OrganizationID and imports a stay of its own client there: the stay is created in the
    shelter's project, owned by outreach. Outreach's staff may then `updateEnrollment` it,
    and `_check_head` looks for a head among the project's stays, all the shelter's: asking
    for `householdId: "H1", relationshipToHoH: SELF` answers HEAD_EXISTS exactly when the
    shelter has a household "H1" with a head in its project (imported household IDs are the
    vendor's, often guessable). Outreach never sees the shelter's HOUSEHOLD group."""
    assert (await post(agency, vendor_files(agency))).status_code == 200  # shelter: H1, SELF
    org = agency.outreach.id.hex
    files = vendor_files(agency, {
        ("Export.csv", 0, "SourceID"): "outreach-own",
        ("Organization.csv", 0, "OrganizationID"): org,
        ("Project.csv", 0, "OrganizationID"): org,  # the shelter's project, claimed
        ("Client.csv", 0, "PersonalID"): "Q1",
        ("Client.csv", 0, "FirstName"): "Otto",
        ("Enrollment.csv", 0, "PersonalID"): "Q1",
        ("Enrollment.csv", 0, "EnrollmentID"): "M1",
        ("Enrollment.csv", 0, "HouseholdID"): "Z9",
    })  # fmt: skip
    files["Exit.csv"] = rows_text(hud_csv.EXIT, [])
    # Adapted: the claim itself is refused (docs/hud-csv.md): a service account's Project.csv
    # names only projects its organization operates; another organization's project and a
    # project that does not exist get the same error, so the reply says nothing of either.
    replies = []
    for project in (agency.shelter_project.id.hex, "0" * 31 + "7"):  # the shelter's; nobody's
        claimed = {**files}
        claimed["Project.csv"] = files["Project.csv"].replace(
            agency.shelter_project.id.hex, project
        )
        claimed["Enrollment.csv"] = files["Enrollment.csv"].replace(
            agency.shelter_project.id.hex, project
        )
        reply = await post(agency, claimed, token=outreach_service)
        replies.append((reply.status_code, reply.json().get("errors")))
    assert replies[0] == replies[1], replies
    assert replies[0] == (
        422,
        [
            {
                "file": "Project.csv",
                "row": 2,
                "column": "ProjectID",
                "message": "not a project of your organization",
            }
        ],
    ), replies
    async with agency.sessions() as s:
        mine = await s.scalar(
            select(models.Enrollment.id).where(
                models.Enrollment.organization_id == agency.outreach.id
            )
        )
    assert mine is None  # no stay of outreach's in the shelter's project
