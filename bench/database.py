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
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import exists, func, select, text
from sqlalchemy.engine import make_url

from hmis.db import history, models, refusals
from hmis.db.history import Writer
from hmis.db.session import is_sqlite, make_engine, make_sessionmaker

POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/hmis_bench"
SQLITE_PATH = Path("var/bench/hmis_bench.db")
SEED = 1
# Where the pages of refused clients start, as a fraction of the CoC in id order (70,000 and
# 80,000 of 100,000): C's, refused just now, and C-later's, served after the refusal too.
# Each holds as many clients as the largest page (`first` is capped at 200).
REFUSED_RANGES = {"C": 0.7, "C-later": 0.8}
REFUSED_RANGE_SIZE = 200


def refused_range_start(clients: int, workload: str) -> int:
    return int(clients * REFUSED_RANGES[workload])


REFUSAL_SUBJECT = "bench-refusal-desk"
AFTER_SUBJECT = "bench-after-refusal"  # marks what the bench wrote after those refusals
DATA_NOT_COLLECTED = 99  # HUD 3.12 Destination


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


async def ensure_refused_range(url: str, *, clients: int, workload: str) -> dict:
    """A page where every client has refused sharing: a contiguous range of ids.

    Through the real write paths, one transaction per client: the refusal
    (`hmis.db.refusals.record_refusal`, by the client's own organization). For "C-later" the
    providers then go on serving the client (`hmis.db.history`): an exit for each open stay,
    an end date for each current case manager assignment, two new stays (one over) and a new
    case manager at the client's own organization; a third to a half of these clients'
    records are then newer than the refusal, as in the seeded histories (half the records of
    the clients refused there), and the page folds their versions. Only what is missing is
    written: a reused database is kept as it is.
    """
    later = workload == "C-later"
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    c, coverage, v = models.Client, models.RefusalCoverage, models.RecordVersion
    try:
        async with sessions() as session:
            rows = (
                await session.execute(
                    select(c.id, c.organization_id)
                    .where(c.date_deleted.is_(None))
                    .order_by(c.id)
                    .offset(refused_range_start(clients, workload))
                    .limit(REFUSED_RANGE_SIZE)
                )
            ).all()
            ids = [r.id for r in rows]
            covered = set(
                await session.scalars(
                    select(coverage.client_id).where(
                        coverage.client_id.in_(ids), coverage.revoked_at.is_(None)
                    )
                )
            )
            served = set(
                await session.scalars(
                    select(v.client_id).where(v.client_id.in_(ids), v.subject == AFTER_SUBJECT)
                )
            )
        recorded = written = 0
        for client_id, org_id in rows:
            if client_id not in covered:
                async with sessions() as session, session.begin():
                    writer = Writer(REFUSAL_SUBJECT, org_id)
                    await refusals.record_refusal(session, writer, client_id=client_id)
                recorded += 1
            if later and client_id not in served:
                async with sessions() as session, session.begin():
                    written += await _serve_after_refusal(session, client_id, org_id)
        return {
            "first_position": refused_range_start(clients, workload),
            "clients": len(rows),
            "first_id": str(rows[0].id),
            "refusals_recorded_now": recorded,
            "records_written_after_refusal_now": written,
            "how": "record_refusal, one transaction per client, by its organization"
            + (
                "; then exits, ended assignments, new stays and case managers through "
                "hmis.db.history, by the owning organizations"
                if later
                else ""
            ),
        }
    finally:
        await engine.dispose()


async def _serve_after_refusal(session, client_id: uuid.UUID, org_id: uuid.UUID | None) -> int:
    """What providers record after a refusal; the number of records written."""
    e, x, a = models.Enrollment, models.Exit, models.CaseManagerAssignment
    today = date.today()
    records = []
    open_stays = await session.scalars(
        select(e).where(
            e.client_id == client_id,
            e.date_deleted.is_(None),
            ~exists().where(x.enrollment_id == e.id, x.date_deleted.is_(None)),
        )
    )
    for stay in open_stays.all():  # each left its project (the project's organization writes)
        records.append(await _exit(session, stay, today))
    current = await session.scalars(
        select(a).where(a.client_id == client_id, a.date_deleted.is_(None), a.end_date.is_(None))
    )
    for assignment in current.all():
        owner = Writer(AFTER_SUBJECT, assignment.organization_id)
        await history.update(session, owner, assignment, {"end_date": today})
        records.append(assignment)
    project = await session.scalar(
        select(models.Project.id).where(models.Project.organization_id == org_id).limit(1)
    )
    staff = await session.scalar(
        select(models.StaffUser.id).where(models.StaffUser.organization_id == org_id).limit(1)
    )
    if project is not None and staff is not None:
        # Two more stays at the client's own organization (one already over) and a new
        # case manager there.
        writer = Writer(AFTER_SUBJECT, org_id)
        for entry in (today - timedelta(days=60), today - timedelta(days=7)):
            stay = await history.create(
                session, writer, e, client_id=client_id, project_id=project, entry_date=entry
            )
            records.append(stay)
            if entry < today - timedelta(days=30):
                records.append(await _exit(session, stay, today - timedelta(days=30)))
        records.append(
            await history.create(
                session, writer, a, client_id=client_id, staff_user_id=staff, start_date=today
            )  # fmt: skip
        )
    return len(records)


async def _exit(session, stay: models.Enrollment, on: date) -> models.Exit:
    owner = Writer(AFTER_SUBJECT, stay.organization_id)  # the project's organization
    return await history.create(session, owner, models.Exit, enrollment_id=stay.id,
                                client_id=stay.client_id, exit_date=on,
                                destination=DATA_NOT_COLLECTED)  # fmt: skip
