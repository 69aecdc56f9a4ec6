"""Benchmark of `duplicateCandidates` (issue 15) on the benchmark's CoC, read only: the one
statement that reads every live client's identifiers, then blocking and scoring in Python
(`hmis.db.duplicates`), which is what each call of the field costs before its page of 50
clients is loaded and presented.

    .venv/bin/python -m bench.duplicates [--url URL] [--min-score 0.7]

The transaction is READ ONLY: nothing is written to the benchmark's database (not even the
audit events the field appends when called through the API).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter

from sqlalchemy import text

from hmis.db import duplicates
from hmis.db.session import make_engine, make_sessionmaker

from . import database


async def measure(url: str, min_score: float) -> None:
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            if engine.dialect.name == "postgresql":
                await session.execute(text("SET TRANSACTION READ ONLY"))
            started, cpu = time.perf_counter(), time.process_time()
            people = await duplicates.people(session)
            loaded = time.perf_counter()
            found = duplicates.candidates(people, min_score=min_score)
            done, cpu = time.perf_counter(), time.process_time() - cpu
    finally:
        await engine.dispose()
    keys: Counter = Counter()
    for p in people:
        keys.update(duplicates.blocking_keys(p))
    compared = sum(min(n, duplicates.MAX_BLOCK) * (n - 1) // 2 for n in keys.values() if n > 1)
    print(f"clients {len(people)}; blocking keys {len(keys)}; pairs sharing a key <= {compared}")
    print(f"candidates >= {min_score}: {len(found)}")
    print(f"read {loaded - started:.2f} s, block and score {done - loaded:.2f} s, "
          f"total {done - started:.2f} s; this process's CPU {cpu:.2f} s "
          f"(wall time grows with the machine's load: compare the load average)")  # fmt: skip


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.duplicates")
    parser.add_argument("--url", default=database.default_url(False))
    parser.add_argument("--min-score", type=float, default=0.7)
    args = parser.parse_args(argv)
    asyncio.run(measure(args.url, args.min_score))


if __name__ == "__main__":
    main()
