"""Enrollments, exits (HUD Enrollment.csv, Exit.csv) and case manager assignments.

They belong to the organization that operates the project (or that made the assignment).
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import Date, Index, Integer, String, text
from sqlalchemy.orm import Mapped

from hmis.groups import ElementGroup

from .base import Base, ClientData, col, fk

ENR = ElementGroup.ENROLLMENTS
HH = ElementGroup.HOUSEHOLD


class Enrollment(ClientData, Base):
    __tablename__ = "enrollments"
    __group__ = ENR

    client_id: Mapped[uuid.UUID] = fk("clients.id", hud="PersonalID")
    project_id: Mapped[uuid.UUID] = fk("projects.id", hud="ProjectID")
    entry_date: Mapped[date] = col(Date, nullable=False, group=ENR, hud="EntryDate")
    household_id: Mapped[str | None] = col(String(32), index=True, group=HH, hud="HouseholdID")
    relationship_to_hoh: Mapped[int | None] = col(Integer, group=HH, hud="RelationshipToHoH")


class Exit(ClientData, Base):
    __tablename__ = "exits"
    __group__ = ENR
    # One exit per enrollment, among those not deleted.
    __table_args__ = (
        Index(
            "uq_exits_enrollment_live",
            "enrollment_id",
            unique=True,
            sqlite_where=text("date_deleted IS NULL"),
            postgresql_where=text("date_deleted IS NULL"),
        ),
    )

    enrollment_id: Mapped[uuid.UUID] = fk("enrollments.id", index=False, hud="EnrollmentID")
    client_id: Mapped[uuid.UUID] = fk("clients.id", hud="PersonalID")
    exit_date: Mapped[date] = col(Date, nullable=False, group=ENR, hud="ExitDate")
    destination: Mapped[int] = col(Integer, nullable=False, group=ENR, hud="Destination")
    destination_subsidy_type: Mapped[int | None] = col(
        Integer, group=ENR, hud="DestinationSubsidyType"
    )
    other_destination: Mapped[str | None] = col(String(50), group=ENR, hud="OtherDestination")
    # HUD 4.15G Reason for Leaving has no FY2024 CSV column; named after the data element.
    reason_for_leaving: Mapped[int | None] = col(Integer, group=ENR, hud="(4.15G ReasonForLeaving)")
    reason_for_leaving_other: Mapped[str | None] = col(
        String(50), group=ENR, hud="(4.15G ReasonForLeavingOther)"
    )


class CaseManagerAssignment(ClientData, Base):
    __tablename__ = "case_manager_assignments"
    __group__ = ElementGroup.CASE_MANAGER
    # At most one current (not ended, not deleted) assignment per client and organization:
    # assigning a new case manager ends the previous one (`assignCaseManager`).
    __table_args__ = (
        Index(
            "uq_case_manager_assignments_current",
            "client_id",
            "organization_id",
            unique=True,
            sqlite_where=text("end_date IS NULL AND date_deleted IS NULL"),
            postgresql_where=text("end_date IS NULL AND date_deleted IS NULL"),
        ),
    )

    client_id: Mapped[uuid.UUID] = fk("clients.id", hud="PersonalID")
    staff_user_id: Mapped[uuid.UUID] = fk("staff_users.id", hud="UserID")
    start_date: Mapped[date] = col(Date, nullable=False)
    end_date: Mapped[date | None] = col(Date)
