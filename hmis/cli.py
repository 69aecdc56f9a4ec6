"""The `hmis` command. Every subcommand reads its configuration from the environment."""

from __future__ import annotations

import asyncio
import os

import click

from hmis.config import ConfigError, Settings


def _version() -> str:
    from hmis.home import version

    return version()


@click.group()
@click.version_option(
    _version(), "--version", "-V", prog_name="hmis", message="%(prog)s %(version)s"
)
def main() -> None:
    """Privacy-enforcing HMIS GraphQL API."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Worker processes, each with its own loop and pool  [default: CPUs]",
)
@click.option(
    "--keepalive-requests",
    type=click.IntRange(min=0),
    default=5,
    show_default=True,
    help="With several workers: close a connection after this many requests, so clients "
    "reconnect and connections stay spread over the workers (0: never)",
)
def serve(host: str, port: int, workers: int | None, keepalive_requests: int) -> None:
    """Serve the API (GraphQL at /graphql) on uvicorn's fast stack (uvloop, httptools); several
    workers share the port, each on a socket of its own (hmis.serve)."""
    from hmis import serve as server
    from hmis.app import create_app

    try:  # refuse to start, with the reason and no traceback, before any worker starts
        create_app(Settings.from_env())
    except ConfigError as error:
        raise click.ClickException(str(error)) from None
    try:
        server.serve(host, port, workers or os.cpu_count() or 1, keepalive_requests)
    except OSError as error:  # the address in use, or not this machine's
        raise click.ClickException(f"cannot listen on {host}:{port}: {error.strerror}") from None


@main.command()
def migrate() -> None:
    """Upgrade the database to the newest schema (Alembic head)."""
    from hmis.db import migrate as migrations
    from hmis.db.session import make_engine

    def applied(revision: str, doc: str) -> None:
        click.echo(f"  applied {revision}: {doc}", err=True)

    async def run() -> None:
        engine = make_engine(Settings.from_env().database_url)
        try:
            await migrations.upgrade(engine, on_applied=applied)
        finally:
            await engine.dispose()

    click.echo("upgrading the database schema...", err=True)
    asyncio.run(run())
    click.echo("database is at the newest schema")


@main.command()
@click.option("--clients", default=300, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", "seed_value", default=1, show_default=True, type=int)
@click.option("--if-empty", is_flag=True, help="Do nothing (and say so) if data exists.")
def seed(clients: int, seed_value: int, if_empty: bool) -> None:
    """Fill an empty database with a synthetic CoC (the same rows for the same --seed)."""
    from hmis.seed.build import SeedRefused, seed_command

    def progress(done: int, total: int) -> None:
        click.echo(f"  seeded {done:,} of {total:,} clients", err=True)

    url = Settings.from_env().database_url
    try:
        run = seed_command(url, clients=clients, seed=seed_value, if_empty=if_empty,
                           progress=progress)  # fmt: skip
        click.echo(asyncio.run(run))
    except SeedRefused as refused:
        raise click.ClickException(str(refused)) from None


@main.command("dev-token")
@click.option("--role", help="A canonical role: hmis_admin, agency_staff, auditor, ...")
@click.option("--org", "organization", help="Organization ID (agency_staff: default one in DB).")
@click.option("--sub", "subject", help="The token's subject (default: a person from the DB).")
@click.option("--all-roles", is_flag=True, help="Print one ready token per role.")
def dev_token(role: str | None, organization: str | None, subject: str | None,
              all_roles: bool) -> None:  # fmt: skip
    """Print access tokens from the development issuer (HMIS_ENV=development; valid 1 hour)."""
    from hmis.auth import dev_tokens

    if all_roles == (role is not None):
        raise click.UsageError("give either --role ROLE or --all-roles")
    settings = Settings.from_env()
    try:
        if role is not None:
            made = asyncio.run(
                dev_tokens.one_token(settings, role, organization=organization, subject=subject)
            )
            click.echo(f"# {made.describe()}", err=True)
            click.echo(made.token)
            return
        tokens, missing = asyncio.run(dev_tokens.all_role_tokens(settings))
    except dev_tokens.DevTokenError as error:
        raise click.ClickException(str(error)) from None
    click.echo("Development access tokens, valid for 1 hour. Send: Authorization: Bearer <token>")
    for made in tokens:
        click.echo(f"\n{made.describe()}\n{made.token}")
    for note in missing:
        click.echo(f"\n{note}")
    from hmis.auth.dev_example import refusal_example

    example = asyncio.run(refusal_example(settings))
    if example is not None:
        click.echo(f"\n{example.describe()}")


@main.command()
def schema() -> None:
    """Print the GraphQL schema (SDL)."""
    from hmis.schema import build_schema

    click.echo(build_schema().as_str())


@main.command("hud-mapping")
def hud_mapping() -> None:
    """Print the mapping of database columns to HUD CSV columns (docs/hud-mapping.md)."""
    from hmis.db.hud_mapping import render

    click.echo(render(), nl=False)


@main.command("writes-doc")
def writes_doc() -> None:
    """Print who may write what, from the policy's write table (docs/writes.md)."""
    from hmis.auth.writes_doc import render

    click.echo(render(), nl=False)


@main.command("export-csv")
@click.option("--out", required=True, type=click.Path(), help="A folder, or a file ending .zip.")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="Operating period start.")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="Operating period end.")
@click.option("--project", "project_id", type=click.UUID, help="Only this project.")
@click.option("--organization", "organization_id", type=click.UUID, help="Only this organization.")
def export_csv(out: str, start, end, project_id, organization_id) -> None:
    """Export the HUD FY2026 HMIS CSV files, as an HMIS administrator."""
    from pathlib import Path

    from hmis.exports.command import export_csv as run
    from hmis.exports.export import Scope

    scope = Scope(start and start.date(), end and end.date(), project_id, organization_id)
    count = asyncio.run(run(Settings.from_env(), Path(out), scope))
    click.echo(f"exported {count} clients to {out}")


@main.command("import-csv")
@click.argument("path", type=click.Path(exists=True))
@click.option("--dry-run", is_flag=True, help="Check only; write nothing.")
def import_csv(path: str, dry_run: bool) -> None:
    """Import HUD FY2026 (or FY2024) HMIS CSV files from a folder or zip, as an administrator.
    Every problem is printed as file:row:column: message; one error and nothing is written."""
    import zipfile
    from pathlib import Path

    from hmis.exports.command import Rejected
    from hmis.exports.command import import_csv as run
    from hmis.exports.problems import Problems
    from hmis.exports.source import Unreadable

    try:
        checked, outcome = asyncio.run(run(Settings.from_env(), Path(path), dry_run=dry_run))
    except Rejected as rejected:
        checked, outcome = None, rejected.outcome
    except zipfile.BadZipFile:
        raise click.ClickException(f"{path} is neither a folder nor a zip") from None
    except Unreadable as error:
        raise click.ClickException(f"{path}: {error}") from None
    warnings = Problems(checked.warnings if checked else ())
    errors = Problems(checked.errors if checked else ())
    errors += outcome.errors
    for kind, problems in (("warning", warnings), ("error", errors)):
        for problem in problems:
            click.echo(f"{kind}: {problem}", err=True)
        if problems.total > len(problems):
            click.echo(f"{kind}: ... and {problems.total - len(problems)} more", err=True)
    if errors:
        raise click.ClickException(f"{errors.total} errors: nothing was written")
    if dry_run:
        click.echo("the files are valid (dry run: nothing was written)")
        return
    click.echo(f"imported: {outcome.created} created, {outcome.updated} updated, "
               f"{outcome.deleted} deleted, {outcome.unchanged} unchanged")  # fmt: skip


@main.group()
def notice() -> None:
    """The privacy notice: publish a new version."""


@notice.command("publish")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option(
    "--effective",
    required=True,
    type=click.DateTime(["%Y-%m-%d"]),
    help="The date it takes effect (YYYY-MM-DD), today or later.",
)
@click.option("--title", help="Default: the document's first heading.")
@click.option("--by", "published_by", default=None, help="Who publishes (default: cli:$USER).")
def notice_publish(file, effective, title: str | None, published_by: str | None) -> None:
    """Publish FILE as the privacy notice in force from --effective."""
    import getpass

    from hmis.db.session import make_engine, make_sessionmaker, transaction
    from hmis.resolvers.notices import publish_notice
    from hmis.resolvers.validate import Check, Invalid

    async def run() -> str:
        engine = make_engine(Settings.from_env().database_url)
        try:
            async with transaction(make_sessionmaker(engine)) as session:
                row = await publish_notice(
                    session,
                    Check(),
                    text=file.read(),
                    effective_date=effective.date(),
                    title=title,
                    published_by=published_by or f"cli:{getpass.getuser()}",
                )
                return f"published {row.title!r}, in force from {row.effective_date}"
        finally:
            await engine.dispose()

    try:
        click.echo(asyncio.run(run()))
    except Invalid as invalid:
        raise click.ClickException(str(invalid)) from None


if __name__ == "__main__":
    main()
