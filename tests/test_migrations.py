"""Alembic is the only way the schema is made: the chain matches the models, and it can be
walked down and up again, on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from hmis.db import audit, audit_chain, migrate
from hmis.db.models import Base
from hmis.db.models.audit import GENESIS_HASH
from hmis.db.models.base import UTCDateTime
from hmis.db.session import make_engine, make_sessionmaker

from .conftest import BACKENDS, PG_URL


@pytest.fixture(params=BACKENDS)
async def scratch_engine(request, tmp_path):
    """An empty database of its own, so walking the chain disturbs no other test."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'migrations.db'}")
        yield engine
        await engine.dispose()
        return
    name = f"{make_url(PG_URL).database}_migrations"  # beside the test database, never shared
    admin = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        await connection.execute(text(f"CREATE DATABASE {name}"))
    engine = make_engine(make_url(PG_URL).set(database=name))
    yield engine
    await engine.dispose()
    async with admin.connect() as connection:
        await connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    await admin.dispose()


async def differences(engine) -> list:
    def compare(connection):
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)

    async with engine.connect() as connection:
        return await connection.run_sync(compare)


async def tables(engine) -> set[str]:
    async with engine.connect() as connection:
        return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))


async def test_models_and_migrations_agree(scratch_engine):
    await migrate.upgrade(scratch_engine)
    assert await differences(scratch_engine) == []


async def test_upgrade_downgrade_upgrade(scratch_engine):
    await migrate.upgrade(scratch_engine)
    assert set(Base.metadata.tables) <= await tables(scratch_engine)
    await migrate.downgrade(scratch_engine, "base")
    assert await tables(scratch_engine) <= {"alembic_version"}
    await migrate.upgrade(scratch_engine)
    assert await differences(scratch_engine) == []


def test_one_linear_chain():
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(migrate.alembic_config())
    assert len(scripts.get_heads()) == 1
    assert len(scripts.get_bases()) == 1
    for revision in scripts.walk_revisions():
        assert revision.doc, f"revision {revision.revision} needs a message"


def old_audit_events() -> sa.Table:
    """`audit_events` as 0007 left it: the links in the event's row."""
    return sa.Table(
        "audit_events", sa.MetaData(),
        sa.Column("id", sa.BigInteger(), primary_key=True), sa.Column("at", UTCDateTime()),
        *(sa.Column(name, sa.JSON() if name in ("roles", "groups") else sa.String())
          for name in ("actor_subject", "actor_client_id", "roles", "action", "groups",
                       "purpose", "request_id", "operation_name")),
        sa.Column("organization_id", sa.Uuid()), sa.Column("client_id", sa.Uuid()),
        sa.Column("seal", sa.BigInteger()), sa.Column("prev_hash", sa.String()),
        sa.Column("hash", sa.String()),
    )  # fmt: skip


async def test_0008_moves_the_links_and_the_queue_and_back(scratch_engine, monkeypatch):
    """A log of 0007 (three events sealed, two waiting for the sealer) verifies after the
    upgrade, with its hashes unchanged, and gets its columns back on the way down."""
    monkeypatch.setattr(audit_chain._Sealer, "wake", lambda _self: None)
    postgres = scratch_engine.dialect.name == "postgresql"
    await migrate.upgrade(scratch_engine, "0007_fiximp")
    at = datetime(2026, 11, 27, 12, 0, 0, 123456, tzinfo=UTC)
    rows, head = [], GENESIS_HASH
    for i in range(1, 6):
        row = {"id": i, "at": at, "actor_subject": f"staff-{i}", "actor_client_id": None,
               "organization_id": None, "roles": ["AGENCY_STAFF"], "client_id": uuid.uuid4(),
               "action": "view", "groups": ["IDENTITY"], "purpose": None, "request_id": "r",
               "operation_name": None, "seal": None, "prev_hash": None, "hash": None}  # fmt: skip
        if i <= 3:
            row.update(seal=i, prev_hash=head)
            row["hash"] = head = audit.event_hash(row)
        rows.append(row)
    async with scratch_engine.begin() as connection:
        await connection.execute(old_audit_events().insert(), rows)
        await connection.execute(text("UPDATE audit_chain SET head_hash = :h, head_seal = 3"),
                                 {"h": head})  # fmt: skip
    await migrate.upgrade(scratch_engine)
    async with scratch_engine.connect() as connection:
        links = (
            await connection.execute(
                text("SELECT seal, event_id, prev_hash, hash FROM audit_links ORDER BY seal")
            )
        ).all()
        queued = list(await connection.scalars(text("SELECT event_id FROM audit_pending")))
    assert [tuple(link) for link in links] == [
        (r["seal"], r["id"], r["prev_hash"], r["hash"]) for r in rows[:3]
    ]
    assert sorted(queued) == [4, 5]
    async with make_sessionmaker(scratch_engine)() as session:
        found = await audit.verify(session)  # on PostgreSQL it seals the two queued first
    assert found.ok, found
    assert (found.checked, found.unsealed) == ((5, 0) if postgres else (3, 2))

    await migrate.downgrade(scratch_engine, "0007_fiximp")
    assert {"audit_links", "audit_pending"}.isdisjoint(await tables(scratch_engine))
    async with scratch_engine.connect() as connection:
        back = (
            await connection.execute(
                text("SELECT id, seal, prev_hash, hash FROM audit_events ORDER BY id")
            )
        ).all()
    assert [tuple(b) for b in back[:3]] == [
        (r["id"], r["seal"], r["prev_hash"], r["hash"]) for r in rows[:3]
    ]
    # Sealed by the new sealer on PostgreSQL (seal 4, 5): chained after the head.
    assert [b.seal for b in back[3:]] == ([4, 5] if postgres else [None, None])
    assert postgres is False or back[3].prev_hash == back[2].hash
    if postgres:  # 0006's trigger is back: an event may be sealed, never edited
        with pytest.raises(DBAPIError, match="append-only"):
            async with scratch_engine.begin() as connection:
                await connection.execute(text("UPDATE audit_events SET groups = '[]'"))
    await migrate.upgrade(scratch_engine)
    async with make_sessionmaker(scratch_engine)() as session:
        found = await audit.verify(session)
    assert found.ok and found.checked == (5 if postgres else 3), found
