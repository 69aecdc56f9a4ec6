"""Recording and revoking a Client Data Sharing Refusal.

The refusal time R is the database's time of the transaction that records it, taken after
the covered clients are locked (`history.begin_write`), so any write to a covered client is
ordered wholly before or wholly after it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from . import audit, history, in_view, models
from .models.audit import AuditAction
from .models.history import CREATE


async def serves(session: AsyncSession, organization_id: uuid.UUID, client_id: uuid.UUID) -> bool:
    """Whether the organization serves the client: it entered the client's profile or any of
    the client's records (a create stamped with its organization). Editing a shared profile
    someone else entered does not make an organization the client's."""
    v = models.RecordVersion
    return bool(
        await session.scalar(
            select(
                exists().where(
                    v.client_id == client_id, v.organization_id == organization_id, v.kind == CREATE
                )
            )  # fmt: skip
        )
    )


async def household_members(
    session: AsyncSession,
    signer: uuid.UUID,
    candidates: Iterable[uuid.UUID],
    organization_id: uuid.UUID | None,
) -> set[uuid.UUID]:
    """The candidates who share a household with the signer: an enrollment of each with the
    same household ID. Staff see households only in their own organization's enrollments
    (HOUSEHOLD is not shared), so only those count for them (`organization_id`); None for
    administrators: any enrollment."""
    # In the recorder's view (`in_view`): a stay it cannot see makes no one a member.
    candidates = set(candidates)
    e = models.Enrollment
    keys = [e.client_id.in_([signer, *candidates])]
    if organization_id is not None:
        keys.append(e.organization_id == organization_id)
    stays = await in_view.seen_where(session, organization_id, e, keys)
    seen = [v.values for _, v in stays if v.values["household_id"] is not None]
    households = {v["household_id"] for v in seen if v["client_id"] == signer}
    return {v["client_id"] for v in seen
            if v["client_id"] in candidates and v["household_id"] in households}  # fmt: skip


async def recorded_by(
    session: AsyncSession, client_id: uuid.UUID, organization_id: uuid.UUID | None
) -> list[models.SharingRefusal]:
    """The active refusals covering the client that `organization_id` recorded (None: every
    active refusal, for administrators), earliest first."""
    r, c = models.SharingRefusal, models.RefusalCoverage
    query = (
        select(r)
        .join(c, c.refusal_id == r.id)
        .where(c.client_id == client_id, c.revoked_at.is_(None))
        .order_by(r.recorded_at)
    )
    if organization_id is not None:
        query = query.where(r.organization_id == organization_id)
    return list(await session.scalars(query))


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
    session: AsyncSession,
    writer: history.Writer,
    *,
    client_id: uuid.UUID,
    refusals: Iterable[uuid.UUID] | None = None,
) -> list[models.RefusalCoverage]:
    """End the active coverage of this one client (household members stay covered) by the
    given refusals, or by every refusal (None: an administrator acting for the HMIS lead)."""
    at = await history.begin_write(session, clients=[client_id])
    coverage = models.RefusalCoverage
    query = select(coverage).where(coverage.client_id == client_id, coverage.revoked_at.is_(None))
    if refusals is not None:
        query = query.where(coverage.refusal_id.in_(list(refusals)))
    ended = list(await session.scalars(query))
    await session.execute(
        update(coverage)
        .where(coverage.id.in_([c.id for c in ended]))
        .values(revoked_at=at, revoked_by=writer.subject, revoked_org_id=writer.organization_id)
    )
    if ended:
        audit.note_write(session, client_id, AuditAction.REVOKE)
    return ended
