"""Alembic is the only way the schema is made: the chain matches the models, and it can be
walked down and up again, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from hmis.db import migrate
from hmis.db.models import Base
from hmis.db.session import make_engine

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
