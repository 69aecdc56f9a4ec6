"""`hmis export-csv` (and `hmis import-csv`): the exchange on the command line, as an HMIS
administrator (the operator of the machine), audited like any other caller."""

from __future__ import annotations

import getpass
from pathlib import Path

from hmis.auth.principal import Principal, Role
from hmis.config import Settings
from hmis.context import RequestContext
from hmis.db.audit_chain import seal_before_exit
from hmis.db.session import make_engine, make_sessionmaker
from hmis.resolvers.audit import record_writes

from .export import Export, Scope
from .files import CsvFiles
from .load import Loader, Outcome
from .reference import load_reference
from .source import Limits, read_source
from .validate import Checked, check


def administrator() -> Principal:
    return Principal(subject=f"cli:{getpass.getuser()}", roles=frozenset({Role.HMIS_ADMIN}))


async def export_csv(settings: Settings, out: Path, scope: Scope) -> int:
    """Write the export to `out` (a folder, or a zip when it ends in .zip); the number of
    clients exported."""
    engine = make_engine(settings.database_url)
    sessions = make_sessionmaker(engine)
    context = RequestContext(
        request=None, response=None, settings=settings, sessions=sessions, principal=administrator()
    )
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
        await seal_before_exit(engine)
        await engine.dispose()


async def import_csv(settings: Settings, path: Path, *, dry_run: bool) -> tuple[Checked, Outcome]:
    """Check the files at `path` and, unless `dry_run` or a problem is found, write them."""
    source = read_source(path, Limits.of(settings))
    try:
        return await _import(settings, source, dry_run=dry_run)
    finally:
        source.close()


async def _import(settings: Settings, source, *, dry_run: bool) -> tuple[Checked, Outcome]:
    checked = check(source)
    if checked.errors or dry_run:
        return checked, Outcome()
    engine = make_engine(settings.database_url)
    sessions = make_sessionmaker(engine)
    context = RequestContext(
        request=None, response=None, settings=settings, sessions=sessions, principal=administrator()
    )
    try:
        return checked, await write(context, checked)
    finally:
        await context.close()
        await seal_before_exit(engine)
        await engine.dispose()


async def write(context: RequestContext, checked: Checked) -> Outcome:
    """Write checked files in one transaction with their audit events; nothing on a problem."""
    principal = context.principal
    async with context.writing() as session:
        loader = Loader(
            session, principal.writer, checked, may_administer=principal.has(Role.HMIS_ADMIN)
        )
        outcome = await loader.run()
        if outcome.errors:
            raise Rejected(outcome)
        await record_writes(context, session)
    return outcome


async def dry_run(context: RequestContext, checked: Checked) -> Outcome:
    """What the import would find in the database before writing (a service account's
    projects not its organization's), found and rolled back: a dry run answers as the import
    would."""
    principal = context.principal
    async with context.sessions() as session:
        loader = Loader(
            session, principal.writer, checked, may_administer=principal.has(Role.HMIS_ADMIN)
        )
        await load_reference(loader)
        await session.rollback()
    return loader.outcome


class Rejected(Exception):
    """Problems found while writing (rolled back): `outcome.errors` says which."""

    def __init__(self, outcome: Outcome):
        super().__init__(f"{len(outcome.errors)} problems")
        self.outcome = outcome
