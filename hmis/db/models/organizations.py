"""Organizations, their projects and their staff (HUD Organization.csv, Project.csv, User.csv)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Boolean, Date, Integer, String, UniqueConstraint, func, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, col, fk


class Timestamps:
    """Creation and update times of reference data (set by the database)."""

    date_created: Mapped[datetime] = col(
        UTCDateTime(), nullable=False, server_default=text("CURRENT_TIMESTAMP"), hud="DateCreated"
    )
    date_updated: Mapped[datetime] = col(
        UTCDateTime(),
        nullable=False,
        server_default=text("CURRENT_TIMESTAMP"),
        onupdate=func.now(),
        hud="DateUpdated",
    )
    date_deleted: Mapped[datetime | None] = col(UTCDateTime(), hud="DateDeleted")


class Organization(Timestamps, Base):
    __tablename__ = "organizations"

    id: Mapped[uuid.UUID] = col(primary_key=True, default=uuid.uuid4, hud="OrganizationID")
    name: Mapped[str] = col(String(200), nullable=False, unique=True, hud="OrganizationName")
    common_name: Mapped[str | None] = col(String(200), hud="OrganizationCommonName")
    # HUD: a victim service provider may not enter PPI into the HMIS.
    victim_service_provider: Mapped[bool] = col(
        Boolean, nullable=False, default=False, server_default="0", hud="VictimServiceProvider"
    )


class Project(Timestamps, Base):
    __tablename__ = "projects"

    id: Mapped[uuid.UUID] = col(primary_key=True, default=uuid.uuid4, hud="ProjectID")
    organization_id: Mapped[uuid.UUID] = fk("organizations.id", hud="OrganizationID")
    name: Mapped[str] = col(String(200), nullable=False, hud="ProjectName")
    common_name: Mapped[str | None] = col(String(200), hud="ProjectCommonName")
    project_type: Mapped[int | None] = col(Integer, hud="ProjectType")
    operating_start_date: Mapped[date | None] = col(Date, hud="OperatingStartDate")
    operating_end_date: Mapped[date | None] = col(Date, hud="OperatingEndDate")
    continuum_project: Mapped[bool] = col(
        Boolean, nullable=False, default=True, server_default="1", hud="ContinuumProject"
    )


class StaffUser(Timestamps, Base):
    """A person working for an organization; staff users are the case managers."""

    __tablename__ = "staff_users"

    id: Mapped[uuid.UUID] = col(primary_key=True, default=uuid.uuid4, hud="UserID")
    organization_id: Mapped[uuid.UUID] = fk("organizations.id")
    first_name: Mapped[str] = col(String(100), nullable=False, hud="UserFirstName")
    last_name: Mapped[str] = col(String(100), nullable=False, hud="UserLastName")
    phone: Mapped[str | None] = col(String(20), hud="UserPhone")
    extension: Mapped[str | None] = col(String(10), hud="UserExtension")
    email: Mapped[str | None] = col(String(320), hud="UserEmail")
    # The OIDC subject this person signs in with, when they have a login.
    subject: Mapped[str | None] = mapped_column(String(255), unique=True, nullable=True)


class HudUser(Base):
    """A user of a HUD CSV source (User.csv of an administrator's import): recorded under the
    source's UserID so records keep naming who wrote them and exports carry them again. Not
    a login and not staff of an organization (HUD's User.csv names none)."""

    __tablename__ = "hud_users"
    __table_args__ = (UniqueConstraint("source", "user_id", name="uq_hud_users_source_user"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(350), nullable=False)
    user_id: Mapped[str] = col(String(32), nullable=False, hud="UserID")
    first_name: Mapped[str | None] = col(String(50), hud="UserFirstName")
    last_name: Mapped[str | None] = col(String(50), hud="UserLastName")
    phone: Mapped[str | None] = col(String(10), hud="UserPhone")
    extension: Mapped[str | None] = col(String(5), hud="UserExtension")
    email: Mapped[str | None] = col(String(320), hud="UserEmail")
    hud_date_created: Mapped[datetime] = col(UTCDateTime(), nullable=False, hud="DateCreated")
    hud_date_updated: Mapped[datetime] = col(UTCDateTime(), nullable=False, hud="DateUpdated")
    date_deleted: Mapped[datetime | None] = col(UTCDateTime(), hud="DateDeleted")
