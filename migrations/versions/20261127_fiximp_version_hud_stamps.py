"""record versions: the source's stamps (HUD DateUpdated, UserID) each version left on the row

Revision ID: 0007_fiximp
Revises: 0006_i17b
Create Date: 2026-11-27 18:00:00.000000

A HUD CSV export gives a caller who sees a client as of a refusal the stamps of the version it
sees (docs/hud-csv.md): what the row's `hud_date_updated` and `hud_user_id` were right after
that version, kept on the version because a later write (an import out of the caller's sight)
overwrites the row's. Versions written before stay null: their own time and writer are used.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_fiximp"
down_revision: str | None = "0006_i17b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("record_versions") as batch:
        batch.add_column(sa.Column("hud_date_updated", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("hud_user_id", sa.String(32)))


def downgrade() -> None:
    with op.batch_alter_table("record_versions") as batch:
        batch.drop_column("hud_user_id")
        batch.drop_column("hud_date_updated")
