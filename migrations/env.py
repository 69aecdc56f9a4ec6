"""Alembic environment: runs migrations on the async engine named by the caller."""

import asyncio

from alembic import context
from sqlalchemy.ext.asyncio import AsyncEngine

from hmis.db.models import Base
from hmis.db.session import make_engine

config = context.config
target_metadata = Base.metadata


def _applied(on_applied):
    """Alembic's per-step hook, calling `on_applied(revision, doc)` (hmis.db.migrate)."""

    def hook(*, step, **_):
        if on_applied is not None and step.is_upgrade:
            on_applied(step.up_revision_id, (step.up_revision.doc or "").strip())

    return hook


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things in place; batch mode rebuilds the table.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        on_version_apply=_applied(config.attributes.get("on_applied")),
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.run_sync(_configure)
        await connection.commit()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:  # called from hmis.db.migrate with a live connection
        _configure(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    try:
        asyncio.run(_run(engine))
    finally:
        asyncio.run(engine.dispose())


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run `hmis migrate`")
run_migrations_online()
