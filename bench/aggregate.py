"""Benchmark of `aggregateCounts` (issue 13): a two-dimension table over the whole CoC for a
year, through the real app over in-process HTTP with an aggregate reader's RS256 token, and
its one SQL statement alone (with PostgreSQL's EXPLAIN ANALYZE).

    make bench-aggregate            # = .venv/bin/python -m bench.aggregate
    .venv/bin/python -m bench.aggregate --by ORGANIZATION,DESTINATION_CLASS --measure EXITS

The database is the benchmark's (bench/README.md: `HMIS_BENCH_DATABASE_URL`, seeded once).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url

from hmis.aggregates import counts as counting
from hmis.aggregates.definitions import Dimension, Measure, Period, PeriodUnit
from hmis.aggregates.tables import publish
from hmis.db.session import make_engine, make_sessionmaker

from . import database
from .issuer import LoopbackIssuer
from .workloads import headers, make_app

QUERY = """query Counts($input: AggregateInput!) { aggregateCounts(input: $input) {
  rows { key cell { count suppressed } } total { count suppressed } } }"""


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.aggregate")
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--measure", default="PERSONS_SERVED")
    parser.add_argument("--by", default="PROJECT_TYPE,AGE_GROUP")
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    return parser.parse_args(argv)


async def main(argv=None) -> dict:
    args = parse_args(argv)
    url = database.default_url(args.sqlite)
    print(f"benchmark database: {make_url(url).render_as_string(hide_password=True)}")
    await database.prepare(url, clients=args.clients, reseed=False)
    by = [Dimension(d) for d in args.by.split(",")]
    measure, period = Measure(args.measure), Period(PeriodUnit.YEAR, date(args.year, 1, 1))
    year = {"unit": "YEAR", "start": period.start.isoformat()}
    variables = {"input": {"measure": measure.value, "by": [d.value for d in by], "period": year}}
    body = json.dumps({"query": QUERY, "variables": variables}).encode()

    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    sql_ms = []
    for _ in range(args.warmup + args.repeat):
        async with sessions() as session, session.begin():
            started = time.perf_counter()
            counts = await counting.count(session, measure=measure, period=period, by=by)
            sql_ms.append((time.perf_counter() - started) * 1000)
    sql_ms = sql_ms[args.warmup :]
    sql = counting.sql_text(engine.sync_engine, measure=measure, period=period, by=by)
    plan = []
    if engine.dialect.name == "postgresql":
        async with engine.connect() as connection:
            await connection.execute(text("SET work_mem = '32MB'"))
            plan = [r[0] for r in await connection.execute(text("EXPLAIN ANALYZE " + sql))]
    await engine.dispose()
    table = publish(counts)

    http_ms = []
    with LoopbackIssuer() as issuer:
        app = make_app(url, issuer.url)
        sent = headers(issuer.token("aggregate_reader", sub="bench-aggregate"))
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://bench"
            ) as client,
        ):
            for i in range(args.warmup + args.repeat):
                started = time.perf_counter()
                response = await client.post("/graphql", content=body, headers=sent)
                elapsed = (time.perf_counter() - started) * 1000
                assert response.status_code == 200 and "errors" not in response.json()
                if i >= args.warmup:
                    http_ms.append(elapsed)

    results = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": make_url(url).get_backend_name(),
        "clients": args.clients,
        "measure": measure.value,
        "by": [d.value for d in by],
        "period": f"YEAR {args.year}",
        "cells": len(counts.cells),
        "suppressed": sum(cell.suppressed for _, cell in table.rows),
        "total": counts.total,
        "statement_ms": _summary(sql_ms),
        "http_ms": _summary(http_ms),
        "explain_execution": next((line for line in plan if "Execution Time" in line), None),
        "sql": sql,
    }
    out = Path("bench/results") / f"aggregate-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({**results, "plan": plan}, indent=2))
    print(results["sql"])
    print(json.dumps({k: v for k, v in results.items() if k != "sql"}, indent=2))
    print(f"written to {out}")
    return results


def _summary(values: list[float]) -> dict:
    ordered = sorted(values)
    return {"median": round(statistics.median(ordered), 1),
            "p95": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1),
            "min": round(ordered[0], 1), "n": len(ordered)}  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
