"""The read plans against graphql-core, the reference (hmis.schema.executor).

Every query of the suite already runs both ways (`fast_reads` "check", conftest). Here a
generated corpus is sent whole to two apps on one database, one with the plans
(`fast_reads` "on") and one without ("off"), as each role: the replies must be the same bytes
(data, nulls, errors with their paths, order of keys) and the audit events the same.
"""

from __future__ import annotations

import os
import random
from datetime import UTC, date, datetime

import pytest
from graphql import (
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    is_leaf_type,
)
from sqlalchemy import select

from hmis.db import models
from hmis.schema import build_schema, executor, plans

from . import factories as f
from . import people
from .support import serve
from .test_read_api import grant_research

GENERATED = int(os.environ.get("HMIS_PLAN_CORPUS", "40"))
# Root fields of the corpus, with the arguments each document may give.
CONNECTION = "clients"
ROLES = {
    "admin": ("hmis_admin", None),
    "auditor": ("auditor", None),
    "entering-org": ("agency_staff", "shelter"),
    "partner": ("agency_staff", "outreach"),
    "researcher": ("researcher", None),
    "signed-in-client": ("client", None),
}
HANDWRITTEN = [
    # Every group, fragments, aliases and __typename at each level.
    """fragment Who on Identity { __typename firstName lastName ssn dob dobDataQuality }
    query { clients(first: 10) { __typename totalCount pageInfo { hasNextPage endCursor }
      edges { cursor node { __typename id who: identity { ...Who }
        ... on Client { demographics { race gender veteranStatus } }
        enrollments(first: 5) { totalCount pageInfo { hasNextPage endCursor }
          edges { cursor node { id entryDate exitDate destination reasonForLeaving
            household { householdId relationshipToHoH }
            project { id name projectType organization { id name } } } } }
        caseManager { id firstName lastName phone extension email startDate
          organization { name } }
        contact { phone city } health { disablingCondition }
        income { incomeFromAnySource totalMonthlyIncome sources { source amount } }
        domesticViolence { survivor whenOccurred } caseNotes { text }
        researchKey access { group visible basis } } } } }""",
    # @skip/@include with variables, on fields and fragments.
    """query($yes: Boolean!, $no: Boolean!) { clients(first: 3) { edges { node {
        id @skip(if: $yes) identity @include(if: $yes) { firstName }
        ... on Client @skip(if: $no) { demographics { gender } }
        caseManager @include(if: $no) { id } } } } }""",
    # Paging: the second page of clients, nested pages of enrollments.
    """query($after: String) { clients(first: 2, after: $after) { pageInfo { hasNextPage }
        edges { node { id enrollments(first: 1) { totalCount edges { cursor node { id } } }
          later: enrollments(first: 1, after: "ZW5yb2xsbWVudDow") { edges { node { id } } }
        } } } }""",
    # Errors below the root: a bad nested page size and a cursor of another list.
    """{ clients(first: 3) { edges { node { id enrollments(first: 0) { totalCount } } } } }""",
    """{ clients(first: 3) { edges { node { id
        enrollments(after: "Y2xpZW50OjA=") { totalCount } identity { lastName } } } } }""",
    # Errors at the root (graphql-core's alone: no plan runs).
    """{ clients(first: 500) { totalCount } }""",
    """{ clients(after: "not a cursor") { totalCount } }""",
    # One client by ID (real IDs: a researcher finds none), and an unknown one.
    """query($id: ID!) { client(id: $id) { id identity { firstName } enrollments {
        edges { node { entryDate project { name } } } } caseManager { firstName } } }""",
    """{ client(id: "00000000-0000-0000-0000-000000000000") { id } }""",
    # The signed-in client's own record, and the public fields.
    """{ myRecord { __typename } organizations { id name } policy { role group visible } }""",
    # A search, and a mutation (never planned: graphql-core runs it).
    """{ searchClients(input: {lastName: "Lo"}) { matchedOn client { id identity { lastName }
        enrollments { totalCount } } } }""",
    """mutation($id: ID!) { updateClient(input: {id: $id, version: 0, lastName: "X"}) {
        client { id identity { lastName } } errors { field message } } }""",
]


@pytest.fixture
async def coc(sessions):
    """Four clients: one with every group (shelter), one who refused sharing after which
    both organizations wrote more, one who left, and one the outreach partner entered."""
    world = await people.coc(sessions)
    shelter, outreach = world.writer(world.shelter), world.writer(world.outreach)
    full = await people.fully_recorded_client(sessions, world, first_name="Ada",
                                              last_name="Lovelace")  # fmt: skip
    async with sessions() as s, s.begin():
        refused = await f.client(s, shelter, first_name="Ben", last_name="Lowe",
                                 dob=date(1985, 3, 3), dob_data_quality=1)  # fmt: skip
        stay = await f.enroll(s, shelter, refused, world.shelter_project, date(2024, 2, 1))
        await f.assign(s, shelter, refused, world.manager)
        left = await f.client(s, shelter, first_name="Cara", last_name="Long")
        old = await f.enroll(s, shelter, left, world.shelter_project, date(2023, 5, 1))
        await f.exit(s, shelter, old, date(2023, 9, 1), destination=410)
        await f.client(s, outreach, first_name="Dan", last_name="Loft")
    await people.refuse(sessions, world, refused)
    await people.update(sessions, shelter, models.Client, refused.id, last_name="Lyle")
    async with sessions() as s, s.begin():
        await f.exit(s, shelter, stay, date(2025, 1, 1))
        await f.enroll(s, outreach, refused, world.outreach_project, date(2025, 3, 1))
        s.add(
            models.ClientLogin(
                client_id=full.id,
                subject="client-1",
                created_by="admin",
                created_at=datetime.now(UTC),
            )
        )
    await grant_research(sessions, "researcher-1")
    world.people.update(full=full, refused=refused)
    return world


def corpus(count: int, seed: int = 16) -> list[str]:
    """Documents on `clients` made from the schema: random selections of every field of a
    client with aliases, inline and named fragments, @skip/@include, __typename and nested
    pages with their arguments (some of them wrong)."""
    schema = build_schema()._schema
    return [_Document(schema, random.Random(seed + n)).render() for n in range(count)]


class _Document:
    def __init__(self, schema, rng: random.Random):
        self.schema, self.rng = schema, rng
        self.fragments: list[str] = []
        self.variables: set[str] = set()

    def render(self) -> str:
        connection = self.schema.query_type.fields[CONNECTION].type.of_type
        first = self.rng.choice(["", "(first: 2)", "(first: $first)", "(first: 1, after: $after)"])
        body = self.selection(connection, depth=0)
        declared = {"first": "Int", "after": "String", "yes": "Boolean!", "no": "Boolean!"}
        used = sorted(self.variables | ({"first"} if "$first" in first else set())
                      | ({"after"} if "$after" in first else set()))  # fmt: skip
        header = f"({', '.join(f'${v}: {declared[v]}' for v in used)})" if used else ""
        return "\n".join([*self.fragments, f"query{header} {{ {CONNECTION}{first} {body} }}"])

    def selection(self, kind: GraphQLObjectType, depth: int) -> str:
        rng = self.rng
        names = [n for n in kind.fields if depth < 5 or _leaf(kind.fields[n].type)]
        if not names:
            return "{ __typename }"
        chosen = rng.sample(names, k=max(1, min(len(names), rng.randint(1, 6))))
        if kind.name in ("ClientEdge", "ClientConnection") and depth < 2:
            chosen = sorted(set(chosen) | {"edges" if "edges" in kind.fields else "node"})
        parts = [self.field(kind, name, depth) for name in chosen]
        if rng.random() < 0.2:
            parts.append("__typename")
        if rng.random() < 0.25:  # some of them in an inline fragment
            cut = rng.randint(0, len(parts))
            parts = parts[:cut] + [f"... on {kind.name} {{ {' '.join(parts[cut:]) or 'id'} }}"]
        if rng.random() < 0.15:
            name = f"F{len(self.fragments)}"
            self.fragments.append(f"fragment {name} on {kind.name} {{ {' '.join(parts)} }}")
            parts = [f"...{name}"]
        return "{ " + " ".join(parts) + " }"

    def field(self, kind: GraphQLObjectType, name: str, depth: int) -> str:
        rng = self.rng
        field = kind.fields[name]
        text = name
        if rng.random() < 0.15:
            text = f"a{rng.randint(0, 99)}_{name}: {name}"
        if field.args and "first" in field.args:
            text += rng.choice(["", "", "(first: 1)", "(first: 2)", "(first: 0)",
                                '(first: 1, after: "ZW5yb2xsbWVudDow")',
                                '(after: "bm90IGEgY3Vyc29y")'])  # fmt: skip
        roll = rng.random()
        if roll < 0.06:
            text += " @include(if: $yes)"
            self.variables.add("yes")
        elif roll < 0.12:
            text += " @skip(if: $no)"
            self.variables.add("no")
        elif roll < 0.15:
            text += " @skip(if: $yes)"
            self.variables.add("yes")
        inner = _named(field.type)
        if not is_leaf_type(inner):
            text += " " + self.selection(inner, depth + 1)
        return text


def _named(kind):
    while isinstance(kind, (GraphQLNonNull, GraphQLList)):
        kind = kind.of_type
    return kind


def _leaf(kind) -> bool:
    return is_leaf_type(_named(kind))


async def _events(sessions, request_id: str) -> list[tuple]:
    e = models.AuditEvent
    async with sessions() as s:
        rows = await s.scalars(select(e).where(e.request_id == request_id).order_by(e.id))
        return [(r.client_id, r.action, sorted(r.groups), r.actor_subject, r.operation_name,
                 r.roles) for r in rows]  # fmt: skip


async def test_plans_answer_as_graphql_core_does(database_url, issuer, sessions, coc):
    documents = HANDWRITTEN + corpus(GENERATED)
    variables = {"yes": True, "no": False, "first": 2, "id": str(coc.people["full"].id)}
    planned = executor.STATS["planned"]
    compared = 0
    async with (
        serve(database_url, issuer, fast_reads="on") as fast,
        serve(database_url, issuer, fast_reads="off") as slow,
    ):
        # The cursor after the first client, as the callers who receive real IDs have it.
        first_page = await fast.post(
            "/graphql",
            json={"query": "{ clients(first: 1) { pageInfo { endCursor } } }"},
            headers={"Authorization": f"Bearer {issuer.token('hmis_admin', sub='admin-1')}"},
        )
        variables["after"] = first_page.json()["data"]["clients"]["pageInfo"]["endCursor"]
        for who, (role, org) in ROLES.items():
            org_id = getattr(coc, org).id if org else None
            subject = "client-1" if role == "client" else f"{role}-1"
            bearer = {"Authorization": f"Bearer {issuer.token(role, org=org_id, sub=subject)}"}
            for document in documents:
                sent = {"query": document, "variables": variables}
                one = await fast.post("/graphql", json=sent, headers=bearer)
                other = await slow.post("/graphql", json=sent, headers=bearer)
                where = f"{who}: {document}"
                assert (one.status_code, one.content) == (other.status_code, other.content), where
                assert await _events(sessions, one.headers["x-request-id"]) == await _events(
                    sessions, other.headers["x-request-id"]
                ), where
                compared += 1
    assert compared == len(ROLES) * len(documents)
    # The plans did answer (the corpus compares them with graphql-core, not it with itself).
    assert executor.STATS["planned"] - planned > len(documents)


async def test_fallbacks_are_counted(api, token, sessions, coc):
    """What the plans leave to graphql-core is counted, by reason (the bench prints it)."""
    admin = token("hmis_admin", sub="admin-1")
    cases = [
        ("{ clients { edges { node { id identity { lastName } } } } }", "planned"),
        ("{ clients { edges { node { contact { phone } } } } }", "fallback: async resolver"),
        (
            "{ clients { edges { node { enrollments(first: 0) { totalCount } } } } }",
            "fallback: resolver raised",
        ),  # fmt: skip
        ("{ __schema { queryType { name } } }", None),  # no object below a root field planned
        (
            'mutation { updateClient(input: {id: "00000000-0000-0000-0000-000000000000"}) '
            "{ errors { field } } }",
            "fallback: mutation",
        ),  # fmt: skip
    ]
    for query, counted in cases:
        before = executor.STATS.copy()
        response = await api.post("/graphql", json={"query": query},
                                  headers={"Authorization": f"Bearer {admin}"})  # fmt: skip
        assert response.status_code in (200, 400), response.text
        added = executor.STATS - before
        if counted is None:
            assert "planned" not in added, (query, added)
        else:
            assert added[counted] >= 1, (query, added)


def test_a_pure_plan_completes_a_shared_object_once_and_stops_remembering_unshared_ones():
    """`_once_per_run`: an object met again in a run gets the value completed the first time;
    a plan whose objects are never met twice stops remembering after its trial, and its
    values are the same either way."""
    calls = []

    def run(value, _info):
        calls.append(value)
        return {"name": value["name"]}

    shared, fresh = plans._once_per_run(run), plans._once_per_run(run)
    info = plans.PlanInfo(context=None)
    project = {"name": "Shelter"}
    first = [shared(project, info) for _ in range(plans.MEMO_TRIAL * 2)]
    assert calls == [project] and all(value is first[0] for value in first)
    calls.clear()
    people_ = [{"name": f"client {i}"} for i in range(plans.MEMO_TRIAL * 2)]
    assert [fresh(p, info) for p in people_] == [{"name": p["name"]} for p in people_]
    assert len(calls) == len(people_)
    remembered = sum(1 for key in info.completed if key[0] is run)
    assert remembered == 1 + plans.MEMO_TRIAL  # the project, then the trial's objects
    # A new run still shares the project's value within itself.
    again = plans.PlanInfo(context=None)
    assert shared(project, again) is shared(project, again)
