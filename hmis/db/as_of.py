"""Reading client data back as it stood at a time, and as one writer sees it.

`as_of` folds a record's immutable versions (written by `hmis.db.history`) into its values at
a client's cutoff (the refusal time R), counting the viewer's own organization's later
writes, corrections and deletions (POLICY.md, the refusal rule). `view` is the one answer to
"what does this writer see of this record": every write is compared with it, never with the
hidden current row.
"""

from __future__ import annotations

import uuid
from collections import namedtuple
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cache, lru_cache
from operator import attrgetter
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Date,
    Numeric,
    Uuid,
    bindparam,
    case,
    column,
    exists,
    func,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from . import reads
from .batch import among_param
from .models import MODELS_BY_TABLE, ClientData, RecordVersion
from .models.base import UTCDateTime
from .models.history import CORRECT, CREATE, DELETE

ALWAYS_VISIBLE_KINDS = (CORRECT, DELETE)


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
    # How many versions reached this viewer: the record's version as they see it.
    seen: int = 0
    # The values at the cutoff (only once a later version was folded): a late correction
    # replaces a field only if it held a value then (POLICY.md).
    at_cutoff: dict[str, Any] | None = None
    # Each version that reached this viewer, with the fields it changed for them, in order:
    # the stamps a caller sees are those of the last one that changed a field they see
    # (`hmis.db.stamps`).
    trail: list[tuple[Any, dict[str, Any]]] = field(default_factory=list)

    @property
    def exists(self) -> bool:
        return self.created and not self.deleted


# A page's versions name the same few projects, organizations and clients again and again;
# UUIDs are immutable, so one object per text serves them all.
_uuid = lru_cache(maxsize=4096)(uuid.UUID)


def _decoder(column) -> Callable[[Any], Any] | None:
    """What turns a JSON value of this column back into its Python type (None: as is)."""
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return datetime.fromisoformat
    if isinstance(kind, Date):
        return date.fromisoformat
    if isinstance(kind, Uuid):
        return _uuid
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


def _always(_v) -> bool:
    return True


def _never(_v) -> bool:
    return False


def fold(
    versions: Iterable[RecordVersion],
    *,
    late: Callable[[RecordVersion], bool] = _never,
    before: Callable[[RecordVersion], bool] = _always,
) -> dict[tuple[str, uuid.UUID], RecordState]:
    """Replay versions (in seq order per record) into each record's state.

    `before(v)`: the version was written by the cutoff. A `late` correction (one seen only
    because corrections always reach partners) replaces only the fields that held a value at
    the cutoff, whatever the viewer did to them since: correcting a field first filled in
    after the cutoff must not reveal it, nor hide the viewer's own entry.
    """
    states: dict[tuple[str, uuid.UUID], RecordState] = {}
    # Only the order within a record matters: a stable sort by `seq` gives it, without
    # building a string of every record ID to sort by.
    for v in sorted(versions, key=attrgetter("seq")):
        state = states.get((v.entity, v.record_id))
        if state is None:  # (not `setdefault`: it would make a state for every version)
            state = states[v.entity, v.record_id] = RecordState(v.entity, v.record_id, v.client_id)
        # Versions of a record are in time order: the first one after the cutoff sees the
        # state of the cutoff.
        if state.at_cutoff is None and not before(v):
            state.at_cutoff = dict(state.values)
        changes = decode(v.entity, v.changes)
        if "client_id" in changes:
            # The client a version is filed under now: a merge re-points a record and its
            # versions (`hmis.db.merges`), never the values its create recorded.
            changes["client_id"] = v.client_id
        if v.kind == CORRECT and late(v):
            changes = _late_correction(v.entity, changes, state.at_cutoff or {})
            if not changes:
                continue  # nothing of it reaches this viewer, not even a version number
        if v.kind == CREATE:
            state.created, state.owner_id = True, v.organization_id
        elif v.kind == DELETE:
            state.deleted = True
        state.values.update(changes)
        state.seen += 1
        state.trail.append((v, changes))
    return states


def _late_correction(entity: str, changes: dict, then: dict) -> dict:
    """What a correction the viewer sees only as a correction changes for them: the fields
    that held a value at the cutoff, and a derived value (data quality) only with every
    field it derives from (else it would tell of a value the viewer does not have)."""
    derived = getattr(MODELS_BY_TABLE[entity], "__derived__", {})
    kept = {k: c for k, c in changes.items() if k not in derived and then.get(k) is not None}
    kept.update(
        (k, c) for k, c in changes.items() if k in derived and all(s in kept for s in derived[k])
    )
    return kept


# The columns `fold` reads, as plain rows: versions are immutable, so the ORM's identity map
# and change tracking would only cost time, and a named tuple reads its fields in C, several
# times quicker than a result row's attributes (a page of refused clients folds thousands of
# versions, each read a dozen times).
VersionRow = namedtuple("VersionRow", ("entity", "record_id", "client_id", "seq", "kind",
                                       "organization_id", "recorded_at", "changes",
                                       "hud_date_updated", "hud_user_id"))  # fmt: skip


@cache
def _versions(dialect: str, by_entity: bool, changed_only: bool, by_record: bool):
    """The versions `as_of` folds, as one statement built once per database and variant
    (on SQLite, `changed_only` adds its condition per call: `as_of`)."""
    rv = RecordVersion
    columns = [getattr(rv, name) for name in VersionRow._fields]
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
    if by_record:
        query = query.where(rv.record_id == bindparam("record", type_=rv.record_id.type))
    if changed_only and dialect == "postgresql":
        # Each client's cutoff beside its id, joined: one array of each, the statement the
        # same for any page.
        cutoffs = (
            func.unnest(
                bindparam("clients", type_=ARRAY(rv.client_id.type)),
                bindparam("cutoffs", type_=ARRAY(rv.recorded_at.type)),
            )
            .table_valued(column("client_id", rv.client_id.type),
                          column("cutoff", rv.recorded_at.type))
            .render_derived(name="cutoffs")
        )  # fmt: skip
        query = query.join_from(rv, cutoffs, cutoffs.c.client_id == rv.client_id)
        query = query.where(_changed_after(cutoffs.c.cutoff))
    return query


# The most clients whose cutoffs SQLite compares one by one (`as_of`).
CASE_CLIENTS = 200


def _changed_after(cutoff) -> ColumnElement[bool]:
    """The version's record was written after `cutoff` (its client's): only those records
    are read as of the cutoff; any other stood then as it stands now. Per client, not the
    page's earliest cutoff: one client who refused years ago would otherwise make every
    record of the page written since be loaded and folded for nothing."""
    rv, later = RecordVersion, aliased(RecordVersion)
    return exists().where(
        later.entity == rv.entity,
        later.record_id == rv.record_id,
        later.recorded_at > cutoff,
    )


async def as_of(
    session: AsyncSession,
    *,
    cutoffs: dict[uuid.UUID, datetime],
    organizations: Iterable[uuid.UUID] = (),
    entities: Iterable[str] | None = None,
    changed_only: bool = False,
    record: uuid.UUID | None = None,
) -> dict[tuple[str, uuid.UUID], RecordState]:
    """Each field of the given clients' records as it stood at the client's cutoff time,
    counting also every change made by `organizations` (whenever made), and every correction
    and deletion (which never expose anything). One indexed query for the whole set.

    `changed_only`: only records written after their client's cutoff. Any other record stood
    then as it stands now (every write stamps `date_updated` with the time of the version it
    appends), so the caller reads its current row instead of folding its versions.
    `record`: only this one record.
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
    if record is not None:
        params["record"] = record
    dialect = session.bind.dialect.name
    query = _versions(dialect, entities is not None, changed_only, record is not None)
    if changed_only and dialect == "postgresql":
        params["cutoffs"] = list(cutoffs.values())  # in the order of `clients`
    elif changed_only:
        # SQLite: the cutoffs as a CASE of bound values, evaluated for every version read: its
        # cost grows with the square of the clients, so a large set (a partner's search over
        # every refused client changed since) takes the earliest cutoff instead, a superset:
        # a record not written after its own client's cutoff is read from its row anyway.
        rv = RecordVersion
        if len(cutoffs) <= CASE_CLIENTS:
            cutoff = case(*((rv.client_id == c, t) for c, t in cutoffs.items()))
        else:
            cutoff = bindparam("earliest", min(cutoffs.values()), type_=rv.recorded_at.type)
        query = query.where(_changed_after(cutoff))
    rows = list(map(VersionRow._make, await reads.core_rows(session, query, params)))

    def before(v: RecordVersion) -> bool:
        return v.recorded_at <= cutoffs[v.client_id]

    # The SQL bound is the latest cutoff of the set; each client's own cutoff is applied here.
    def seen(v: RecordVersion) -> bool:
        return v.recorded_at <= cutoffs[v.client_id] or v.organization_id in orgs

    return fold((v for v in rows if seen(v) or v.kind in ALWAYS_VISIBLE_KINDS),
                late=lambda v: not seen(v), before=before)  # fmt: skip


# --- what one writer sees ----------------------------------------------------------------------


@dataclass(frozen=True)
class View:
    """A record as a writer sees it: its data columns and its version (the number of its
    versions that reached the writer). A write is compared with this, never with the row."""

    values: dict[str, Any]
    version: int


async def view(
    session: AsyncSession, organization_id: uuid.UUID | None, row: ClientData
) -> View | None:
    """`row` as staff of `organization_id` (None: administrators) see it, or None when it
    does not exist for them (made by another organization after the refusal)."""
    seen = await views(session, organization_id, [row])
    return seen[0][1] if seen else None


async def views(
    session: AsyncSession, organization_id: uuid.UUID | None, rows: Iterable[ClientData]
) -> list[tuple[ClientData, View]]:
    """`view` for many rows (of any clients and tables) at once: each row the writer sees,
    with the writer's view of it, in the given order; rows that do not exist for the writer
    are left out (`view` is its one-row case). At most two statements however many rows:
    the clients' refusals, then the versions of the rows written after their client's."""
    rows = list(rows)
    refusals = {}
    if organization_id is not None and rows:
        refusals = await reads.active_refusals(session, client_ids={r.client_id for r in rows})

    def is_late(r: ClientData) -> bool:
        return r.client_id in refusals and r.date_updated > refusals[r.client_id]

    late = [r for r in rows if is_late(r)]
    states = {}
    if late:
        states = await as_of(session, cutoffs={r.client_id: refusals[r.client_id] for r in late},
                             organizations=[organization_id],
                             entities={r.__tablename__ for r in late},
                             record=late[0].id if len(late) == 1 else None)  # fmt: skip
    seen = []
    for row in rows:
        columns = type(row).data_columns()
        if not is_late(row):
            seen.append((row, View({c: getattr(row, c) for c in columns}, row.version)))
            continue
        state = states.get((row.__tablename__, row.id))
        if state is not None and state.exists:
            seen.append((row, View({c: state.values.get(c) for c in columns}, state.seen)))
    return seen
