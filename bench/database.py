"""The benchmark's database: created if missing, migrated, seeded once with `hmis seed`, and
reused by later runs (`--reseed` starts over).

Seeding and migrating run as `hmis` subprocesses, exactly the commands an operator types, and
keep the generator's memory out of the measuring process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from hmis.db import models, refusals
from hmis.db.history import Writer
from hmis.db.session import is_sqlite, make_engine, make_sessionmaker

POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/hmis_bench"
SQLITE_PATH = Path("var/bench/hmis_bench.db")
SEED = 1
# Workload C: clients at these positions (in id order) carry a refusal recorded by the bench.
REFUSED_RANGE_START = 80_000
REFUSED_RANGE_SIZE = 200  # the largest page (`first` is capped at 200)
REFUSAL_SUBJECT = "bench-refusal-desk"


@dataclass
class SeedInfo:
    seeded_this_run: bool
    seconds: float | None
    clients: int
    output: str = ""


def default_url(sqlite: bool) -> str:
    if sqlite:
        return f"sqlite+aiosqlite:///{SQLITE_PATH}"
    return os.environ.get("HMIS_BENCH_DATABASE_URL", POSTGRES_URL)


def _hmis(*args: str, url: str) -> str:
    """Run an `hmis` subcommand against `url`; its output (it raises if the command fails)."""
    env = {**os.environ, "HMIS_DATABASE_URL": url, "HMIS_ENV": "production"}
    done = subprocess.run(
        [sys.executable, "-m", "hmis.cli", *args], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"hmis {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


async def _create_postgres_database(url: str) -> None:
    target = make_url(url)
    admin = make_engine(
        target.set(database="postgres").render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
    )
    try:
        async with admin.connect() as connection:
            found = await connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": target.database},
            )
            if not found:
                name = target.database.replace('"', '""')
                await connection.execute(text(f'CREATE DATABASE "{name}"'))
                print(f"created database {target.database}")
    finally:
        await admin.dispose()


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


async def _drop_everything(url: str) -> None:
    """`--reseed`: an empty database (only ever the benchmark's own)."""
    if is_sqlite(url):
        _remove_sqlite(Path(make_url(url).database))
        return
    engine = make_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


async def live_clients(url: str) -> int:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            return int(
                await connection.scalar(select(func.count()).select_from(models.Client)) or 0
            )
    finally:
        await engine.dispose()


async def prepare(url: str, *, clients: int, reseed: bool) -> SeedInfo:
    """A migrated database holding the synthetic CoC of `clients` clients (seed 1)."""
    if is_sqlite(url):
        Path(make_url(url).database).parent.mkdir(parents=True, exist_ok=True)
    else:
        await _create_postgres_database(url)
    if reseed:
        await _drop_everything(url)
    _hmis("migrate", url=url)
    found = await live_clients(url)
    if found:
        if found != clients:
            raise SystemExit(
                f"the benchmark database holds {found:,} clients, not {clients:,}: "
                "run with --reseed (or the matching --clients)"
            )
        # Cheap (a sample per table), and the plans depend on it: a server with autovacuum
        # off never analyzes a bulk-loaded database by itself.
        await _analyze(url)
        return SeedInfo(False, None, clients)
    print(f"seeding {clients:,} clients with `hmis seed` (one time; minutes for 100,000)...")
    started = time.perf_counter()
    output = _hmis("seed", "--clients", str(clients), "--seed", str(SEED), "--if-empty", url=url)
    seconds = time.perf_counter() - started
    await _analyze(url)
    print(output.rstrip())
    return SeedInfo(True, seconds, clients, output)


async def _analyze(url: str) -> None:
    """Fresh planner statistics after the bulk load (autovacuum would get there later)."""
    engine = make_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text("ANALYZE"))
    finally:
        await engine.dispose()


async def client_at(url: str, position: int) -> uuid.UUID:
    """The id of the live client at `position` (0-based) in the API's page order."""
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.scalar(
                select(models.Client.id)
                .where(models.Client.date_deleted.is_(None))
                .order_by(models.Client.id)
                .offset(position)
                .limit(1)
            )
    finally:
        await engine.dispose()


async def ensure_refused_range(url: str) -> dict:
    """Workload C's page: every client of a contiguous range of ids has refused sharing.

    Refusals are recorded through the real write path (`hmis.db.refusals.record_refusal`, one
    transaction per client, by the client's own organization), only for clients of the range
    not already covered, so a reused database is left as it is.
    """
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    c, coverage = models.Client, models.RefusalCoverage
    try:
        async with sessions() as session:
            rows = (
                await session.execute(
                    select(c.id, c.organization_id)
                    .where(c.date_deleted.is_(None))
                    .order_by(c.id)
                    .offset(REFUSED_RANGE_START)
                    .limit(REFUSED_RANGE_SIZE)
                )
            ).all()
            covered = set(
                await session.scalars(
                    select(coverage.client_id).where(
                        coverage.client_id.in_([r.id for r in rows]), coverage.revoked_at.is_(None)
                    )
                )
            )
        recorded = 0
        for client_id, org_id in rows:
            if client_id in covered:
                continue
            async with sessions() as session, session.begin():
                writer = Writer(REFUSAL_SUBJECT, org_id)
                await refusals.record_refusal(session, writer, client_id=client_id)
            recorded += 1
        return {
            "first_position": REFUSED_RANGE_START,
            "clients": len(rows),
            "covered_before": len(covered),
            "recorded_now": recorded,
            "how": "hmis.db.refusals.record_refusal, one per client, by its own organization",
            "first_id": str(rows[0].id),
        }
    finally:
        await engine.dispose()
