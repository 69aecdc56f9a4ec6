"""Appending to the access log: a request's events inserted in its own transaction, unsealed,
and queued for the sealer (`hmis.db.audit_chain`) in one statement on PostgreSQL; on SQLite,
which has one writer, sealed as they are inserted. docs/audit-chain.md.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from . import models
from .audit_hash import cached_render, event_hash

# The events and their places in the sealer's queue, in one statement: a committed event is
# always queued (`verify` counts on it). The batch is two JSON parameters: who acted (`whos`,
# the same for every event of a request) once, and per event its client, action, groups and
# which `whos` it is. As arrays (one per column) the driver checked each of a page's thousand
# values for being a nested array, a millisecond of a worker's time per page; with who acted
# repeated in every event, the database parsed three times the JSON (0.3 ms of 2.7 a page).
_PG_APPEND = text(
    """
WITH appended AS (
    INSERT INTO audit_events (at, actor_subject, actor_client_id, organization_id, roles,
                              client_id, action, groups, purpose, request_id, operation_name)
    SELECT statement_timestamp(), w.actor_subject, w.actor_client_id, w.organization_id,
           w.roles, e.client_id, e.action, e.groups, w.purpose, w.request_id, w.operation_name
    FROM ROWS FROM (json_to_recordset(CAST(:events AS json))
                    AS (w bigint, client_id uuid, action text, groups json))
         WITH ORDINALITY AS e(w, client_id, action, groups, n)
    JOIN ROWS FROM (json_to_recordset(CAST(:whos AS json))
                    AS (actor_subject text, actor_client_id text, organization_id uuid,
                        roles json, purpose text, request_id text, operation_name text))
         WITH ORDINALITY AS w(actor_subject, actor_client_id, organization_id, roles, purpose,
                              request_id, operation_name, i) ON w.i = e.w
    ORDER BY e.n
    RETURNING id
)
INSERT INTO audit_pending (event_id) SELECT id FROM appended
"""
)
# Who acted: the columns an event shares with the others of its request.
WHO = ("actor_subject", "actor_client_id", "organization_id", "roles", "purpose", "request_id",
       "operation_name")  # fmt: skip


def _split(events: list[dict[str, Any]]) -> tuple[list[dict], list[dict]]:
    """`_PG_APPEND`'s parameters: each distinct who once, and the events referring to them
    (`w`, counted from 1 as `WITH ORDINALITY`)."""
    whos: dict[tuple, int] = {}
    own, last, w = [], None, 0
    for one in events:
        values = _who(one)
        if values != last:  # a request's events follow each other
            key = tuple(tuple(v) if v.__class__ is list else v for v in values)
            w = whos.setdefault(key, len(whos) + 1)
            last = values
        own.append({"w": w, "client_id": one["client_id"], "action": one["action"],
                    "groups": one["groups"]})  # fmt: skip
    return [dict(zip(WHO, key, strict=True)) for key in whos], own


_who = itemgetter(*WHO)


def _uuid_text(value: Any) -> str:
    """The JSON of an ID orjson does not know: the driver's own UUID class (a subclass)."""
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"not an audit event value: {type(value).__name__}")


# Bound parameters per INSERT stay under SQLite's limit (32,766).
ROWS_PER_STATEMENT = 2000


async def append(session: AsyncSession, events: list[dict[str, Any]]) -> None:
    """Insert events (their columns but `at`) in the session's transaction, unsealed, and queue
    them. Nothing shared is locked (PostgreSQL): the sealer chains them once committed. On
    SQLite they are sealed as they are inserted (`_append_sealed`)."""
    if not events:
        return
    if session.bind.dialect.name == "postgresql":
        whos, own = _split(events)
        batch = {
            "whos": orjson.dumps(whos, default=_uuid_text).decode(),
            "events": orjson.dumps(own, default=_uuid_text).decode(),
        }
        # On the session's connection, in its transaction (no ORM step around a statement
        # of text; our sessions do not autoflush).
        connection = await session.connection()
        inserted = (await connection.execute(_PG_APPEND, batch)).rowcount
        if inserted != len(events):
            raise RuntimeError(f"audit log: {inserted} of {len(events)} events appended")
        session.info["hmis_audit_unsealed"] = True  # `_wake_sealer` once committed
        return
    await _append_sealed(session, events)


async def _append_sealed(session: AsyncSession, events: list[dict[str, Any]]) -> None:
    """SQLite: the UPDATE of the head takes the write lock before it reads it, so no other
    writer appends between; the events go in with their links. Their ids are given here (the
    next after the last, as SQLite would), so the links need no RETURNING, which SQLAlchemy
    runs row by row when the order of the rows must be kept."""
    chain, table = models.AuditChain.__table__, models.AuditEvent.__table__
    last_id = select(func.coalesce(func.max(table.c.id), 0)).scalar_subquery()
    head = (
        await session.execute(
            update(chain)
            .where(chain.c.id == 1)
            .values(head_hash=chain.c.head_hash)
            .returning(chain.c.head_hash, chain.c.head_seal, last_id)
        )
    ).one_or_none()
    if head is None:  # never leave events unchained behind a missing head
        raise RuntimeError("audit chain: the head row is missing")
    head_hash, seal, event_id = head
    at, render, rows, links = datetime.now(UTC), cached_render(), [], []
    for one in events:
        seal += 1
        event_id += 1
        row = {**one, "id": event_id, "at": at}
        rows.append(row)
        link = {"seal": seal, "event_id": event_id, "prev_hash": head_hash}
        link["hash"] = head_hash = event_hash({**row, "prev_hash": head_hash}, render)
        links.append(link)
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        await session.execute(table.insert(), rows[start : start + ROWS_PER_STATEMENT])
    for start in range(0, len(links), ROWS_PER_STATEMENT):
        await session.execute(
            models.AuditLink.__table__.insert(), links[start : start + ROWS_PER_STATEMENT]
        )
    await session.execute(
        update(chain)
        .where(chain.c.id == 1)
        .values(head_hash=head_hash, head_seal=seal, sealed_through=at)
    )
