"""`python -m bench.audit_contention [--workers 3] [--seconds 20] [--clients 5000]`.

Do requests wait on each other's audit append? `hmis serve` with several workers on
PostgreSQL, 8 concurrent clients reading workload A's page (as a partner) for a while, and
meanwhile `pg_locks` sampled every 10 ms: the share of samples in which some backend of the
database waits for a lock, and on what. Before issue 16 an append locked the chain's head
until its COMMIT (15-40% of the time someone waited); now nothing should.

The database (`HMIS_BENCH_DATABASE_URL`, default the benchmark database) is migrated and,
if empty, seeded with `--clients` clients: point it at a database of its own when the
benchmark database is at another migration. Results: bench/results/contention-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from hmis.db.session import make_engine

from . import database, load
from .issuer import AUDIENCE, LoopbackIssuer
from .run import PAGE, RESULTS, _cursor, _git, _partner_org
from .workloads import headers, payload

WAITS = text(
    """
SELECT w.locktype, w.relation::regclass::text AS relation
FROM pg_locks w
WHERE NOT w.granted
  AND w.database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""
)


async def sample(url: str, stop: asyncio.Event) -> dict:
    engine = make_engine(url, isolation_level="AUTOCOMMIT", pool_size=1)
    samples, waiting, what = 0, 0, Counter()
    try:
        async with engine.connect() as connection:
            while not stop.is_set():
                rows = (await connection.execute(WAITS)).all()
                samples += 1
                waiting += bool(rows)
                what.update(f"{kind} {relation or ''}".strip() for kind, relation in rows)
                await asyncio.sleep(0.01)
    finally:
        await engine.dispose()
    return {"samples": samples, "share_waiting": round(waiting / max(samples, 1), 3),
            "waits_by_lock": dict(what.most_common(5))}  # fmt: skip


async def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench.audit_contention", description=__doc__)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--clients", type=int, default=5000, help="seeded into an empty database")
    args = parser.parse_args(argv)
    url = database.default_url(False)
    await database.prepare(url, clients=await _clients(url) or args.clients, reseed=False)
    clients = await database.live_clients(url)
    org_id, _name = await _partner_org(url)
    before = await database.client_at(url, clients // 2 - 1)
    with LoopbackIssuer() as issuer:
        env = {"HMIS_DATABASE_URL": url, "HMIS_ENV": "production",
               "HMIS_OIDC_ISSUER": issuer.url, "HMIS_OIDC_AUDIENCE": AUDIENCE,
               "HMIS_PSEUDONYM_KEY": "bench-pseudonym-key"}  # fmt: skip
        partner = headers(issuer.token("agency_staff", org=org_id, sub="bench-partner"))
        log = Path("var/bench/contention.log")
        async with load.server(env, log, workers=args.workers) as (base, _pid):
            stop = asyncio.Event()
            sampler = asyncio.create_task(sample(url, stop))
            found = await load.drive(base, payload(PAGE, _cursor(before)), partner,
                                     concurrency=args.concurrency, seconds=args.seconds,
                                     warmup=args.concurrency * 2)  # fmt: skip
            stop.set()
            locks = await sampler
    results = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "git": _git(),
        "settings": vars(args),
        "clients": clients,
        "load_average": os.getloadavg(),
        "load": found,
        "locks": locks,
    }
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"contention-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(
        f"{args.workers} workers, {args.concurrency} clients, {found['rps']} req/s, p50 "
        f"{found['median_ms']} ms, p95 {found['p95_ms']} ms; some request waiting on a lock in "
        f"{locks['share_waiting']:.1%} of {locks['samples']} samples {locks['waits_by_lock']}"
    )
    print(f"written to {path}")
    return results


async def _clients(url: str) -> int:
    try:
        return await database.live_clients(url)
    except Exception:  # no database, or not migrated yet: it is made and seeded
        return 0


if __name__ == "__main__":
    asyncio.run(main())
