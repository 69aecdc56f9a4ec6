"""`make bench-peer` / `python -m bench.peer [--seconds S] [--rounds R] [--concurrency N]`.

This API next to its peer, PostGraphile 5.1.5 serving the same benchmark database through a
read-only role, on the page of workload A (`clients(first: 100)` from client 50,000 with
identity, demographics, enrollments with exit, project and organization, case manager).
Both over real HTTP, driven by one load generator (this process, N concurrent clients) in
interleaved slices: A (a partner), B (an administrator), P (PostGraphile), A, B, P... so a
noisy machine slows all alike. First checks that both return the same clients and enrollments.

Per system: requests/s, p50/p95, and per request the CPU time of the server's processes and
of the PostgreSQL backends serving them (/proc). Written to bench/results/peer-<time>.json.

The database is only read (no migration, no seed): run `make bench` once first. Our server is
`hmis serve` of this checkout, or of `--server-source DIR` (a checkout whose `hmis` package is
served instead, with this checkout's environment: for a database at another migration).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from . import database, load, peer_setup
from .issuer import AUDIENCE, LoopbackIssuer
from .measure import percentile
from .run import A_PAGE_AT, PAGE, RESULTS, _cursor, _git, _partner_org
from .workloads import headers, payload

# The same page for PostGraphile: its names for the same columns and relations (no
# authorization: every enrollment, exit and case manager assignment of each client). Rows
# entered in error (`date_deleted`) are left out as this API does; for the exits it is also
# what lets PostgreSQL use their only index on `enrollment_id` (partial: live rows). Without
# it every enrollment's exit is a scan of the whole table: 90 s for the page.
PEER_QUERY = """
query ClientPage($first: Int!, $after: Cursor) {
  allClients(
    first: $first, after: $after, orderBy: PRIMARY_KEY_ASC, condition: {dateDeleted: null}
  ) {
    pageInfo { hasNextPage endCursor }
    edges {
      cursor
      node {
        rowId
        firstName middleName lastName nameSuffix nameDataQuality
        ssn ssnDataQuality dob dobDataQuality
        amIndAkNative asian blackAfAmerican hispanicLatinaeo midEastNAfrican nativeHiPacific
        white raceNone additionalRaceEthnicity woman man nonBinary culturallySpecific
        transgender questioning differentIdentity genderNone differentIdentityText veteranStatus
        enrollmentsByClientId(condition: {dateDeleted: null}) {
          totalCount
          nodes {
            rowId entryDate
            exitsByEnrollmentId(condition: {dateDeleted: null}) { nodes { exitDate destination } }
            projectByProjectId {
              rowId name projectType organizationByOrganizationId { rowId name }
            }
          }
        }
        caseManagerAssignmentsByClientId(condition: {dateDeleted: null}) {
          nodes {
            startDate endDate
            staffUserByStaffUserId {
              rowId firstName lastName phone extension email
              organizationByOrganizationId { rowId name }
            }
          }
        }
      }
    }
  }
}
"""
CURSOR_QUERY = """
query Before($id: UUID!) {
  allClients(condition: {rowId: $id, dateDeleted: null}, orderBy: PRIMARY_KEY_ASC) {
    edges { cursor }
  }
}
"""
SYSTEMS = {
    "A": "this API, partner (A)",
    "B": "this API, admin (B)",
    "P": f"PostGraphile {peer_setup.POSTGRAPHILE} on the same database, no authorization at all",
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.peer",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="per slice (default 10)")
    parser.add_argument("--rounds", type=int, default=3, help="slices per system (default 3)")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent clients (8)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="hmis serve workers (default: the CPUs, as `hmis serve`)")  # fmt: skip
    parser.add_argument("--server-source", type=Path, help="serve the hmis package of this dir")
    return parser.parse_args(argv)


async def post(http: httpx.AsyncClient, body: bytes, sent: dict) -> bytes:
    response = await http.post("/graphql", content=body, headers=sent)
    # Inside JSON strings quotes are escaped: `"errors":` is only ever the key.
    if response.status_code != 200 or b'"errors":' in response.content:
        raise RuntimeError(f"HTTP {response.status_code}: {response.content[:300]!r}")
    return response.content


def same_page(ours: dict, peer: dict) -> dict:
    """Clients in the same order, and each client's enrollments (with exit dates) alike."""
    edges = ours["data"]["clients"]["edges"]
    mine = {e["node"]["id"]: {n["node"]["id"]: n["node"]["exitDate"]
                              for n in e["node"]["enrollments"]["edges"]}
            for e in edges}  # fmt: skip
    theirs = {}
    for edge in peer["data"]["allClients"]["edges"]:
        node = edge["node"]
        theirs[node["rowId"]] = {
            n["rowId"]: (n["exitsByEnrollmentId"]["nodes"] or [{"exitDate": None}])[0]["exitDate"]
            for n in node["enrollmentsByClientId"]["nodes"]
        }
    return {
        "clients": len(mine),
        "same_clients_in_order": list(mine) == list(theirs),
        "enrollments": sum(map(len, mine.values())),
        "peer_enrollments": sum(map(len, theirs.values())),
        # The partner may see fewer (the policy): PostGraphile returns each one it sees...
        "enrollments_alike": all(
            m.keys() <= theirs.get(client, {}).keys() for client, m in mine.items()
        ),
        # ...with the same exit, but for a refused client whose exit came after the refusal:
        # the partner sees the enrollment as it stood then (the as-of rule).
        "exits_differ": sum(
            exit_date != theirs.get(client, {}).get(enrollment)
            for client, m in mine.items()
            for enrollment, exit_date in m.items()
        ),
        "all_enrollments": mine == theirs,
    }


async def slice_(base, body, sent, pid, backends, args) -> dict:
    """`concurrency` clients post back to back for `seconds`; latencies, CPU of the server
    processes and of their PostgreSQL backends."""
    limits = httpx.Limits(max_connections=args.concurrency,
                          max_keepalive_connections=args.concurrency)  # fmt: skip
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as http:
        await asyncio.gather(*(post(http, body, sent) for _ in range(args.concurrency * 2)))
        latencies: list[float] = []
        pids = peer_setup.process_tree(pid)
        app_before = sum(map(peer_setup.cpu_seconds, pids))
        db_before = await backends.cpu(pid)
        client_before = time.process_time()
        deadline = time.perf_counter() + args.seconds

        async def client() -> None:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                await post(http, body, sent)
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(args.concurrency)))
        elapsed = time.perf_counter() - started
        app = sum(map(peer_setup.cpu_seconds, pids)) - app_before
        load = time.process_time() - client_before
        db_after = await backends.cpu(pid)
    db = sum(cpu - db_before.get(backend, 0.0) for backend, cpu in db_after.items())
    return {"requests": len(latencies), "seconds": elapsed, "latencies": latencies,
            "app_cpu": app, "db_cpu": db, "load_cpu": load,
            "backends": len(db_after)}  # fmt: skip


def summarize(slices: list[dict]) -> dict:
    requests = sum(s["requests"] for s in slices)
    ms = [x * 1000 for s in slices for x in s["latencies"]]
    return {
        "requests": requests,
        "rps": round(requests / sum(s["seconds"] for s in slices), 1),
        "p50_ms": round(percentile(ms, 50), 1),
        "p95_ms": round(percentile(ms, 95), 1),
        "app_cpu_ms": round(sum(s["app_cpu"] for s in slices) / requests * 1000, 1),
        "db_cpu_ms": round(sum(s["db_cpu"] for s in slices) / requests * 1000, 1),
        "load_cpu_ms": round(sum(s["load_cpu"] for s in slices) / requests * 1000, 1),
        "slices_rps": [round(s["requests"] / s["seconds"], 1) for s in slices],
        "backends": max(s["backends"] for s in slices),
    }


async def _same_pages(ours: str, ours_body: bytes, peer: str, before, tokens: dict):
    """PostGraphile's request for the same page (its cursor for the client before it), and
    the check that our answers to each caller hold the same clients and enrollments."""
    async with httpx.AsyncClient(base_url=peer, timeout=120) as http:
        ask = {"query": CURSOR_QUERY, "variables": {"id": str(before)}}
        found = json.loads(await post(http, json.dumps(ask).encode(), headers(None)))
        cursor = found["data"]["allClients"]["edges"][0]["cursor"]
        page = {"query": PEER_QUERY, "variables": {"first": PAGE, "after": cursor}}
        peer_body = json.dumps(page).encode()
        peer_page = json.loads(await post(http, peer_body, headers(None)))
    async with httpx.AsyncClient(base_url=ours, timeout=120) as http:
        checks = {name: same_page(json.loads(await post(http, ours_body, sent)), peer_page)
                  for name, sent in tokens.items()}  # fmt: skip
    admin, partner = checks["B"], checks["A"]
    if not (admin["same_clients_in_order"] and admin["all_enrollments"]
            and partner["same_clients_in_order"] and partner["enrollments_alike"]):  # fmt: skip
        raise SystemExit(f"the two systems return different pages: {checks}")
    return peer_body, checks


async def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    installed = peer_setup.install()
    url = database.default_url(False)
    clients = await database.live_clients(url)
    if clients < 1000:
        raise SystemExit(f"the benchmark database holds {clients} clients: run `make bench`")
    position = int(clients * A_PAGE_AT)
    before = await database.client_at(url, position - 1)
    org_id, org_name = await _partner_org(url)
    connection = await peer_setup.reader_role(url)
    env = {"HMIS_DATABASE_URL": url, "HMIS_ENV": "production", "HMIS_OIDC_AUDIENCE": AUDIENCE,
           "HMIS_PSEUDONYM_KEY": "bench-pseudonym-key"}  # fmt: skip
    source = args.server_source and args.server_source.resolve()
    if source:
        env["PYTHONPATH"] = str(source)
    results: dict = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python -m bench.peer " + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average_before": os.getloadavg(),
        },  # fmt: skip
        "git": _git(),
        "server_source": str(args.server_source or "this checkout"),
        "installed": installed,
        "page": {"first": PAGE, "position": position, "clients": clients, "partner": org_name},
        "settings": {k: v for k, v in vars(args).items() if k != "server_source"},
        "systems": SYSTEMS,
    }
    backends = peer_setup.Backends(url)
    logs = Path("var/bench")
    try:
        with LoopbackIssuer() as issuer:
            env["HMIS_OIDC_ISSUER"] = issuer.url
            partner = headers(issuer.token("agency_staff", org=org_id, sub="bench-partner"))
            admin = headers(issuer.token("hmis_admin", sub="bench-admin"))
            ours_body = payload(PAGE, _cursor(before))
            peer_log = logs / "peer-postgraphile.log"
            async with (
                load.server(
                    env, (logs / "peer-ours.log").resolve(), workers=args.workers, cwd=source
                ) as (ours, ours_pid),
                peer_setup.postgraphile(connection, load.free_port(), peer_log) as (peer, peer_pid),
            ):
                peer_body, checks = await _same_pages(ours, ours_body, peer, before,
                                                      {"A": partner, "B": admin})  # fmt: skip
                results["same_page"] = checks
                cases = {"A": (ours, ours_body, partner, ours_pid),
                         "B": (ours, ours_body, admin, ours_pid),
                         "P": (peer, peer_body, headers(None), peer_pid)}  # fmt: skip
                slices: dict[str, list[dict]] = {name: [] for name in cases}
                print(f"measuring {args.rounds} rounds of A, B, P, {args.seconds:g} s each, "
                      f"{args.concurrency} concurrent clients...")  # fmt: skip
                for _ in range(args.rounds):
                    for name, (base, body, sent, pid) in cases.items():
                        slices[name].append(await slice_(base, body, sent, pid, backends, args))
    finally:
        await backends.close()
    results["load_average_after"] = os.getloadavg()
    for name, found in slices.items():
        results[name] = summarize(found)
    peer_rps = results["P"]["rps"]
    results["ratios"] = {f"{k}/P req/s": round(results[k]["rps"] / peer_rps, 3) for k in "AB"}
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"peer-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.with_suffix(".json.tmp").write_text(json.dumps(results, indent=2) + "\n")
    path.with_suffix(".json.tmp").replace(path)
    print(render(results))
    print(f"\nwritten to {path}")
    return results


def render(results: dict) -> str:
    n = results["settings"]["concurrency"]
    differ = results["same_page"]["A"]["exits_differ"]
    lines = [
        f"page of workload A: {results['page']['first']} clients from client "
        f"{results['page']['position']:,} of {results['page']['clients']:,}; same clients in "
        f"both, enrollments: ours A {results['same_page']['A']['enrollments']}, B "
        f"{results['same_page']['B']['enrollments']}, PostGraphile "
        f"{results['same_page']['B']['peer_enrollments']} (A's exits differing from "
        f"PostGraphile's, as-of views of refused clients: {differ})",
        "",
        f"| system | req/s at {n} clients | p50 ms | p95 ms | CPU per request (app / database) |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, label in results["systems"].items():
        r = results[name]
        lines.append(f"| {label} | {r['rps']} | {r['p50_ms']} | {r['p95_ms']} "
                     f"| {r['app_cpu_ms']} ms / {r['db_cpu_ms']} ms |")  # fmt: skip
    ratios = results["ratios"]
    lines.append(f"\nthroughput, this API / PostGraphile: A {ratios['A/P req/s']}, "
                 f"B {ratios['B/P req/s']} (interleaved slices: "
                 + ", ".join(f"{k} {results[k]['slices_rps']}" for k in results["systems"])
                 + ")")  # fmt: skip
    return "\n".join(lines)


if __name__ == "__main__":
    started = time.perf_counter()
    asyncio.run(main())
    print(f"bench-peer took {time.perf_counter() - started:.0f} s")
