"""Records missing from a later export of the same source (docs/hud-csv.md): only a full
refresh of the whole source deletes them, through the write path; a delta, a period's export
or another source's never does. A refused client's records deleted so disappear for partners
too, and nothing written after the refusal becomes visible to them."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from hmis.db import models

from . import people
from .test_import import agency, post, vendor_files  # noqa: F401 (agency: a fixture)

FULL = {("Export.csv", 0, "ExportDirective"): "2", ("Export.csv", 0, "ExportPeriodType"): "4"}


def without(files: dict[str, str], name: str, key: str) -> dict[str, str]:
    """The files with one row of `name` (by its primary key value) left out."""
    rows = list(csv.reader(io.StringIO(files[name])))
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(r for r in rows if key not in r[:1])
    return {**files, name: out.getvalue()}


async def exits(sessions) -> list[models.Exit]:
    async with sessions() as s:
        return list(await s.scalars(select(models.Exit)))


async def test_a_full_refresh_deletes_what_the_source_no_longer_holds(agency):  # noqa: F811
    assert (await post(agency, vendor_files(agency, FULL))).status_code == 200
    reply = await post(agency, without(vendor_files(agency, FULL), "Exit.csv", "X1"))
    assert reply.status_code == 200, reply.text
    assert reply.json()["deleted"] == 1
    (exit,) = await exits(agency.sessions)
    assert exit.date_deleted is not None
    async with agency.sessions() as s:  # through the write path: a DELETE version
        kinds = await s.scalars(
            select(models.RecordVersion.kind).where(models.RecordVersion.record_id == exit.id)
        )
        assert list(kinds) == ["create", "delete"]
    # The same refresh again deletes nothing more; a service account never deletes a client.
    reply = await post(agency, without(vendor_files(agency, FULL), "Exit.csv", "X1"))
    assert reply.json()["deleted"] == 0
    async with agency.sessions() as s:
        assert (await s.scalars(select(models.Client))).one().date_deleted is None


async def test_a_partial_export_deletes_nothing_it_leaves_out(agency):  # noqa: F811
    assert (await post(agency, vendor_files(agency, FULL))).status_code == 200
    delta = {**FULL, ("Export.csv", 0, "ExportDirective"): "1"}  # a delta refresh
    period = {**FULL, ("Export.csv", 0, "ExportPeriodType"): "3"}  # a reporting period
    for changes in (delta, period, {}):
        reply = await post(agency, without(vendor_files(agency, changes), "Exit.csv", "X1"))
        assert reply.status_code == 200, reply.text
        assert reply.json()["deleted"] == 0
    assert [e.date_deleted for e in await exits(agency.sessions)] == [None]


async def test_another_source_s_full_refresh_deletes_nothing_of_this_one(agency):  # noqa: F811
    assert (await post(agency, vendor_files(agency, FULL))).status_code == 200
    other = {**FULL, ("Export.csv", 0, "SourceID"): "vendor-y"}
    reply = await post(agency, without(vendor_files(agency, other), "Exit.csv", "X1"))
    assert reply.json()["deleted"] == 0
    assert [e.date_deleted for e in await exits(agency.sessions)] == [None]


async def test_a_refused_client_s_deleted_records_disappear_for_everyone(agency, gql):  # noqa: F811
    assert (await post(agency, vendor_files(agency, FULL))).status_code == 200
    async with agency.sessions() as s:
        ada = (await s.scalars(select(models.Client))).one()
    await people.refuse(agency.sessions, agency, ada)
    # After the refusal: a full refresh without the exit, with a new last name and a second
    # enrollment (post-refusal data).
    later = without(vendor_files(agency, {**FULL, ("Client.csv", 0, "LastName"): "Byron"}),
                    "Exit.csv", "X1")  # fmt: skip
    rows = later["Enrollment.csv"].splitlines()
    later["Enrollment.csv"] = "\r\n".join([*rows, rows[1].replace("N1", "N2", 1)]) + "\r\n"
    reply = await post(agency, later)
    assert reply.status_code == 200, reply.text
    assert (reply.json()["created"], reply.json()["deleted"]) == (2, 1)  # N2 and its health
    query = """query($id: ID!) { client(id: $id) { identity { lastName }
      enrollments { edges { node { entryDate exitDate } } } } }"""
    partner = agency.token("agency_staff", org=agency.outreach.id, sub="o")
    _, body = await gql(agency.api, query, {"id": str(ada.id)}, token=partner)
    seen = body["data"]["client"]
    assert seen["identity"]["lastName"] == "Lovelace"  # as of the refusal
    assert [e["node"]["exitDate"] for e in seen["enrollments"]["edges"]] == [None]  # one, no exit
    _, body = await gql(agency.api, query, {"id": str(ada.id)}, token=agency.service)
    mine = body["data"]["client"]
    assert mine["identity"]["lastName"] == "Byron"
    assert len(mine["enrollments"]["edges"]) == 2
    assert all(e["node"]["exitDate"] is None for e in mine["enrollments"]["edges"])


async def test_our_export_says_full_refresh_only_when_it_holds_the_whole_source(agency):  # noqa: F811
    from .test_export import export

    admin = agency.token("hmis_admin")
    directive = (await export(agency.api, admin))["Export.csv"][0]["ExportDirective"]
    assert directive == "2"
    filtered = await export(agency.api, admin, projectId=str(agency.shelter_project.id))
    dated = await export(agency.api, admin, **{"from": "2024-01-01"})
    partner = await export(agency.api, agency.token("agency_staff", org=agency.outreach.id))
    for files in (filtered, dated, partner):
        assert files["Export.csv"][0]["ExportDirective"] == "3"  # other: deletes nothing


def many(world, n: int, tag: str) -> dict[str, str]:
    """The vendor's files with n clients, each with an enrollment and an exit."""
    files = vendor_files(world)
    for name in ("Client.csv", "Enrollment.csv", "Exit.csv"):
        header, row = files[name].splitlines()[:2]
        copies = []
        for i in range(n):
            copy = row
            for old in ("P1", "N1", "X1", "H1"):
                copy = copy.replace(old, f"{old}{tag}{i}")
            copies.append(copy)
        files[name] = "\r\n".join([header, *copies]) + "\r\n"
    return files


async def test_the_sql_of_an_import_batch_does_not_grow_with_its_rows(agency, app):  # noqa: F811
    """New records are written a batch at a time: the same statements for 3 clients as for
    30 (which of them exist, the rows, their versions, the audit events)."""
    from sqlalchemy import event

    statements = []

    def count(*_args):
        statements.append(1)

    async def counted(files) -> int:
        statements.clear()
        event.listen(app.state.engine.sync_engine, "before_cursor_execute", count)
        try:
            reply = await post(agency, files)
        finally:
            event.remove(app.state.engine.sync_engine, "before_cursor_execute", count)
        assert reply.status_code == 200, reply.text
        return len(statements)

    await counted(many(agency, 1, "w"))  # what a first request looks up once
    few = await counted(many(agency, 3, "a"))
    assert await counted(many(agency, 30, "b")) == few
