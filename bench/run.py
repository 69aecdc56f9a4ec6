"""`make bench` / `python -m bench.run [--sqlite] [--clients N] [--repeat K] [--reseed]`.

Seeds the benchmark database once (reused afterwards), runs workloads A-F (see
`bench.workloads.WORKLOADS`), prints a table with the targets of issue 7 and writes it all to
`bench/results/<timestamp>.json`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url

from hmis.app import tune_gc
from hmis.db import models
from hmis.db.session import make_engine
from hmis.schema import executor

from . import database, floor, load, measure
from .issuer import LoopbackIssuer
from .workloads import WORKLOADS, Case, api_client, headers, make_app, payload

RESULTS = Path(__file__).parent / "results"
PAGE = 100
# A, B and D read the page from the middle of the CoC (clients 50,000-50,099 of 100,000).
A_PAGE_AT = 0.5

# Issue 7's targets: (label, measured key, limit).
TARGETS = [
    ("SQL statements per request, A", "statements_A", 8),
    ("A/B median latency", "A/B", 1.15),
    ("C/A median latency", "C/A", 1.30),
    ("A/D median latency", "A/D", 1.10),
    ("A/E median latency", "A/E", 2.00),
    # Issue 16, as ratios of one run: "A at most 20 ms of CPU in process" was set on the
    # machine where E took 28.4 ms (bench/README.md), "C at most 1.2 × A".
    ("A/E CPU per request (issue 16: A ≤ 20 ms where E took 28.4)", "A/E CPU", 0.70),
    ("C/A CPU per request (issue 16)", "C/A CPU", 1.20),
]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--sqlite", action="store_true", help="SQLite (var/bench/) instead")
    parser.add_argument("--clients", type=int, default=100_000, help="CoC size (default 100000)")
    parser.add_argument("--repeat", type=int, default=40, help="timed rounds (default 40)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed rounds first (default 5)")
    parser.add_argument("--reseed", action="store_true", help="empty the database and seed again")
    parser.add_argument(
        "--memory-requests", type=int, default=1000, help="repeated A requests for the leak check"
    )
    parser.add_argument("--load-seconds", type=float, default=15.0, help="F: how long (s)")
    parser.add_argument("--concurrency", type=int, default=8, help="F: concurrent clients")
    parser.add_argument("--no-load", action="store_true", help="skip workload F")
    return parser.parse_args(argv)


async def _partner_org(url: str):
    """The partner of A: the first organization by name that is not a victim service
    provider (most clients of any page were entered by other organizations)."""
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            o = models.Organization
            row = (
                await connection.execute(
                    select(o.id, o.name)
                    .where(o.victim_service_provider.is_(False), o.date_deleted.is_(None))
                    .order_by(o.name)
                    .limit(1)
                )
            ).one()
            return row.id, row.name
    finally:
        await engine.dispose()


async def _page_facts(url: str, ids: list[str], org_id) -> dict:
    """What A's page holds: refused clients (as-of path) and the partner's own clients."""
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            c, coverage = models.Client, models.RefusalCoverage
            refused = await connection.scalars(
                select(coverage.client_id)
                .distinct()
                .where(coverage.client_id.in_(ids), coverage.revoked_at.is_(None))
            )
            own = await connection.scalars(
                select(c.id).where(c.id.in_(ids), c.organization_id == org_id)
            )
            return {"clients": len(ids), "refused": len(list(refused)), "own": len(list(own))}
    finally:
        await engine.dispose()


def _cursor(client_id) -> str:
    import base64

    return base64.urlsafe_b64encode(f"client:{client_id}".encode()).decode()


def _git() -> dict:
    def run(*args: str) -> str:
        done = subprocess.run(["git", *args], capture_output=True, text=True)
        return done.stdout.strip()

    return {
        "commit": run("rev-parse", "--short", "HEAD"),
        "dirty": bool(run("status", "--porcelain")),
    }


async def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    if args.clients < 1000:
        raise SystemExit("--clients: at least 1000 (workload C needs 200 clients of its own)")
    url = database.default_url(args.sqlite)
    shown_url = make_url(url).render_as_string(hide_password=True)
    print(f"benchmark database: {shown_url}")
    seed = await database.prepare(url, clients=args.clients, reseed=args.reseed)
    refused, after = {}, {}
    for name in database.REFUSED_RANGES:
        refused[name] = await database.ensure_refused_range(
            url, clients=args.clients, workload=name
        )
        start = database.refused_range_start(args.clients, name)
        after[name] = _cursor(await database.client_at(url, start - 1))
    org_id, org_name = await _partner_org(url)
    a_position = int(args.clients * A_PAGE_AT)
    a_after = _cursor(await database.client_at(url, a_position - 1))

    results: dict = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python -m bench.run " + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "git": _git(),
        "database": {"url": shown_url, "dialect": make_url(url).get_backend_name()},
        "seed": {
            "clients": args.clients,
            "seed": database.SEED,
            "seeded_this_run": seed.seeded_this_run,
            "seconds": seed.seconds and round(seed.seconds, 1),
        },
        "workloads": dict(WORKLOADS),
        "page": {"first": PAGE, "a_position": a_position, "partner": org_name},
        "refused_ranges": refused,
        "settings": {
            "repeat": args.repeat,
            "warmup": args.warmup,
            "F fast_reads": os.environ.get("HMIS_FAST_READS", "on"),
        },  # fmt: skip
    }

    with LoopbackIssuer() as issuer:
        app = make_app(url, issuer.url)
        # The same API with graphql-core completing every object (the reference path).
        core = make_app(url, issuer.url, fast_reads="off")
        # Production refuses to run without its audit log: the switch works in development.
        quiet = make_app(url, issuer.url, unsafe_disable_audit=True, env="development",
                         enable_graphiql=False)  # fmt: skip
        partner = headers(issuer.token("agency_staff", org=org_id, sub="bench-partner"))
        admin = headers(issuer.token("hmis_admin", sub="bench-admin"))
        async with api_client(app) as api, api_client(quiet) as api_quiet, \
                api_client(core) as api_core:  # fmt: skip
            a = Case("A", api, payload(PAGE, a_after), partner, app)
            b = Case("B", api, payload(PAGE, a_after), admin, app)
            c = Case("C", api, payload(PAGE, after["C"]), partner, app)
            c_later = Case("C-later", api, payload(PAGE, after["C-later"]), partner, app)
            d = Case("D", api_quiet, payload(PAGE, a_after), partner, quiet)
            a_core = Case("A-core", api_core, payload(PAGE, a_after), partner, core)
            c_core = Case("C-core", api_core, payload(PAGE, after["C"]), partner, core)
            response = await a.call()
            ids = [uuid.UUID(e["node"]["id"]) for e in response["data"]["clients"]["edges"]]
            results["page"].update(await _page_facts(url, ids, org_id))
            counted = Case("A+total", api, payload(PAGE, a_after, total=True), partner, app)
            async with api_client(floor.floor_app(response)) as api_floor:
                e = Case("E", api_floor, payload(PAGE, a_after), headers(None))
                if await e.call() != response:
                    raise RuntimeError("the floor (E) does not return A's response")
                cases = [a, b, c, d, e, counted, c_later, a_core, c_core]
                await _run_in_process(cases, args, results)
        await app.state.engine.dispose()
        await quiet.state.engine.dispose()
        await core.state.engine.dispose()
        if not args.no_load:
            results["F"] = await _run_load(url, issuer, a.body, partner, args)

    _ratios(results)
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"{stamp}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(results, indent=2) + "\n")
    tmp.replace(path)
    print(render(results))
    shown = path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path
    print(f"\nwritten to {shown}")
    return results


async def _run_in_process(cases: list[Case], args, results: dict) -> None:
    a = cases[0]
    # The collector as a serving process sets it (`hmis.app.tune_gc`, run by the app's
    # lifespan, which in-process requests do not start).
    tune_gc()
    for case in cases:  # each app's first request also looks up the partner's organization
        await case.call()
    plans = {}
    for case in cases:  # what the read plans did for one request (hmis.schema.executor)
        before = executor.STATS.copy()
        await case.call()
        plans[case.name] = dict(executor.STATS - before)
    print("counting statements...")
    statements = {case.name: await measure.statements_per_request(case) for case in cases}
    by_size = {
        str(n): await measure.statements_per_request(a.with_first(n)) for n in (10, 100, 200)
    }
    print(f"timing {args.repeat} rounds after {args.warmup} warm-up rounds...")
    timings = await measure.latencies(cases, warmup=args.warmup, repeat=args.repeat)
    print("measuring memory...")
    for case in cases:
        results[case.name] = {
            **measure.summary(timings[case.name]),
            "response_kib": round(len(await case.send()) / 1024, 1),
            "statements": statements[case.name],
            "peak_mib": await measure.peak_memory(case),
            "plans": plans[case.name],
        }
    results["A"]["statements_by_first"] = by_size
    print(f"repeating A {args.memory_requests} times (memory growth)...")
    results["A"]["growth"] = await measure.growth(a, requests=args.memory_requests)


async def _run_load(url: str, issuer, body: bytes, sent: dict, args) -> dict:
    print(f"workload F: uvicorn, {args.concurrency} concurrent clients, {args.load_seconds:g} s...")
    env = {
        "HMIS_DATABASE_URL": url,
        "HMIS_ENV": "production",
        "HMIS_OIDC_ISSUER": issuer.url,
        "HMIS_OIDC_AUDIENCE": "hmis-graphql",
        "HMIS_PSEUDONYM_KEY": "bench-pseudonym-key",
        "HMIS_FAST_READS": os.environ.get("HMIS_FAST_READS", "on"),
    }
    async with load.server(env, Path("var/bench/serve.log")) as (base, pid):
        found = await load.drive(
            base,
            body,
            sent,
            concurrency=args.concurrency,
            seconds=args.load_seconds,
            warmup=args.concurrency * 3,
            pid=pid,
        )
        found["server_peak_rss_mib"] = load.peak_rss_mib(pid)
    return found


def _ratios(results: dict) -> None:
    median = {k: results[k]["median_ms"] for k in "ABCDE"}
    found = {
        "A/B": median["A"] / median["B"],
        "C/A": median["C"] / median["A"],
        "A/D": median["A"] / median["D"],
        "A/E": median["A"] / median["E"],
        "A/E CPU": results["A"]["cpu_ms"] / results["E"]["cpu_ms"],
        "C/A CPU": results["C"]["cpu_ms"] / results["A"]["cpu_ms"],
    }
    # Three decimals, and compared unrounded: 1.102 misses a limit of 1.10.
    results["ratios"] = {k: round(v, 3) for k, v in found.items()}
    by_size = results["A"]["statements_by_first"]
    checks = []
    for label, key, limit in TARGETS:
        value = results["A"]["statements"] if key == "statements_A" else found[key]
        shown = value if key == "statements_A" else round(value, 3)
        checks.append({"target": label, "value": shown, "limit": limit, "met": value <= limit})
    checks.append(
        {
            "target": "A's statements equal for first: 10, 100, 200",
            "value": by_size,
            "met": len(set(by_size.values())) == 1,
        }
    )
    growth = results["A"]["growth"]
    requests = growth["requests"]
    checks.append(
        {
            "target": f"no memory growth across {growth['requests']} requests of A",
            "value": f"{growth['blocks_growth']:+} memory blocks, "
            f"{growth['objects_growth']:+} objects, RSS {growth['rss_growth_kib']:+} KiB",
            # A leak keeps something per request: at least `requests` blocks. What remains
            # below that is allocator and cache noise (a few hundred blocks either way).
            "met": growth["blocks_growth"] < requests and growth["objects_growth"] < requests,
        }
    )
    results["targets"] = checks


def render(results: dict) -> str:
    lines = [
        f"database {results['database']['url']}, {results['seed']['clients']:,} clients; "
        f"A's page: {results['page']['clients']} clients, {results['page']['refused']} refused, "
        f"{results['page']['own']} entered by the partner ({results['page']['partner']})",
        "",
        "| workload | median ms | p95 ms | CPU ms | page faults | SQL/request | peak MiB "
        "| response KiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for key in ("A", "B", "C", "D", "E", "A+total", "C-later", "A-core", "C-core"):
        r = results[key]
        statements = "-" if r["statements"] is None else r["statements"]
        lines.append(
            f"| {key}: {results['workloads'][key]} | {r['median_ms']:.1f} | {r['p95_ms']:.1f} "
            f"| {r['cpu_ms']:.1f} | {r['page_faults']:.0f} | {statements} "
            f"| {r['peak_mib']:.1f} | {r['response_kib']:.0f} |"
        )
    lines += ["", "read plans per request (planned selections / fallbacks to graphql-core):"]
    for key in ("A", "B", "C", "D", "A+total", "C-later", "A-core", "C-core"):
        lines.append(f"- {key}: {results[key].get('plans') or 'none'}")
    f = results.get("F")
    if f:
        lines += [
            "",
            f"F: {results['workloads']['F']}: {f['rps']} requests/s with {f['concurrency']} "
            f"concurrent clients over {f['seconds']} s ({f['requests']} requests), "
            f"p50 {f['median_ms']} ms, p95 {f['p95_ms']} ms; server per request: "
            f"{f.get('server_cpu_ms')} ms CPU ({f.get('server_sys_ms')} ms system), "
            f"{f.get('server_page_faults')} page faults; server peak RSS "
            f"{f['server_peak_rss_mib']} MiB",
        ]
    lines += ["", "| target | measured | limit | met |", "|---|---|---|---|"]
    for check in results["targets"]:
        limit = check.get("limit", "")
        lines.append(
            f"| {check['target']} | {check['value']} | {limit} | "
            f"{'yes' if check['met'] else 'NO'} |"
        )
    seed = results["seed"]
    if seed["seeded_this_run"]:
        lines.append(f"\nseeded {seed['clients']:,} clients in {seed['seconds']} s (hmis seed)")
    return "\n".join(lines)


if __name__ == "__main__":
    started = time.perf_counter()
    asyncio.run(main())
    print(f"benchmark took {time.perf_counter() - started:.0f} s")
