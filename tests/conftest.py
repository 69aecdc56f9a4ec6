"""Test fixtures: a migrated database per backend (SQLite always, PostgreSQL when
HMIS_TEST_DATABASE_URL is set), emptied after each test, and the app over HTTP."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text

from hmis.db import migrate
from hmis.db.models import Base
from hmis.db.session import make_engine, make_sessionmaker

PG_URL = os.environ.get("HMIS_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
KEEP_ROWS = {"write_clock"}


async def reset_postgres(url: str) -> None:
    """An empty public schema, so the migrations build everything from nothing."""
    engine = make_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


@pytest.fixture(scope="session")
def backend_urls(tmp_path_factory) -> dict[str, str]:
    urls = {"sqlite": f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"}
    if PG_URL:
        urls["postgresql"] = PG_URL
    return urls


@pytest.fixture(scope="session", params=BACKENDS)
async def database_url(request, backend_urls) -> str:
    """The URL of a database migrated to head (one per backend for the whole session)."""
    url = backend_urls[request.param]
    if request.param == "postgresql":
        await reset_postgres(url)
    engine = make_engine(url)
    await migrate.upgrade(engine)
    await engine.dispose()
    return url


@pytest.fixture
async def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    await wipe(engine)
    await engine.dispose()


@pytest.fixture
def sessions(engine):
    return make_sessionmaker(engine)


async def wipe(engine) -> None:
    """Empty every table (but the SQLite clock row) so each test starts from nothing."""
    tables = [t for t in Base.metadata.sorted_tables if t.name not in KEEP_ROWS]
    async with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            names = ", ".join(t.name for t in tables)
            await connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                await connection.execute(table.delete())
