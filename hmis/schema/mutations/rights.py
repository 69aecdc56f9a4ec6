"""requestCorrection, resolveCorrection, fileComplaint, updateComplaint (POLICY.md, Rights).

An approved correction is applied through the one write path as a correction version
(`history.CORRECT`), which partners see even under a refusal; a denial records the reason.
"""

from __future__ import annotations

import datetime
import uuid
from datetime import UTC
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from hmis.auth import policy
from hmis.auth.policy import Action
from hmis.auth.principal import Role
from hmis.db import audit, history, models, reads
from hmis.db.models.audit import AuditAction
from hmis.groups import ElementGroup
from hmis.resolvers import rights as load
from hmis.resolvers.validate import Check
from hmis.rights import (
    COMPLAINT_TRANSITIONS,
    CORRECTABLE_FIELDS,
    ComplaintStatus,
    CorrectionStatus,
)

from .. import enums as E
from ..rights import Complaint, CorrectionRequest
from .clients import profile_changes
from .common import FieldError, allowed, caller_org, find_live, mutate, refuse_ppi

MAX_TEXT_LENGTH = 10_000


@strawberry.input
class RequestCorrectionInput:
    client_id: strawberry.ID
    field: str = strawberry.field(
        description="The IDENTITY field: firstName, middleName, lastName, nameSuffix, ssn, dob."
    )
    requested_value: str = strawberry.field(description="Valid for the field (dob: YYYY-MM-DD).")
    explanation: str | None = None


@strawberry.input
class ResolveCorrectionInput:
    id: strawberry.ID
    approve: bool
    reason: str | None = strawberry.field(default=None, description="Required to deny.")


@strawberry.input
class FileComplaintInput:
    text: str
    client_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Staff filing for a client name the client; a signed-in "
        "client files for themselves.",
    )


@strawberry.input
class UpdateComplaintInput:
    id: strawberry.ID
    status: E.ComplaintStatus
    note: str | None = None


@strawberry.type
class CorrectionRequestPayload:
    correction_request: CorrectionRequest | None
    errors: list[FieldError]


@strawberry.type
class ComplaintPayload:
    complaint: Complaint | None
    errors: list[FieldError]


def _corrected(
    check: Check, field: str, column: str, raw: str | None, current: dict[str, Any]
) -> dict[str, Any]:
    """The profile changes a correction makes, checked by the profile's own rules (errors
    are reported on `field`); data quality is derived again from the new value."""
    rules = Check()
    value: Any = raw.strip() if raw and raw.strip() else None
    if value is None:
        rules.fail(column, "a value is required", "REQUIRED")
    elif column == "dob":
        value = rules.iso_date(column, value)
    changes = profile_changes(rules, {column: value}, current) if value is not None else {}
    for problem in rules.problems:
        check.fail(field, problem.message, problem.code)
    return changes


def _stored(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime.date) else str(value)


async def _present_correction(info: Info, request_id: uuid.UUID) -> CorrectionRequest | None:
    principal = info.context.principal
    rows = await load.correction_requests(info.context, principal, ids=[request_id])
    return rows and CorrectionRequest.from_row(rows[0]) or None


async def _present_complaint(info: Info, complaint_id: uuid.UUID) -> Complaint:
    found = await load.complaints(info.context, info.context.principal, ids=[complaint_id])
    return Complaint.from_row(*found[0])


@strawberry.type
class RightsMutations:
    @strawberry.mutation(
        description="Ask for a correction of the client's PPI (the client "
        "for their own record, or staff for them)."
    )
    async def request_correction(
        self, info: Info, input: RequestCorrectionInput
    ) -> CorrectionRequestPayload:
        principal = allowed(info, Action.REQUEST_CORRECTION)

        async def work(session: AsyncSession):
            check = Check()
            client_id = check.uuid("clientId", input.client_id)
            column = CORRECTABLE_FIELDS.get(input.field)
            if column is None:
                check.fail(
                    "field",
                    f"`field` must be one of {', '.join(CORRECTABLE_FIELDS)}",
                    "INVALID_FIELD",
                )
            check.done()
            own = await reads.linked_client(session, subject=principal.subject)
            allowed(info, Action.REQUEST_CORRECTION, own_record=own == client_id)
            await find_live(session, models.Client, client_id, check, "clientId")
            changes = _corrected(check, "requested_value", column, input.requested_value, {})
            explanation = check.text("explanation", input.explanation, max_length=MAX_TEXT_LENGTH)
            org = await caller_org(session, principal)
            refuse_ppi(check, org, ElementGroup.IDENTITY, {"requested_value": changes.get(column)})
            check.done()
            row = models.CorrectionRequest(
                id=uuid.uuid4(),
                client_id=client_id,
                field=input.field,
                requested_value=_stored(changes[column]),
                explanation=explanation,
                status=CorrectionStatus.PENDING.value,
                requested_by=principal.subject,
                requested_at=datetime.datetime.now(UTC),
            )
            session.add(row)
            await session.flush()
            audit.note_write(
                session, client_id, AuditAction.REQUEST_CORRECTION, [ElementGroup.IDENTITY]
            )
            return row.id

        return await mutate(
            info,
            work,
            CorrectionRequestPayload,
            "correction_request",
            read_back=_present_correction,
        )

    @strawberry.mutation(
        description="Approve (the change is applied as a correction) or deny "
        "(with a reason) a pending correction request: administrators, or "
        "staff of the organization that entered the client."
    )
    async def resolve_correction(
        self, info: Info, input: ResolveCorrectionInput
    ) -> CorrectionRequestPayload:
        principal = allowed(info, Action.RESOLVE_CORRECTION)

        async def work(session: AsyncSession):
            check = Check()
            request_id = check.uuid("id", input.id)
            check.done()
            request = await find_live(session, models.CorrectionRequest, request_id, check, "id")
            # Lock the client, then read the request again: a concurrent resolution of the
            # same request (which takes the same lock) has committed by then.
            at = await history.begin_write(session, clients=[request.client_id])
            await session.refresh(request)
            client = await session.get(models.Client, request.client_id)
            allowed(info, Action.RESOLVE_CORRECTION, owner_org=client.organization_id)
            if request.status != CorrectionStatus.PENDING.value:
                check.fail("id", f"the request is already {request.status}", "ALREADY_RESOLVED")
            reason = check.text(
                "reason", input.reason, max_length=MAX_TEXT_LENGTH, required=not input.approve
            )
            changes = {}
            if input.approve:
                # Data quality is derived from what the resolver sees, never a hidden value.
                seen = await history.view(session, principal.writer.organization_id, client)
                current = seen.values
                column = CORRECTABLE_FIELDS[request.field]
                changes = _corrected(check, "id", column, request.requested_value, current)
                org = await caller_org(session, principal)
                refuse_ppi(check, org, ElementGroup.IDENTITY, {"approve": changes.get(column)})
            check.done()
            if changes:
                await history.update(
                    session, principal.writer, client, changes, kind=history.CORRECT, seen=seen
                )
            request.status = (
                CorrectionStatus.APPROVED if input.approve else CorrectionStatus.DENIED
            ).value
            request.reason, request.resolved_at = reason, at
            request.resolved_by, request.resolved_org_id = (
                principal.subject,
                principal.writer.organization_id,
            )
            # Resolving reads the request's IDENTITY value whether or not anything changed.
            action = AuditAction.CORRECT if input.approve else AuditAction.DENY_CORRECTION
            audit.note_write(session, request.client_id, action, [ElementGroup.IDENTITY])
            await session.flush()
            return request.id

        return await mutate(
            info,
            work,
            CorrectionRequestPayload,
            "correction_request",
            read_back=_present_correction,
        )

    @strawberry.mutation(
        description="File a privacy complaint (a signed-in client for "
        "themselves, or staff for a client). Only the complainant and HMIS "
        "administrators see it afterwards."
    )
    async def file_complaint(self, info: Info, input: FileComplaintInput) -> ComplaintPayload:
        principal = allowed(info, Action.FILE_COMPLAINT)

        async def work(session: AsyncSession):
            check = Check()
            text = check.text("text", input.text, max_length=MAX_TEXT_LENGTH, required=True)
            named = None if input.client_id is None else check.uuid("clientId", input.client_id)
            check.done()
            if policy.acting_role(principal) is Role.CLIENT:
                own = await reads.linked_client(session, subject=principal.subject)
                allowed(info, Action.FILE_COMPLAINT, own_record=named in (None, own))
                client_id, complainant = own, principal.subject
            else:
                if named is None:
                    check.fail("clientId", "name the client you file for", "REQUIRED")
                    check.done()
                await find_live(session, models.Client, named, check, "clientId")
                # Bound to the client by its ID: no subject, so no token can pose as it.
                client_id, complainant = named, None
            now = datetime.datetime.now(UTC)
            row = models.Complaint(
                id=uuid.uuid4(),
                client_id=client_id,
                complainant_subject=complainant,
                filed_by=principal.subject,
                text=text,
                status=ComplaintStatus.RECEIVED.value,
                filed_at=now,
                updated_at=now,
            )
            event = models.ComplaintEvent(
                complaint_id=row.id, status=row.status, at=now, by=principal.subject
            )
            session.add(row)
            await session.flush()
            session.add(event)
            await session.flush()
            if client_id is not None:
                audit.note_write(session, client_id, AuditAction.COMPLAIN)
            return Complaint.from_row(row, [event])

        # The filer gets back what they filed; afterwards only the complainant and
        # administrators can read it (`complaints`).
        return await mutate(info, work, ComplaintPayload, "complaint")

    @strawberry.mutation(
        description="Move a complaint along RECEIVED -> UNDER_REVIEW -> "
        "RESOLVED, or UNDER_REVIEW -> ESCALATED -> RESOLVED (administrators)."
    )
    async def update_complaint(self, info: Info, input: UpdateComplaintInput) -> ComplaintPayload:
        principal = allowed(info, Action.UPDATE_COMPLAINT)

        async def work(session: AsyncSession):
            check = Check()
            complaint_id = check.uuid("id", input.id)
            check.done()
            # Locked: two administrators moving one complaint cannot both move it from here.
            row = await session.get(models.Complaint, complaint_id, with_for_update=True)
            if row is None:
                check.fail("id", "no complaint has this ID", "NOT_FOUND")
                check.done()
            check.transition("status", row.status, input.status.value, COMPLAINT_TRANSITIONS)
            note = check.text("note", input.note, max_length=MAX_TEXT_LENGTH)
            check.done()
            now = datetime.datetime.now(UTC)
            row.status, row.updated_at = input.status.value, now
            session.add(
                models.ComplaintEvent(
                    complaint_id=row.id, status=row.status, note=note, at=now, by=principal.subject
                )
            )
            await session.flush()
            if row.client_id is not None:
                audit.note_write(session, row.client_id, AuditAction.HANDLE_COMPLAINT)
            return row.id

        return await mutate(info, work, ComplaintPayload, "complaint", read_back=_present_complaint)
