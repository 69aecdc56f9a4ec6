"""Small builders for tests at the data layer: reference rows, and writers."""

from __future__ import annotations

import uuid
from datetime import date

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
