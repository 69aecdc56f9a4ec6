"""SQLite's clock only counts milliseconds; this one row keeps its write times strictly
increasing (see hmis.db.history.begin_write). PostgreSQL does not use it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime


class WriteClock(Base):
    __tablename__ = "write_clock"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_write_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Installation(Base):
    """This database's HUD ImplementationID, made once by its migration (Export.csv)."""

    __tablename__ = "installation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    implementation_id: Mapped[str] = mapped_column(String(32), nullable=False)
