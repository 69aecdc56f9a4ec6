"""Correction requests and complaints (POLICY.md, Rights): their types and queries."""

from __future__ import annotations

import datetime

import strawberry
from strawberry.types import Info

from hmis.auth.guards import refuse_aggregate_readers, require_principal
from hmis.db import models
from hmis.db.models.audit import AuditAction
from hmis.groups import ElementGroup as G
from hmis.resolvers import rights as load

from . import enums as E
from .grouping import grouped
from .groups import gid


@grouped(G.IDENTITY, "A request to correct the client's PPI, and its outcome.")
class CorrectionRequest:
    id: strawberry.ID
    client_id: strawberry.ID
    field: str = strawberry.field(
        description="firstName, middleName, lastName, nameSuffix, ssn or dob."
    )
    requested_value: str
    explanation: str | None
    status: E.CorrectionStatus
    requested_at: datetime.datetime
    resolved_at: datetime.datetime | None
    reason: str | None = strawberry.field(description="Why it was approved or denied.")

    @classmethod
    def from_row(cls, row: models.CorrectionRequest) -> CorrectionRequest:
        return cls(
            id=gid(row.id),
            client_id=gid(row.client_id),
            field=row.field,
            requested_value=row.requested_value,
            explanation=row.explanation,
            status=E.CorrectionStatus(row.status),
            requested_at=row.requested_at,
            resolved_at=row.resolved_at,
            reason=row.reason,
        )


@strawberry.type(description="A step of a complaint: its new status and an optional note.")
class ComplaintEvent:
    status: E.ComplaintStatus
    note: str | None
    at: datetime.datetime


@strawberry.type(
    description="A privacy complaint: visible only to the complainant and HMIS administrators."
)
class Complaint:
    id: strawberry.ID
    client_id: strawberry.ID | None = strawberry.field(description="The client it is about.")
    text: str
    status: E.ComplaintStatus
    filed_at: datetime.datetime
    updated_at: datetime.datetime
    history: list[ComplaintEvent]

    @classmethod
    def from_row(cls, row: models.Complaint, events: list[models.ComplaintEvent]) -> Complaint:
        return cls(
            id=gid(row.id),
            client_id=row.client_id and gid(row.client_id),
            text=row.text,
            status=E.ComplaintStatus(row.status),
            filed_at=row.filed_at,
            updated_at=row.updated_at,
            history=[
                ComplaintEvent(status=E.ComplaintStatus(e.status), note=e.note, at=e.at)
                for e in events
            ],
        )


@strawberry.type
class RightsQuery:
    @strawberry.field(
        description="Correction requests you may see: administrators and "
        "auditors all; staff those of clients their organization entered or that "
        "they filed; a signed-in client their own. Newest first."
    )
    async def correction_requests(
        self, info: Info, status: E.CorrectionStatus | None = None
    ) -> list[CorrectionRequest]:
        principal = require_principal(info)
        refuse_aggregate_readers(principal)
        rows = await load.correction_requests(info.context, principal, status=status)
        # A request holds a requested IDENTITY value: reading it is reading that group.
        log = info.context.access_log
        log.release({row.client_id for row in rows}, AuditAction.VIEW, [G.IDENTITY])
        return [CorrectionRequest.from_row(row) for row in rows]

    @strawberry.field(
        description="Privacy complaints you may see: only your own (as the "
        "complainant), or all for HMIS administrators. Newest first."
    )
    async def complaints(
        self, info: Info, status: E.ComplaintStatus | None = None
    ) -> list[Complaint]:
        principal = require_principal(info)
        refuse_aggregate_readers(principal)
        found = await load.complaints(info.context, principal, status=status)
        # About a client, a complaint belongs to no element group: the event names none.
        about = {row.client_id for row, _ in found if row.client_id is not None}
        info.context.access_log.release(about, AuditAction.VIEW)
        return [Complaint.from_row(row, events) for row, events in found]
