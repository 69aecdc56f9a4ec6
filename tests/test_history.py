"""The one write path: every write is stamped and versioned; fields read back as of a time."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from hmis.db import history, models
from hmis.db.history import CREATE, DELETE, UPDATE

from . import factories as f


async def versions(session, record_id):
    rows = await session.scalars(
        select(models.RecordVersion)
        .where(models.RecordVersion.record_id == record_id)
        .order_by(models.RecordVersion.seq)
    )
    return list(rows)


async def test_every_write_leaves_a_stamped_version(sessions):
    async with sessions() as s, s.begin():
        shelter = await f.organization(s, "Shelter Org")
        outreach = await f.organization(s, "Outreach Org")
        proj = await f.project(s, shelter)
    a, b = f.staff_writer(shelter, "alice"), f.staff_writer(outreach, "bob")

    async with sessions() as s, s.begin():
        client = await f.client(s, a, ssn="123456789", ssn_data_quality=1)
        enrollment = await history.create(
            s, a, models.Enrollment, client_id=client.id, project_id=proj.id,
            entry_date=date(2024, 1, 5), household_id="H1", relationship_to_hoh=1,
        )  # fmt: skip
    async with sessions() as s, s.begin():
        row = await s.get(models.Client, client.id)
        await history.update(s, b, row, {"last_name": "Byron", "first_name": "Ada"})
    async with sessions() as s, s.begin():
        row = await s.get(models.Enrollment, enrollment.id)
        await history.delete(s, a, row)

    async with sessions() as s:
        client_versions = await versions(s, client.id)
        assert [(v.seq, v.kind, v.organization_id, v.subject) for v in client_versions] == [
            (1, CREATE, shelter.id, "alice"),
            (2, UPDATE, outreach.id, "bob"),
        ]
        assert client_versions[0].changes["ssn"] == "123456789"
        # Only the field that really changed is recorded (first_name was unchanged).
        assert client_versions[1].changes == {"last_name": "Byron"}
        assert client_versions[0].recorded_at < client_versions[1].recorded_at

        row = await s.get(models.Client, client.id)
        assert (row.organization_id, row.created_by) == (shelter.id, "alice")
        assert (row.updated_org_id, row.updated_by, row.version) == (outreach.id, "bob", 2)
        assert row.date_updated == client_versions[1].recorded_at

        enrollment_versions = await versions(s, enrollment.id)
        assert [v.kind for v in enrollment_versions] == [CREATE, DELETE]
        deleted = await s.get(models.Enrollment, enrollment.id)
        assert deleted.date_deleted == enrollment_versions[1].recorded_at  # soft: the row stays
        assert enrollment_versions[0].changes["entry_date"] == "2024-01-05"


async def test_write_time_is_the_databases_and_increases(sessions):
    async with sessions() as s, s.begin():
        org = await f.organization(s, "Org")
    w = f.staff_writer(org)
    times = []
    for i in range(5):  # fast successive transactions: SQLite's clock has only milliseconds
        async with sessions() as s, s.begin():
            c = await f.client(s, w, first_name=f"N{i}")
            times.append(c.date_created)
    assert times == sorted(times) and len(set(times)) == 5


async def test_as_of_returns_each_field_between_edits_by_different_organizations(sessions):
    async with sessions() as s, s.begin():
        shelter = await f.organization(s, "Shelter Org")
        outreach = await f.organization(s, "Outreach Org")
        housing = await f.organization(s, "Housing Org")
    a, b = f.staff_writer(shelter), f.staff_writer(outreach)

    async def edit(writer, **changes):
        async with sessions() as s, s.begin():
            row = await s.get(models.Client, client.id)
            await history.update(s, writer, row, changes)
            return row.date_updated

    async with sessions() as s, s.begin():
        client = await f.client(s, a, first_name="Ada", last_name="Lovelace")
    t1 = client.date_created
    t2 = await edit(b, last_name="Byron")  # outreach renames
    t3 = await edit(a, first_name="Augusta")  # shelter edits another field
    t4 = await edit(b, first_name="Ava")  # outreach edits it again

    async def values(cutoff, orgs=()):
        async with sessions() as s:
            states = await history.as_of(s, cutoffs={client.id: cutoff}, organizations=orgs)
        return states[("clients", client.id)].values

    assert t1 < t2 < t3 < t4
    between = await values(t2)  # after the rename, before the other edits
    assert (between["first_name"], between["last_name"]) == ("Ada", "Byron")
    assert (await values(t1))["last_name"] == "Lovelace"
    # Counting also every change made by the shelter: its later edit shows, outreach's don't.
    mixed = await values(t1, orgs=[shelter.id])
    assert (mixed["first_name"], mixed["last_name"]) == ("Augusta", "Lovelace")
    latest = await values(t4)
    assert (latest["first_name"], latest["last_name"]) == ("Ava", "Byron")
    # An organization that never wrote adds nothing.
    assert (await values(t1, orgs=[housing.id]))["last_name"] == "Lovelace"


async def test_as_of_records_created_later_do_not_exist_and_deletions_always_count(sessions):
    async with sessions() as s, s.begin():
        org = await f.organization(s, "Org")
        proj = await f.project(s, org)
    w = f.staff_writer(org)
    async with sessions() as s, s.begin():
        client = await f.client(s, w)
        old = await history.create(s, w, models.Enrollment, client_id=client.id,
                                   project_id=proj.id, entry_date=date(2020, 1, 1))  # fmt: skip
    cutoff = old.date_created
    async with sessions() as s, s.begin():
        new = await history.create(s, w, models.Enrollment, client_id=client.id,
                                   project_id=proj.id, entry_date=date(2025, 1, 1))  # fmt: skip
        await history.delete(s, w, await s.get(models.Enrollment, old.id))
    async with sessions() as s:
        states = await history.as_of(s, cutoffs={client.id: cutoff}, entities=["enrollments"])
    assert not states[("enrollments", old.id)].exists  # deleted after the cutoff: gone too
    assert ("enrollments", new.id) not in states or not states[("enrollments", new.id)].exists


async def test_correction_after_the_cutoff_counts(sessions):
    async with sessions() as s, s.begin():
        org = await f.organization(s, "Org")
        other = await f.organization(s, "Other")
    async with sessions() as s, s.begin():
        client = await f.client(s, f.staff_writer(org), dob=date(1980, 1, 1), dob_data_quality=1)
    cutoff = client.date_created
    async with sessions() as s, s.begin():
        row = await s.get(models.Client, client.id)
        await history.update(s, f.staff_writer(other), row, {"dob": date(1981, 1, 1)},
                             kind=history.CORRECT)  # fmt: skip
        await history.update(s, f.staff_writer(other), row, {"last_name": "Later"})
    async with sessions() as s:
        state = (await history.as_of(s, cutoffs={client.id: cutoff}))[("clients", client.id)]
    assert state.values["dob"] == date(1981, 1, 1)
    assert state.values["last_name"] == "Lovelace"


async def test_failed_write_leaves_neither_row_nor_version(sessions):
    async with sessions() as s, s.begin():
        org = await f.organization(s, "Org")
    w = f.staff_writer(org)
    with pytest.raises(IntegrityError):
        async with sessions() as s, s.begin():
            client = await f.client(s, w)
            # A project that does not exist: the enrollment fails, so the whole request does.
            await history.create(s, w, models.Enrollment, client_id=client.id,
                                 project_id=org.id, entry_date=date(2024, 1, 1))  # fmt: skip
    with pytest.raises(RuntimeError):
        async with sessions() as s, s.begin():
            await f.client(s, w, first_name="Grace")
            raise RuntimeError("the request failed after the write")
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(models.Client)) == 0
        assert await s.scalar(select(func.count()).select_from(models.RecordVersion)) == 0


async def test_stale_version_is_rejected_and_changes_nothing(sessions):
    async with sessions() as s, s.begin():
        org = await f.organization(s, "Org")
    w = f.staff_writer(org)
    async with sessions() as s, s.begin():
        client = await f.client(s, w)
    async with sessions() as s, s.begin():
        await history.update(s, w, await s.get(models.Client, client.id), {"last_name": "B"},
                             expected_version=1)  # fmt: skip
    with pytest.raises(history.StaleVersion):
        async with sessions() as s, s.begin():
            await history.update(s, w, await s.get(models.Client, client.id),
                                 {"last_name": "C"}, expected_version=1)  # fmt: skip
    async with sessions() as s:
        assert (await s.get(models.Client, client.id)).last_name == "B"
        assert len(await versions(s, client.id)) == 2


async def test_concurrent_writes_to_one_client_are_serialized(sessions, engine):
    """Two transactions writing the same client: the second waits for the first, so its
    time is later than the first's commit (the basis of the refusal rule's ordering)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite allows one writer at a time anyway")
    async with sessions() as s, s.begin():
        org = await f.organization(s, "Org")
    w = f.staff_writer(org)
    async with sessions() as s, s.begin():
        client = await f.client(s, w)
    first_locked = asyncio.Event()

    async def first():
        async with sessions() as s, s.begin():
            at = await history.begin_write(s, clients=[client.id])
            first_locked.set()
            await asyncio.sleep(0.3)  # hold the lock
            await history.update(s, w, await s.get(models.Client, client.id), {"last_name": "1"})
            return at

    async def second():
        await first_locked.wait()
        async with sessions() as s, s.begin():
            at = await history.begin_write(s, clients=[client.id])
            await history.update(s, w, await s.get(models.Client, client.id), {"last_name": "2"})
            return at

    t_first, t_second = await asyncio.gather(first(), second())
    assert t_second - t_first >= __import__("datetime").timedelta(seconds=0.25)
    async with sessions() as s:
        assert (await s.get(models.Client, client.id)).last_name == "2"
