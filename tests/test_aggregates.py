"""`aggregateCounts` and `GET /exports/aggregate.csv` over HTTP with real tokens, on a seeded
CoC: counts equal a brute-force count, every 1-10 cell is suppressed, an attacker who holds
every published table of the CoC pins no suppressed count, aggregate readers get nothing
else, and every query is audited without a client or a value."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import date

import pytest
from sqlalchemy import select

from hmis.aggregates import counts as counting
from hmis.aggregates.definitions import Dimension, Measure, Period, PeriodUnit
from hmis.auth.policy import WRITE_TABLE
from hmis.auth.principal import Role
from hmis.config import ConfigError, Settings
from hmis.db import models
from hmis.seed.build import unsafe_bulk_seed

from . import aggregate_reference as reference
from .attacker import Problem, pinned
from .support import gql

COUNTS = """
query Counts($input: AggregateInput!) {
  aggregateCounts(input: $input) {
    rows { key cell { count suppressed } } total { count suppressed } suppressionRule notes
  }
}"""
YEAR = {"unit": "YEAR", "start": "2025-01-01"}
QUARTERS = [{"unit": "QUARTER", "start": f"2025-{m:02d}-01"} for m in (1, 4, 7, 10)]


@pytest.fixture
async def coc(engine, sessions):
    """A seeded CoC of 300 clients (6 organizations), and its rows for the reference."""
    await unsafe_bulk_seed(engine, clients=300, seed=13)
    return await reference.load(sessions)


async def table(api, token, measure, period, by=(), role="aggregate_reader"):
    variables = {"input": {"measure": measure, "period": period, "by": list(by)}}
    status, body = await gql(api, COUNTS, variables, token=token(role))
    assert status == 200 and "errors" not in body, body
    return body["data"]["aggregateCounts"]


def _period(p: dict) -> Period:
    return Period(PeriodUnit(p["unit"]), date.fromisoformat(p["start"]))


COMBINATIONS = [
    (Measure.PERSONS_SERVED, []),
    (Measure.PERSONS_SERVED, [Dimension.PROJECT_TYPE, Dimension.AGE_GROUP]),
    (Measure.PERSONS_SERVED, [Dimension.RACE_ETHNICITY, Dimension.ORGANIZATION]),
    (Measure.HOUSEHOLDS_SERVED, [Dimension.HOUSEHOLD_TYPE, Dimension.VETERAN_STATUS]),
    (Measure.ENROLLMENTS_STARTED, [Dimension.GENDER]),
    (Measure.PERSONS_SERVED, [Dimension.SEX, Dimension.AGE_GROUP]),
    (Measure.EXITS, [Dimension.DESTINATION_CLASS, Dimension.PROJECT_TYPE]),
    (Measure.PERSONS_ACTIVE_ON_DATE, [Dimension.AGE_GROUP, Dimension.GENDER]),
]


async def test_counts_equal_a_brute_force_count_and_small_cells_are_suppressed(
    api, token, coc, sessions
):
    for (measure, by), period in itertools.product(COMBINATIONS, [YEAR, QUARTERS[1]]):
        total, margins, cells = reference.count(coc, measure, _period(period), by)
        # The database's counts before suppression are the brute-force ones, every cell.
        async with sessions() as session:
            found = await counting.count(session, measure=measure, period=_period(period), by=by)
        assert found.total == total
        assert [{k: v for k, v in m.items() if v} for m in found.margins] == margins
        truth = cells if len(by) == 2 else (margins[0] if by else {})
        truth = {(k if isinstance(k, tuple) else (k,)): v for k, v in truth.items()}
        assert {k: v for k, v in found.cells.items() if v} == truth
        # Over HTTP: every shown count is the true count, and every count of 1-10 is hidden.
        # Aggregate readers receive quarters only (HMIS_AGGREGATE_READER_UNIT); the HMIS lead
        # any unit.
        role = "aggregate_reader" if period["unit"] == "QUARTER" else "hmis_admin"
        published = await table(api, token, measure.value, period, [d.value for d in by], role)
        assert len(published["rows"]) == len(found.cells)  # every key, zeros included
        for row in published["rows"]:
            n, cell = truth.get(tuple(row["key"]), 0), row["cell"]
            if 1 <= n <= 10:
                assert cell == {"count": None, "suppressed": True}, (measure, by, row, n)
            elif not cell["suppressed"]:
                assert cell["count"] == n
        shown = published["total"]
        assert shown == ({"count": None, "suppressed": True} if 1 <= total <= 10
                         else {"count": total, "suppressed": False})  # fmt: skip
    assert sum(found.cells.values()) > 0


async def test_the_table_says_which_dimensions_count_a_person_in_several_rows(api, token, engine):
    got = await table(api, token, "PERSONS_SERVED", QUARTERS[0],
                      ["RACE_ETHNICITY", "VETERAN_STATUS"])  # fmt: skip
    assert any(n.startswith("RACE_ETHNICITY: a person counts in every race") for n in got["notes"])
    assert not any(n.startswith("VETERAN_STATUS") for n in got["notes"])
    assert "1 to 10" in got["suppressionRule"]


ATTACKED = [Dimension.VETERAN_STATUS, Dimension.HOUSEHOLD_TYPE, Dimension.AGE_GROUP,
            Dimension.DESTINATION_CLASS, Dimension.ORGANIZATION]  # fmt: skip


async def test_an_attacker_with_every_published_table_pins_no_suppressed_count(
    api, token, coc, engine
):
    """Everything an aggregate reader can ask for PERSONS_SERVED in 2025 over these dimensions
    (two quarters: the total, each one-way table, each two-way table), and the true relations
    between them: a line adds up exactly where the data do, otherwise a person may be in
    several cells (sum >= margin, each cell <= margin). No suppressed count of one person or
    more has a single value. Aggregate readers receive one unit only (quarters here), so no
    published period holds another: unduplicated counts of disjoint periods are not related
    by any equation or inequality."""
    problem, truth, published = Problem(), {}, {}
    if engine.dialect.name == "postgresql":
        pytest.skip("the attack reads only published tables, equal on both databases (above)")
    for period in QUARTERS[:2]:
        p = period["start"]
        for by in [(), *((d,) for d in ATTACKED), *itertools.combinations(ATTACKED, 2)]:
            got = await table(api, token, "PERSONS_SERVED", period, [d.value for d in by])
            total, margins, cells = reference.count(coc, Measure.PERSONS_SERVED, _period(period),
                                                    list(by))  # fmt: skip
            true = cells if len(by) == 2 else (margins[0] if by else {})
            name = tuple(d.value for d in by)
            published[(p, "T")] = (total, got["total"])
            # A withheld table hides zeros too (but those of an empty row or column).
            floor = int(not any("withheld" in note for note in got["notes"]))
            for row in got["rows"]:
                key = tuple(row["key"]) if len(by) == 2 else row["key"][0]
                published[(p, name, key)] = (true.get(key, 0), row["cell"])
                problem.bounds[(p, name, key)] = (floor, 10_000)
    for name, (value, cell) in published.items():
        if cell["suppressed"]:
            truth[name] = value
        else:
            assert cell["count"] == value
            problem.bounds.pop(name, None)

    def term(name):
        """(unknown coefficients, known value) of a published count."""
        value, cell = published[name]
        return ({name: 1}, 0) if cell["suppressed"] else ({}, value)

    def relate(parts, whole):
        """Cells `parts` of a line whose margin is `whole`: = where the data add up."""
        values = [published[n][0] for n in parts]
        members, known = {}, 0
        for n in parts:
            m, k = term(n)
            members.update(m)
            known += k
        wm, wk = term(whole)
        exact = sum(values) == published[whole][0]
        problem.add({**members, **{n: -1 for n in wm}}, known - wk, "=" if exact else ">=")
        if not exact:
            for n in parts:  # each cell is at most its margin
                m, k = term(n)
                problem.add({**{u: -1 for u in m}, **wm}, wk - k, ">=")

    for p in (q["start"] for q in QUARTERS[:2]):
        for d in ATTACKED:
            relate([n for n in published if n[:2] == (p, (d.value,))], (p, "T"))
        for d1, d2 in itertools.combinations(ATTACKED, 2):
            cells = [n for n in published if n[:2] == (p, (d1.value, d2.value))]
            for a in {n[2][0] for n in cells}:
                relate([n for n in cells if n[2][0] == a], (p, (d1.value,), a))
            for b in {n[2][1] for n in cells}:
                relate([n for n in cells if n[2][1] == b], (p, (d2.value,), b))
    assert len(truth) > 100  # the seeded CoC has plenty of small cells
    found = [n for n in pinned(problem, truth) if truth[n]]  # a hidden 0 tells no one's data
    assert not found, {n: truth[n] for n in found}


# Every root field but these refuses an aggregate reader: public ones, and the caller's own
# identity and the published policy table (nothing about any person).
NOT_ABOUT_PERSONS = {"organizations", "privacyNotice", "privacyNoticeHistory", "me", "policy"}
OTHER_QUERIES = {
    "client": '{ client(id: "00000000-0000-0000-0000-000000000001") { id } }',
    "clients": "{ clients { totalCount } }",
    "searchClients": '{ searchClients(input: {lastName: "Lo"}) { client { id } } }',
    "myRecord": "{ myRecord { client { id } } }",
    "correctionRequests": "{ correctionRequests { id } }",
    "complaints": "{ complaints { id } }",
    "auditEvents": "{ auditEvents { edges { node { id } } } }",
    "verifyAuditLog": "{ verifyAuditLog { ok } }",
    "duplicateCandidates": "{ duplicateCandidates { totalCount } }",
    "clientMerges": '{ clientMerges(clientId: "00000000-0000-0000-0000-000000000001") { id } }',
}


async def test_aggregate_readers_are_refused_everything_else(api, token, app):
    """Every other query, over HTTP; every mutation by the write table (no action lists the
    role), and one over HTTP."""
    schema = app.routes[0].endpoint.schema._schema
    roots = set(schema.query_type.fields)
    assert roots == NOT_ABOUT_PERSONS | set(OTHER_QUERIES) | {"aggregateCounts"}, "classify it"
    create = "mutation { createClient(input: {}) { client { id } } }"
    for name, query in {**OTHER_QUERIES, "createClient": create}.items():
        status, body = await gql(api, query, token=token("aggregate_reader", sub="agg-1"))
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"], (name, body)
        assert not any((body.get("data") or {}).values()), (name, body)
    assert not any(Role.AGGREGATE_READER in roles for roles in WRITE_TABLE.values())


@pytest.mark.parametrize("role", ["agency_staff", "researcher", "client"])
async def test_only_administrators_auditors_and_aggregate_readers_get_counts(
    api, token, engine, role
):
    variables = {"input": {"measure": "PERSONS_SERVED", "period": QUARTERS[0]}}
    status, body = await gql(api, COUNTS, variables, token=token(role, sub=f"{role}-1"))
    assert status == 403 and body["data"] is None, body
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    status, body = await gql(api, COUNTS, variables)
    assert status == 401
    for allowed in ("hmis_admin", "auditor", "aggregate_reader"):
        status, body = await gql(api, COUNTS, variables, token=token(allowed))
        assert status == 200 and body["data"]["aggregateCounts"]["total"] == {
            "count": 0,
            "suppressed": False,
        }


@pytest.mark.parametrize(
    ("period", "by", "message", "where"),
    [
        ({"unit": "YEAR", "start": "2025-02-01"}, [], "`input.period.start` must be the first "
         "day of a calendar year (1 January); got 2025-02-01", ["input", "period", "start"]),
        ({"unit": "QUARTER", "start": "2025-02-01"}, [], "1 January, April, July or October",
         ["input", "period", "start"]),
        ({"unit": "MONTH", "start": "2025-02-02"}, [], "the first day of a month",
         ["input", "period", "start"]),
        (QUARTERS[0], ["AGE_GROUP", "SEX", "GENDER"], "`input.by` takes at most 2 dimensions",
         ["input", "by"]),
        (QUARTERS[0], ["AGE_GROUP", "AGE_GROUP"], "names a dimension twice", ["input", "by"]),
    ],
)  # fmt: skip
async def test_bad_input_says_what_and_where(api, token, engine, period, by, message, where):
    variables = {"input": {"measure": "EXITS", "period": period, "by": by}}
    status, body = await gql(api, COUNTS, variables, token=token("aggregate_reader"))
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and message in error["message"]
    assert error["extensions"]["field"] == where


async def test_each_query_is_audited_without_a_client_or_a_value(api, token, sessions):
    await table(api, token, "EXITS", QUARTERS[0], ["DESTINATION_CLASS", "ORGANIZATION"])
    await table(api, token, "PERSONS_SERVED", QUARTERS[0], role="hmis_admin")
    async with sessions() as s:
        events = list(await s.scalars(select(models.AuditEvent).order_by(models.AuditEvent.id)))
    assert [(e.action, e.client_id, e.actor_subject) for e in events] == [
        ("aggregate", None, "test-user"),
        ("aggregate", None, "test-user"),
    ]
    assert events[0].groups == ["ENROLLMENTS"] and events[0].purpose == "AGGREGATE_REPORTING"
    assert events[0].roles == ["aggregate_reader"] and events[1].purpose == "ADMINISTRATION"
    assert events[1].groups == ["ENROLLMENTS"]


async def test_the_csv_download_is_the_same_table(api, token, coc, sessions):
    reader = {"Authorization": f"Bearer {token('aggregate_reader')}"}
    url = "/exports/aggregate.csv?measure=EXITS&unit=QUARTER&start=2025-01-01"
    response = await api.get(url + "&by=DESTINATION_CLASS,ORGANIZATION", headers=reader)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["cache-control"] == "no-store"
    lines = list(csv.reader(io.StringIO(response.text)))
    got = await table(api, token, "EXITS", QUARTERS[0], ["DESTINATION_CLASS", "ORGANIZATION"])
    assert lines[0] == ["DESTINATION_CLASS", "ORGANIZATION", "count", "suppressed"]
    expected = [[*r["key"], "" if r["cell"]["suppressed"] else str(r["cell"]["count"]),
                 str(r["cell"]["suppressed"]).lower()] for r in got["rows"]]  # fmt: skip
    assert lines[1 : 1 + len(expected)] == expected
    total = got["total"]
    assert lines[1 + len(expected)] == ["TOTAL", "TOTAL", str(total["count"]), "false"]
    assert lines[2 + len(expected)] == [f"# {got['suppressionRule']}"]
    assert any(line[2:] == ["", "true"] for line in lines[1:])  # some are suppressed
    async with sessions() as s:
        actions = list(await s.scalars(select(models.AuditEvent.action)))
    assert actions == ["aggregate", "aggregate"]  # the download, then the query above
    alone = list(csv.reader(io.StringIO((await api.get(url, headers=reader)).text)))
    assert alone[:2] == [["table", "count", "suppressed"], ["TOTAL", str(total["count"]), "false"]]


async def test_the_csv_download_refuses_as_the_query_does(api, token, engine):
    url = "/exports/aggregate.csv?measure=EXITS&unit=QUARTER&start=2025-01-01"
    assert (await api.get(url)).status_code == 401
    staff = {"Authorization": f"Bearer {token('agency_staff', sub='s-1')}"}
    refused = await api.get(url, headers=staff)
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    reader = {"Authorization": f"Bearer {token('aggregate_reader')}"}
    bad = await api.get(url.replace("2025-01-01", "2025-01-02"), headers=reader)
    assert bad.status_code == 400 and "input.period.start" in bad.json()["errors"][0]["message"]
    unknown = await api.get(url + "&org=x", headers=reader)
    assert unknown.status_code == 400 and unknown.json()["errors"][0]["extensions"]["field"] == [
        "org"
    ]


def test_every_aggregate_type_says_it_is_aggregate_only(app):
    """No new field is client data of an element group: each of these types says so."""
    schema = app.routes[0].endpoint.schema._schema
    names = {"AggregateMeasure", "AggregateDimension", "PeriodUnit", "ReportingPeriod",
             "AggregateInput", "AggregateCell", "AggregateRow", "AggregateTable"}  # fmt: skip
    for name in names:
        assert "Aggregate-only" in schema.type_map[name].description, name


async def test_aggregate_readers_receive_one_unit_so_no_two_periods_overlap(api, token, engine):
    """A year holds its quarters: a reader with both could bound a suppressed quarter by the
    year. Readers get the HMIS lead's one unit (quarters by default); the lead gets any."""
    variables = {"input": {"measure": "PERSONS_SERVED", "period": YEAR}}
    status, body = await gql(api, COUNTS, variables, token=token("aggregate_reader"))
    assert status == 200 and body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == ["input", "period", "unit"]
    assert "QUARTER tables only" in error["message"]
    assert (await table(api, token, "PERSONS_SERVED", YEAR, role="auditor"))["total"]
    assert (await table(api, token, "PERSONS_SERVED", QUARTERS[2]))["total"]


def test_the_readers_unit_is_one_of_the_three():
    with pytest.raises(ConfigError, match="HMIS_AGGREGATE_READER_UNIT"):
        Settings.from_env({"HMIS_ENV": "development", "HMIS_AGGREGATE_READER_UNIT": "WEEK"})
    unit = Settings.from_env({"HMIS_ENV": "development", "HMIS_AGGREGATE_READER_UNIT": "year"})
    assert unit.aggregate_reader_unit == "YEAR"
