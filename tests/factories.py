"""Small builders for tests at the data layer: reference rows, and writers."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select

from hmis.db import history, models
from hmis.db.history import Writer


async def organization(session, name: str, *, vsp: bool = False) -> models.Organization:
    org = models.Organization(id=uuid.uuid4(), name=name, victim_service_provider=vsp)
    session.add(org)
    await session.flush()
    return org


async def project(session, org, name: str = "Shelter", project_type: int = 0) -> models.Project:
    row = models.Project(
        id=uuid.uuid4(),
        organization_id=org.id,
        name=name,
        project_type=project_type,
        operating_start_date=date(2015, 1, 1),
    )
    session.add(row)
    await session.flush()
    return row


def staff_writer(org, subject: str | None = None) -> Writer:
    return Writer(subject=subject or f"staff@{org.name}", organization_id=org.id)


async def client(session, writer: Writer, **values) -> models.Client:
    values.setdefault("first_name", "Ada")
    values.setdefault("last_name", "Lovelace")
    values.setdefault("name_data_quality", 1)
    values.setdefault("ssn_data_quality", 99)
    values.setdefault("dob_data_quality", 99)
    return await history.create(session, writer, models.Client, **values)


async def enroll(session, writer: Writer, client, project, entry: date, **values):
    return await history.create(
        session, writer, models.Enrollment, client_id=client.id, project_id=project.id,
        entry_date=entry, **values,
    )  # fmt: skip


async def exit(session, writer: Writer, enrollment, on: date, destination: int = 101):
    return await history.create(
        session, writer, models.Exit, enrollment_id=enrollment.id,
        client_id=enrollment.client_id, exit_date=on, destination=destination,
    )  # fmt: skip


async def staff(session, org, first="Case", last="Manager") -> models.StaffUser:
    row = models.StaffUser(
        id=uuid.uuid4(),
        organization_id=org.id,
        first_name=first,
        last_name=last,
        phone="6305550100",
        email=f"{first}@example.org",
    )
    session.add(row)
    await session.flush()
    return row


async def assign(session, writer: Writer, client, staff_user, start=date(2024, 1, 1)):
    """As `assignCaseManager` does: the organization's current assignment ends first (one
    current assignment per client and organization, enforced by the database)."""
    a = models.CaseManagerAssignment
    current = await session.scalars(select(a).where(
        a.client_id == client.id, a.organization_id == staff_user.organization_id,
        a.end_date.is_(None), a.date_deleted.is_(None)))  # fmt: skip
    for previous in list(current):
        await history.update(session, writer, previous, {"end_date": start})
    return await history.create(
        session, writer, models.CaseManagerAssignment, client_id=client.id,
        staff_user_id=staff_user.id, start_date=start,
    )  # fmt: skip
