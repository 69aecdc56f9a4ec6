"""A merge of two client records that were the same person (`hmis.db.merges`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime


class ClientMerge(Base):
    """One merge: the survivor, the merged-away client, who, when and why, and every row it
    re-pointed (`moved`: {table: [row IDs]}), so that an unmerge can put each one back."""

    __tablename__ = "client_merges"
    __table_args__ = (
        Index("ix_client_merges_survivor_id", "survivor_id"),
        Index("ix_client_merges_merged_id", "merged_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    survivor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), nullable=False)
    merged_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    merged_by: Mapped[str] = mapped_column(String(255), nullable=False)
    merged_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    moved: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    unmerged_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    unmerged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    unmerge_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
