"""`python -m bench.audit_append [--batches 300] [--events 100] [--warmup 30]`.

What the audit log costs the database per event: batches of `--events` events (a page's)
appended through `audit.append`, each committed and then sealed through `audit.seal`, as a
worker and its sealer do. On a scratch PostgreSQL database of its own (`HMIS_AUDIT_BENCH_URL`,
default `hmis_audit_bench` on the local server), created, migrated and dropped by the run.

Database time is `pg_stat_database.active_time` of that database (PostgreSQL 14+): the time its
backends spent executing statements, whatever their text, without pg_stat_statements. Backends
report it when they exit, so the run closes its connections before each reading. Beside it, the
wall time the client waited for the append (INSERT and COMMIT) and for the seal (its whole
transaction, hashing included). The work of autovacuum (dead tuples left behind) is in
neither: `dead_tuples` shows how much of it is left.

The script uses only `audit.append`, `audit.seal` and the migrations, so the same file runs
on another checkout (`cd ../other && python -m bench.audit_append`) to compare.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import time
import uuid

from sqlalchemy import text
from sqlalchemy.engine import make_url

from hmis.db import audit, audit_chain, migrate
from hmis.db.session import make_engine, make_sessionmaker

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/hmis_audit_bench"
ACTIVE = text("SELECT active_time FROM pg_stat_database WHERE datname = current_database()")
DEAD = text(
    "SELECT relname, n_dead_tup FROM pg_stat_user_tables "
    "WHERE relname LIKE 'audit%' AND n_dead_tup > 0 ORDER BY relname"
)
SIZES = text(
    "SELECT relname, pg_total_relation_size(relid) FROM pg_stat_user_tables "
    "WHERE relname LIKE 'audit%' ORDER BY relname"
)


def page(events: int, request: int) -> list[dict]:
    """A page's events: one per client, the same caller."""
    return [
        {"actor_subject": "bench-staff", "actor_client_id": "bench-app",
         "organization_id": uuid.UUID(int=7), "roles": ["AGENCY_STAFF"],
         "client_id": uuid.uuid4(), "action": "view",
         "groups": ["IDENTITY", "ENROLLMENTS", "CONTACT"], "purpose": "SERVICE_COORDINATION",
         "request_id": f"bench-{request}", "operation_name": "3f2a" * 8}
        for _ in range(events)
    ]  # fmt: skip


async def _admin(url: str, statement: str) -> None:
    admin = make_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await admin.dispose()


async def active_ms(url: str) -> float:
    """The database's active time so far, once the backends that ran the batches have exited
    (they report it on exit)."""
    await asyncio.sleep(1.0)
    engine = make_engine(url, pool_size=1)
    try:
        async with engine.connect() as connection:
            return float(await connection.scalar(ACTIVE))
    finally:
        await engine.dispose()


async def run_batches(url: str, batches: int, events: int, first: int) -> dict[str, float]:
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    append_s = seal_s = 0.0
    try:
        for n in range(first, first + batches):
            rows = page(events, n)
            started = time.perf_counter()
            async with sessions() as session, session.begin():
                await audit.append(session, rows)
            sealing = time.perf_counter()
            sealed = await audit.seal(engine, wait=True)
            done = time.perf_counter()
            if sealed != events:
                raise RuntimeError(f"sealed {sealed} of {events} events")
            append_s += sealing - started
            seal_s += done - sealing
    finally:
        await engine.dispose()
    return {"append": append_s, "seal": seal_s}


def _revision() -> str:
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run(["git", "-C", here, "log", "-1", "--format=%h %s"],
                          capture_output=True, text=True)  # fmt: skip
    return done.stdout.strip()[:60]


async def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench.audit_append")
    parser.add_argument("--batches", type=int, default=300)
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=30)
    args = parser.parse_args(argv)
    url = os.environ.get("HMIS_AUDIT_BENCH_URL", DEFAULT_URL)
    name = make_url(url).database
    # The bench seals itself, after each commit, like a sealer woken by every append.
    audit_chain._Sealer.wake = lambda _self: None
    await _admin(url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    await _admin(url, f"CREATE DATABASE {name}")
    try:
        engine = make_engine(url)
        await migrate.upgrade(engine)
        await engine.dispose()
        await run_batches(url, args.warmup, args.events, 0)
        before = await active_ms(url)
        waited = await run_batches(url, args.batches, args.events, args.warmup)
        after = await active_ms(url)
        engine = make_engine(url)
        try:
            async with engine.connect() as connection:
                dead = dict((await connection.execute(DEAD)).all())
                sizes = dict((await connection.execute(SIZES)).all())
            async with make_sessionmaker(engine)() as session:
                verified = await audit.verify(session)
        finally:
            await engine.dispose()
        if not verified.ok:
            raise RuntimeError(f"the chain does not verify: {verified}")
    finally:
        await _admin(url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    count = args.batches * args.events
    result = {
        "code": _revision(),
        "events": count,
        "db_us_per_event": round((after - before) * 1000 / count, 1),
        "wall_us_per_event": {k: round(v * 1e6 / count, 1) for k, v in waited.items()},
        "dead_tuples": dead,
        "bytes_per_event": {
            k: round(v / (count + args.warmup * args.events))
            for k, v in sizes.items()
            if k != "audit_chain"
        },  # fmt: skip
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    asyncio.run(main())
