"""The access log (POLICY.md, Audit): one event per client a request returned or wrote, with
the groups it actually carried, hash-chained, append-only on PostgreSQL, readable by
administrators and auditors only; never a value of client data nor a search term."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from hmis.db import audit, models

from . import people
from .support import gql, post_graphql, serve
from .test_read_api import ALL, EVERYTHING, SHARED, grant_research, shown

CLIENTS = EVERYTHING + "query Caseload { clients { edges { node { ...Everything } } } }"
# PPI of `people.fully_recorded_client`, and of a search below: none may reach the log.
PPI = ("Lovelace", "123456789", "1990-01-01", "6305550199", "Wheaton", "Intake done.", "Mona")
HEX = re.compile(r"^[0-9a-f]{64}$")
UUID = re.compile(r"^[0-9a-f]{8}-?([0-9a-f]{4}-?){3}[0-9a-f]{12}$")


async def events(sessions, **where) -> list[models.AuditEvent]:
    e = models.AuditEvent
    async with sessions() as s:
        query = select(e).where(*(getattr(e, k) == v for k, v in where.items()))
        return list(await s.scalars(query.order_by(e.id)))


async def ask(api, query, variables=None, **kwargs) -> tuple[dict, str]:
    """(body, request ID) of one GraphQL request."""
    response = await post_graphql(api, query, variables, **kwargs)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"], response.headers["x-request-id"]


def assert_no_ppi(rows: list[models.AuditEvent], *extra: str) -> None:
    """Hashes and IDs are what they claim to be; no other column holds a value from PPI."""
    for row in rows:
        assert UUID.match(row.request_id)
        for value in (row.client_id, row.organization_id):
            assert value is None or UUID.match(str(value))
        words = [row.actor_subject, row.actor_client_id, row.action, row.purpose,
                 row.operation_name, *row.roles, *row.groups]  # fmt: skip
        for secret in (*PPI, *extra):
            assert not any(secret in str(w) for w in words), (secret, words)


@pytest.fixture
async def world(sessions):
    return await people.coc(sessions)


@pytest.mark.parametrize(
    ("role", "org", "expected"),
    [
        ("hmis_admin", None, ALL),
        ("auditor", None, ALL),
        ("agency_staff", "shelter", ALL),
        ("agency_staff", "outreach", SHARED),
        ("researcher", None, ALL - {"IDENTITY", "CONTACT", "CASE_NOTES"}),
    ],
    ids=["admin", "auditor", "entering-org", "partner", "researcher"],
)
async def test_each_roles_read_logs_one_event_per_client_with_the_groups_returned(
    api, token, sessions, world, role, org, expected
):
    ada = await people.fully_recorded_client(sessions, world)
    bob = await people.fully_recorded_client(sessions, world, first_name="Bob")
    if role == "researcher":
        await grant_research(sessions, "reader-1")
    org_id = getattr(world, org).id if org else None
    caller = token(role, org=org_id, sub="reader-1", client_id="caseload-app")
    data, request_id = await ask(api, CLIENTS, token=caller)

    logged = await events(sessions, request_id=request_id)
    assert {e.client_id for e in logged} == {ada.id, bob.id} and len(logged) == 2
    edges = data["clients"]["edges"]
    if role == "researcher":  # pseudonyms, in the page's order (that of the real IDs)
        assert {e["node"]["id"] for e in edges}.isdisjoint({str(ada.id), str(bob.id)})
    else:
        edges = sorted(edges, key=lambda e: e["node"]["id"])
    for event, edge in zip(logged, edges, strict=True):
        assert role == "researcher" or str(event.client_id) == edge["node"]["id"]
        assert set(event.groups) == shown(edge["node"]) == expected
        # "Caseload" is the caller's own word: a digest of the document stands for it.
        assert event.action == "view" and re.fullmatch("[0-9a-f]{32}", event.operation_name)
        assert (event.actor_subject, event.actor_client_id) == ("reader-1", "caseload-app")
        assert event.organization_id == org_id and event.roles == [role]
        default = {"hmis_admin": "ADMINISTRATION", "auditor": "AUDIT", "researcher": "RESEARCH"}
        assert event.purpose == default.get(role, "SERVICE_COORDINATION")
    assert_no_ppi(await events(sessions), "Bob")


async def test_only_the_groups_selected_are_logged(api, token, sessions, world):
    ada = await people.fully_recorded_client(sessions, world)
    admin = token("hmis_admin", sub="admin-1")
    cases = [
        ("{ id }", []),
        ("{ identity { lastName } }", ["IDENTITY"]),
        # The household is its own group, presented only when asked for.
        ("{ enrollments { edges { node { entryDate } } } }", ["ENROLLMENTS"]),
        ("{ enrollments { edges { node { household { householdId } } } } }",
         ["ENROLLMENTS", "HOUSEHOLD"]),
        ("{ caseManager { lastName } contact { city } }", ["CASE_MANAGER", "CONTACT"]),
    ]  # fmt: skip
    for selection, groups in cases:
        query = f"query($id: ID!) {{ client(id: $id) {selection} }}"
        _, request_id = await ask(api, query, {"id": str(ada.id)}, token=admin)
        (event,) = await events(sessions, request_id=request_id)
        assert (event.client_id, event.action, event.groups) == (ada.id, "view", groups)


async def test_a_stated_purpose_is_logged_and_an_unknown_one_refused(api, token, sessions, world):
    ada = await people.fully_recorded_client(sessions, world)
    query = "query($id: ID!) { client(id: $id) { id } }"
    staff = token("agency_staff", org=world.shelter.id)
    _, request_id = await ask(api, query, {"id": str(ada.id)}, token=staff,
                              headers={"HMIS-Purpose": "BILLING"})  # fmt: skip
    assert [e.purpose for e in await events(sessions, request_id=request_id)] == ["BILLING"]
    # Free text could carry a name into the log: only the listed purposes are accepted.
    response = await post_graphql(api, query, {"id": str(ada.id)}, token=staff,
                                  headers={"HMIS-Purpose": "looking up Ada Lovelace"})  # fmt: skip
    assert response.status_code == 400 and "HMIS-Purpose" in response.json()["errors"][0]["message"]
    assert len(await events(sessions)) == 1


async def test_a_search_logs_the_clients_returned_never_the_terms(api, token, sessions, world):
    ada = await people.fully_recorded_client(sessions, world)
    await people.fully_recorded_client(sessions, world, last_name="Lovett")
    query = """query Find($input: ClientSearchInput!) {
      searchClients(input: $input) { matchedOn client { id } } }"""
    terms = {"lastName": "Lovel", "dob": "1990-01-01", "ssnLast4": "6789"}
    data, request_id = await ask(api, query, {"input": terms},
                                 token=token("agency_staff", org=world.outreach.id))  # fmt: skip
    assert [m["client"]["id"] for m in data["searchClients"]] == [str(ada.id)]
    (event,) = await events(sessions, request_id=request_id)
    # The match itself used IDENTITY, though no identity field was selected.
    assert (event.client_id, event.action, event.groups) == (ada.id, "search", ["IDENTITY"])
    assert_no_ppi([event], "Lovel", "6789")


async def test_a_write_logs_in_its_own_transaction_and_its_payload_only_what_is_new(
    api, token, sessions, world
):
    ada = await people.fully_recorded_client(sessions, world)
    staff = token("agency_staff", org=world.shelter.id, sub="shelter-7")
    update = """mutation($input: UpdateClientInput!) { updateClient(input: $input) {
        client { identity { lastName } contact { city } } errors { code } } }"""
    data, request_id = await ask(api, update, {"input": {"id": str(ada.id), "lastName": "King"}},
                                 token=staff)  # fmt: skip
    assert data["updateClient"]["client"]["identity"]["lastName"] == "King"
    logged = await events(sessions, request_id=request_id)
    # The write, then the one group the payload returned that the write did not touch.
    assert [(e.action, e.groups) for e in logged] == [("update", ["IDENTITY"]),
                                                      ("view", ["CONTACT"])]  # fmt: skip

    # A refused write logs nothing; a refusal logs each covered client.
    data, request_id = await ask(api, update, {"input": {"id": str(ada.id), "ssn": "12"}},
                                 token=staff)  # fmt: skip
    assert data["updateClient"]["errors"] and not await events(sessions, request_id=request_id)
    refuse = """mutation($id: ID!) { recordSharingRefusal(input: {clientId: $id}) {
        refusal { id } } }"""
    _, request_id = await ask(api, refuse, {"id": str(ada.id)}, token=staff)
    assert [(e.action, e.groups) for e in await events(sessions, request_id=request_id)] == [
        ("refuse", [])
    ]


@pytest.fixture
async def logged_reads(api, token, sessions, world):
    """Three requests by two organizations about two clients: six events."""
    ada = await people.fully_recorded_client(sessions, world)
    bob = await people.fully_recorded_client(sessions, world, first_name="Bob")
    query = "{ clients { edges { node { identity { lastName } } } } }"
    await ask(api, query, token=token("agency_staff", org=world.shelter.id, sub="shelter-1"))
    await ask(api, query, token=token("agency_staff", org=world.outreach.id, sub="outreach-1"))
    await ask(api, query, token=token("agency_staff", org=world.outreach.id, sub="outreach-1"))
    return ada, bob


AUDIT_EVENTS = """query($filter: AuditFilter, $first: Int, $after: String) {
  auditEvents(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id at actorSubject organizationId roles clientId action groups purpose
                   requestId hash prevHash } } } }"""
VERIFY = "{ verifyAuditLog { ok checked firstBrokenId message } }"


async def test_admins_and_auditors_read_the_log_with_filters_and_pages(
    api, token, sessions, world, logged_reads
):
    ada, _bob = logged_reads
    # The log as it stands now: reading it adds events (view_log) from here on.
    cutoff = datetime.now(UTC).isoformat()
    auditor = token("auditor", sub="auditor-1")
    data, _ = await ask(api, AUDIT_EVENTS, {"filter": {"to": cutoff}}, token=auditor)
    nodes = [e["node"] for e in data["auditEvents"]["edges"]]
    assert data["auditEvents"]["totalCount"] == 6 and len(nodes) == 6
    assert [int(n["id"]) for n in nodes] == sorted((int(n["id"]) for n in nodes), reverse=True)
    assert nodes[0]["roles"] == ["AGENCY_STAFF"] and nodes[0]["groups"] == ["IDENTITY"]
    assert nodes[0]["action"] == "VIEW" and nodes[0]["purpose"] == "SERVICE_COORDINATION"

    later = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    for given, count in [
        ({"clientId": str(ada.id)}, 3),
        ({"actorSubject": "outreach-1"}, 4),
        ({"organizationId": str(world.shelter.id), "clientId": str(ada.id)}, 1),
        ({"action": "VIEW"}, 6),
        ({"action": "SEARCH"}, 0),
        ({"from": later}, 0),
        ({"from": nodes[-1]["at"]}, 6),
    ]:
        data, _ = await ask(api, AUDIT_EVENTS, {"filter": {"to": cutoff, **given}}, token=auditor)
        assert data["auditEvents"]["totalCount"] == count, given

    seen, after = [], None
    while True:
        data, _ = await ask(api, AUDIT_EVENTS, {"first": 4, "after": after,
                            "filter": {"to": cutoff}}, token=token("hmis_admin"))  # fmt: skip
        page = data["auditEvents"]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [n["id"] for n in nodes]


@pytest.mark.parametrize("role", ["agency_staff", "client", "researcher", "aggregate_reader"])
async def test_nobody_else_reads_the_log_and_only_admins_verify_it(
    api, token, world, logged_reads, role
):
    caller = token(role, org=world.outreach.id if role == "agency_staff" else None)
    for query in (AUDIT_EVENTS, VERIFY):
        status, body = await gql(api, query, token=caller)
        assert status == 403 and body["data"] is None, body
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    status, body = await gql(api, VERIFY, token=token("auditor"))
    assert status == 403 and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_the_chain_holds_and_verify_checks_every_event(api, token, logged_reads):
    data, _ = await ask(api, VERIFY, token=token("hmis_admin"))
    assert data["verifyAuditLog"] == {"ok": True, "checked": 6, "firstBrokenId": None,
                                      "message": None}  # fmt: skip
    data, _ = await ask(api, AUDIT_EVENTS, token=token("hmis_admin"))
    nodes = [e["node"] for e in reversed(data["auditEvents"]["edges"])]
    assert nodes[0]["prevHash"] == "0" * 64
    assert [n["prevHash"] for n in nodes[1:]] == [n["hash"] for n in nodes[:-1]]


async def test_concurrent_requests_extend_one_chain(api, token, sessions, world):
    await people.fully_recorded_client(sessions, world)
    query = "{ clients { edges { node { identity { lastName } } } } }"
    callers = [token("agency_staff", org=world.outreach.id, sub=f"s{i}") for i in range(8)]
    replies = await asyncio.gather(*(gql(api, query, token=c) for c in callers))
    assert all(status == 200 and "errors" not in body for status, body in replies)
    data, _ = await ask(api, VERIFY, token=token("hmis_admin"))
    assert data["verifyAuditLog"]["ok"] and data["verifyAuditLog"]["checked"] == 8


async def test_editing_or_deleting_an_event_is_rejected_on_postgresql(engine, logged_reads):
    if engine.dialect.name != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's; on SQLite the chain shows edits")
    await audit.seal(engine, wait=True)
    for statement in (
        "UPDATE audit_events SET groups = '[]'",
        "DELETE FROM audit_events",
        "UPDATE audit_links SET hash = repeat('b', 64)",
        "UPDATE audit_links SET seal = seal + 100",
        "DELETE FROM audit_links",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            async with engine.begin() as connection:
                await connection.execute(text(statement))
    async with engine.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM audit_events")) == 6
        assert await connection.scalar(text("SELECT count(*) FROM audit_links")) == 6


async def test_links_show_in_the_log_once_sealed(api, token, sessions, engine, logged_reads):
    await audit.seal(engine, wait=True)
    async with sessions() as s:
        page, total = await audit.events_page(s, filter=audit.EventFilter(), before=None, limit=9)
        links = dict(
            (await s.execute(select(models.AuditLink.event_id, models.AuditLink.hash))).all()
        )
    assert total == 6 and len(links) == 6
    assert all(link is not None and link.hash == links[event.id] for event, link in page)
    assert all(HEX.match(link.hash) and HEX.match(link.prev_hash) for _, link in page)


@pytest.mark.parametrize(
    "tamper", ["edit", "delete", "delete-last", "edit-link", "relink", "unlink", "insert"]
)
async def test_verify_finds_what_was_changed_behind_its_back(
    api, token, sessions, engine, logged_reads, tamper
):
    await audit.seal(engine, wait=True)  # tampering with sealed events (the seconds before
    # sealing are covered by the append-only triggers on PostgreSQL)
    second, third = [e.id for e in await events(sessions)][1:3]
    last = (await events(sessions))[-1].id
    table, statement = {
        "edit": ("audit_events", f"UPDATE audit_events SET groups = '[]' WHERE id = {second}"),
        "delete": ("audit_events", f"DELETE FROM audit_events WHERE id = {second}"),
        "delete-last": ("audit_events", f"DELETE FROM audit_events WHERE id = {last}"),
        "edit-link": ("audit_links", "UPDATE audit_links SET hash = "
                      f"'{'b' * 64}' WHERE event_id = {second}"),
        "relink": ("audit_links", "UPDATE audit_links SET prev_hash = "
                   f"'{'b' * 64}' WHERE event_id = {second}"),
        "unlink": ("audit_links", f"DELETE FROM audit_links WHERE event_id = {second}"),
        # An event that bypassed the append: neither chained nor queued.
        "insert": (None, "INSERT INTO audit_events (at, actor_subject, roles, action, groups) "
                   "SELECT at, actor_subject, roles, action, groups FROM audit_events "
                   f"WHERE id = {second}"),
    }[tamper]  # fmt: skip
    async with engine.begin() as connection:
        postgres = engine.dialect.name == "postgresql" and table
        if postgres:  # as the table's owner could, around the trigger
            await connection.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        await connection.execute(text(statement))
        if postgres:
            await connection.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))
    data, _ = await ask(api, VERIFY, token=token("hmis_admin"))
    found = data["verifyAuditLog"]
    assert found["ok"] is False
    expected = {"edit": (str(second), 1, "edited"), "delete": (str(third), 1, "removed"),
                "delete-last": (None, 5, "removed"), "edit-link": (str(second), 1, "edited"),
                "relink": (str(second), 1, "removed"), "unlink": (str(third), 1, "removed"),
                "insert": (None, 6, "neither in the chain")}[tamper]  # fmt: skip
    assert (found["firstBrokenId"], found["checked"]) == expected[:2]
    assert expected[2] in found["message"]


async def test_what_cannot_be_audited_is_neither_returned_nor_written(
    api, token, sessions, engine, world
):
    ada = await people.fully_recorded_client(sessions, world)
    admin = token("hmis_admin")
    async with engine.begin() as connection:  # the log is gone: appends fail
        await connection.execute(text("ALTER TABLE audit_events RENAME TO audit_events_away"))
    try:
        read = await post_graphql(api, "query($id: ID!) { client(id: $id) { identity { "
                                  "lastName } } }", {"id": str(ada.id)}, token=admin)  # fmt: skip
        _, written = await gql(api, """mutation($input: UpdateClientInput!) {
            updateClient(input: $input) { client { id } } }""",
                               {"input": {"id": str(ada.id), "lastName": "King"}},
                               token=admin)  # fmt: skip
    finally:
        async with engine.begin() as connection:
            await connection.execute(text("ALTER TABLE audit_events_away RENAME TO audit_events"))
    assert read.status_code == 500 and "Lovelace" not in read.text
    body = read.json()
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "AUDIT_UNAVAILABLE"
    # The write's events go in its own transaction: no events, no write.
    assert written["data"] is None and written["errors"][0]["message"] == "Internal error."
    async with sessions() as s:
        assert (await s.get(models.Client, ada.id)).last_name == "Lovelace"
    assert await events(sessions) == []


async def test_the_benchmark_switch_turns_event_writing_off(
    database_url, issuer, token, sessions, world, tmp_path
):
    await people.fully_recorded_client(sessions, world)
    async with serve(database_url, issuer, unsafe_disable_audit=True, env="development",
                     dev_key_dir=tmp_path) as api:  # fmt: skip
        data, _ = await ask(api, CLIENTS, token=token("hmis_admin"))
    assert len(data["clients"]["edges"]) == 1 and await events(sessions) == []


async def test_production_refuses_to_start_with_the_audit_log_off(database_url, issuer):
    environ = {**os.environ, "HMIS_ENV": "production", "HMIS_DATABASE_URL": database_url,
               "HMIS_OIDC_ISSUER": issuer.url, "HMIS_PSEUDONYM_KEY": "a-production-secret",
               "HMIS_UNSAFE_DISABLE_AUDIT": "1"}  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hmis.cli", "serve", "--port", "18231", env=environ,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        _out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    except TimeoutError:  # it started serving: stop it, and fail
        process.terminate()
        await process.wait()
        pytest.fail("the server started with HMIS_UNSAFE_DISABLE_AUDIT=1 in production")
    assert process.returncode == 1
    assert "HMIS_UNSAFE_DISABLE_AUDIT" in err.decode() and "Traceback" not in err.decode()
