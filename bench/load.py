"""Workload F: workload A over real HTTP, `hmis serve` (uvicorn) in a subprocess on 127.0.0.1,
driven by a fixed number of concurrent clients for a fixed time (it stops by itself)."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import time
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from . import peer_setup
from .measure import percentile


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def peak_rss_mib(pid: int) -> float | None:
    """The process's peak resident memory (Linux VmHWM), or None where /proc is missing."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def process_counters(pid: int) -> dict[str, float] | None:
    """CPU seconds (user, system) and minor page faults of a process so far (Linux), or None
    where /proc is missing."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    tick = os.sysconf("SC_CLK_TCK")
    # After the command name: state is field 3, minflt 10, utime 14, stime 15 (proc(5)).
    return {"faults": int(fields[7]), "user": int(fields[11]) / tick, "sys": int(fields[12]) / tick}


@asynccontextmanager
async def server(
    env: dict[str, str],
    log: Path,
    *,
    port: int | None = None,
    workers: int = 1,
    cwd: Path | None = None,
):
    """`hmis serve` (uvicorn, settings from the environment, as deployed) on 127.0.0.1 and
    `port` (default: a free one); its base URL and process id. One worker by default: the
    machine's other core drives the load. Its output goes to `log` (uvicorn logs each request
    there). `cwd`: run it there (`python -m` imports `hmis` from its working directory first).
    """
    port = port or free_port()
    command = [
        sys.executable,
        "-m",
        "hmis.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            *command, env={**os.environ, **env}, stdout=output, stderr=output, cwd=cwd
        )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base) as probe:
            for _ in range(300):
                if process.returncode is not None:
                    raise RuntimeError(f"hmis serve exited with {process.returncode}; see {log}")
                try:
                    # Ready when every worker listens (each on a socket of its own): measured
                    # before, the first would take every connection.
                    ready = (await probe.get("/healthz")).status_code == 200
                    if ready and peer_setup.listening(peer_setup.process_tree(process.pid),
                                                      port) >= workers:  # fmt: skip
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError(f"hmis serve did not become ready in 30 s; see {log}")
        yield base, process.pid
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), timeout=10)
            except TimeoutError:
                process.kill()
                await process.wait()


async def drive(
    base: str,
    body: bytes,
    headers: dict[str, str],
    *,
    concurrency: int,
    seconds: float,
    warmup: int,
    pid: int | None = None,
) -> dict:
    """`concurrency` clients post `body` back to back for `seconds`; throughput and latency,
    and what the server process (`pid`) spent per request: CPU time and minor page faults."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as http:

        async def one() -> float:
            started = time.perf_counter()
            response = await http.post("/graphql", content=body, headers=headers)
            if response.status_code != 200 or b'"errors"' in response.content:
                raise RuntimeError(f"workload F: HTTP {response.status_code}")
            return time.perf_counter() - started

        await asyncio.gather(*(one() for _ in range(warmup)))
        latencies: list[float] = []
        deadline = time.perf_counter() + seconds

        async def client() -> None:
            while time.perf_counter() < deadline:
                latencies.append(await one())

        before = pid and process_counters(pid)
        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
        after = pid and process_counters(pid)
    ms = [s * 1000 for s in latencies]
    server = {}
    if before and after and ms:
        server = {
            "server_cpu_ms": round(
                (after["user"] + after["sys"] - before["user"] - before["sys"]) / len(ms) * 1000,
                1,
            ),
            "server_sys_ms": round((after["sys"] - before["sys"]) / len(ms) * 1000, 1),
            "server_page_faults": round((after["faults"] - before["faults"]) / len(ms), 1),
        }
    return {
        **server,
        "concurrency": concurrency,
        "seconds": round(elapsed, 1),
        "requests": len(ms),
        "rps": round(len(ms) / elapsed, 1),
        "median_ms": round(percentile(ms, 50), 1),
        "p95_ms": round(percentile(ms, 95), 1),
    }
