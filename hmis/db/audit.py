"""The access log at the data layer: what a transaction wrote (noted by the write path), and
reading events back. Appending: `hmis.db.audit_append`; the hash chain: `hmis.db.audit_chain`;
its verification: `hmis.db.audit_verify`.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hmis.groups import ElementGroup

from . import models

# The chain, where callers have always found it (`audit.append`, `audit.verify`).
from .audit_append import append  # noqa: F401
from .audit_chain import seal  # noqa: F401
from .audit_hash import HASHED_COLUMNS, event_hash  # noqa: F401
from .audit_verify import Verification, verify  # noqa: F401
from .models.audit import AuditAction

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
) -> tuple[list[tuple[models.AuditEvent, models.AuditLink | None]], int]:
    """Newest first: one page of events with ids below `before`, each with its link in the
    chain (None until sealed), and the number of all events the filter matches, in one
    statement."""
    e, link = models.AuditEvent, models.AuditLink
    conditions = filter.sql()
    total = select(func.count()).select_from(e).where(*conditions).scalar_subquery()
    query = (
        select(e, link, total.label("total"))
        .outerjoin(link, link.event_id == e.id)
        .where(*conditions)
    )
    if before is not None:
        query = query.where(e.id < before)
    rows = (await session.execute(query.order_by(e.id.desc()).limit(limit))).all()
    if not rows:
        return [], int(await session.scalar(select(total)) or 0)
    return [(row[0], row[1]) for row in rows], int(rows[0][2])


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
