"""Test fixtures: a migrated database per backend (SQLite always, PostgreSQL when
HMIS_TEST_DATABASE_URL is set), emptied after each test, and the app over HTTP."""

from __future__ import annotations

import os

import httpx
import pytest
from sqlalchemy import text, update

from hmis.app import create_app
from hmis.db import audit_chain, migrate
from hmis.db.audit_chain import SEALER_LOCK
from hmis.db.models import AuditChain, Base
from hmis.db.models.audit import GENESIS_HASH
from hmis.db.session import make_engine, make_sessionmaker
from hmis.schema import executor
from tests.support import LoopbackIssuer, api_settings, gql

PG_URL = os.environ.get("HMIS_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
# One-row tables the migrations made: kept, and the audit chain's head reset in `wipe`.
KEEP_ROWS = {"write_clock", "audit_chain", "installation"}


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
    await audit_chain.sealer_idle(engine)
    await wipe(engine)
    await engine.dispose()


@pytest.fixture
def sessions(engine):
    return make_sessionmaker(engine)


async def wipe(engine) -> None:
    """Empty every table (but the one-row tables) so each test starts from nothing; the emptied
    audit log's chain starts again from its genesis hash."""
    tables = [t for t in Base.metadata.sorted_tables if t.name not in KEEP_ROWS]
    async with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # The audit sealer of a request just served may be running: it locks the chain's
            # head, then the events; TRUNCATE the other way round. Its lock first.
            await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                     {"key": SEALER_LOCK})  # fmt: skip
            names = ", ".join(t.name for t in tables)
            await connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                await connection.execute(table.delete())
        await connection.execute(
            update(AuditChain).values(head_hash=GENESIS_HASH, head_seal=0, sealed_through=None)
        )


# --- Calling the API over HTTP with real tokens ---------------------------------------------
# Usage in a test:
#     async def test_x(api, token, sessions):
#         status, body = await gql(api, "{ me { subject } }", token=token("hmis_admin"))
# `gql` is imported from tests.support (also available as the `gql` fixture).


@pytest.fixture(scope="session")
def issuer():
    """The test token issuer (session-wide): real RSA, EC and Ed25519 keys, with its discovery
    document and JWKS served over HTTP on 127.0.0.1. Do not rotate it or switch it off here;
    tests that do use `make_issuer` for a private one."""
    with LoopbackIssuer() as shared:
        yield shared


@pytest.fixture
def make_issuer():
    """A factory of private `LoopbackIssuer`s (closed after the test), for tests that rotate
    keys (`rotate()`) or take the issuer down (`outage = True`)."""
    made: list[LoopbackIssuer] = []

    def make() -> LoopbackIssuer:
        made.append(LoopbackIssuer())
        return made[-1]

    yield make
    for one in made:
        one.close()


@pytest.fixture
async def app(engine, database_url, issuer):
    """The API as production runs it, trusting `issuer` (its JWKS found by OIDC discovery).
    Depends on `engine`, so the database is emptied after the test."""
    application = create_app(api_settings(database_url, issuer))
    yield application
    # Its sealer finishes within the test: it would otherwise seal the next test's events.
    await audit_chain.sealer_idle(application.state.engine)
    await application.state.engine.dispose()


@pytest.fixture
async def api(app):
    """An HTTP client for `app` (in process, through ASGI): `await api.post("/graphql", ...)`,
    or `await gql(api, query, variables, token=...)`."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        yield client


@pytest.fixture
def token(issuer):
    """Mint a valid access token from `issuer`:
    `token("hmis_admin")`, `token(["agency_staff"], org=org.id, sub="staff-1")`,
    `token("auditor", scope="hmis:read", azp="partner-app")`. Extra keyword arguments become
    claims (None removes one). Tokens with no role are valid tokens the API answers 403."""
    return issuer.token


@pytest.fixture(autouse=True)
def no_plan_mismatches():
    """The differential test of the read plans over the whole suite: every object a query
    of any test completes through a plan is completed by graphql-core too (`fast_reads`
    "check"), and the answers and audit notes must be identical."""
    executor.MISMATCHES.clear()
    yield
    found = list(executor.MISMATCHES)
    executor.MISMATCHES.clear()
    assert not found, f"read plans differ from graphql-core: {found[:3]}"


@pytest.fixture(name="gql")
def gql_fixture():
    """`await gql(api, query, variables=None, token=None)` -> (HTTP status, JSON body)."""
    return gql
