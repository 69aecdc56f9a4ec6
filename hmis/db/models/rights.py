"""The client's rights and the notice's other uses: refusals, corrections, complaints,
notice versions, research agreements and consents, client logins and disclosures."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, fk


def _when(nullable: bool = False):
    return mapped_column(UTCDateTime(), nullable=nullable)


class SharingRefusal(Base):
    """A signed Client Data Sharing Refusal; `recorded_at` is the database's time of the write."""

    __tablename__ = "sharing_refusals"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    client_id: Mapped[uuid.UUID] = fk("clients.id")  # the signer
    organization_id: Mapped[uuid.UUID | None] = fk("organizations.id", nullable=True, index=False)
    recorded_by: Mapped[str] = mapped_column(String(255), nullable=False)
    recorded_at: Mapped[datetime] = _when()


class RefusalCoverage(Base):
    """One client covered by a refusal (the signer or a named household member).

    Revocation is per client: it ends this row only.
    """

    __tablename__ = "refusal_coverage"
    __table_args__ = (Index("ix_refusal_coverage_client_active", "client_id", "revoked_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    refusal_id: Mapped[uuid.UUID] = fk("sharing_refusals.id")
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), nullable=False)
    # The refusal time R, copied from the refusal so the page lookup reads one table.
    refused_at: Mapped[datetime] = _when()
    revoked_at: Mapped[datetime | None] = _when(nullable=True)
    revoked_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    revoked_org_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id"), nullable=True
    )


class CorrectionRequest(Base):
    __tablename__ = "correction_requests"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    client_id: Mapped[uuid.UUID] = fk("clients.id")
    field: Mapped[str] = mapped_column(String(64), nullable=False)
    requested_value: Mapped[str] = mapped_column(String(200), nullable=False)
    explanation: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    requested_by: Mapped[str] = mapped_column(String(255), nullable=False)
    requested_at: Mapped[datetime] = _when()
    resolved_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    resolved_org_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id"), nullable=True
    )
    resolved_at: Mapped[datetime | None] = _when(nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class Complaint(Base):
    """A privacy complaint: visible only to the complainant and HMIS administrators."""

    __tablename__ = "complaints"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    client_id: Mapped[uuid.UUID | None] = fk("clients.id", nullable=True)
    # The client it is about: a staff filing binds the complaint to the client by this alone.
    # A complainant subject is kept only when a signed-in caller filed for itself.
    complainant_subject: Mapped[str | None] = mapped_column(String(255), nullable=True, index=True)
    filed_by: Mapped[str] = mapped_column(String(255), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    filed_at: Mapped[datetime] = _when()
    updated_at: Mapped[datetime] = _when()


class ComplaintEvent(Base):
    """Each status change of a complaint, with who made it and an optional note."""

    __tablename__ = "complaint_events"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    complaint_id: Mapped[uuid.UUID] = fk("complaints.id")
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[datetime] = _when()
    by: Mapped[str] = mapped_column(String(255), nullable=False)


class PrivacyNotice(Base):
    __tablename__ = "privacy_notices"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    effective_date: Mapped[date] = mapped_column(Date, nullable=False, unique=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    published_at: Mapped[datetime] = _when()
    published_by: Mapped[str] = mapped_column(String(255), nullable=False)


class ResearchAgreement(Base):
    __tablename__ = "research_agreements"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    subject: Mapped[str] = mapped_column(String(255), nullable=False, index=True)
    expires_on: Mapped[date] = mapped_column(Date, nullable=False)
    created_by: Mapped[str] = mapped_column(String(255), nullable=False)
    created_at: Mapped[datetime] = _when()
    revoked_at: Mapped[datetime | None] = _when(nullable=True)


class ResearchConsent(Base):
    """The client agreed that their identity may be used directly in research."""

    __tablename__ = "research_consents"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    client_id: Mapped[uuid.UUID] = fk("clients.id")
    recorded_by: Mapped[str] = mapped_column(String(255), nullable=False)
    recorded_at: Mapped[datetime] = _when()
    revoked_at: Mapped[datetime | None] = _when(nullable=True)


class ClientLogin(Base):
    """Binds a `client` role login (OIDC subject) to the client record it may see."""

    __tablename__ = "client_logins"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    client_id: Mapped[uuid.UUID] = fk("clients.id")
    subject: Mapped[str] = mapped_column(String(255), nullable=False, unique=True)
    created_by: Mapped[str] = mapped_column(String(255), nullable=False)
    created_at: Mapped[datetime] = _when()


class Disclosure(Base):
    """A disclosure outside the HMIS, recorded by an administrator with its legal basis."""

    __tablename__ = "disclosures"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    client_id: Mapped[uuid.UUID] = fk("clients.id")
    recipient: Mapped[str] = mapped_column(String(200), nullable=False)
    recipient_type: Mapped[str] = mapped_column(String(32), nullable=False)
    legal_basis: Mapped[str] = mapped_column(Text, nullable=False)
    reference: Mapped[str | None] = mapped_column(String(200), nullable=True)
    groups: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    recorded_by: Mapped[str] = mapped_column(String(255), nullable=False)
    recorded_at: Mapped[datetime] = _when()
