"""How each workload is measured: latency, CPU time and page faults per request (rounds
interleave the workloads, so a noisy machine slows all of them alike and the ratios hold), SQL
statements, and memory: the peak of one request (tracemalloc, in a pass of its own because
tracing slows every allocation) and what stays allocated across many."""

from __future__ import annotations

import gc
import os
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event

from hmis.db import audit_chain

from .workloads import Case


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100), linear between closest ranks."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(found: dict[str, list[float]]) -> dict[str, float]:
    """Median, p95 and minimum latency (ms) of one workload's timed requests, with its mean
    CPU time (the process's, ms) and minor page faults per request."""
    ms = [s * 1000 for s in found["seconds"]]
    return {
        "median_ms": round(statistics.median(ms), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "min_ms": round(min(ms), 2),
        "samples": len(ms),
        "cpu_ms": round(statistics.mean(found["cpu"]) * 1000, 2),
        "page_faults": round(statistics.mean(found["faults"]), 1),
    }


def _faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


async def latencies(cases: list[Case], *, warmup: int, repeat: int) -> dict[str, dict]:
    """`repeat` timed rounds after `warmup` rounds; each round calls every case once. Per
    request: wall time, this process's CPU time, and its minor page faults."""
    for _ in range(warmup):
        for case in cases:
            await case.call()
    found = {case.name: {"seconds": [], "cpu": [], "faults": []} for case in cases}
    # As the server does at startup (`hmis.app` lifespan): what is loaded by now lives as long
    # as the process, and frozen it is not walked again by every full collection.
    gc.collect()
    gc.freeze()
    for _ in range(repeat):
        for case in cases:
            faults, cpu, started = _faults(), time.process_time(), time.perf_counter()
            await case.send()
            mine = found[case.name]
            mine["seconds"].append(time.perf_counter() - started)
            mine["cpu"].append(time.process_time() - cpu)
            mine["faults"].append(_faults() - faults)
    return found


@contextmanager
def statements_of(app) -> Iterator[list[str]]:
    """The SQL statements the app's engine sends inside the block (for its requests: the
    audit sealer's, in the background, are left out)."""
    sent: list[str] = []

    def before(conn, _cursor, statement, *_args):
        # Not the audit sealer's (its own connection, a batch of many requests' events).
        if not conn.get_execution_options().get(audit_chain.SEALER_OPTION):
            sent.append(statement)

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", before)


async def statements_per_request(case: Case) -> int | None:
    if case.app is None:
        return None
    with statements_of(case.app) as sent:
        await case.send()
    return len(sent)


async def peak_memory(case: Case, *, requests: int = 3) -> float:
    """The most memory (MiB) one request allocates above what was live before it."""
    peaks = []
    for _ in range(requests):
        gc.collect()
        tracemalloc.start()
        try:
            before, _ = tracemalloc.get_traced_memory()
            await case.send()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        peaks.append(peak - before)
    return round(max(peaks) / 2**20, 2)


def _rss_kib() -> int | None:
    """This process's resident memory (Linux), or None elsewhere."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except OSError:
        return None
    return pages * os.sysconf("SC_PAGE_SIZE") // 1024


async def growth(case: Case, *, requests: int) -> dict:
    """What stays allocated across `requests` repeated calls, measured after a warm-up of a
    tenth as many: Python's allocated memory blocks (`sys.getallocatedblocks`, every object
    and buffer the interpreter holds), objects tracked by the garbage collector, and RSS, at
    each quarter. Cheap enough for a thousand requests (tracemalloc would triple their time).

    A leak grows with the number of requests; caches fill up during the warm-up and stay
    bounded (parser and validation LRU of 256, SQLAlchemy's statement cache, asyncpg's
    prepared statements).
    """
    for _ in range(max(requests // 10, 1)):
        await case.send()

    async def mark() -> dict:
        # Not while the audit sealer chains a batch: the rows it holds are no leak, and a mark
        # that caught them read 2,600 blocks more than the next one.
        if case.app is not None:
            await audit_chain.sealer_idle(case.app.state.engine)
        gc.collect()
        return {
            "blocks": sys.getallocatedblocks(),
            "objects": len(gc.get_objects()),
            "rss_kib": _rss_kib(),
        }

    marks = [await mark()]
    for i in range(requests):
        await case.send()
        if (i + 1) % (requests // 4 or 1) == 0:
            marks.append(await mark())
    first, last = marks[0], marks[-1]
    return {
        "requests": requests,
        "marks": marks,
        "blocks_growth": last["blocks"] - first["blocks"],
        "objects_growth": last["objects"] - first["objects"],
        "rss_growth_kib": None if first["rss_kib"] is None else last["rss_kib"] - first["rss_kib"],
    }
