"""client data: the HUD stamps of imported records

Revision ID: 0005_i17
Revises: 0004_i17
Create Date: 2026-11-27 14:00:00.000000

A record imported from HUD CSV keeps the source's DateCreated, DateUpdated and UserID for
later exports; our own stamps (the import's transaction time, the importer) stay what the
refusal rule compares. Existing records were not imported: the columns stay null.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_i17"
down_revision: str | None = "0004_i17"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "clients", "enrollments", "exits", "case_manager_assignments", "contacts", "health_records",
    "disabilities", "income_benefits", "domestic_violence", "case_notes",
)  # fmt: skip


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("hud_date_created", sa.DateTime(timezone=True)))
            batch.add_column(sa.Column("hud_date_updated", sa.DateTime(timezone=True)))
            batch.add_column(sa.Column("hud_user_id", sa.String(32)))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("hud_user_id")
            batch.drop_column("hud_date_updated")
            batch.drop_column("hud_date_created")
