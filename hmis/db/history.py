"""The one path for writing client data, and reading it back as it stood at a time.

Every create, update, correction and (soft) delete of client data goes through `create`,
`update` or `delete` here. In the caller's transaction each write stamps the row with the
writing organization, subject and the database's time, and appends an immutable
`RecordVersion` naming the fields it changed, and notes the write for the audit log
(`hmis.db.audit.note_write`). `hmis.db.as_of` folds those versions back into values, and
an update is compared with what its writer sees (`as_of.view`), never with the hidden row.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy import update as sql_update
from sqlalchemy.ext.asyncio import AsyncSession

from . import audit
from .as_of import RecordState, View, as_of, fold, view, views  # noqa: F401 (the read side, here too)
from .models import Client, ClientData, RecordVersion, WriteClock
from .models.audit import AuditAction
from .models.history import CORRECT, CREATE, DELETE, UPDATE


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


class NotVisible(LookupError):
    """The writer cannot see the record (another organization made it after the refusal)."""


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


LOCK_CHUNK = 10_000


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
        # Id order, so two writers locking overlapping sets cannot deadlock; in chunks (still
        # in id order) for a large set, such as an import's (a statement takes 32,767
        # parameters at most).
        ordered = sorted(wanted)
        for start in range(0, len(ordered), LOCK_CHUNK):
            await session.execute(
                select(Client.id)
                .where(Client.id.in_(ordered[start : start + LOCK_CHUNK]))
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


def _encode(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (uuid.UUID, Decimal)):
        return str(value)
    return value


async def create(session: AsyncSession, writer: Writer, model: type[ClientData], **values) -> Any:
    """Insert a record of client data with its first version (`create_many` of one)."""
    (row,) = await create_many(session, writer, model, [values])
    return row


async def create_many(
    session: AsyncSession, writer: Writer, model: type[ClientData], rows: list[dict[str, Any]]
) -> list[Any]:
    """Insert many records of one model with their first versions, as `create` does one:
    two statements for the batch (the rows, then their versions), however many rows. The
    clients of records other than clients must already be locked (`begin_write`)."""
    if not rows:
        return []
    rows = [{"id": uuid.uuid4(), **values} for values in rows]
    if model is Client:
        # A new client cannot be the target of anyone else's write yet: nothing to lock,
        # and this transaction may write its other records.
        at = await begin_write(session)
        _state(session).locked.update(values["id"] for values in rows)
    else:
        at = await begin_write(session, clients={values["client_id"] for values in rows})
    made = []
    for values in rows:
        # The owner: the writer's organization, unless the record belongs to another (an
        # enrollment belongs to the organization operating the project).
        owner = values.pop("organization_id", writer.organization_id)
        made.append(
            model(
                **values,
                organization_id=owner,
                date_created=at,
                created_by=writer.subject,
                date_updated=at,
                updated_by=writer.subject,
                updated_org_id=writer.organization_id,
                version=1,
            )
        )
    session.add_all(made)
    await session.flush()
    columns = model.data_columns()
    versions = []
    for row in made:
        client_id = row.id if model is Client else row.client_id
        values = {c: getattr(row, c) for c in columns}
        versions.append(create_version(model, row.id, client_id, values, writer, at))
        versions[-1].update(hud_date_updated=row.hud_date_updated, hud_user_id=row.hud_user_id)
        _note(session, model, client_id, CREATE, versions[-1]["changes"])
    # One executemany (the versions' own IDs are the database's: no row to read back).
    await session.execute(insert(RecordVersion), versions)
    return made


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
    seen: View | None = None,
    hud: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Apply `changes`; returns what changed. Compared with what the writer sees (`seen`,
    read under the lock when not given), never with the current row: the writer's version
    and which fields differ are those of its view, so writing a value someone else entered
    out of the writer's sight is recorded (and visible to the writer), and tells nothing.
    A correction takes effect whatever the values it replaces. `hud`: the source's stamps an
    import writes with the change (kept on the row and its version)."""
    model = type(row)
    unknown = set(changes) - set(model.data_columns())
    if unknown:
        raise ValueError(f"not data columns of {model.__tablename__}: {sorted(unknown)}")
    await begin_write(session, clients=[row.client_id])
    await session.refresh(row)  # read the locked, current row, not a cached copy
    if seen is None:
        seen = await view(session, writer.organization_id, row)
    if seen is None:
        raise NotVisible(row.id)
    if expected_version is not None and expected_version != seen.version:
        raise StaleVersion(expected_version, seen.version)
    if kind == CORRECT:
        changed = dict(changes)
    else:
        changed = {k: v for k, v in changes.items() if seen.values.get(k) != v}
    if not changed and kind != DELETE:
        return {}
    await _append(session, writer, row, kind, changed, hud=hud)
    return changed


async def delete(
    session: AsyncSession, writer: Writer, row: ClientData, *, reason: str | None = None
) -> None:
    """Soft delete (HUD DateDeleted): the row and its history stay, and readers skip it.
    `reason` (why it was entered in error) is kept on the deletion's version."""
    await begin_write(session, clients=[row.client_id])
    await session.refresh(row)
    if row.date_deleted is not None:
        return
    await _append(session, writer, row, DELETE, {}, reason=reason)


async def _append(
    session, writer: Writer, row: ClientData, kind: str, changed: dict, *, reason=None, hud=None
) -> None:
    """Apply `changed` to the row, stamp it and append its version (the time is the
    transaction's, fixed by `begin_write`)."""
    at = _state(session).at
    for key, value in changed.items():
        setattr(row, key, value)
    if kind == DELETE:
        row.date_deleted = at
    row.date_updated, row.updated_by, row.updated_org_id = (
        at,
        writer.subject,
        writer.organization_id,
    )
    row.version += 1
    # Written here now: the source's DateUpdated and UserID no longer hold, unless this is an
    # import's write, which brings its own.
    row.hud_date_updated = row.hud_user_id = None
    for key, value in (hud or {}).items():
        setattr(row, key, value)
    encoded = {k: _encode(v) for k, v in changed.items()}
    _note(session, type(row), row.client_id, kind, encoded)
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
            changes=encoded,
            reason=reason,
            hud_date_updated=row.hud_date_updated,
            hud_user_id=row.hud_user_id,
        )
    )
    await session.flush()


def _note(session, model: type[ClientData], client_id, kind: str, columns: Iterable[str]) -> None:
    """Tell the audit log which groups of the client this write touched (all, for a delete)."""
    if kind == DELETE:
        columns = model.data_columns()
    groups = {model.group_of(c) for c in columns} - {None}
    audit.note_write(session, client_id, AuditAction(kind), groups)
