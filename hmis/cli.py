"""The `hmis` command. Every subcommand reads its configuration from the environment."""

from __future__ import annotations

import asyncio

import click

from hmis.config import Settings


@click.group()
def main() -> None:
    """Privacy-enforcing HMIS GraphQL API."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Serve the API (GraphQL at /graphql)."""
    import uvicorn

    from hmis.app import create_app

    settings = Settings.from_env()
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


@main.command()
def migrate() -> None:
    """Upgrade the database to the newest schema (Alembic head)."""
    from hmis.db import migrate as migrations
    from hmis.db.session import make_engine

    async def run() -> None:
        engine = make_engine(Settings.from_env().database_url)
        try:
            await migrations.upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())
    click.echo("database is at the newest schema")


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


if __name__ == "__main__":
    main()
