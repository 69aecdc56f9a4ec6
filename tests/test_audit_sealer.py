"""The audit append holds no shared lock: requests insert their events unsealed, and one sealer
chains the committed ones in sealing order shortly after. Several `hmis serve` workers append
while another transaction holding an appended event stays open; an event committed late, or
rolled back, leaves the chain whole; `verifyAuditLog` says how far it verified."""

from __future__ import annotations

import asyncio
import os
import sys
import time
import uuid
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from hmis.db import audit, audit_chain, audit_verify, models

from . import people
from .support import AUDIENCE, gql
from .test_request_limits import free_port

VERIFY = "{ verifyAuditLog { ok checked firstBrokenId message verifiedThrough unsealed } }"
PAGE = "{ clients { edges { node { identity { lastName } enrollments { totalCount } } } } }"


def one_event(**changes) -> dict:
    return {
        "actor_subject": "test-actor", "actor_client_id": None, "organization_id": None,
        "roles": ["HMIS_ADMIN"], "client_id": uuid.uuid4(), "action": "view",
        "groups": ["IDENTITY"], "purpose": None, "request_id": "r", "operation_name": None,
        **changes,
    }  # fmt: skip


async def append_open(sessions):
    """A session whose open transaction has appended one event (not committed)."""
    session = sessions()
    await session.begin()
    await audit.append(session, [one_event(actor_subject="held-open")])
    return session


async def unsealed(sessions) -> int:
    async with sessions() as s:
        return await s.scalar(select(func.count()).select_from(models.AuditPending))


async def hold_sealers(monkeypatch) -> None:
    """This process seals only when the test says so: no sealer is woken, and none that an
    earlier test woke is still running (it would seal this test's events behind its back)."""
    monkeypatch.setattr(audit_chain._Sealer, "wake", lambda _self: None)
    await audit_chain.sealer_idle()


@pytest.fixture
async def no_background_sealer(monkeypatch):
    await hold_sealers(monkeypatch)


def postgres_only(engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: its appends seal their own events")


async def test_an_event_committed_late_or_rolled_back_leaves_the_chain_whole(
    sessions, engine, no_background_sealer
):
    postgres_only(engine)
    late = await append_open(sessions)  # takes an id first, commits last
    rolled_back = await append_open(sessions)  # takes an id, never commits: a gap
    async with sessions() as s, s.begin():
        await audit.append(s, [one_event(actor_subject="on-time")])
    # The held transactions' events are not visible: the sealer chains the committed one and
    # waits for nothing.
    assert await audit.seal(engine, wait=True) == 1
    await rolled_back.rollback()
    await rolled_back.close()
    await late.commit()
    await late.close()
    assert await unsealed(sessions) == 1
    async with sessions() as s:
        found = await audit.verify(s)
        e, link = models.AuditEvent, models.AuditLink
        chained = (await s.execute(select(e.actor_subject, e.id).join(link, link.event_id == e.id)
                                   .order_by(link.seal))).all()  # fmt: skip
    assert found.ok and found.checked == 2 and found.unsealed == 0, found
    # The chain is in sealing order: the late event (the lower id) after the on-time one.
    assert [name for name, _ in chained] == ["on-time", "held-open"]
    assert chained[0].id > chained[1].id
    assert found.verified_through <= datetime.now(UTC)


async def test_a_sealer_woken_before_the_sealers_are_held_seals_nothing_after(
    sessions, engine, monkeypatch
):
    """A sealer an earlier test (or request) woke is still sleeping when the next test holds
    the sealers: holding waits for it, so it cannot seal the test's own events later."""
    postgres_only(engine)
    async with sessions() as s, s.begin():
        await audit.append(s, [one_event()])  # wakes this engine's sealer
    await hold_sealers(monkeypatch)
    assert await unsealed(sessions) == 0
    async with sessions() as s, s.begin():
        await audit.append(s, [one_event()])
    await asyncio.sleep(audit_chain.SEAL_DELAY * 2)  # a sleeping sealer would have run by now
    assert await unsealed(sessions) == 1


async def test_no_row_of_the_log_is_updated_nor_an_unsealed_event_dequeued(
    sessions, engine, no_background_sealer
):
    postgres_only(engine)
    e = models.AuditEvent.__table__
    async with sessions() as s, s.begin():
        await audit.append(s, [one_event()])
    await audit.seal(engine, wait=True)
    async with sessions() as s, s.begin():
        await audit.append(s, [one_event()])
        fresh = await s.scalar(select(func.max(e.c.id)))
    sealed = fresh - 1
    for statement in (
        f"UPDATE audit_events SET groups = '[]' WHERE id = {fresh}",  # unsealed
        f"UPDATE audit_events SET groups = '[]' WHERE id = {sealed}",
        f"DELETE FROM audit_events WHERE id = {fresh}",
        f"DELETE FROM audit_events WHERE id = {sealed}",
        f"UPDATE audit_links SET prev_hash = repeat('a', 64) WHERE event_id = {sealed}",
        f"DELETE FROM audit_links WHERE event_id = {sealed}",
        f"UPDATE audit_pending SET event_id = {sealed} WHERE event_id = {fresh}",
        f"DELETE FROM audit_pending WHERE event_id = {fresh}",  # not sealed: stays queued
        "DELETE FROM audit_pending",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            async with engine.begin() as connection:
                await connection.execute(text(statement))
    # Once linked (as the sealer does), an event may leave the queue; rolled back here.
    async with engine.connect() as connection, connection.begin() as transaction:
        link = f"(2, {fresh}, repeat('a', 64), repeat('b', 64))"
        await connection.execute(text(f"INSERT INTO audit_links VALUES {link}"))
        deleted = await connection.execute(
            text(f"DELETE FROM audit_pending WHERE event_id = {fresh}")
        )
        assert deleted.rowcount == 1
        await transaction.rollback()
    async with sessions() as s:
        assert await unsealed(sessions) == 1
        found = await audit.verify(s)
    assert found.ok and found.checked == 2 and found.unsealed == 0, found


async def test_an_unsealed_event_dropped_from_the_queue_fails_verify(
    sessions, engine, no_background_sealer
):
    postgres_only(engine)
    async with sessions() as s, s.begin():
        await audit.append(s, [one_event(), one_event(), one_event()])
    async with engine.begin() as connection:  # as the table's owner could, around the trigger
        await connection.execute(text("ALTER TABLE audit_pending DISABLE TRIGGER USER"))
        await connection.execute(text("DELETE FROM audit_pending WHERE event_id = "
                                      "(SELECT max(event_id) FROM audit_pending)"))  # fmt: skip
        await connection.execute(text("ALTER TABLE audit_pending ENABLE TRIGGER USER"))
    async with sessions() as s:
        found = await audit.verify(s)
    assert not found.ok and found.message == audit_verify.MISSING, found
    assert found.checked == 2 and found.first_broken_id is None and found.unsealed == 0


async def test_sqlite_appends_are_sealed_at_once(sessions, engine, api, token):
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL seals shortly after the commit (tests above)")
    async with sessions() as s, s.begin():
        await audit.append(s, [one_event(), one_event()])
    assert await unsealed(sessions) == 0
    status, body = await gql(api, VERIFY, token=token("hmis_admin"))
    assert status == 200 and body["data"]["verifyAuditLog"]["ok"], body
    assert body["data"]["verifyAuditLog"]["checked"] == 2
    assert body["data"]["verifyAuditLog"]["unsealed"] == 0


async def lock_waits(engine) -> int:
    """Locks someone waits for in this database (pg_locks lists the whole cluster)."""
    async with engine.connect() as connection:
        return await connection.scalar(
            text(
                "SELECT count(*) FROM pg_locks WHERE NOT granted AND database = "
                "(SELECT oid FROM pg_database WHERE datname = current_database())"
            )
        )


async def started_serving(log, port: int, workers: int) -> None:
    """Wait until this server (not another test's on a port just taken) serves on `port`."""
    for _ in range(600):
        text = log.read_text()
        if (
            f"running on http://127.0.0.1:{port}" in text
            and text.count("Application startup complete.") == workers
        ):
            return
        if "error" in text.lower():
            pytest.fail(text)
        await asyncio.sleep(0.05)
    pytest.fail(log.read_text())


async def test_workers_append_without_waiting_on_each_other_and_the_chain_verifies(
    database_url, engine, sessions, issuer, token, tmp_path
):
    postgres_only(engine)
    world = await people.coc(sessions)
    for name in ("Ada", "Bob", "Cy"):
        await people.fully_recorded_client(sessions, world, first_name=name)
    port = free_port()
    env = {**os.environ, "HMIS_DATABASE_URL": database_url, "HMIS_ENV": "production",
           "HMIS_OIDC_ISSUER": issuer.url, "HMIS_OIDC_AUDIENCE": AUDIENCE,
           "HMIS_PSEUDONYM_KEY": "test-pseudonym-key"}  # fmt: skip
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        server = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "hmis.cli", "serve", "--port", str(port), "--workers", "3",
            env=env, stdout=output, stderr=output,
        )  # fmt: skip
    held = await append_open(sessions)  # an appended event whose transaction stays open
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as api:
            await started_serving(log, port, workers=3)
            callers = [token("agency_staff", org=world.outreach.id, sub=f"staff-{i}")
                       for i in range(8)]  # fmt: skip

            async def requests(caller: str) -> list[int]:
                statuses = []
                for _ in range(6):
                    status, body = await gql(api, PAGE, token=caller)
                    assert status == 200 and len(body["data"]["clients"]["edges"]) == 3, (
                        status,
                        body,
                    )
                    statuses.append(status)
                return statuses

            async def watch(done: asyncio.Event) -> int:
                seen = 0
                while not done.is_set():
                    seen = max(seen, await lock_waits(engine))
                    await asyncio.sleep(0.01)
                return seen

            done = asyncio.Event()
            watcher = asyncio.create_task(watch(done))
            started = time.monotonic()
            # Each request appends 3 events; under a chain-head lock they would all wait for
            # the transaction held open above (and time out).
            replies = await asyncio.wait_for(asyncio.gather(*map(requests, callers)), 60)
            elapsed = time.monotonic() - started
            done.set()
            assert await watcher == 0  # nobody waited on a lock in this database
            assert all(status == 200 for statuses in replies for status in statuses)
            # Sealed within seconds, by the workers, while `held` is still open.
            for _ in range(100):
                if await unsealed(sessions) == 0:
                    break
                await asyncio.sleep(0.1)
            assert await unsealed(sessions) == 0
            held.info.pop("hmis_audit_unsealed")  # sealed below by verify, not this process
            await held.commit()
            status, body = await gql(api, VERIFY, token=token("hmis_admin"))
    finally:
        await held.close()
        server.terminate()
        await asyncio.wait_for(server.wait(), timeout=20)
    found = body["data"]["verifyAuditLog"]
    # 8 callers x 6 requests x 3 clients, and the held event committed last.
    assert found["ok"] and found["checked"] == 8 * 6 * 3 + 1, (found, elapsed)
    assert found["unsealed"] == 0 and found["verifiedThrough"] is not None
    assert log.read_text().count("Started server process") == 3


async def test_a_sealed_event_queued_again_is_reported_not_a_sealer_stopped_for_good(
    sessions, engine, no_background_sealer
):
    """`audit_pending` takes INSERTs from the application's own role (no trigger to get
    around): a sealed event's id queued again must not stop every later seal (its second
    link would break the unique event_id), nor make `verify` fail with an exception instead
    of a report; events appended after it are still sealed."""
    postgres_only(engine)
    async with sessions() as s, s.begin():
        await audit.append(s, [one_event()])
    await audit.seal(engine, wait=True)
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO audit_pending SELECT event_id FROM audit_links"))
    async with sessions() as s, s.begin():
        await audit.append(s, [one_event(actor_subject="after")])
    async with sessions() as s:
        found = await audit.verify(s)
    assert found.checked == 2 and found.unsealed == 0, found


async def vacuums_of_the_queue(engine) -> int:
    count = "SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = 'audit_pending'"
    async with engine.connect() as connection:  # a new transaction: fresh statistics
        return await connection.scalar(text(count))


async def test_the_sealer_vacuums_its_queue_now_and_then(sessions, engine, monkeypatch):
    """Each sealed event leaves a dead row in the queue, which the sealer's scan would walk
    for ever on a server without autovacuum (as this machine's): the sealer vacuums the queue
    at its first run in a process, then after every `VACUUM_EVERY` events it sealed."""
    postgres_only(engine)
    monkeypatch.setattr(audit_chain, "VACUUM_EVERY", 50)
    await audit_chain.sealer_idle()  # an earlier test's sealer, out of sight once replaced
    monkeypatch.setattr(audit_chain, "_SEALERS", type(audit_chain._SEALERS)())  # a new process
    before = await vacuums_of_the_queue(engine)
    for expected in (before + 1, before + 1, before + 2):  # the first run, 30 more, then 60
        async with sessions() as s, s.begin():
            await audit.append(s, [one_event() for _ in range(30)])
        await audit_chain.sealer_idle(engine)
        assert await unsealed(sessions) == 0
        assert await vacuums_of_the_queue(engine) == expected
    async with sessions() as s:
        found = await audit.verify(s)
    assert found.ok and found.checked == 90, found


async def test_one_append_of_events_by_several_actors_keeps_each_ones_own_and_their_order(
    sessions, engine
):
    """The append sends who acted once per distinct actor (`audit_append._split`): events of
    different actors, roles or purposes in one batch each keep their own, in order."""
    e = models.AuditEvent
    clients = [uuid.uuid4() for _ in range(5)]
    who = [{"actor_subject": "ann", "roles": ["agency_staff"]},
           {"actor_subject": "bob", "roles": ["auditor"], "purpose": "AUDIT"},
           {"actor_subject": "ann", "roles": ["agency_staff"]},
           {"actor_subject": "ann", "roles": ["agency_staff", "client"]},
           {"actor_subject": "ann", "roles": ["agency_staff"], "request_id": "r2"}]  # fmt: skip
    async with sessions() as s, s.begin():
        await audit.append(
            s, [one_event(client_id=c, **w) for c, w in zip(clients, who, strict=True)]
        )
    async with sessions() as s:
        rows = (await s.execute(select(e.client_id, e.actor_subject, e.roles, e.purpose,
                                       e.request_id).order_by(e.id))).all()  # fmt: skip
    assert [tuple(r) for r in rows] == [
        (c, w["actor_subject"], w["roles"], w.get("purpose"), w.get("request_id", "r"))
        for c, w in zip(clients, who, strict=True)
    ]
    await audit.seal(engine, wait=True)
    async with sessions() as s:
        found = await audit.verify(s)
    assert found.ok and found.checked == 5, found


async def test_a_vacuum_the_role_may_not_run_is_logged_not_silently_skipped(engine, caplog):
    """docs/audit-chain.md: a role that does not own the queue "gets PostgreSQL's warning and
    the queue is left to autovacuum". PostgreSQL sends that warning to the client as a notice,
    which the driver drops unless someone listens: the sealer must say the queue was not
    vacuumed, or nobody running the application as a non-owner role ever learns it."""
    postgres_only(engine)
    role = f"hmis_review_{uuid.uuid4().hex[:8]}"
    async with engine.begin() as connection:
        await connection.execute(text(f"CREATE ROLE {role} LOGIN"))
        await connection.execute(text(f"GRANT USAGE ON SCHEMA public TO {role}"))
        await connection.execute(text(f"GRANT SELECT, INSERT, DELETE ON audit_pending TO {role}"))
    other = create_async_engine(engine.url.set(username=role, password=None))
    try:
        with caplog.at_level("WARNING", logger=audit_chain.log.name):
            await audit_chain.vacuum_queue(other)
    finally:
        await other.dispose()
        async with engine.begin() as connection:
            await connection.execute(text(f"DROP OWNED BY {role}"))
            await connection.execute(text(f"DROP ROLE {role}"))
    assert any("vacuum" in r.getMessage() for r in caplog.records), caplog.records
