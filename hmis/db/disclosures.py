"""Disclosures outside the HMIS (POLICY.md, Other uses): recorded by an administrator with
the legal basis, noted for the audit log, and listed in the client's own history."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from hmis.groups import ElementGroup

from . import audit, history, models
from .models.audit import AuditAction


class RecipientType(enum.Enum):
    """Who receives the information, as the notice lists the uses allowed without consent."""

    LAW_ENFORCEMENT = "LAW_ENFORCEMENT"  # with a court order or warrant where required
    CORONER_OR_MEDICAL_EXAMINER = "CORONER_OR_MEDICAL_EXAMINER"
    REQUIRED_BY_LAW = "REQUIRED_BY_LAW"
    SERIOUS_THREAT = "SERIOUS_THREAT"  # to prevent a serious and imminent threat
    ABUSE_OR_NEGLECT_REPORT = "ABUSE_OR_NEGLECT_REPORT"
    OTHER = "OTHER"


async def record_disclosure(
    session: AsyncSession,
    writer: history.Writer,
    *,
    client_id: uuid.UUID,
    recipient: str,
    recipient_type: RecipientType,
    legal_basis: str,
    reference: str | None,
    groups: Iterable[ElementGroup],
) -> models.Disclosure:
    """Record that `groups` of one client were disclosed, at the database's time."""
    groups = list(groups)
    at = await history.begin_write(session, clients=[client_id])
    row = models.Disclosure(
        id=uuid.uuid4(),
        client_id=client_id,
        recipient=recipient,
        recipient_type=recipient_type.value,
        legal_basis=legal_basis,
        reference=reference,
        groups=audit.group_names(groups),
        recorded_by=writer.subject,
        recorded_at=at,
    )
    session.add(row)
    await session.flush()
    audit.note_write(session, client_id, AuditAction.DISCLOSE, groups)
    return row
