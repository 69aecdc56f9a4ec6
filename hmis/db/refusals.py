"""Recording and revoking a Client Data Sharing Refusal.

The refusal time R is the database's time of the transaction that records it, taken after
the covered clients are locked (`history.begin_write`), so any write to a covered client is
ordered wholly before or wholly after it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from . import audit, history, models
from .models.audit import AuditAction


async def record_refusal(
    session: AsyncSession,
    writer: history.Writer,
    *,
    client_id: uuid.UUID,
    household_member_ids: Iterable[uuid.UUID] = (),
) -> tuple[models.SharingRefusal, list[uuid.UUID]]:
    covered = list(dict.fromkeys([client_id, *household_member_ids]))
    at = await history.begin_write(session, clients=covered)
    refusal = models.SharingRefusal(
        id=uuid.uuid4(),
        client_id=client_id,
        organization_id=writer.organization_id,
        recorded_by=writer.subject,
        recorded_at=at,
    )
    session.add(refusal)
    await session.flush()
    session.add_all(
        models.RefusalCoverage(refusal_id=refusal.id, client_id=c, refused_at=at) for c in covered
    )
    await session.flush()
    for covered_id in covered:
        audit.note_write(session, covered_id, AuditAction.REFUSE)
    return refusal, covered


async def revoke_refusal(
    session: AsyncSession, writer: history.Writer, *, client_id: uuid.UUID
) -> list[models.RefusalCoverage]:
    """End every active coverage of this one client (household members stay covered)."""
    at = await history.begin_write(session, clients=[client_id])
    coverage = models.RefusalCoverage
    ended = list(
        await session.scalars(
            select(coverage).where(coverage.client_id == client_id, coverage.revoked_at.is_(None))
        )
    )
    await session.execute(
        update(coverage)
        .where(coverage.id.in_([c.id for c in ended]))
        .values(revoked_at=at, revoked_by=writer.subject, revoked_org_id=writer.organization_id)
    )
    if ended:
        audit.note_write(session, client_id, AuditAction.REVOKE)
    return ended
