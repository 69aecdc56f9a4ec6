"""SQL statements per request must not grow with page size (N+1 guard)."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select

from hmis.db import as_of, audit_chain, models, refusals
from hmis.db.history import Writer
from hmis.seed.build import unsafe_bulk_seed

from .support import gql

EVERY_GROUP = """
query($first: Int) { clients(first: $first) { totalCount edges { node {
  id
  identity { firstName lastName ssn dob }
  demographics { race gender veteranStatus }
  enrollments { totalCount edges { node { entryDate exitDate destination
      project { name organization { name } } household { householdId } } } }
  caseManager { firstName phone organization { name } }
  contact { phone }
  health { disablingCondition disabilities { disabilityType } }
  income { totalMonthlyIncome }
  domesticViolence { survivor }
  caseNotes { text }
  access { group visible }
} } } }
"""


@contextmanager
def statements_of(app):
    """Collect the SQL statements the app's engine runs inside the block."""
    counted: list[str] = []

    def before(_conn, _cursor, statement, *_args):
        counted.append(statement)

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield counted
    finally:
        event.remove(engine, "before_cursor_execute", before)


@pytest.fixture
async def seeded(engine):
    await unsafe_bulk_seed(engine, clients=250, seed=7)


@pytest.mark.parametrize("role", ["agency_staff", "hmis_admin"])
async def test_statements_do_not_grow_with_page_size(
    app, api, token, sessions, seeded, role, monkeypatch
):
    # The background sealer's statements (PostgreSQL) are not the request's: off here.
    monkeypatch.setattr(audit_chain._Sealer, "wake", lambda _self: None)
    async with sessions() as s, s.begin():
        orgs = await s.scalars(select(models.Organization.id).order_by(models.Organization.name))
        org_id = orgs.first()
        # Every page then holds a refused client, so each also takes the as-of path.
        first_client = await s.scalar(select(models.Client.id).order_by(models.Client.id))
        await refusals.record_refusal(s, Writer("admin", None), client_id=first_client)
    caller = token(role, org=org_id if role == "agency_staff" else None)
    # The first request also looks up the caller's organization (then cached for a minute).
    await gql(api, EVERY_GROUP, {"first": 1}, token=caller)
    counts = {}
    for first in (10, 100, 200):
        with statements_of(app) as statements:
            status, body = await gql(api, EVERY_GROUP, {"first": first}, token=caller)
        assert status == 200 and "errors" not in body, body
        assert len(body["data"]["clients"]["edges"]) == first
        counts[first] = len(statements)
        # The audit log adds one statement on PostgreSQL (insert the page's events and queue
        # them: the sealer chains them later, on its own connection), four on SQLite (lock the
        # chain's head, insert the events, their links, move the head).
        audit = [s for s in statements if "audit_" in s]
        assert len(audit) == (1 if app.state.engine.dialect.name == "postgresql" else 4), audit
        assert any("INSERT INTO audit_events" in s for s in audit), audit
        # A partner's decisions need each client's refusal: read by the page's own statement
        # (`reads.earliest_refusal`), not by one more.
        refusal_reads = [s for s in statements if "refusal_coverage" in s]
        page = [s for s in refusal_reads if "FROM clients" in s and "LIMIT" in s]
        assert len(page) == (1 if role == "agency_staff" else 0), refusal_reads
        assert refusal_reads == page, refusal_reads
    assert counts[10] == counts[100] == counts[200], counts
    assert counts[10] <= 12 + len(audit), counts


async def test_an_as_of_read_of_many_refused_clients_binds_no_value_per_client_pair(
    engine, sessions
):
    """A partner's search folds the profiles of every refused client changed since their
    refusal (thousands in a large CoC): on SQLite the per-client cutoffs were a CASE of
    every client's ID and time, evaluated for each version read (the square of the clients:
    12,000 clients took 15 s against 1 s). Beyond a page's worth it takes the earliest cutoff
    (a superset, `hmis.db.as_of`); PostgreSQL binds arrays."""
    cutoffs = {uuid.uuid4(): datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=i)
               for i in range(1000)}  # fmt: skip
    seen: list[tuple[str, object]] = []

    def before(_conn, _cursor, statement, parameters, *_args):
        seen.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    try:
        async with sessions() as s:
            found = await as_of.as_of(s, cutoffs=cutoffs, organizations=[uuid.uuid4()],
                                      entities=["clients"], changed_only=True)  # fmt: skip
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", before)
    assert found == {}
    (statement, parameters), *_ = [(st, p) for st, p in seen if "record_versions" in st]
    assert "CASE" not in statement.upper()
    assert len(parameters) <= len(cutoffs) + 20
