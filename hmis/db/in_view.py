"""The questions a write asks about other records (is there an open stay, an exit, another
member or head of the household?), answered from the caller's view, never from live rows:
a record the caller cannot see (made after a client's refusal by another organization or an
administrator's import) changes no answer (docs/caller-view.md, docs/lifecycle.md).

Every such check goes through `seen_where`: the candidates are read live in one statement
(rows matching now, and rows written after their client's refusal, whose values the caller
may see otherwise), then decided in one batch by the same as-of rule as `history.view`."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from . import models, reads
from .as_of import View, view, views


async def seen_where(
    session: AsyncSession,
    organization_id: uuid.UUID | None,
    model,
    keys: Iterable[Any] = (),
    **match: Any,
) -> list[tuple[Any, View]]:
    """The live rows of `model` that, in the view of staff of `organization_id` (None:
    administrators), have every `match` column equal to the value given, with that view.
    `keys`: SQL conditions on columns the API never changes (a stay's client, an exit's
    enrollment), narrowing the candidates; in at most four statements, however many rows."""
    candidates = select(model).where(reads.live(model), *keys)
    if match:
        current = and_(*(getattr(model, c) == v for c, v in match.items()))
        if organization_id is not None:
            rc = models.RefusalCoverage
            written_late = exists().where(rc.client_id == model.client_id,
                                          rc.revoked_at.is_(None),
                                          rc.refused_at < model.date_updated)  # fmt: skip
            current = or_(current, written_late)
        candidates = candidates.where(current)
    rows = list(await session.scalars(candidates))
    return [(row, seen) for row, seen in await views(session, organization_id, rows)
            if all(seen.values.get(c) == v for c, v in match.items())]  # fmt: skip


async def open_stays(
    session: AsyncSession,
    organization_id: uuid.UUID | None,
    client_ids: Iterable[uuid.UUID],
    project_id: uuid.UUID,
    *,
    excluding: uuid.UUID | None = None,
) -> set[uuid.UUID]:
    """The clients among `client_ids` with an open stay in the project in the caller's view:
    an enrollment it sees without an exit it sees (`excluding`: an enrollment not counted)."""
    e, x = models.Enrollment, models.Exit
    stays = [(row, seen) for row, seen in await seen_where(
        session, organization_id, e, [e.client_id.in_(list(client_ids))], project_id=project_id
    ) if row.id != excluding]  # fmt: skip
    if not stays:
        return set()
    exits = await seen_where(session, organization_id, x,
                             [x.enrollment_id.in_([row.id for row, _ in stays])])  # fmt: skip
    exited = {seen.values["enrollment_id"] for _, seen in exits}
    return {seen.values["client_id"] for row, seen in stays if row.id not in exited}


async def household(
    session: AsyncSession,
    organization_id: uuid.UUID | None,
    project_id: uuid.UUID,
    household_id: str,
    *,
    excluding: uuid.UUID | None = None,
) -> list[tuple[models.Enrollment, View]]:
    """The other members' enrollments of a household (a project and a HouseholdID) in the
    caller's view."""
    e = models.Enrollment
    members = await seen_where(session, organization_id, e, [e.project_id == project_id],
                               household_id=household_id)  # fmt: skip
    return [(row, seen) for row, seen in members if row.id != excluding]


async def exit_of(
    session: AsyncSession, organization_id: uuid.UUID | None, enrollment_id: uuid.UUID
) -> tuple[models.Exit | None, View | None, models.Exit | None]:
    """The enrollment's live exit as the caller sees it, (row, view, None); or, when the live
    exit is one the caller cannot see, (None, None, that hidden row); else (None, None, None).
    One live exit per enrollment (a unique index)."""
    x = models.Exit
    row = await session.scalar(select(x).where(x.enrollment_id == enrollment_id, reads.live(x)))
    seen = row and await view(session, organization_id, row)
    if seen:
        return row, seen, None
    return None, None, row


async def seen_and_hidden(
    session: AsyncSession, organization_id: uuid.UUID | None, model, keys: Iterable[Any]
) -> tuple[list[tuple[Any, View]], list[Any]]:
    """The live rows of `model` meeting `keys`, split into those the caller sees (with its
    view) and those it does not: for a write that must not leave two rows where one may be
    (an index, or an upsert), the hidden ones give way to it without changing its answer."""
    rows = list(await session.scalars(select(model).where(reads.live(model), *keys)))
    seen = await views(session, organization_id, rows)
    shown = {id(row) for row, _ in seen}
    return seen, [row for row in rows if id(row) not in shown]
