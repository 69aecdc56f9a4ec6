"""The stamps a caller sees of a record (HUD DateUpdated, and the source's DateUpdated and
UserID an import left): those of the last version that changed something the caller sees.

A row holding two element groups (a client's IDENTITY and DEMOGRAPHICS, an enrollment's
ENROLLMENTS and HOUSEHOLD) is stamped by every write of either; a partner who sees an
enrollment but not its household would otherwise learn from its DateUpdated when the owner
moved it to another household. For such a caller the stamps come from the record's versions
(`RecordState.trail`): the last one that created or deleted the record or changed a field
of a group the caller sees.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hmis.groups import ElementGroup

from . import reads
from .as_of import RecordState, VersionRow, fold
from .batch import among
from .models import RecordVersion
from .models.history import CREATE, DELETE


@dataclass(frozen=True)
class Stamps:
    updated_at: datetime
    hud_date_updated: datetime | None
    hud_user_id: str | None


def seen(state: RecordState, columns: frozenset[str] | None) -> Stamps:
    """The stamps of the last version in `state` that changed one of `columns` (None: any)."""
    for version, changes in reversed(state.trail):
        if columns is None or version.kind in (CREATE, DELETE) or not columns.isdisjoint(changes):
            break
    else:  # (never: the create is in every trail)
        version = state.trail[0][0]
    return Stamps(version.recorded_at, version.hud_date_updated, version.hud_user_id)


async def trails(
    session: AsyncSession, records: Iterable[tuple[str, uuid.UUID]]
) -> dict[tuple[str, uuid.UUID], RecordState]:
    """Every version of the given records (table, ID), folded: one statement."""
    by_table: dict[str, list[uuid.UUID]] = defaultdict(list)
    for table, record_id in records:
        by_table[table].append(record_id)
    if not by_table:
        return {}
    rv = RecordVersion
    of_records = [
        and_(rv.entity == t, among(session, rv.record_id, ids)) for t, ids in by_table.items()
    ]
    query = select(*(getattr(rv, name) for name in VersionRow._fields)).where(or_(*of_records))
    return fold(map(VersionRow._make, await reads.core_rows(session, query)))


def edited(row) -> bool:
    """Written since it was made (unknown when its creation time was not read: yes)."""
    created = row.__dict__.get("date_created")
    return created is None or row.date_updated > created


def columns_seen(model: type, sees: Callable[[ElementGroup], bool]) -> frozenset[str] | None:
    """The data columns of a row of `model` a caller sees (`sees`: of a group), or None when
    it sees every one (then the row's own stamps are the caller's)."""
    groups = _row_groups(model)
    if len(groups) < 2:
        return None
    seen = tuple(g for g in groups if sees(g))
    return None if len(seen) == len(groups) else _group_columns(model, seen)


@cache
def _row_groups(model: type) -> tuple[ElementGroup, ...]:
    return tuple(dict.fromkeys(model.group_of(c) for c in model.data_columns()))


@cache
def _group_columns(model: type, groups: tuple[ElementGroup, ...]) -> frozenset[str]:
    return frozenset(c for g in groups for c in model.group_columns(g))
