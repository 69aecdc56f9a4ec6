"""Merging two client records that are one person, and undoing it (docs/merging-duplicates.md).

A merge re-points every row of the merged-away client to the survivor (client data and its
versions, refusals and their coverage, consents, logins, correction requests, complaints,
disclosures) and records the IDs it moved in a `ClientMerge`; the merged-away profile is
soft-deleted (HUD DateDeleted) with its own versions kept. Nothing is copied and no value
changes: a record keeps its versions and stamps, so every as-of view (`hmis.db.as_of`) reads
it as before, under the survivor's refusals, the earliest of both. An unmerge puts back
exactly the rows moved, with what was since attached to them (an exit of a moved enrollment).

Both clients are locked first (`history.begin_write`), as a refusal locks them, so a merge
is ordered wholly before or after any write to either; the caller's transaction holds it all.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import and_, func, not_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from . import audit, history, models
from .batch import among
from .models.audit import AuditAction

# Every table naming a client by `client_id`, but the profile itself and the append-only
# audit log (its events keep naming the client they were about).
MOVED_MODELS: tuple[type, ...] = (
    *(m for m in models.CLIENT_DATA_MODELS if m is not models.Client),
    models.SharingRefusal,
    models.RefusalCoverage,
    models.CorrectionRequest,
    models.Complaint,
    models.ResearchConsent,
    models.ClientLogin,
    models.Disclosure,
)
# Records taken at an enrollment: those attached to a moved enrollment after the merge go
# back with it on an unmerge.
ENROLLMENT_SCOPED = tuple(m for m in MOVED_MODELS if hasattr(m, "enrollment_id"))
# IDs per statement (SQLite binds at most 32,766 parameters).
CHUNK = 5000


@dataclass
class MergeRefused(Exception):
    """Why a merge or an unmerge cannot be done: the input field, a message, a code."""

    field: str
    message: str
    code: str


async def merge(
    session: AsyncSession,
    writer: history.Writer,
    *,
    survivor_id: uuid.UUID,
    merged_id: uuid.UUID,
    reason: str,
) -> models.ClientMerge:
    if survivor_id == merged_id:
        raise MergeRefused("mergedId", "a client cannot be merged with itself", "SAME_CLIENT")
    at = await history.begin_write(session, clients=[survivor_id, merged_id])
    for field, client_id in (("survivorId", survivor_id), ("mergedId", merged_id)):
        await _require_live(session, field, client_id)
    await _refuse_two_current_assignments(session, survivor_id, merged_id)
    moved: dict[str, list[str]] = {}
    for model in MOVED_MODELS:
        ids = list(await session.scalars(select(model.id).where(model.client_id == merged_id)))
        if ids:
            await _repoint(session, model, ids, survivor_id)
            moved[model.__tablename__] = sorted(str(i) for i in ids)
    # The versions of the moved records follow them; the merged-away profile keeps its own.
    v = models.RecordVersion
    versions = await session.execute(
        update(v)
        .where(
            v.client_id == merged_id, not_(and_(v.entity == "clients", v.record_id == merged_id))
        )
        .values(client_id=survivor_id)
        .execution_options(synchronize_session=False)
    )
    merged = await session.get(models.Client, merged_id)
    merged.date_deleted = at
    row = models.ClientMerge(
        id=uuid.uuid4(),
        survivor_id=survivor_id,
        merged_id=merged_id,
        reason=reason,
        merged_by=writer.subject,
        merged_at=at,
        moved={**moved, "record_versions": versions.rowcount},
    )
    session.add(row)
    await session.flush()
    for client_id in (survivor_id, merged_id):
        audit.note_write(session, client_id, AuditAction.MERGE)
    return row


async def unmerge(
    session: AsyncSession, writer: history.Writer, *, merge_id: uuid.UUID, reason: str
) -> models.ClientMerge:
    row = await session.get(models.ClientMerge, merge_id)
    if row is None:
        raise MergeRefused("mergeId", "no client merge has this ID", "NOT_FOUND")
    at = await history.begin_write(session, clients=[row.survivor_id, row.merged_id])
    await session.refresh(row)  # as it stands now that both clients are locked
    if row.unmerged_at is not None:
        raise MergeRefused("mergeId", "this merge was already undone", "ALREADY_UNMERGED")
    later = await _active_merge_of(session, row.survivor_id)
    if later is not None:
        raise MergeRefused("mergeId", f"the survivor was merged into another client since: undo "
                           f"merge {later.id} first", "MERGED_SINCE")  # fmt: skip
    enrollments = [uuid.UUID(i) for i in row.moved.get(models.Enrollment.__tablename__, [])]
    records: list[uuid.UUID] = []
    for model in MOVED_MODELS:
        ids = [uuid.UUID(i) for i in row.moved.get(model.__tablename__, [])]
        if model in ENROLLMENT_SCOPED and enrollments:
            ids += await _attached_since(session, model, enrollments, row.survivor_id, ids)
        if ids:
            await _repoint(session, model, ids, row.merged_id, only_from=row.survivor_id)
            if model in models.CLIENT_DATA_MODELS:
                records += ids
    v = models.RecordVersion
    for start in range(0, len(records), CHUNK):
        await session.execute(
            update(v)
            .where(v.client_id == row.survivor_id,
                   among(session, v.record_id, records[start : start + CHUNK]))
            .values(client_id=row.merged_id)
            .execution_options(synchronize_session=False)
        )  # fmt: skip
    merged = await session.get(models.Client, row.merged_id)
    merged.date_deleted = None
    row.unmerged_by, row.unmerged_at, row.unmerge_reason = writer.subject, at, reason
    await session.flush()
    for client_id in (row.survivor_id, row.merged_id):
        audit.note_write(session, client_id, AuditAction.UNMERGE)
    return row


async def _refuse_two_current_assignments(
    session: AsyncSession, survivor_id: uuid.UUID, merged_id: uuid.UUID
) -> None:
    """A client has at most one current case manager per organization (a unique index): a
    merge does not choose between two, the administrator ends one first."""
    a = models.CaseManagerAssignment
    current = (
        select(a.organization_id)
        .where(a.end_date.is_(None), a.date_deleted.is_(None))
        .group_by(a.organization_id)
    )
    both = await session.scalar(
        current.where(a.client_id.in_([survivor_id, merged_id]))
        .having(func.count(func.distinct(a.client_id)) > 1)
        .limit(1)
    )
    if both is not None:
        raise MergeRefused("mergedId", "both clients have a current case manager at one "
                           "organization: end one of them first (endCaseManagerAssignment)",
                           "CURRENT_ASSIGNMENTS")  # fmt: skip


async def _require_live(session: AsyncSession, field: str, client_id: uuid.UUID) -> None:
    client = await session.get(models.Client, client_id, populate_existing=True)
    if client is not None and client.date_deleted is None:
        return
    earlier = await _active_merge_of(session, client_id)
    if earlier is not None:
        raise MergeRefused(field, f"this client was already merged into another (merge "
                           f"{earlier.id})", "ALREADY_MERGED")  # fmt: skip
    raise MergeRefused(field, "no client has this ID", "NOT_FOUND")


async def _active_merge_of(session: AsyncSession, merged_id: uuid.UUID):
    """The merge, not undone, that merged this client away (None if it is not merged away)."""
    m = models.ClientMerge
    return await session.scalar(
        select(m).where(m.merged_id == merged_id, m.unmerged_at.is_(None)).limit(1)
    )


async def _attached_since(session, model, enrollments, survivor_id, known) -> list[uuid.UUID]:
    """Records of `model` made on the survivor since the merge at a moved enrollment."""
    found: list[uuid.UUID] = []
    for start in range(0, len(enrollments), CHUNK):
        found += await session.scalars(
            select(model.id).where(
                model.client_id == survivor_id,
                among(session, model.enrollment_id, enrollments[start : start + CHUNK]),
            )
        )
    seen = set(known)
    return [i for i in found if i not in seen]


async def _repoint(session, model, ids, to, *, only_from: uuid.UUID | None = None) -> None:
    for start in range(0, len(ids), CHUNK):
        query = update(model).where(among(session, model.id, ids[start : start + CHUNK]))
        if only_from is not None:
            query = query.where(model.client_id == only_from)
        await session.execute(
            query.values(client_id=to).execution_options(synchronize_session=False)
        )
