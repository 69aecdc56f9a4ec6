"""The access log at the data layer: what a transaction wrote (noted by the write path), the
hash chain (appended one batch at a time, verified link by link), and reading events back.

Events carry IDs, element group names, roles and codes: never a value of client data. Each
event's `hash` is SHA-256 over a canonical JSON of its columns (all but `id` and `hash`),
`prev_hash` included, so editing, removing or reordering an event breaks the chain.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from hmis.groups import ElementGroup

from . import models
from .models.audit import GENESIS_HASH, AuditAction

HASHED_COLUMNS = (
    "at",
    "actor_subject",
    "actor_client_id",
    "organization_id",
    "roles",
    "client_id",
    "action",
    "groups",
    "purpose",
    "request_id",
    "operation_name",
    "prev_hash",
)
# Bound parameters per INSERT stay under both databases' limits (32,766 on SQLite).
ROWS_PER_STATEMENT = 2000


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


# An event's canonical JSON is its hashed columns with sorted keys, compact. `at` (an ISO time)
# and `prev_hash` (hex) are plain ASCII strings in it, so it can be cut around their values
# into three pieces: hash = sha256(first + at + second + prev_hash + rest). PostgreSQL splices
# the time and the previous hash in as it chains a batch (`_append_postgres`).
_SPLICED = ("at", "prev_hash")
# Each hashed column with the text before its value: `{"action":`, `,"actor_client_id":`...
_LAYOUT = [(column, ("," if i else "{") + f'"{column}":')
           for i, column in enumerate(sorted(HASHED_COLUMNS))]  # fmt: skip


def _render(value: Any) -> str:
    if isinstance(value, uuid.UUID):  # most of a batch's values: rendered without json
        return f'"{value}"'
    return json.dumps(_canonical(value), ensure_ascii=False, separators=(",", ":"))


def _pieces(values: dict[str, Any], render=_render) -> tuple[str, str, str]:
    pieces, parts = [], []
    for column, key in _LAYOUT:
        if column in _SPLICED:
            pieces.append("".join((*parts, key, '"')))
            parts = ['"']
        else:
            parts += (key, render(values[column]))
    first, second = pieces
    return first, second, "".join((*parts, "}"))


def event_hash(values: dict[str, Any]) -> str:
    """The hash of one event from its column values (`prev_hash` included)."""
    first, second, rest = _pieces(values)
    text = first + _canonical(values["at"]) + second + values["prev_hash"] + rest
    return hashlib.sha256(text.encode()).hexdigest()


_NOTICE_ORDER = {group: i for i, group in enumerate(ElementGroup)}


def group_names(groups: Iterable[ElementGroup]) -> list[str]:
    """Element groups in the notice's order, as stored."""
    return [g.value for g in sorted(set(groups), key=_NOTICE_ORDER.__getitem__)]


# --- writes noted by the write path -----------------------------------------------------------

Written = dict[tuple[uuid.UUID, AuditAction], set[ElementGroup]]


def note_write(
    session: AsyncSession,
    client_id: uuid.UUID,
    action: AuditAction,
    groups: Iterable[ElementGroup] = (),
) -> None:
    """Remember, for this transaction, that it did `action` to these groups of a client.
    The request turns the notes into events inside the same transaction (`take_writes`)."""
    transaction = session.sync_session.get_transaction()
    notes = session.info.get("hmis_audit_writes")
    if notes is None or notes[0] is not transaction:
        notes = session.info["hmis_audit_writes"] = (transaction, defaultdict(set))
    notes[1][(client_id, action)].update(groups)


def take_writes(session: AsyncSession) -> Written:
    """The notes of the session's current transaction, once (notes of an earlier, rolled back
    transaction are dropped)."""
    notes = session.info.pop("hmis_audit_writes", None)
    if notes is None or notes[0] is not session.sync_session.get_transaction():
        return {}
    return dict(notes[1])


# --- the chain --------------------------------------------------------------------------------


async def append(session: AsyncSession, events: list[dict[str, Any]]) -> None:
    """Append events (their columns but `at`, `prev_hash`, `hash`) to the chain, in order, in
    the session's transaction. The chain's head is locked until the transaction ends, so
    appends are serialized; `at` is the database's time after that wait, so times rise along
    the chain. A trigger made by the migrations advances the head to the last inserted hash.
    """
    if not events:
        return
    if session.bind.dialect.name == "postgresql":
        await _append_postgres(session, events)
    else:
        await _append_sqlite(session, events)


# PostgreSQL: one statement locks the head, chains the batch's hashes from it (the pieces of
# each event's canonical JSON come as arrays; the time and each previous hash are spliced in)
# and inserts the events in order. Two round trips and the hashing fewer than lock, hash in
# Python, insert: for a page of 100 events that was most of what auditing cost (bench/).
_PG_ARRAYS = {
    "actor_subject": "text", "actor_client_id": "text", "organization_id": "uuid",
    "roles": "text", "client_id": "uuid", "action": "text", "groups": "text",
    "purpose": "text", "request_id": "text", "operation_name": "text",
    "first": "text", "second": "text", "rest": "text",
}  # fmt: skip
_PG_APPEND = text(
    """
WITH RECURSIVE head AS (
    SELECT head_hash, clock_timestamp() AS at FROM audit_chain WHERE id = 1 FOR UPDATE
), event AS (
    SELECT * FROM unnest({arrays}) WITH ORDINALITY AS e({names}, n)
), chain(n, prev_hash, hash) AS (
    SELECT 0::bigint, NULL::text, head_hash::text FROM head
    UNION ALL
    SELECT e.n, chain.hash, encode(sha256(convert_to(
        e.first || to_char(head.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')
        || e.second || chain.hash || e.rest, 'UTF8')), 'hex')::text
    FROM chain JOIN event e ON e.n = chain.n + 1 CROSS JOIN head
)
INSERT INTO audit_events (at, actor_subject, actor_client_id, organization_id, roles,
                          client_id, action, groups, purpose, request_id, operation_name,
                          prev_hash, hash)
SELECT head.at, e.actor_subject, e.actor_client_id, e.organization_id, e.roles::json,
       e.client_id, e.action, e.groups::json, e.purpose, e.request_id, e.operation_name,
       chain.prev_hash, chain.hash
FROM event e JOIN chain ON chain.n = e.n CROSS JOIN head
ORDER BY e.n
""".format(
        arrays=", ".join(f"CAST(:{name} AS {kind}[])" for name, kind in _PG_ARRAYS.items()),
        names=", ".join(_PG_ARRAYS),
    )
)


async def _append_postgres(session: AsyncSession, events: list[dict[str, Any]]) -> None:
    # The events of a batch share most values: each rendering is made once.
    rendered: dict[Any, str] = {}

    def render(value: Any) -> str:
        key = tuple(value) if isinstance(value, list) else value
        if key not in rendered:
            rendered[key] = _render(value)
        return rendered[key]

    arrays: dict[str, list] = {name: [] for name in _PG_ARRAYS}
    for event in events:
        first, second, rest = _pieces(event, render)
        for name, value in (("first", first), ("second", second), ("rest", rest)):
            arrays[name].append(value)
        for name in ("actor_subject", "actor_client_id", "organization_id", "client_id",
                     "action", "purpose", "request_id", "operation_name"):  # fmt: skip
            arrays[name].append(event[name])
        arrays["roles"].append(render(event["roles"]))
        arrays["groups"].append(render(event["groups"]))
    inserted = (await session.execute(_PG_APPEND, arrays)).rowcount
    if inserted != len(events):  # no head to chain from: never leave events unwritten
        raise RuntimeError(f"audit chain: {inserted} of {len(events)} events appended")


async def _append_sqlite(session: AsyncSession, events: list[dict[str, Any]]) -> None:
    chain = models.AuditChain.__table__
    # An UPDATE takes SQLite's write lock before it reads: no other writer appends between.
    head = await session.scalar(
        update(chain)
        .where(chain.c.id == 1)
        .values(head_hash=chain.c.head_hash)
        .returning(chain.c.head_hash)
    )
    at = datetime.now(UTC)
    rows = []
    for event in events:
        row = {**event, "at": at, "prev_hash": head}
        row["hash"] = head = event_hash(row)
        rows.append(row)
    table = models.AuditEvent.__table__
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        # Parameters apart from the statement (SQLAlchemy's "insertmanyvalues": still one
        # INSERT per chunk, in order).
        chunk = rows[start : start + ROWS_PER_STATEMENT]
        await session.execute(insert(table).returning(table.c.id), chunk)


UNLINKED = (
    "its prev_hash is not the hash of the event before it: an event was removed, added or reordered"
)
EDITED = "its content does not match its hash: the event was edited"
NOT_AT_HEAD = (
    "the last event is not the chain's recorded head: the latest events were removed, or the "
    "head was changed"
)


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    first_broken_id: int | None = None
    message: str | None = None


async def verify(session: AsyncSession, *, batch: int = 5000) -> Verification:
    """Walk the chain from the first event to the last one committed when the walk began
    (events appended meanwhile are left for the next walk); report the first broken link."""
    e = models.AuditEvent.__table__
    chain = models.AuditChain.__table__
    # One statement, one snapshot: the head and the last event committed with it.
    head, last = (
        await session.execute(
            select(chain.c.head_hash, select(func.max(e.c.id)).scalar_subquery()).where(
                chain.c.id == 1
            )
        )
    ).one()
    columns = [e.c.id, e.c.hash, *(e.c[c] for c in HASHED_COLUMNS)]
    previous, checked, after = GENESIS_HASH, 0, 0
    while last is not None and after < last:
        rows = (
            await session.execute(
                select(*columns).where(e.c.id > after, e.c.id <= last).order_by(e.c.id).limit(batch)
            )
        ).all()
        if not rows:
            break
        for row in rows:
            values = row._asdict()
            if values["prev_hash"] != previous:
                return Verification(False, checked, row.id, UNLINKED)
            if event_hash(values) != row.hash:
                return Verification(False, checked, row.id, EDITED)
            previous, checked, after = row.hash, checked + 1, row.id
    if previous != head:
        return Verification(False, checked, None, NOT_AT_HEAD)
    return Verification(True, checked)


# --- reading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventFilter:
    client_id: uuid.UUID | None = None
    actor_subject: str | None = None
    organization_id: uuid.UUID | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive
    action: AuditAction | None = None

    def sql(self) -> list[ColumnElement[bool]]:
        e = models.AuditEvent
        conditions = []
        for column, value in (
            (e.client_id, self.client_id),
            (e.actor_subject, self.actor_subject),
            (e.organization_id, self.organization_id),
            (e.action, self.action and self.action.value),
        ):
            if value is not None:
                conditions.append(column == value)
        if self.since is not None:
            conditions.append(e.at >= self.since)
        if self.until is not None:
            conditions.append(e.at < self.until)
        return conditions


async def events_page(
    session: AsyncSession, *, filter: EventFilter, before: int | None, limit: int
) -> tuple[list[models.AuditEvent], int]:
    """Newest first: one page of events with ids below `before`, and the number of all events
    the filter matches, in one statement."""
    e = models.AuditEvent
    conditions = filter.sql()
    total = select(func.count()).select_from(e).where(*conditions).scalar_subquery()
    query = select(e, total.label("total")).where(*conditions)
    if before is not None:
        query = query.where(e.id < before)
    rows = (await session.execute(query.order_by(e.id.desc()).limit(limit))).all()
    if not rows:
        return [], int(await session.scalar(select(total)) or 0)
    return [row[0] for row in rows], int(rows[0][1])


async def client_history(
    session: AsyncSession, *, client_id: uuid.UUID
) -> list[tuple[models.AuditEvent, models.Organization | None]]:
    """Events about one client, newest first, with the acting organization (the caller reads
    no person from it), leaving out the client's own sign-ins reading their record."""
    e, o, login = models.AuditEvent, models.Organization, models.ClientLogin
    own_logins = select(login.subject).where(login.client_id == client_id)
    rows = await session.execute(
        select(e, o)
        .outerjoin(o, o.id == e.organization_id)
        .where(e.client_id == client_id, e.actor_subject.not_in(own_logins))
        .order_by(e.id.desc())
    )
    return list(rows)
