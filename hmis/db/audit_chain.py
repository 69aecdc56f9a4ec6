"""The access log's hash chain: events appended with no link, then sealed in order by one
sealer. Appending: `hmis.db.audit_append`; verifying the chain: `hmis.db.audit_verify`.

A request inserts its events, and queues their ids in `audit_pending`, in its own transaction
with no link to any other event, so appenders share no row and no lock: many workers (and
hosts) append without waiting on each other, and a reply leaves once its events are committed.
Shortly after (`SEAL_DELAY`), one sealer at a time (a PostgreSQL advisory lock, tried by
whichever worker appended) takes the queued committed events in `id` order and chains them
onto the head: it inserts each one's link into `audit_links` (`seal` 1, 2, 3..., `prev_hash`
the hash before, `hash` SHA-256 over the event's canonical JSON) and takes it off the queue.
The chain is in sealing order, so an event whose transaction commits late (its `id` below one
already sealed) or never (a rolled back `id` is a gap in the ids, never in `seal`) needs no
waiting: it is sealed by the next run, or is not an event.

No row of the log is ever updated: sealing used to UPDATE each event's wide row, rewriting it
and its seven index entries and leaving a dead tuple (migration 0008_i16b). Only the queue's
narrow rows are deleted, once their link exists.

On SQLite (one writer at a time) the append inserts its events' links in its own transaction.

Events carry IDs, element group names, roles and codes: never a value of client data. Each
event's `hash` is SHA-256 over a canonical JSON of its content columns (all but `id`) and
`prev_hash` (`hmis.db.audit_hash`), so editing, removing or reordering a sealed event breaks
the chain. On PostgreSQL triggers reject every UPDATE and DELETE of `audit_events` and
`audit_links`, and the DELETE of a queued event that has no link (migration 0008_i16b).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from json import loads
from typing import Any

from sqlalchemy import JSON, Text, cast, event, func, null, select, text, true, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.orm import Session

from . import models
from .audit_hash import ORDERED, cached_render, hash_ordered

log = logging.getLogger(__name__)

# Events sealed per statement; a run seals everything committed, in batches.
SEAL_BATCH = 5000
# A worker seals this long after its last append: the events of the requests meanwhile (of
# every worker) are chained in one transaction.
SEAL_DELAY = 0.25
# The advisory lock of the sealer (any bigint no other lock of the database uses).
SEALER_LOCK = 0x686D69735F736561  # "hmis_sea"
# The execution option that marks the sealer's connection.
SEALER_OPTION = "hmis_audit_sealer"
# A process's sealer vacuums the queue after sealing this many events (`vacuum_queue`).
VACUUM_EVERY = 20_000


# --- sealing ----------------------------------------------------------------------------------

# A batch's links in, and the same events off the queue, in one statement (the queue's
# trigger, at its end, lets a queued event go only once its link exists). The ids are looked
# up in the queue's primary key: a join could scan the queue's dead rows.
_PG_SEAL = text(
    """
WITH linked AS (
    INSERT INTO audit_links (seal, event_id, prev_hash, hash)
    SELECT * FROM unnest(CAST(:seals AS bigint[]), CAST(:ids AS bigint[]),
                         CAST(:prevs AS text[]), CAST(:hashes AS text[]))
)
DELETE FROM audit_pending WHERE event_id = ANY (CAST(:ids AS bigint[]))
"""
)


async def seal(engine: AsyncEngine, *, wait: bool = False) -> int | None:
    """Chain every committed queued event, in its own transaction; the number sealed, or
    None when another sealer holds the lock (`wait` waits for it instead)."""
    if engine.dialect.name != "postgresql":
        return 0  # SQLite's appends seal their own events
    try:
        return await _locked(engine, wait, _seal)
    except IntegrityError as error:
        if "uq_audit_links_event_id" not in str(error.orig):
            raise
    # A sealed event queued again (the queue takes INSERTs from the application's role; an
    # append queues only new ids): its second link broke the unique index, and would at every
    # run. Its link stands: off the queue with it, then seal the rest.
    log.warning("audit log: sealed events were queued again; taken off the queue")
    await _locked(engine, True, lambda connection: connection.execute(_DEQUEUE_LINKED))
    return await _locked(engine, wait, _seal)


_DEQUEUE_LINKED = text(
    "DELETE FROM audit_pending AS p "
    "WHERE EXISTS (SELECT 1 FROM audit_links AS l WHERE l.event_id = p.event_id)"
)


async def _locked(engine: AsyncEngine, wait: bool, work) -> Any:
    """`work(connection)` in a transaction holding the sealer's lock (None: not taken)."""
    async with engine.connect() as connection, connection.begin():
        # Marked, so counts of a request's statements can leave the sealer's out (bench/).
        await connection.execution_options(**{SEALER_OPTION: True})
        lock = "pg_advisory_xact_lock" if wait else "pg_try_advisory_xact_lock"
        locked = await connection.scalar(text(f"SELECT {lock}(:key)::text"), {"key": SEALER_LOCK})
        if locked == "false":
            return None
        return await work(connection)


async def _seal(connection) -> int:
    """Chain the queued events `connection` sees onto the head, which it locks."""
    chain, e = models.AuditChain.__table__, models.AuditEvent.__table__
    queue = models.AuditPending.__table__
    # The database's time, before the events are read: all committed by then are among them.
    now = func.statement_timestamp()
    head = (
        await connection.execute(
            select(chain.c.head_hash, chain.c.head_seal, now)
            .where(chain.c.id == 1)
            .with_for_update()
        )
    ).one_or_none()
    if head is None:
        raise RuntimeError("audit chain: the head row is missing")
    head_hash, head_seal, now = head
    render, sealed = cached_render(), 0
    # JSON values (roles, groups) come as their text, parsed once per distinct text: a
    # batch's events share a few (the driver parsed each one, 2 of 3 µs an event's decoding).
    json_columns = {c for c in ORDERED if c in e.c and isinstance(e.c[c].type, JSON)}
    # Each row: its id, then its hashed values in canonical order, `prev_hash` left null.
    columns = [e.c.id, *(null() if c == "prev_hash" else cast(e.c[c], Text) if c in json_columns
                         else e.c[c] for c in ORDERED)]  # fmt: skip
    at_prev = 1 + ORDERED.index("prev_hash")
    at_json = [1 + ORDERED.index(c) for c in json_columns]
    parsed: dict[str, Any] = {}
    # The next queued ids, then each one's event by its primary key: a LATERAL subquery with a
    # LIMIT is never flattened into a join, which the planner could make a hash join over the
    # whole log when its estimate of the (short, churning) queue is stale.
    batch = select(queue.c.event_id).order_by(queue.c.event_id).limit(SEAL_BATCH).subquery()
    event = select(*columns).where(e.c.id == batch.c.event_id).limit(1).lateral()
    read = select(event).select_from(batch).join(event, true()).order_by(batch.c.event_id)
    while True:
        rows = (await connection.execute(read)).all()
        if not rows:
            break
        ids, seals, prevs, hashes = [], [], [], []
        for row in rows:
            values = list(row)
            values[at_prev] = head_hash
            for i in at_json:  # never null: the columns are NOT NULL lists
                found = parsed.get(values[i])
                if found is None:
                    found = parsed[values[i]] = loads(values[i])
                values[i] = found
            head_seal += 1
            ids.append(values[0])
            seals.append(head_seal)
            prevs.append(head_hash)
            head_hash = hash_ordered(values[1:], render)
            hashes.append(head_hash)
        links = {"ids": ids, "seals": seals, "prevs": prevs, "hashes": hashes}
        dequeued = (await connection.execute(_PG_SEAL, links)).rowcount
        if dequeued != len(rows):  # links are never left beside a queued event
            raise RuntimeError(f"audit log: {dequeued} of {len(rows)} sealed events dequeued")
        sealed += len(rows)
        if len(rows) < SEAL_BATCH:
            break
    await connection.execute(
        update(chain)
        .where(chain.c.id == 1)
        .values(head_hash=head_hash, head_seal=head_seal, sealed_through=now)
    )
    return sealed


class _Sealer:
    """One per engine and process: seals `SEAL_DELAY` after this process's appends commit,
    until a run of its own found the lock free (another worker's run may have begun before
    the last append committed). It connects on a pool of its own (one connection, closed
    when it goes idle): it never takes a connection requests wait for."""

    def __init__(self, engine: Engine) -> None:
        self.engine = weakref.ref(engine)
        self.due = False
        self.task: asyncio.Task | None = None
        self.unvacuumed = VACUUM_EVERY  # the first run vacuums: what earlier runs left

    def wake(self) -> None:
        self.due = True
        loop = asyncio.get_running_loop()
        if self.task is None or self.task.done() or self.task.get_loop() is not loop:
            self.task = loop.create_task(self._run())

    async def _run(self) -> None:
        delay, own = SEAL_DELAY, None
        try:
            while self.due:
                await asyncio.sleep(delay)
                engine = self.engine()
                if engine is None:
                    return
                own = own or create_async_engine(engine.url, pool_size=1, max_overflow=0)
                del engine
                self.due = False
                try:
                    sealed = await seal(own)
                    delay = SEAL_DELAY
                except Exception as error:  # the kind only; retried, and `verify` seals too
                    log.warning("audit log: sealing failed (%s), retrying", type(error).__name__)
                    sealed, delay = None, min(delay * 2, 10.0)
                if sealed is None:
                    self.due = True
                else:
                    await self._vacuum_now_and_then(own, sealed)
        finally:
            if own is not None:
                await asyncio.shield(own.dispose())

    async def _vacuum_now_and_then(self, engine: AsyncEngine, sealed: int) -> None:
        self.unvacuumed += sealed
        if self.unvacuumed < VACUUM_EVERY:
            return
        self.unvacuumed = 0
        try:
            await vacuum_queue(engine)
        except Exception as error:  # sealing goes on; tried again VACUUM_EVERY later
            log.warning("audit log: vacuum of the queue failed (%s)", type(error).__name__)


async def vacuum_queue(engine: AsyncEngine) -> None:
    """VACUUM `audit_pending`. Each sealed event leaves a dead row in the queue, and the
    sealer's scan of the queue's index in id order walks every one not yet vacuumed: on a
    server with autovacuum off (or lagging behind), 1.8 million of them added 12 ms to every
    run's read. Vacuumed by the sealer now and then, the queue stays a few pages. A role that
    does not own the table gets a warning from PostgreSQL, and nothing is done: the warning
    comes as a notice, which the driver drops unless listened to, so it is logged here."""
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT", **{SEALER_OPTION: True})
        driver = (await connection.get_raw_connection()).driver_connection
        notices: list = []

        def listen(_connection, message) -> None:
            notices.append(message)

        listening = hasattr(driver, "add_log_listener")  # asyncpg
        if listening:
            driver.add_log_listener(listen)
        try:
            # Without truncating the emptied end of the table: that takes a lock every
            # append would wait behind (the space is reused by the next appends anyway).
            await connection.execute(text("VACUUM (TRUNCATE false) audit_pending"))
            await asyncio.sleep(0)  # the driver hands notices on with `call_soon`
        finally:
            if listening:
                driver.remove_log_listener(listen)
    for notice in notices:  # `severity_en` is never translated (lc_messages)
        if (getattr(notice, "severity_en", None) or notice.severity) == "WARNING":
            log.warning("audit log: the queue was not vacuumed (%s)", notice.message)


async def seal_before_exit(engine: AsyncEngine) -> None:
    """Seal what this process appended before it ends (a CLI run, a stopping worker): its
    background sealer dies with it. A failure is logged; the next run, or `verify`, seals."""
    try:
        await seal(engine, wait=True)
    except Exception as error:
        log.warning("audit log: sealing at exit failed (%s)", type(error).__name__)


_SEALERS: weakref.WeakKeyDictionary[Engine, _Sealer] = weakref.WeakKeyDictionary()


async def sealer_idle(engine: AsyncEngine | None = None) -> None:
    """Wait until this process's background sealer of `engine` (of every engine, by default)
    has nothing left to run: a measurement of memory between requests must not catch a batch
    in flight, and a test that seals by hand must not meet a sealer an earlier test woke."""
    if engine is None:
        sealers = list(_SEALERS.values())
    else:
        sealers = [s for s in (_SEALERS.get(engine.sync_engine),) if s is not None]
    for sealer in sealers:
        while sealer.task is not None and not sealer.task.done():
            await asyncio.shield(sealer.task)


@event.listens_for(Session, "after_commit")
def _wake_sealer(session: Session) -> None:
    if not session.info.pop("hmis_audit_unsealed", False):
        return
    engine = session.get_bind()
    try:
        sealer = _SEALERS.get(engine) or _SEALERS.setdefault(engine, _Sealer(engine))
        sealer.wake()
    except RuntimeError:  # no event loop (a synchronous caller): the next run or verify seals
        pass


@event.listens_for(Session, "after_rollback")
def _forget_unsealed(session: Session) -> None:
    session.info.pop("hmis_audit_unsealed", None)
