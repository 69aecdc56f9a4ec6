"""Correction requests and complaints as the caller may see them: SQL narrows to the rows a
role could see, and the policy's pure functions decide each row (fail closed)."""

from __future__ import annotations

import uuid
from collections import defaultdict

from sqlalchemy import ColumnElement, false, or_, select

from hmis.auth import policy
from hmis.auth.principal import Principal, Role
from hmis.context import RequestContext
from hmis.db import models, reads
from hmis.rights import ComplaintStatus, CorrectionStatus


async def _own_record(context: RequestContext, principal: Principal) -> uuid.UUID | None:
    if policy.acting_role(principal) is not Role.CLIENT:
        return None
    async with context.reading() as session:
        return await reads.linked_client(session, subject=principal.subject)


async def correction_requests(
    context: RequestContext,
    principal: Principal,
    *,
    status: CorrectionStatus | None = None,
    ids: list[uuid.UUID] | None = None,
) -> list[models.CorrectionRequest]:
    """Newest first; only those `policy.sees_correction_request` allows."""
    role = policy.acting_role(principal)
    own = await _own_record(context, principal)
    r, c = models.CorrectionRequest, models.Client
    narrow: ColumnElement[bool] = {
        Role.HMIS_ADMIN: r.id.is_not(None),
        Role.AUDITOR: r.id.is_not(None),
        Role.AGENCY_STAFF: or_(
            c.organization_id == principal.organization_id, r.requested_by == principal.subject
        ),
        Role.CLIENT: r.client_id == own if own else false(),
    }.get(role, false())
    query = select(r, c.organization_id).join(c, c.id == r.client_id).where(narrow)
    if status is not None:
        query = query.where(r.status == status.value)
    if ids is not None:
        query = query.where(r.id.in_(ids))
    async with context.reading() as session:
        rows = (await session.execute(query.order_by(r.requested_at.desc(), r.id))).all()
    return [
        request
        for request, owner in rows
        if policy.sees_correction_request(
            principal,
            owner_org=owner,
            requested_by=request.requested_by,
            own_record=own is not None and request.client_id == own,
        )
    ]


async def complaints(
    context: RequestContext,
    principal: Principal,
    *,
    status: ComplaintStatus | None = None,
    ids: list[uuid.UUID] | None = None,
) -> list[tuple[models.Complaint, list[models.ComplaintEvent]]]:
    """Newest first, each with its status history; only those `policy.sees_complaint` allows."""
    role = policy.acting_role(principal)
    own = await _own_record(context, principal)
    k = models.Complaint
    # Complaints a caller filed for itself, and those about its own linked record (staff filed
    # for the client: bound by `client_id`, never by a subject a token could carry).
    mine = [k.complainant_subject == principal.subject] + ([k.client_id == own] if own else [])
    narrow = {Role.HMIS_ADMIN: k.id.is_not(None), Role.CLIENT: or_(*mine)}.get(role, false())
    query = select(k).where(narrow)
    if status is not None:
        query = query.where(k.status == status.value)
    if ids is not None:
        query = query.where(k.id.in_(ids))
    async with context.reading() as session:
        rows = list(await session.scalars(query.order_by(k.filed_at.desc(), k.id)))
        seen = [
            row
            for row in rows
            if policy.sees_complaint(
                principal,
                is_complainant=row.complainant_subject == principal.subject
                or (own is not None and row.client_id == own),
            )
        ]
        e = models.ComplaintEvent
        events = await session.scalars(
            select(e).where(e.complaint_id.in_([row.id for row in seen])).order_by(e.at, e.id)
        )
    by_complaint = defaultdict(list)
    for event in events:
        by_complaint[event.complaint_id].append(event)
    return [(row, by_complaint[row.id]) for row in seen]
