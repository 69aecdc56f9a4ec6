"""HUD CSV export over HTTP: each caller gets what GraphQL shows them (POLICY.md), audited."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date

import pytest
from sqlalchemy import event, select

from hmis.db import history, models
from hmis.exports import hud_csv

from . import factories as f
from . import people
from .support import gql
from .test_read_api import grant_research
from .test_refusal_rule import refused  # noqa: F401 (a fixture)

URL = "/exports/hmis-csv.zip"
PPI = ("FirstName", "MiddleName", "LastName", "NameSuffix", "SSN", "DOB")


async def export(api, token, **params) -> dict[str, list[dict[str, str]]]:
    reply = await api.get(URL, params=params, headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"] == "application/zip"
    return unzip(reply.content)


def unzip(content: bytes) -> dict[str, list[dict[str, str]]]:
    out = {}
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert archive.namelist() == [spec.name for spec in hud_csv.FILES]
        for spec in hud_csv.FILES:
            text = archive.read(spec.name).decode("utf-8")
            rows = list(csv.reader(io.StringIO(text)))
            assert tuple(rows[0]) == spec.columns  # HUD's headers, in HUD's order
            out[spec.name] = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    return out


def staff(world, org):
    return world.token("agency_staff", org=getattr(world, org).id, sub=f"staff-{org}")


async def test_a_partners_export_of_a_refused_client_is_its_graphql_view(refused):  # noqa: F811
    world, ada = refused, refused.people["ada"]
    query = """query($id: ID!) { client(id: $id) {
      identity { firstName lastName ssn dob } demographics { sex veteranStatus }
      enrollments { edges { node { id entryDate exitDate project { id } } } } } }"""
    status, body = await gql(world.api, query, {"id": str(ada.id)}, token=staff(world, "outreach"))
    assert status == 200, body
    seen = body["data"]["client"]
    files = await export(world.api, staff(world, "outreach"))
    (row,) = [r for r in files["Client.csv"] if r["PersonalID"] == ada.id.hex]
    identity = seen["identity"]
    shown = (identity["firstName"], identity["lastName"], identity["ssn"] or "", identity["dob"])
    assert (row["FirstName"], row["LastName"], row["SSN"], row["DOB"]) == shown
    # As of the refusal: the old name (and the partner's own later first name), no later SSN.
    assert (row["FirstName"], row["LastName"], row["SSN"]) == ("Augusta", "Lovelace", "")
    stays = sorted((e["node"]["id"].replace("-", ""), e["node"]["entryDate"],
                    e["node"]["exitDate"] or "") for e in seen["enrollments"]["edges"])  # fmt: skip
    exits = {x["EnrollmentID"]: x["ExitDate"] for x in files["Exit.csv"]}
    exported = sorted(
        (e["EnrollmentID"], e["EntryDate"], exits.get(e["EnrollmentID"], ""))
        for e in files["Enrollment.csv"] if e["PersonalID"] == ada.id.hex
    )  # fmt: skip
    assert exported == stays
    assert not exits.get(refused.people["old"].id.hex)  # the exit after R is not there
    # DateUpdated says no more than the values: Ben's profile as it was written before R,
    # not when the shelter renamed him after it.
    (ben,) = [r for r in files["Client.csv"] if r["PersonalID"] == refused.people["ben"].id.hex]
    assert (ben["LastName"], ben["DateUpdated"]) == ("Lovelace", ben["DateCreated"])


@pytest.fixture
async def shared(sessions, api, token):
    """Ada, entered by the shelter with records of every group; the outreach partner enters
    an income record of its own."""
    world = await people.coc(sessions)
    world.api, world.token, world.sessions = api, token, sessions
    ada = await people.fully_recorded_client(sessions, world, first_name="Ada",
                                             last_name="Lovelace")  # fmt: skip
    async with sessions() as s, s.begin():
        await history.create(s, world.writer(world.outreach), models.IncomeBenefit,
                             client_id=ada.id, income_from_any_source=0,
                             information_date=date(2024, 3, 1))  # fmt: skip
    world.people["ada"] = ada
    return world


async def test_agency_only_files_hold_only_the_callers_own_rows(shared):
    files = await export(shared.api, staff(shared, "outreach"))
    assert [r["IncomeFromAnySource"] for r in files["IncomeBenefits.csv"]] == ["0"]
    assert files["HealthAndDV.csv"] == [] and files["Disabilities.csv"] == []
    (enrollment,) = files["Enrollment.csv"]
    assert enrollment["HouseholdID"] == "" and enrollment["DisablingCondition"] == ""
    files = await export(shared.api, staff(shared, "shelter"))
    assert [r["IncomeFromAnySource"] for r in files["IncomeBenefits.csv"]] == ["1"]
    assert len(files["HealthAndDV.csv"]) == 1
    (enrollment,) = files["Enrollment.csv"]
    assert enrollment["HouseholdID"] == "HH-1" and enrollment["DisablingCondition"] == "1"


async def test_a_researchers_export_holds_no_ppi(shared):
    await grant_research(shared.sessions, "researcher-1")
    ada = shared.people["ada"]
    token = shared.token("researcher", sub="researcher-1")
    reply = await shared.api.get(URL, headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 200, reply.text
    files = unzip(reply.content)
    (row,) = files["Client.csv"]
    assert all(row[c] == "" for c in PPI) and row["NameDataQuality"] == ""
    # The pseudonyms of the GraphQL API under the same agreement (HUD IDs: 32 characters).
    query = """{ clients { edges { node { id enrollments { edges { node { id
      household { householdId } } } } } } } }"""
    status, body = await gql(shared.api, query, token=token)
    (edge,) = body["data"]["clients"]["edges"]
    assert row["PersonalID"] == edge["node"]["id"][:32] and ada.id.hex not in edge["node"]["id"]
    (enrollment,) = files["Enrollment.csv"]
    (stay,) = edge["node"]["enrollments"]["edges"]
    assert enrollment["EnrollmentID"] == stay["node"]["id"]
    assert enrollment["HouseholdID"] == stay["node"]["household"]["householdId"]
    assert enrollment["HouseholdID"] not in ("", "HH-1")
    text = reply.content
    with zipfile.ZipFile(io.BytesIO(text)) as archive:
        everything = "".join(archive.read(n).decode() for n in archive.namelist())
    for secret in ("Ada", "Lovelace", "123456789", "1990-01-01", ada.id.hex, "HH-1"):
        assert secret not in everything


@pytest.mark.parametrize("role", ["aggregate_reader", "client"])
async def test_aggregate_readers_and_clients_get_no_export(shared, role):
    reply = await shared.api.get(
        URL, headers={"Authorization": f"Bearer {shared.token(role, sub=role)}"}
    )
    assert reply.status_code == 403
    assert "errors" in reply.json()


async def test_no_token_is_401_and_bad_parameters_400(shared):
    assert (await shared.api.get(URL)).status_code == 401
    token = {"Authorization": f"Bearer {shared.token('hmis_admin')}"}
    for params in ({"from": "2024-13-01"}, {"projectId": "x"}, {"bogus": "1"},
                   {"from": "2025-01-01", "to": "2024-01-01"}):  # fmt: skip
        reply = await shared.api.get(URL, params=params, headers=token)
        assert reply.status_code == 400, params
        assert reply.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_every_exported_client_is_audited_once(shared, sessions):
    async with sessions() as s, s.begin():
        bo = await f.client(s, shared.writer(shared.shelter), first_name="Bo")
    await export(shared.api, staff(shared, "outreach"))
    async with sessions() as s:
        events = list(await s.scalars(
            select(models.AuditEvent).where(models.AuditEvent.action == "export")))  # fmt: skip
    by_client = {e.client_id: e for e in events}
    assert len(events) == 2 and set(by_client) == {shared.people["ada"].id, bo.id}
    groups = set(by_client[shared.people["ada"].id].groups)
    assert {"IDENTITY", "DEMOGRAPHICS", "ENROLLMENTS", "INCOME"} <= groups
    assert "HEALTH" not in groups and "CASE_NOTES" not in groups


async def test_filters_and_period(shared):
    admin = shared.token("hmis_admin")
    files = await export(shared.api, admin, projectId=str(shared.outreach_project.id))
    assert files["Client.csv"] == [] and len(files["Project.csv"]) == 1
    async with shared.sessions() as s, s.begin():
        outreach = shared.writer(shared.outreach)
        await f.enroll(s, outreach, shared.people["ada"], shared.outreach_project, date(2024, 5, 1))
    files = await export(shared.api, admin, organizationId=str(shared.outreach.id))
    assert len(files["Client.csv"]) == 1 and len(files["Organization.csv"]) == 1
    # Only the outreach project's stay, and no record of the shelter's stay.
    assert [e["EntryDate"] for e in files["Enrollment.csv"]] == ["2024-05-01"]
    assert files["Exit.csv"] == [] and files["HealthAndDV.csv"] == []
    files = await export(shared.api, admin, **{"from": "2025-01-01"})  # Ada's stay is open
    assert len(files["Client.csv"]) == 1
    files = await export(shared.api, admin, to="2023-12-31")  # before Ada's entry
    assert files["Client.csv"] == [] and files["IncomeBenefits.csv"] == []


async def test_the_sql_of_an_export_does_not_grow_with_its_clients(shared, app, sessions):
    """One batch reads its clients and their records in a fixed number of statements, however
    many clients, refused or not, it holds."""
    statements = []

    def count(*_args):
        statements.append(1)

    async def export_counted() -> int:
        statements.clear()
        event.listen(app.state.engine.sync_engine, "before_cursor_execute", count)
        try:
            await export(shared.api, staff(shared, "outreach"))
        finally:
            event.remove(app.state.engine.sync_engine, "before_cursor_execute", count)
        return len(statements)

    few = await export_counted()
    for n in range(12):
        more = await people.fully_recorded_client(sessions, shared, first_name=f"P{n}")
        if n % 3 == 0:
            await people.refuse(sessions, shared, more)
    assert await export_counted() == few
