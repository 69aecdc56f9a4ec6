"""SQLite's clock only counts milliseconds; this one row keeps its write times strictly
increasing (see hmis.db.history.begin_write). PostgreSQL does not use it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime


class WriteClock(Base):
    __tablename__ = "write_clock"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_write_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
