"""Migration 0006_i15a: one current case manager assignment per client and organization. A
database holding two stops the migration with a message saying what to do, and changes nothing
(the index needs a decision by staff: which assignment is current)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, insert, select

from hmis.db import migrate, models

from .test_migrations import scratch_engine  # noqa: F401 (the fixture)


async def test_two_current_assignments_stop_the_migration(scratch_engine):  # noqa: F811
    await migrate.upgrade(scratch_engine, "0006_i15b")  # the revision before 0006_i15a
    now, org, staff, client = datetime.now(UTC), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    stamps = dict(date_created=now, created_by="s", date_updated=now, updated_by="s")
    async with scratch_engine.begin() as c:
        await c.execute(insert(models.Organization.__table__).values(id=org, name="O"))
        await c.execute(insert(models.StaffUser.__table__).values(
            id=staff, organization_id=org, first_name="M", last_name="M"))  # fmt: skip
        quality = dict(name_data_quality=99, ssn_data_quality=99, dob_data_quality=99)
        await c.execute(insert(models.Client.__table__).values(id=client, **quality, **stamps))
        for _ in range(2):
            await c.execute(insert(models.CaseManagerAssignment.__table__).values(
                id=uuid.uuid4(), client_id=client, staff_user_id=staff, organization_id=org,
                start_date=date(2025, 1, 1), **stamps))  # fmt: skip
    with pytest.raises(RuntimeError, match="more than one current case manager assignment"):
        await migrate.upgrade(scratch_engine)
    a = models.CaseManagerAssignment
    async with scratch_engine.begin() as c:
        first = await c.scalar(select(a.id).order_by(a.id).limit(1))
        await c.execute(a.__table__.update().where(a.id == first).values(end_date=date(2025, 2, 1)))
    await migrate.upgrade(scratch_engine)
    async with scratch_engine.connect() as c:
        assert await c.scalar(select(func.count()).select_from(a)) == 2
