"""Run Alembic against an async engine: the only way the schema is made."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import AsyncEngine

ROOT = Path(__file__).resolve().parents[2]


def alembic_config() -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    return config


async def _run(engine: AsyncEngine, fn, *args, on_applied=None) -> None:
    config = alembic_config()

    def go(connection):
        config.attributes["connection"] = connection
        config.attributes["on_applied"] = on_applied  # read by migrations/env.py
        fn(config, *args)

    async with engine.begin() as connection:
        await connection.run_sync(go)


async def upgrade(
    engine: AsyncEngine,
    revision: str = "head",
    *,
    on_applied: Callable[[str, str], None] | None = None,
) -> None:
    """Upgrade to `revision`; `on_applied(revision, doc)` is called after each one applied."""
    await _run(engine, command.upgrade, revision, on_applied=on_applied)


async def downgrade(engine: AsyncEngine, revision: str = "base") -> None:
    await _run(engine, command.downgrade, revision)
