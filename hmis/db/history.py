"""The one path for writing client data, and reading it back as it stood at a time.

Every create, update, correction and (soft) delete of client data goes through `create`,
`update` or `delete` here. In the caller's transaction each write stamps the row with the
writing organization, subject and the database's time, and appends an immutable
`RecordVersion` naming the fields it changed, and notes the write for the audit log
(`hmis.db.audit.note_write`). `as_of` folds those versions back into values.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from operator import attrgetter
from typing import Any

from sqlalchemy import Boolean, Date, Numeric, Uuid, bindparam, exists, func, or_, select, text
from sqlalchemy import update as sql_update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from . import audit
from .batch import among_param
from .models import MODELS_BY_TABLE, Client, ClientData, RecordVersion, WriteClock
from .models.audit import AuditAction
from .models.base import UTCDateTime
from .models.history import CORRECT, CREATE, DELETE, UPDATE

ALWAYS_VISIBLE_KINDS = (CORRECT, DELETE)


@dataclass(frozen=True)
class Writer:
    """Who writes: the OIDC subject and the organization they act for (None for admins)."""

    subject: str
    organization_id: uuid.UUID | None


class StaleVersion(Exception):
    """The caller edited from an older version than the one stored."""

    def __init__(self, expected: int, actual: int):
        super().__init__(f"stale version: you edited version {expected}, the record is at {actual}")
        self.expected, self.actual = expected, actual


class WriteOrderError(RuntimeError):
    """A client was locked after the transaction's time was fixed (a programming error)."""


# --- the transaction's time ------------------------------------------------------------------


@dataclass
class _WriteState:
    transaction: Any
    at: datetime
    locked: set[uuid.UUID] = field(default_factory=set)


def _state(session: AsyncSession) -> _WriteState | None:
    state = session.info.get("hmis_write")
    if state and state.transaction is session.sync_session.get_transaction():
        return state
    return None


async def begin_write(session: AsyncSession, *, clients: Iterable[uuid.UUID] = ()) -> datetime:
    """Lock the clients this transaction writes, then fix the transaction's time.

    Locking first serializes a write with a sharing refusal of the same client, so a write
    that commits after the refusal is also stamped after it. Every client must be named in the
    first call of a transaction (later calls may only repeat them).
    """
    wanted = set(clients)
    state = _state(session)
    if state is not None:
        if not wanted <= state.locked:
            raise WriteOrderError("all clients of a write must be locked before its first write")
        return state.at
    sqlite = session.bind.dialect.name == "sqlite"
    if wanted and not sqlite:
        # Id order, so two writers locking overlapping sets cannot deadlock.
        await session.execute(
            select(Client.id)
            .where(Client.id.in_(sorted(wanted)))
            .order_by(Client.id)
            .with_for_update()
        )
    at = await (_sqlite_time(session) if sqlite else _postgres_time(session))
    session.info["hmis_write"] = _WriteState(session.sync_session.get_transaction(), at, wanted)
    return at


async def _postgres_time(session: AsyncSession) -> datetime:
    # clock_timestamp(), not now(): the time after the locks were granted, not the start.
    return (await session.execute(select(func.clock_timestamp()))).scalar_one()


async def _sqlite_time(session: AsyncSession) -> datetime:
    # The UPDATE takes SQLite's write lock (one writer at a time), so the read-modify-write
    # of the clock row (made by the first migration) cannot interleave with another writer.
    await session.execute(sql_update(WriteClock).where(WriteClock.id == 1).values(id=1))
    last = (await session.execute(select(WriteClock.last_write_at))).scalar_one()
    raw = (await session.execute(text("SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')"))).scalar_one()
    at = datetime.fromisoformat(raw).replace(tzinfo=UTC)
    if last is not None and at <= last:
        at = last + timedelta(microseconds=1)
    await session.execute(sql_update(WriteClock).where(WriteClock.id == 1).values(last_write_at=at))
    return at


# --- writes -----------------------------------------------------------------------------------


def _client_id(model: type[ClientData], values: dict[str, Any]) -> uuid.UUID:
    return values["id"] if model is Client else values["client_id"]


def _encode(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (uuid.UUID, Decimal)):
        return str(value)
    return value


async def create(session: AsyncSession, writer: Writer, model: type[ClientData], **values) -> Any:
    """Insert a record of client data with its first version."""
    values.setdefault("id", uuid.uuid4())
    client_id = _client_id(model, values)
    if model is Client:
        # A new client cannot be the target of anyone else's write yet: nothing to lock,
        # and this transaction may write its other records.
        at = await begin_write(session)
        _state(session).locked.add(client_id)
    else:
        at = await begin_write(session, clients=[client_id])
    # The owner: the writer's organization, unless the record belongs to another (an
    # enrollment belongs to the organization operating the project).
    owner = values.pop("organization_id", writer.organization_id)
    row = model(
        **values,
        organization_id=owner,
        date_created=at,
        created_by=writer.subject,
        date_updated=at,
        updated_by=writer.subject,
        updated_org_id=writer.organization_id,
        version=1,
    )
    session.add(row)
    await session.flush()  # the version's foreign key needs the row (the client) in place
    values = {c: getattr(row, c) for c in model.data_columns()}
    version = create_version(model, row.id, client_id, values, writer, at)
    session.add(RecordVersion(**version))
    await session.flush()
    _note(session, model, client_id, CREATE, version["changes"])
    return row


@cache
def _data_columns(model: type[ClientData]) -> frozenset[str]:
    # Looked up for every version a bulk load writes; the schema does not change at runtime.
    return frozenset(model.data_columns())


def create_version(
    model: type[ClientData],
    record_id: uuid.UUID,
    client_id: uuid.UUID,
    values: dict[str, Any],
    writer: Writer,
    at: datetime,
) -> dict[str, Any]:
    """The version a create appends, as column values (bulk loaders insert these directly)."""
    data = _data_columns(model)
    return dict(
        entity=model.__tablename__,
        record_id=record_id,
        client_id=client_id,
        seq=1,
        kind=CREATE,
        organization_id=writer.organization_id,
        subject=writer.subject,
        recorded_at=at,
        changes={k: _encode(v) for k, v in values.items() if k in data and v is not None},
    )


def update_version(
    model: type[ClientData],
    record_id: uuid.UUID,
    client_id: uuid.UUID,
    changed: dict[str, Any],
    writer: Writer,
    at: datetime,
    *,
    seq: int,
) -> dict[str, Any]:
    """The version an update appends (as `_append` writes it), as column values."""
    return dict(
        create_version(model, record_id, client_id, {}, writer, at),
        seq=seq,
        kind=UPDATE,
        changes={k: _encode(v) for k, v in changed.items()},
    )


async def update(
    session: AsyncSession,
    writer: Writer,
    row: ClientData,
    changes: dict[str, Any],
    *,
    kind: str = UPDATE,
    expected_version: int | None = None,
) -> dict[str, Any]:
    """Apply `changes` (only fields that differ are written); returns what changed."""
    model = type(row)
    unknown = set(changes) - set(model.data_columns())
    if unknown:
        raise ValueError(f"not data columns of {model.__tablename__}: {sorted(unknown)}")
    at = await begin_write(session, clients=[row.client_id])
    await session.refresh(row)  # read the locked, current row, not a cached copy
    if expected_version is not None and expected_version != row.version:
        raise StaleVersion(expected_version, row.version)
    changed = {k: v for k, v in changes.items() if getattr(row, k) != v}
    if not changed and kind != DELETE:
        return {}
    for key, value in changed.items():
        setattr(row, key, value)
    row.date_updated, row.updated_by, row.updated_org_id = (
        at,
        writer.subject,
        writer.organization_id,
    )
    row.version += 1
    _append(session, writer, row, kind, {k: _encode(v) for k, v in changed.items()}, at)
    await session.flush()
    return changed


async def delete(session: AsyncSession, writer: Writer, row: ClientData) -> None:
    """Soft delete (HUD DateDeleted): the row and its history stay, and readers skip it."""
    at = await begin_write(session, clients=[row.client_id])
    await session.refresh(row)
    if row.date_deleted is not None:
        return
    row.date_deleted = at
    row.date_updated, row.updated_by, row.updated_org_id = (
        at,
        writer.subject,
        writer.organization_id,
    )
    row.version += 1
    _append(session, writer, row, DELETE, {}, at)
    await session.flush()


def _append(session, writer: Writer, row: ClientData, kind: str, changes: dict, at: datetime):
    _note(session, type(row), row.client_id, kind, changes)
    session.add(
        RecordVersion(
            entity=row.__tablename__,
            record_id=row.id,
            client_id=row.client_id,
            seq=row.version,
            kind=kind,
            organization_id=writer.organization_id,
            subject=writer.subject,
            recorded_at=at,
            changes=changes,
        )
    )


def _note(session, model: type[ClientData], client_id, kind: str, columns: Iterable[str]) -> None:
    """Tell the audit log which groups of the client this write touched (all, for a delete)."""
    if kind == DELETE:
        columns = model.data_columns()
    groups = {model.group_of(c) for c in columns} - {None}
    audit.note_write(session, client_id, AuditAction(kind), groups)


# --- reading back -----------------------------------------------------------------------------


@dataclass
class RecordState:
    """A record as one viewer may see it: its values, and whether it exists for them."""

    entity: str
    record_id: uuid.UUID
    client_id: uuid.UUID
    owner_id: uuid.UUID | None = None  # the organization that created it
    values: dict[str, Any] = field(default_factory=dict)
    created: bool = False
    deleted: bool = False

    @property
    def exists(self) -> bool:
        return self.created and not self.deleted


def _decoder(column) -> Callable[[Any], Any] | None:
    """What turns a JSON value of this column back into its Python type (None: as is)."""
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return datetime.fromisoformat
    if isinstance(kind, Date):
        return date.fromisoformat
    if isinstance(kind, Uuid):
        return uuid.UUID
    if isinstance(kind, Numeric):
        return Decimal
    if isinstance(kind, Boolean):
        return bool
    return None


@cache
def _decoders(entity: str) -> dict[str, Callable[[Any], Any] | None]:
    # Looked up for every version an as-of read folds (thousands for a page of clients).
    return {c.key: _decoder(c) for c in MODELS_BY_TABLE[entity].__table__.columns}


def decode(entity: str, changes: dict[str, Any]) -> dict[str, Any]:
    """JSON values of a version back to the column's Python types."""
    decoders = _decoders(entity)
    return {
        k: v if v is None or (to_python := decoders[k]) is None else to_python(v)
        for k, v in changes.items()
    }


def fold(
    versions: Iterable[RecordVersion], *, late: Callable[[RecordVersion], bool] = lambda v: False
) -> dict[tuple[str, uuid.UUID], RecordState]:
    """Replay versions (in seq order per record) into each record's state.

    A `late` correction (one seen only because corrections always reach partners) replaces
    only fields that already held a value: correcting a field first filled in after the
    cutoff must not reveal it.
    """
    states: dict[tuple[str, uuid.UUID], RecordState] = {}
    # Only the order within a record matters: a stable sort by `seq` gives it, without
    # building a string of every record ID to sort by.
    for v in sorted(versions, key=attrgetter("seq")):
        state = states.setdefault(
            (v.entity, v.record_id), RecordState(v.entity, v.record_id, v.client_id)
        )
        if v.kind == CREATE:
            state.created, state.owner_id = True, v.organization_id
        elif v.kind == DELETE:
            state.deleted = True
        changes = decode(v.entity, v.changes)
        if v.kind == CORRECT and late(v):
            changes = {k: c for k, c in changes.items() if state.values.get(k) is not None}
        state.values.update(changes)
    return states


@cache
def _versions(dialect: str, by_entity: bool, changed_only: bool):
    """The versions `as_of` folds, as one statement built once per database and variant."""
    rv = RecordVersion
    # Plain rows of the columns `fold` reads: versions are immutable, so the ORM's identity
    # map and change tracking would only cost time (a page of refused clients folds
    # thousands of versions).
    columns = (rv.entity, rv.record_id, rv.client_id, rv.seq, rv.kind, rv.organization_id,
               rv.recorded_at, rv.changes)  # fmt: skip
    # The SQL bound is the latest cutoff of the set; each client's own cutoff is applied after.
    query = select(*columns).where(
        among_param(dialect, rv.client_id, "clients"),
        or_(
            rv.recorded_at <= bindparam("latest", type_=rv.recorded_at.type),
            among_param(dialect, rv.organization_id, "organizations"),
            rv.kind.in_(ALWAYS_VISIBLE_KINDS),
        ),
    )
    if by_entity:
        query = query.where(among_param(dialect, rv.entity, "entities"))
    if changed_only:
        later = aliased(rv)
        query = query.where(
            exists().where(
                later.entity == rv.entity,
                later.record_id == rv.record_id,
                later.recorded_at > bindparam("earliest", type_=rv.recorded_at.type),
            )
        )
    return query


async def as_of(
    session: AsyncSession,
    *,
    cutoffs: dict[uuid.UUID, datetime],
    organizations: Iterable[uuid.UUID] = (),
    entities: Iterable[str] | None = None,
    changed_only: bool = False,
) -> dict[tuple[str, uuid.UUID], RecordState]:
    """Each field of the given clients' records as it stood at the client's cutoff time,
    counting also every change made by `organizations` (whenever made), and every correction
    and deletion (which never expose anything). One indexed query for the whole set.

    `changed_only`: only records written after the earliest cutoff. Any other record stood
    then as it stands now (every write stamps `date_updated` with the time of the version it
    appends), so the caller reads its current row instead of folding its versions.
    """
    if not cutoffs:
        return {}
    orgs = set(organizations)
    params = {
        "clients": list(cutoffs),
        "latest": max(cutoffs.values()),
        "organizations": list(orgs),
    }
    if entities is not None:
        params["entities"] = list(entities)
    if changed_only:
        params["earliest"] = min(cutoffs.values())
    dialect = session.bind.dialect.name
    query = _versions(dialect, entities is not None, changed_only)
    rows = (await session.execute(query, params)).all()

    # The SQL bound is the latest cutoff of the set; each client's own cutoff is applied here.
    def seen(v: RecordVersion) -> bool:
        return v.recorded_at <= cutoffs[v.client_id] or v.organization_id in orgs

    return fold((v for v in rows if seen(v) or v.kind in ALWAYS_VISIBLE_KINDS),
                late=lambda v: not seen(v))  # fmt: skip
