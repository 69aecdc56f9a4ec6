"""HUD CSV exchange figures (issue 17): an export of the benchmark CoC as a given caller, in
process, with its wall time, CPU time, peak RSS and SQL statements per batch.

    .venv/bin/python -m bench.exchange --url postgresql+asyncpg://...  [--partner] [--out F]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import time
from pathlib import Path

from sqlalchemy import event, func, select

from hmis.auth.principal import Principal, Role
from hmis.config import Settings
from hmis.context import RequestContext
from hmis.db import models
from hmis.db.session import make_engine, make_sessionmaker
from hmis.exports.export import BATCH, Export, Scope
from hmis.exports.files import CsvFiles


async def main(url: str, partner: bool, out: Path) -> None:
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    principal = Principal(subject="bench-admin", roles=frozenset({Role.HMIS_ADMIN}))
    if partner:  # the organization whose clients most often refused sharing elsewhere
        async with sessions() as s:
            org = await s.scalar(select(models.Organization.id).order_by(models.Organization.id))
        principal = Principal(subject="bench-partner", roles=frozenset({Role.AGENCY_STAFF}),
                              organization_id=org)  # fmt: skip
    settings = Settings.from_env({"HMIS_DATABASE_URL": url, "HMIS_ENV": "development"})
    context = RequestContext(request=None, response=None, settings=settings, sessions=sessions,
                             principal=principal)  # fmt: skip
    statements = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *a: statements.append(1))
    files = CsvFiles()
    wall, cpu = time.perf_counter(), time.process_time()
    count = await Export(context, Scope()).run(files)
    files.to_zip(out)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    size = files_size(out)
    files.close()
    await context.close()
    async with sessions() as s:
        covered = func.count(func.distinct(models.RefusalCoverage.client_id))
        refused = await s.scalar(select(covered))
    await engine.dispose()
    batches = -(-count // BATCH)
    print(
        f"{'partner' if partner else 'admin'}: {count} clients ({refused} refused), "
        f"{wall:.1f} s wall, {cpu:.1f} s CPU, peak RSS "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB, "
        f"{len(statements)} statements in {batches} batches, zip {size} MiB"
    )


def files_size(path: Path) -> int:
    return os.path.getsize(path) >> 20


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--partner", action="store_true")
    parser.add_argument("--out", type=Path, default=Path("/tmp/hmis-export.zip"))
    args = parser.parse_args()
    asyncio.run(main(args.url, args.partner, args.out))
