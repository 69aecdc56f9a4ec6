"""`hmis seed`: a synthetic CoC whose rows keep the history, household, refusal and VSP rules,
the same rows for the same seed, and `--if-empty` that leaves a seeded database alone."""

from __future__ import annotations

import asyncio
import re
import statistics
from collections import Counter, defaultdict
from datetime import date

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from hmis.cli import main
from hmis.db import history
from hmis.db.models import (
    CLIENT_DATA_MODELS,
    CaseManagerAssignment,
    CaseNote,
    Client,
    Contact,
    Enrollment,
    Exit,
    Organization,
    PrivacyNotice,
    Project,
    RecordVersion,
    RefusalCoverage,
    SharingRefusal,
    StaffUser,
)
from hmis.db.models.clients import GENDER_COLUMNS, RACE_COLUMNS
from hmis.db.session import make_engine
from hmis.groups import ElementGroup
from hmis.hud import ProjectType
from hmis.seed.build import ANCHOR, TABLES, CocBuilder, unsafe_bulk_seed
from tests.conftest import wipe

CLIENTS = 600
PPI = [c for c in Client.data_columns() if Client.group_of(c) is ElementGroup.IDENTITY]
PPI_VALUES = [c for c in PPI if not c.endswith("data_quality")]


async def rows_of(engine, model) -> list[dict]:
    async with engine.connect() as connection:
        result = await connection.execute(select(model.__table__))
        return [dict(row._mapping) for row in result]


@pytest.fixture(scope="module")
async def coc(database_url):
    """A CoC of 600 clients seeded once per backend: every table's rows, by model."""
    engine = make_engine(database_url)
    try:
        report = await unsafe_bulk_seed(engine, clients=CLIENTS, seed=7)
        assert report.counts[Client] == CLIENTS
        return {model: await rows_of(engine, model) for model in TABLES}
    finally:
        await wipe(engine)
        await engine.dispose()


def by_id(rows):
    return {row["id"]: row for row in rows}


async def test_reference_data(coc):
    orgs = coc[Organization]
    assert len(orgs) == CLIENTS // 50  # max(3, min(20, N/50))
    assert 1 <= sum(o["victim_service_provider"] for o in orgs) <= 2
    types = {p["project_type"] for p in coc[Project]}
    assert {ProjectType.ES_ENTRY_EXIT, ProjectType.PH_RRH, ProjectType.COORDINATED_ENTRY} <= types
    assert len(types) >= 6
    staff = coc[StaffUser]
    assert {s["organization_id"] for s in staff} == {o["id"] for o in orgs}
    assert all(re.fullmatch(r"staff-\d+@[a-z0-9-]+", s["subject"]) for s in staff)
    notices = sorted(coc[PrivacyNotice], key=lambda n: n["effective_date"])
    assert [n["effective_date"] for n in notices] == [date(2014, 10, 1), date(2021, 1, 1)]
    assert notices[1]["title"] == "HMIS Privacy Notice (sample)"


async def test_every_row_has_exactly_its_versions(coc):
    versions = defaultdict(list)
    for v in coc[RecordVersion]:
        versions[(v["entity"], v["record_id"])].append(v)
    records = 0
    for model in CLIENT_DATA_MODELS:
        for row in coc[model]:
            records += 1
            mine = sorted(versions[(model.__tablename__, row["id"])], key=lambda v: v["seq"])
            assert [v["seq"] for v in mine] == list(range(1, row["version"] + 1))
            assert [v["kind"] for v in mine].count(history.CREATE) == 1
            create, last = mine[0], mine[-1]
            assert create["kind"] == history.CREATE
            assert create["organization_id"] == row["organization_id"]
            assert create["subject"] == row["created_by"]
            assert create["recorded_at"] == row["date_created"]
            assert last["recorded_at"] == row["date_updated"] <= ANCHOR
            assert last["organization_id"] == row["updated_org_id"]
            assert {v["client_id"] for v in mine} == {row.get("client_id", row["id"])}
            # Replaying the versions gives the row: the same encoding as the live write path.
            state = history.fold(RecordVersion(**v) for v in mine)[(model.__tablename__, row["id"])]
            assert {c: state.values.get(c) for c in model.data_columns()} == {
                c: row[c] for c in model.data_columns()
            }
    assert records == len(versions) == sum(len(coc[m]) for m in CLIENT_DATA_MODELS)


async def test_some_profiles_were_changed_later_by_another_organization(coc):
    updated = [c for c in coc[Client] if c["version"] == 2]
    assert 0.05 <= len(updated) / CLIENTS <= 0.16
    assert all(c["updated_org_id"] != c["organization_id"] for c in updated)
    assert all(c["date_updated"] > c["date_created"] for c in updated)
    changes = [v for v in coc[RecordVersion] if v["kind"] == history.UPDATE]
    assert len(changes) == len(updated)
    assert all(v["entity"] == "clients" and v["seq"] == 2 and v["changes"] for v in changes)


async def test_households(coc):
    households = defaultdict(list)
    for e in coc[Enrollment]:
        households[e["household_id"]].append(e)
    in_families = set()
    for members in households.values():
        assert len({(e["project_id"], e["entry_date"]) for e in members}) == 1
        assert [e["relationship_to_hoh"] for e in members].count(1) == 1
        assert len({e["client_id"] for e in members}) == len(members)
        if len(members) > 1:
            in_families |= {e["client_id"] for e in members}
            assert {e["relationship_to_hoh"] for e in members} <= {1, 2, 3}
    assert 0.2 <= len(in_families) / CLIENTS <= 0.4


async def test_enrollments_and_exits(coc):
    enrollments = by_id(coc[Enrollment])
    projects = by_id(coc[Project])
    per_client = Counter(e["client_id"] for e in enrollments.values())
    assert len(per_client) == CLIENTS
    assert 2.5 <= statistics.mean(per_client.values()) <= 3.5
    assert {e["entry_date"].year for e in enrollments.values()} == set(range(2019, 2027))
    for e in enrollments.values():
        assert e["organization_id"] == projects[e["project_id"]]["organization_id"]
    exits = coc[Exit]
    assert len({x["enrollment_id"] for x in exits}) == len(exits)
    assert len(exits) >= 0.8 * len(enrollments)
    for x in exits:
        enrollment = enrollments[x["enrollment_id"]]
        assert x["exit_date"] > enrollment["entry_date"]
        assert x["exit_date"] < ANCHOR.date()
        assert (x["client_id"], x["organization_id"]) == (
            enrollment["client_id"],
            enrollment["organization_id"],
        )
    exited = {x["enrollment_id"] for x in exits}
    open_stays = Counter(
        (e["client_id"], e["project_id"]) for e in enrollments.values() if e["id"] not in exited
    )
    assert open_stays and max(open_stays.values()) == 1


async def test_case_managers_and_agency_data_belong_to_the_enrolling_organization(coc):
    staff = by_id(coc[StaffUser])
    assignments = coc[CaseManagerAssignment]
    assert len(assignments) >= CLIENTS
    for a in assignments:
        assert staff[a["staff_user_id"]]["organization_id"] == a["organization_id"]
        assert a["end_date"] is None or a["end_date"] > a["start_date"]
    owner = {e["id"]: e["organization_id"] for e in coc[Enrollment]}
    for model in CLIENT_DATA_MODELS:
        for row in coc[model]:
            if row.get("enrollment_id") in owner:
                assert row["organization_id"] == owner[row["enrollment_id"]]
    notes = coc[CaseNote]
    assert 0 < sum(n["compiled_for_legal_proceeding"] for n in notes) < 0.1 * len(notes)


async def test_refusals_cover_household_members_and_fall_between_their_data(coc):
    refusals = by_id(coc[SharingRefusal])
    coverage = coc[RefusalCoverage]
    covered = {c["client_id"] for c in coverage}
    assert len(covered) == len(coverage)
    assert 0.02 <= len(covered) / CLIENTS <= 0.045
    households = defaultdict(set)
    for e in coc[Enrollment]:
        households[e["client_id"]].add(e["household_id"])
    heads = {e["client_id"] for e in coc[Enrollment] if e["relationship_to_hoh"] == 1}
    stamps = defaultdict(list)
    for v in coc[RecordVersion]:
        stamps[v["client_id"]].append(v["recorded_at"])
    for c in coverage:
        refusal = refusals[c["refusal_id"]]
        assert c["refused_at"] == refusal["recorded_at"]
        assert refusal["client_id"] in heads
        assert households[c["client_id"]] & households[refusal["client_id"]]
        # Some of the client's data is from before R and some from after: the frozen view.
        assert min(stamps[c["client_id"]]) < c["refused_at"] < max(stamps[c["client_id"]])
        if c["revoked_at"] is not None:
            assert c["refused_at"] < c["revoked_at"] <= ANCHOR
            assert c["revoked_by"] and c["revoked_org_id"]
    assert {r["client_id"] for r in refusals.values()} <= covered


async def test_no_victim_service_provider_enters_ppi(coc):
    vsp = {o["id"] for o in coc[Organization] if o["victim_service_provider"]}
    served = {e["client_id"] for e in coc[Enrollment] if e["organization_id"] in vsp}
    assert served  # VSP projects do serve clients
    for v in coc[RecordVersion]:
        if v["entity"] == "clients" and v["organization_id"] in vsp:
            assert not set(v["changes"]) & set(PPI_VALUES)
    for client in coc[Client]:
        if client["organization_id"] in vsp:
            assert all(client[c] is None for c in PPI_VALUES)
            assert client["name_data_quality"] == client["ssn_data_quality"] == 99
    assert not [c for c in coc[Contact] if c["organization_id"] in vsp]


async def test_client_profiles_follow_hud(coc):
    for c in coc[Client]:
        if c["ssn_data_quality"] == 1:
            assert re.fullmatch(r"(?!000|666|9)\d{9}", c["ssn"])
        elif c["ssn_data_quality"] == 2:
            assert re.fullmatch(r"x{5}\d{4}", c["ssn"])
        else:
            assert c["ssn"] is None and c["ssn_data_quality"] in (8, 9, 99)
        assert (c["dob"] is None) == (c["dob_data_quality"] not in (1, 2))
        assert (c["first_name"] is None) == (c["name_data_quality"] not in (1, 2))
        for columns, none in ((RACE_COLUMNS, "race_none"), (GENDER_COLUMNS, "gender_none")):
            assert {c[k] for k in columns} <= {0, 1}
            assert (c[none] is None) == any(c[k] for k in columns)
    born = [c["dob"] for c in coc[Client] if c["dob"]]
    assert min(born) > date(1940, 1, 1)
    assert sum(b > date(2008, 6, 30) for b in born) >= 0.1 * len(born)  # children in families
    assert Counter(c["veteran_status"] for c in coc[Client])[1] > 0


def test_the_same_seed_gives_the_same_rows_whatever_the_chunk_size():
    def generate(seed: int, size: int) -> list:
        builder = CocBuilder(150, seed)
        out = [builder.reference()]
        out += list(builder.chunks(size))
        merged = defaultdict(list)
        for rows in out:
            for model, values in rows.items():
                merged[model.__tablename__] += values
        return merged

    first = generate(3, 5000)
    assert first == generate(3, 5000)
    assert first == generate(3, 40)
    assert first["clients"] != generate(4, 5000)["clients"]


async def test_the_same_seed_twice_into_the_database(engine):
    async def snapshot():
        await unsafe_bulk_seed(engine, clients=80, seed=11)
        tables = {m.__tablename__: await rows_of(engine, m) for m in TABLES}
        return {name: sorted(rows, key=repr) for name, rows in tables.items()}

    first = await snapshot()
    await wipe(engine)
    assert await snapshot() == first


def test_if_empty_leaves_a_seeded_database_alone(engine, database_url):
    runner = CliRunner(env={"HMIS_DATABASE_URL": database_url})
    seeded = runner.invoke(main, ["seed", "--clients", "40", "--seed", "2"])
    assert seeded.exit_code == 0, seeded.output
    assert re.search(r"clients\s+40\b", seeded.output) and " s" in seeded.output

    again = runner.invoke(main, ["seed", "--if-empty", "--clients", "300", "--seed", "1"])
    assert again.exit_code == 0
    assert "already has 40 clients; nothing seeded" in again.output

    refused = runner.invoke(main, ["seed", "--clients", "10"])
    assert refused.exit_code == 1 and "already has 40 clients" in refused.output

    async def count() -> int:
        other = make_engine(database_url)
        async with other.connect() as connection:
            n = (await connection.execute(select(func.count()).select_from(Client))).scalar()
        await other.dispose()
        return n

    assert asyncio.run(count()) == 40
