"""A bounded mixed load test (issue 12): `hmis serve --workers N` on PostgreSQL, several roles
reading and writing at once for a fixed time, then the checks that matter after a storm: the
audit log verifies, and every write the API acknowledged is in the database as acknowledged.

    make load                                    # = .venv/bin/python -m bench.mixed_load
    .venv/bin/python -m bench.mixed_load --seconds 20 --concurrency 8 --workers 2

Reports errors by kind, latency p50/p95 per operation and overall, and the server's resident
memory (parent and workers) after a warm-up and at the end. The database
(`HMIS_BENCH_DATABASE_URL`, default `bench_i12`) is emptied, migrated and seeded each run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import time
from collections import Counter, defaultdict
from pathlib import Path

import httpx
from sqlalchemy import func, select

from hmis.db import models
from hmis.db.session import make_engine

from .database import _create_postgres_database, _drop_everything, _hmis
from .issuer import LoopbackIssuer
from .load import server
from .measure import percentile

URL = os.environ.get(
    "HMIS_BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/bench_i12"
)
PAGE = """query($first: Int!) { clients(first: $first) { edges { node { id
  identity { firstName lastName dob } demographics { race veteranStatus }
  enrollments { edges { node { entryDate exitDate project { name } } } }
  caseManager { lastName } } } pageInfo { hasNextPage } } }"""
AUDIT = "{ auditEvents(first: 20) { edges { node { id action groups } } } }"
ORGS = "{ organizations { id name } }"
ONE = "query($id: ID!) { client(id: $id) { id identity { lastName } contact { city } } }"
CREATE = """mutation($input: CreateClientInput!) { createClient(input: $input) {
  client { id } errors { code } } }"""
UPDATE = """mutation($input: UpdateClientInput!) { updateClient(input: $input) {
  client { id identity { lastName } } errors { code } } }"""
NOTE = """mutation($input: AddCaseNoteInput!) { addCaseNote(input: $input) {
  caseNote { id } errors { code } } }"""


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=2000, help="seeded CoC size")
    parser.add_argument("--port", type=int, default=18120)
    return parser.parse_args(argv)


def rss_mib(pid: int) -> float:
    """Resident memory of a process and its children (uvicorn's workers), MiB."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        proc = Path(f"/proc/{current}")
        try:
            for line in (proc / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            for task in (proc / "task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return round(total / 1024, 1)


async def facts() -> tuple[str, list[str]]:
    """A partner organization and some of the seeded clients."""
    engine = make_engine(URL)
    try:
        async with engine.connect() as connection:
            o, c = models.Organization, models.Client
            org = await connection.scalar(
                select(o.id).where(o.victim_service_provider.is_(False)).order_by(o.name).limit(1)
            )
            clients = (await connection.scalars(select(c.id).limit(200))).all()
            return str(org), [str(i) for i in clients]
    finally:
        await engine.dispose()


class Run:
    def __init__(self, http: httpx.AsyncClient, tokens: dict, clients: list[str], seed: int):
        self.http = http
        self.tokens = tokens
        self.clients = clients
        self.random = random.Random(seed)
        self.errors: Counter[str] = Counter()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        # What the API acknowledged: client id -> last name; case note ids.
        self.written: dict[str, str] = {}
        self.notes: list[str] = []

    async def call(self, kind: str, role: str, query: str, variables=None) -> dict | None:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role != "anonymous" else {}
        started = time.perf_counter()
        try:
            response = await self.http.post(
                "/graphql", json={"query": query, "variables": variables}, headers=headers
            )
        except httpx.HTTPError as error:
            self.errors[f"{kind}: {type(error).__name__}"] += 1
            return None
        self.latencies[kind].append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            self.errors[f"{kind}: HTTP {response.status_code}"] += 1
            return None
        body = response.json()
        if body.get("errors"):
            code = body["errors"][0].get("extensions", {}).get("code", "GRAPHQL")
            self.errors[f"{kind}: {code}"] += 1
            return None
        payload = next(iter(body["data"].values()))
        if isinstance(payload, dict) and payload.get("errors"):
            self.errors[f"{kind}: payload {payload['errors'][0]['code']}"] += 1
            return None
        return payload

    async def worker(self, deadline: float, n: int) -> None:
        mine: list[str] = []  # clients this worker created: only it updates them
        while time.monotonic() < deadline:
            pick = self.random.random()
            if pick < 0.25:
                await self.call("page (staff)", "staff", PAGE, {"first": 50})
            elif pick < 0.35:
                await self.call("page (admin)", "admin", PAGE, {"first": 20})
            elif pick < 0.42:
                await self.call("page (researcher)", "researcher", PAGE, {"first": 20})
            elif pick < 0.50:
                await self.call("client (staff)", "staff", ONE,
                                {"id": self.random.choice(self.clients)})  # fmt: skip
            elif pick < 0.57:
                await self.call("audit events", "auditor", AUDIT)
            elif pick < 0.62:
                await self.call("organizations", "anonymous", ORGS)
            elif pick < 0.77 or not mine:
                name = f"Load{n}x{len(mine)}"
                made = await self.call("createClient", "staff", CREATE, {"input": {
                    "firstName": "Pat", "lastName": name, "dob": "1980-02-03"}})  # fmt: skip
                if made:
                    mine.append(made["client"]["id"])
                    self.written[made["client"]["id"]] = name
            elif pick < 0.90:
                target = self.random.choice(mine)
                name = f"Upd{n}x{self.random.randrange(10**6)}"
                if await self.call("updateClient", "staff", UPDATE,
                                   {"input": {"id": target, "lastName": name}}):  # fmt: skip
                    self.written[target] = name
            else:
                note = {"clientId": self.random.choice(mine), "text": "Met at the shelter."}
                made = await self.call("addCaseNote", "staff", NOTE, {"input": note})
                if made:
                    self.notes.append(made["caseNote"]["id"])


async def check_writes(run: Run) -> dict:
    engine = make_engine(URL)
    try:
        async with engine.connect() as connection:
            c, n = models.Client, models.CaseNote
            found = dict(
                (str(i), last)
                for i, last in await connection.execute(
                    select(c.id, c.last_name).where(c.id.in_(list(run.written)))
                )
            )
            notes = await connection.scalar(
                select(func.count()).select_from(n).where(n.id.in_(run.notes))
            )
    finally:
        await engine.dispose()
    wrong = [i for i, name in run.written.items() if found.get(i) != name]
    return {"clients_acknowledged": len(run.written), "clients_missing_or_different": len(wrong),
            "notes_acknowledged": len(run.notes), "notes_present": notes}  # fmt: skip


async def main(argv=None) -> dict:
    args = parse_args(argv)
    await _create_postgres_database(URL)
    await _drop_everything(URL)
    _hmis("migrate", url=URL)
    _hmis("seed", "--clients", str(args.clients), "--seed", "1", url=URL)
    org, clients = await facts()
    with LoopbackIssuer() as issuer:
        tokens = {
            "admin": issuer.token("hmis_admin", sub="load-admin"),
            "staff": issuer.token("agency_staff", org=org, sub="load-staff"),
            "auditor": issuer.token("auditor", sub="load-auditor"),
            "researcher": issuer.token("researcher", sub="load-researcher"),
        }
        env = {"HMIS_DATABASE_URL": URL, "HMIS_ENV": "production", "HMIS_OIDC_ISSUER": issuer.url,
               "HMIS_PSEUDONYM_KEY": "bench-pseudonym-key"}  # fmt: skip
        log = Path("var/bench/mixed_load.log")
        async with server(env, log, port=args.port, workers=args.workers) as (base, pid):
            limits = httpx.Limits(max_connections=args.concurrency)
            async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as http:
                warm = Run(http, tokens, clients, seed=0)
                agreement = """mutation { createResearchAgreement(input: {subject:
                    "load-researcher", expiresOn: "2099-01-01"}) { errors { code } } }"""
                await warm.call("setup", "admin", agreement)
                await asyncio.gather(*(warm.worker(time.monotonic() + 5, n)
                                       for n in range(args.concurrency)))  # fmt: skip
                rss_start = rss_mib(pid)
                run = Run(http, tokens, clients, seed=1)
                started = time.monotonic()
                deadline = started + args.seconds
                await asyncio.gather(*(run.worker(deadline, n) for n in range(args.concurrency)))
                elapsed = time.monotonic() - started
                rss_end = rss_mib(pid)
                verified = await run.call("verifyAuditLog", "admin",
                                          "{ verifyAuditLog { ok checked message } }")  # fmt: skip
    everything = [ms for values in run.latencies.values() for ms in values]
    report = {
        "seconds": round(elapsed, 1),
        "workers": args.workers,
        "concurrency": args.concurrency,
        "requests": len(everything),
        "rps": round(len(everything) / elapsed, 1),
        "errors": dict(run.errors.most_common()),
        "p50_ms": round(percentile(everything, 50), 1),
        "p95_ms": round(percentile(everything, 95), 1),
        "by_operation": {
            kind: {
                "n": len(v),
                "p50_ms": round(percentile(v, 50), 1),
                "p95_ms": round(percentile(v, 95), 1),
            }  # fmt: skip
            for kind, v in sorted(run.latencies.items())
        },
        "rss_mib_start": rss_start,
        "rss_mib_end": rss_end,
        "audit_log": verified,
        "writes": await check_writes(run),
    }
    print(json.dumps(report, indent=2))
    out = (
        Path("bench/results") / f"mixed-load-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"
    )
    out.write_text(json.dumps(report, indent=2) + "\n")
    return report


if __name__ == "__main__":
    asyncio.run(main())
