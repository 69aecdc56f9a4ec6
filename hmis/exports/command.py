"""`hmis export-csv` (and `hmis import-csv`): the exchange on the command line, as an HMIS
administrator (the operator of the machine), audited like any other caller."""

from __future__ import annotations

import getpass
from pathlib import Path

from hmis.auth.principal import Principal, Role
from hmis.config import Settings
from hmis.context import RequestContext
from hmis.db.session import make_engine, make_sessionmaker

from .export import Export, Scope
from .files import CsvFiles


def administrator() -> Principal:
    return Principal(subject=f"cli:{getpass.getuser()}", roles=frozenset({Role.HMIS_ADMIN}))


async def export_csv(settings: Settings, out: Path, scope: Scope) -> int:
    """Write the export to `out` (a folder, or a zip when it ends in .zip); the number of
    clients exported."""
    engine = make_engine(settings.database_url)
    sessions = make_sessionmaker(engine)
    context = RequestContext(request=None, response=None, settings=settings, sessions=sessions,
                             principal=administrator())  # fmt: skip
    files = CsvFiles()
    try:
        count = await Export(context, scope).run(files)
        if out.suffix.lower() == ".zip":
            files.to_zip(out)
        else:
            files.to_folder(out)
        return count
    finally:
        files.close()
        await context.close()
        await engine.dispose()
