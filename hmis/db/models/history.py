"""Immutable versions of client data: one row per write, naming the fields it changed."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, UTCDateTime

# Kinds of write. Corrections and deletions reach partners even under a refusal (POLICY.md).
CREATE, UPDATE, CORRECT, DELETE = "create", "update", "correct", "delete"


class RecordVersion(Base):
    __tablename__ = "record_versions"
    __table_args__ = (
        Index("uq_record_versions_record_seq", "entity", "record_id", "seq", unique=True),
        # The as-of read pulls the versions of a page of clients up to a time.
        Index("ix_record_versions_client_time", "client_id", "recorded_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    entity: Mapped[str] = mapped_column(String(64), nullable=False)  # the table name
    record_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)  # 1 for the create
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id"), nullable=True
    )
    subject: Mapped[str] = mapped_column(String(255), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    # {column: new value as JSON}; the keys are the fields this write changed.
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    # Why a record was deleted (required of a deletion through the API); free text, so it is
    # kept here with the history, never in the access log or the logs.
    reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # The source's stamps (HUD DateUpdated, UserID) the row held right after this version:
    # what an export gives a caller who sees the record at this version (docs/hud-csv.md).
    hud_date_updated: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    hud_user_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
