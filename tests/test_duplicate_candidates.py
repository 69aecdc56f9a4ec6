"""duplicateCandidates over GraphQL with real tokens: administrators only, scored pairs in a
stable order, paged by cursor, logged as a data-quality use; and the scoring's parts."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import select

from hmis.db import duplicates, models
from hmis.db.duplicates import Person

from . import factories as f
from . import people
from .support import gql

QUERY = """query($first: Int, $after: String, $minScore: Float) {
  duplicateCandidates(first: $first, after: $after, minScore: $minScore) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { score reasons first { id identity { firstName lastName } }
                          second { id identity { firstName lastName } } } } } }"""
MERGE = """mutation($input: MergeClientsInput!) { mergeClients(input: $input) {
  merge { id } errors { code } } }"""
UNMERGE = """mutation($input: UnmergeClientsInput!) { unmergeClients(input: $input) {
  errors { code } } }"""


@pytest.fixture
async def coc(sessions, api, token):
    world = await people.coc(sessions)
    world.api, world.token = api, token
    shelter, outreach = world.writer(world.shelter), world.writer(world.outreach)
    entered = {}
    for key, writer, values in [
        ("ada", shelter, dict(first_name="Ada", last_name="Lovelace", ssn="123456789",
                              dob=date(1990, 1, 1))),
        ("ada2", outreach, dict(first_name="Ada", last_name="Lovelace", ssn="123456798",
                                dob=date(1990, 1, 1))),
        ("reversed", outreach, dict(first_name="Lovelace", last_name="Ada",
                                    dob=date(1990, 1, 1))),
        ("jon", shelter, dict(first_name="Jon", last_name="Smith", dob=date(1985, 3, 4))),
        ("john", outreach, dict(first_name="John", last_name="Smyth", dob=date(1985, 4, 3))),
        ("zed", shelter, dict(first_name="Zed", last_name="Quux", ssn="555443333",
                              dob=date(1970, 6, 6))),
    ]:  # fmt: skip
        async with sessions() as s, s.begin():
            entered[key] = (await f.client(s, writer, **values)).id
    world.people.update(entered)
    return world


async def ask(world, variables=None, role="hmis_admin", org=None):
    org_id = getattr(world, org).id if org else None
    return await gql(world.api, QUERY, variables or {},
                     token=world.token(role, org=org_id, sub=f"{role}-{org}"))  # fmt: skip


def pairs(body, world) -> list[tuple]:
    names = {str(v): k for k, v in world.people.items()}
    return [
        (names[e["node"]["first"]["id"]], names[e["node"]["second"]["id"]], e["node"]["score"])
        for e in body["data"]["duplicateCandidates"]["edges"]
    ]


@pytest.mark.parametrize("role", ["agency_staff", "auditor", "researcher", "client",
                                  "aggregate_reader"])  # fmt: skip
async def test_only_administrators_see_candidates(coc, role):
    status, body = await ask(coc, role=role, org="shelter")
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert body["data"] is None


async def test_pairs_are_scored_and_explained(coc):
    status, body = await ask(coc)
    assert status == 200 and "errors" not in body, body
    found = {frozenset((a, b)) for a, b, _ in pairs(body, coc)}
    assert found == {
        frozenset(p)
        for p in [("ada", "ada2"), ("ada", "reversed"), ("ada2", "reversed"), ("jon", "john")]
    }
    edges = body["data"]["duplicateCandidates"]["edges"]
    by_pair = {
        frozenset(
            (coc_name(coc, e["node"]["first"]["id"]), coc_name(coc, e["node"]["second"]["id"]))
        ): e["node"]
        for e in edges
    }
    ada = by_pair[frozenset(("ada", "ada2"))]
    assert ada["score"] == 0.91
    assert set(ada["reasons"]) == {"SSN_TRANSPOSED", "DOB_EXACT", "NAME_EXACT"}
    assert set(by_pair[frozenset(("ada", "reversed"))]["reasons"]) == {"DOB_EXACT", "NAME_SWAPPED"}
    smith = by_pair[frozenset(("jon", "john"))]
    assert set(smith["reasons"]) == {"DOB_DAY_MONTH_SWAPPED", "NAME_SIMILAR"}
    # Best first, then by IDs; both clients shown as the administrator sees them.
    scores = [e["node"]["score"] for e in edges]
    assert scores == sorted(scores, reverse=True)
    assert ada["first"]["identity"] == {"firstName": "Ada", "lastName": "Lovelace"}
    # A higher floor leaves the weaker pair out.
    _, body = await ask(coc, {"minScore": 0.9})
    assert frozenset(("jon", "john")) not in {frozenset(p[:2]) for p in pairs(body, coc)}


def coc_name(world, client_id):
    return {str(v): k for k, v in world.people.items()}[client_id]


async def test_pages_follow_one_stable_order(coc):
    _, whole = await ask(coc, {"first": 50})
    seen, after = [], None
    while True:
        _, body = await ask(coc, {"first": 1, "after": after})
        page = body["data"]["duplicateCandidates"]
        assert page["totalCount"] == 4
        seen += pairs(body, coc)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == pairs(whole, coc)
    status, body = await ask(coc, {"after": "bm9wZQ=="})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    status, body = await ask(coc, {"minScore": 0.1})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_candidates_are_logged_as_a_data_quality_use(coc, sessions):
    _, body = await ask(coc, {"first": 1})
    (edge,) = body["data"]["duplicateCandidates"]["edges"]
    page = {uuid.UUID(edge["node"][k]["id"]) for k in ("first", "second")}
    async with sessions() as s:
        events = (await s.execute(select(models.AuditEvent))).scalars().all()
    # Only the two clients of the page, matched on identifiers, for data quality.
    assert len(events) == 2
    assert {(e.action, e.purpose) for e in events} == {("search", "DATA_QUALITY")}
    assert all("IDENTITY" in e.groups for e in events)
    assert {e.client_id for e in events} == page


async def test_merged_and_unmerged_pairs_leave_the_list(coc):
    ada, ada2 = coc.people["ada"], coc.people["ada2"]
    admin = coc.token("hmis_admin", sub="admin")
    _, body = await gql(coc.api, MERGE, {"input": {"survivorId": str(ada), "mergedId": str(ada2),
                                                   "reason": "SSN typo"}}, token=admin)  # fmt: skip
    merge_id = body["data"]["mergeClients"]["merge"]["id"]
    _, body = await ask(coc)
    assert "ada2" not in {name for p in pairs(body, coc) for name in p[:2]}
    # Undone: the administrator said they are two people; the pair is not proposed again.
    await gql(coc.api, UNMERGE, {"input": {"mergeId": merge_id, "reason": "twins"}}, token=admin)
    _, body = await ask(coc)
    found = {frozenset(p[:2]) for p in pairs(body, coc)}
    assert frozenset(("ada", "ada2")) not in found
    assert frozenset(("ada2", "reversed")) in found


def test_the_parts_of_a_score():
    assert duplicates.soundex("robert") == duplicates.soundex("rupert") == "R163"
    assert duplicates.soundex("ashcraft") == "A261" and duplicates.soundex("tymczak") == "T522"
    assert duplicates.normalize("O'Brien-Núñez") == "obriennunez"
    assert duplicates.edit_distance("lovelace", "lovelcae") == 1  # a swap counts one
    assert duplicates.edit_distance("kitten", "sitting") == 3
    assert duplicates.ssn_similarity("123456789", "123456789") == (1.0, "SSN_EXACT")
    assert duplicates.ssn_similarity("123456789", "213456789") == (0.8, "SSN_TRANSPOSED")
    assert duplicates.ssn_similarity("123456789", "123456780") == (0.6, "SSN_ONE_DIGIT")
    assert duplicates.ssn_similarity("123456789", "12345xxxx") is None  # partial: not compared
    assert duplicates.dob_similarity(date(1990, 3, 4), date(1990, 4, 3))[1] == (
        "DOB_DAY_MONTH_SWAPPED"
    )
    # A pair with only names to compare is never proposed.
    a = Person(uuid.uuid4(), "ada", "lovelace", None, None)
    b = Person(uuid.uuid4(), "ada", "lovelace", None, None)
    assert duplicates.score(a, b) is None


def test_blocking_pairs_only_clients_sharing_a_key():
    """Of 500 different people only the few sharing a key are compared, not all 124,750
    pairs; none of them is proposed."""
    letters = "bcdfgklmnprstvz"
    crowd = [Person(uuid.uuid4(), "a" + letters[i % 15] + letters[i // 15 % 15],
                    "o" + letters[i // 7 % 15] + letters[i % 13], f"{100000000 + i * 7919:09d}",
                    date(1950 + i % 50, 1 + i % 12, 1 + i % 28)) for i in range(500)]  # fmt: skip
    shared: dict[tuple, set] = {}
    for p in crowd:
        for key in duplicates.blocking_keys(p):
            shared.setdefault(key, set()).add(p.id)
    compared = {frozenset((x, y)) for ids in shared.values() for x in ids for y in ids if x != y}
    assert len(compared) < 1250  # under 1% of all pairs
    assert duplicates.candidates(crowd, min_score=0.7) == []
