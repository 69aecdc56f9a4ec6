"""HUD CSV import: `hmis import-csv` (administrators) and `POST /imports/hmis-csv` (an agency's
service account); checked first, all or nothing, through the one write path, idempotent."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import sys
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from hmis.db import migrate, models
from hmis.db.session import make_engine
from hmis.exports import hud_csv
from hmis.seed.build import unsafe_bulk_seed

from . import people
from .test_export import URL, unzip

# Not carried from one database to another: the export's own ID and date, and the
# ImplementationID (HUD: unique to every source database, so the second database's own).
# Everything else is, User.csv included (its users recorded as the source's HUD users), and
# HUD's DateCreated, DateUpdated and UserID (kept beside the import's own stamps).
NOT_CARRIED = {"ExportID", "ExportDate", "ImplementationID"}


@pytest.fixture
async def empty_url(database_url, tmp_path):
    """A second database, migrated and empty, of the same kind as the test database."""
    if database_url.startswith("sqlite"):
        url = f"sqlite+aiosqlite:///{tmp_path / 'imported.db'}"
        admin = None
    else:
        name = f"{make_url(database_url).database}_import"
        admin = make_engine(database_url, isolation_level="AUTOCOMMIT")
        async with admin.connect() as connection:
            await connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            await connection.execute(text(f"CREATE DATABASE {name}"))
        url = make_url(database_url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    await migrate.upgrade(engine)
    await engine.dispose()
    yield url
    if admin is not None:
        async with admin.connect() as connection:
            await connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        await admin.dispose()


async def hmis(url: str, *args: str) -> tuple[int, str, str]:
    """Run the `hmis` command against the database at `url`."""
    env = {**os.environ, "HMIS_DATABASE_URL": url, "HMIS_ENV": "development"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hmis.cli", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    return process.returncode, out.decode(), err.decode()


def carried(files: dict) -> dict:
    return {
        name: sorted(tuple((k, v) for k, v in row.items() if k not in NOT_CARRIED) for row in rows)
        for name, rows in files.items()
    }


def folder(path: Path) -> dict:
    out = {}
    for spec in hud_csv.FILES:
        with open(path / spec.name, encoding="utf-8", newline="") as handle:
            out[spec.name] = list(csv.DictReader(handle))
    return out


async def test_round_trip(engine, api, token, empty_url, tmp_path):
    """seed -> export as admin -> import into an empty database -> export again: the same
    content in every column we model; importing the same files again changes nothing."""
    await unsafe_bulk_seed(engine, clients=40, seed=3)
    reply = await api.get(URL, headers={"Authorization": f"Bearer {token('hmis_admin')}"})
    assert reply.status_code == 200
    source = tmp_path / "source.zip"
    source.write_bytes(reply.content)
    status, out, err = await hmis(empty_url, "import-csv", str(source))
    assert status == 0, err
    assert "0 updated, 0 deleted" in out
    status, out, err = await hmis(empty_url, "import-csv", str(source))
    assert status == 0 and "0 created, 0 updated, 0 deleted" in out, out + err
    status, out, err = await hmis(empty_url, "export-csv", "--out", str(tmp_path / "again"))
    assert status == 0, err
    before, after = carried(unzip(reply.content)), carried(folder(tmp_path / "again"))
    assert before == after  # every file, User.csv included
    assert len(after["Client.csv"]) == 40
    assert len(after["User.csv"]) > 1 and all(dict(r)["UserLastName"] for r in after["User.csv"])
    first = unzip(reply.content)["Export.csv"][0]["ImplementationID"]
    second = folder(tmp_path / "again")["Export.csv"][0]["ImplementationID"]
    assert len(first) == 32 and len(second) == 32 and first != second


def zipped(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def rows_text(spec, rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(spec.columns)
    for row in rows:
        writer.writerow([row.get(c, "") for c in spec.columns])
    return out.getvalue()


@pytest.fixture
async def agency(sessions, api, token):
    world = await people.coc(sessions)
    world.api, world.token, world.sessions = api, token, sessions
    world.service = token("agency_staff", org=world.shelter.id, sub="svc-shelter",
                          client_id="svc-shelter")  # fmt: skip
    return world


def vendor_files(world, changes: dict | None = None) -> dict[str, str]:
    """A small FY2026 export of the shelter's project, as another vendor might write it."""
    org, project = world.shelter.id.hex, world.shelter_project.id.hex
    stamps = {"DateCreated": "2025-01-02 10:00:00", "DateUpdated": "2025-01-02 10:00:00",
              "UserID": "u1", "ExportID": "E1"}  # fmt: skip
    tables = {
        hud_csv.EXPORT: [{"ExportID": "E1", "SourceType": "3", "SourceID": "vendor-x",
                          "SourceName": "Vendor X", "ExportDate": "2025-02-01 00:00:00",
                          "CSVVersion": "2026"}],
        hud_csv.ORGANIZATION: [{"OrganizationID": org, "OrganizationName": "Shelter Org",
                                "VictimServiceProvider": "0", **stamps}],
        hud_csv.USER: [{"UserID": "u1", "UserFirstName": "Uma", "UserLastName": "User",
                        "DateCreated": stamps["DateCreated"], "DateUpdated": stamps["DateUpdated"],
                        "ExportID": "E1"}],
        hud_csv.PROJECT: [{"ProjectID": project, "OrganizationID": org,
                           "ProjectName": "Night Shelter", "ProjectType": "0",
                           "ContinuumProject": "1", **stamps}],
        hud_csv.CLIENT: [
            {"PersonalID": "P1", "FirstName": "Ada", "LastName": "Lovelace", "NameDataQuality": "1",
             "SSNDataQuality": "99", "DOBDataQuality": "99", "White": "1", "Sex": "0",
             "VeteranStatus": "0", "AmIndAKNative": "0", "Asian": "0", "BlackAfAmerican": "0",
             "HispanicLatinao": "0", "MidEastNAfrican": "0", "NativeHIPacific": "0", **stamps},
        ],
        hud_csv.ENROLLMENT: [{"EnrollmentID": "N1", "PersonalID": "P1", "ProjectID": project,
                              "EntryDate": "2025-01-02", "HouseholdID": "H1",
                              "RelationshipToHoH": "1", "DisablingCondition": "0", **stamps}],
        hud_csv.EXIT: [{"ExitID": "X1", "EnrollmentID": "N1", "PersonalID": "P1",
                        "ExitDate": "2025-01-20", "Destination": "410", **stamps}],
        hud_csv.HEALTH_AND_DV: [], hud_csv.INCOME_BENEFITS: [], hud_csv.DISABILITIES: [],
    }  # fmt: skip
    for (file, index, column), value in (changes or {}).items():
        tables[next(s for s in tables if s.name == file)][index][column] = value
    return {spec.name: rows_text(spec, rows) for spec, rows in tables.items()}


async def post(world, files: dict[str, str], token=None, **params):
    return await world.api.post(
        "/imports/hmis-csv", params=params,
        files={"file": ("export.zip", zipped(files), "application/zip")},
        headers={"Authorization": f"Bearer {token or world.service}"},
    )  # fmt: skip


async def count(sessions, model) -> int:
    async with sessions() as s:
        return await s.scalar(select(func.count()).select_from(model))


async def test_a_service_account_imports_its_projects_data(agency):
    reply = await post(agency, vendor_files(agency), dryRun="true")
    assert reply.json() == {"valid": True, "warnings": [], "warningCount": 0}
    assert await count(agency.sessions, models.Client) == 0  # a dry run writes nothing
    reply = await post(agency, vendor_files(agency))
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["created"] == 4  # client, enrollment, its disabling condition, exit
    assert body["warnings"] == []
    again = (await post(agency, vendor_files(agency))).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 4)
    # A later export of the same source: a new last name, the exit deleted.
    later = vendor_files(agency, {
        ("Client.csv", 0, "LastName"): "Byron",
        ("Exit.csv", 0, "DateDeleted"): "2025-03-01 00:00:00",
    })  # fmt: skip
    body = (await post(agency, later)).json()
    assert (body["updated"], body["deleted"]) == (1, 1)
    async with agency.sessions() as s:
        client = (await s.scalars(select(models.Client))).one()
        assert (client.last_name, client.sex, client.version) == ("Byron", 0, 2)
        exit = (await s.scalars(select(models.Exit))).one()
        assert exit.date_deleted is not None
        assert client.organization_id == agency.shelter.id  # stamped with the importer's
        events = await s.scalar(select(func.count()).select_from(models.AuditEvent))
        assert events >= 3  # the writes were audited


async def test_invalid_files_are_rejected_precisely_and_nothing_is_written(agency):
    files = vendor_files(agency, {
        ("Client.csv", 0, "Sex"): "5",  # not a code of the list
        ("Enrollment.csv", 0, "EntryDate"): "2025-02-30",  # no such date
        ("Exit.csv", 0, "EnrollmentID"): "N9",  # no such enrollment
    })  # fmt: skip
    files["Client.csv"] += files["Client.csv"].splitlines()[1] + "\r\n"  # a duplicate key
    reply = await post(agency, files)
    assert reply.status_code == 422
    found = {(e["file"], e["row"], e["column"]) for e in reply.json()["errors"]}
    assert found == {
        ("Client.csv", 2, "Sex"), ("Client.csv", 3, "Sex"), ("Client.csv", 3, "PersonalID"),
        ("Enrollment.csv", 2, "EntryDate"), ("Exit.csv", 2, "EnrollmentID"),
    }  # fmt: skip
    assert await count(agency.sessions, models.Client) == 0
    assert await count(agency.sessions, models.RecordVersion) == 0


async def test_imperfect_files_are_normalized_with_warnings(agency):
    files = vendor_files(agency, {
        ("Client.csv", 0, "PersonalID"): " P1",  # a leading space
        ("Client.csv", 0, "Sex"): "",  # blank: 99
        ("Client.csv", 0, "NameDataQuality"): "",
        ("Client.csv", 0, "DateCreated"): "2025-01-02",  # a date for a timestamp
        ("Enrollment.csv", 0, "EntryDate"): "2025-01-02\t",  # a tab after a date
        ("Enrollment.csv", 0, "RelationshipToHoH"): "2",  # a household without a head
        ("Exit.csv", 0, "UserID"): "u9",  # not in User.csv
    })  # fmt: skip
    reply = await post(agency, files)
    assert reply.status_code == 200, reply.text
    warned = {(w["file"], w["row"], w["column"]) for w in reply.json()["warnings"]}
    assert warned == {("Client.csv", 2, "PersonalID"), ("Client.csv", 2, "Sex"),
                      ("Client.csv", 2, "NameDataQuality"), ("Client.csv", 2, "DateCreated"),
                      ("Enrollment.csv", 2, "EntryDate"), ("Enrollment.csv", 2, "HouseholdID"),
                      ("Exit.csv", 2, "UserID")}  # fmt: skip
    async with agency.sessions() as s:
        client = (await s.scalars(select(models.Client))).one()
        assert (client.sex, client.name_data_quality) == (99, 99)


async def test_fy2024_files_keep_gender_as_the_local_element(agency):
    files = vendor_files(agency)
    gender = ["Woman", "Man", "NonBinary", "CulturallySpecific", "Transgender", "Questioning",
              "DifferentIdentity", "GenderNone", "DifferentIdentityText"]  # fmt: skip
    (row,) = csv.DictReader(io.StringIO(files["Client.csv"]))
    row |= {"HispanicLatinaeo": row.pop("HispanicLatinao"), "Woman": "1"}
    row.pop("Sex")
    columns = [c for c in hud_csv.CLIENT.columns if c != "Sex"]
    at = columns.index("VeteranStatus")
    columns[columns.index("HispanicLatinao")] = "HispanicLatinaeo"
    columns[at:at] = gender
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, restval="0", lineterminator="\r\n")
    writer.writeheader()
    writer.writerow({**row, "GenderNone": "", "DifferentIdentityText": ""})
    files["Client.csv"] = out.getvalue()
    reply = await post(agency, files)
    assert reply.status_code == 200, reply.text
    async with agency.sessions() as s:
        client = (await s.scalars(select(models.Client))).one()
        assert client.sex is None  # FY2024 had no Sex: never inferred from gender
        assert (client.woman, client.man) == (1, 0)


async def test_only_a_service_account_of_the_projects_organization_imports(agency):
    staff = agency.token("agency_staff", org=agency.shelter.id, sub="person")
    assert (await post(agency, vendor_files(agency), token=staff)).status_code == 403
    other = agency.token("agency_staff", org=agency.outreach.id, sub="svc-o", client_id="svc-o")
    reply = await post(agency, vendor_files(agency), token=other)
    assert reply.status_code == 422
    assert reply.json()["errors"][0]["column"] == "OrganizationID"
    assert await count(agency.sessions, models.Client) == 0
    assert (await agency.api.post("/imports/hmis-csv")).status_code == 401


async def test_a_record_imported_after_a_refusal_is_post_refusal_data(agency, gql):
    """The import's transaction time is what the refusal rule compares, not HUD's dates."""
    assert (await post(agency, vendor_files(agency))).status_code == 200
    async with agency.sessions() as s:
        ada = (await s.scalars(select(models.Client))).one()
    await people.refuse(agency.sessions, agency, ada)
    later = vendor_files(
        agency,
        {
            ("Client.csv", 0, "LastName"): "Byron",
            ("Client.csv", 0, "DateUpdated"): "2024-01-01 00:00:00",
        },
    )
    assert (await post(agency, later)).json()["updated"] == 1
    query = "query($id: ID!) { client(id: $id) { identity { lastName } } }"
    partner = agency.token("agency_staff", org=agency.outreach.id, sub="o")
    status, body = await gql(agency.api, query, {"id": str(ada.id)}, token=partner)
    assert body["data"]["client"]["identity"]["lastName"] == "Lovelace"
    status, body = await gql(agency.api, query, {"id": str(ada.id)}, token=agency.service)
    assert body["data"]["client"]["identity"]["lastName"] == "Byron"
