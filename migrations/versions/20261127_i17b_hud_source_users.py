"""HUD CSV: this database's ImplementationID, each imported record's source, the source's users

Revision ID: 0006_i17b
Revises: 0005_i17
Create Date: 2026-11-27 16:10:00.000000

`hud_source` names the export lineage (Export.csv SourceID, else SourceName) a record was
imported from: only a full refresh of the same source deletes what it no longer holds. The
users of an administrator's import are recorded as the source's HUD users (no login, no
organization: HUD's User.csv names none), exported again under their source UserID.
`installation` holds this database's HUD ImplementationID ("unique to every source
database"), made here once, so an export names the database it comes from.
"""

import uuid

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_i17b"
down_revision: str | None = "0006_i16a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "clients", "enrollments", "exits", "case_manager_assignments", "contacts", "health_records",
    "disabilities", "income_benefits", "domestic_violence", "case_notes",
)  # fmt: skip


def upgrade() -> None:
    installation = op.create_table(
        "installation",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("implementation_id", sa.String(32), nullable=False),
    )
    op.bulk_insert(installation, [{"id": 1, "implementation_id": uuid.uuid4().hex}])
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("hud_source", sa.String(350)))
    op.create_table(
        "hud_users",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("source", sa.String(350), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("first_name", sa.String(50)),
        sa.Column("last_name", sa.String(50)),
        sa.Column("phone", sa.String(10)),
        sa.Column("extension", sa.String(5)),
        sa.Column("email", sa.String(320)),
        sa.Column("hud_date_created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hud_date_updated", sa.DateTime(timezone=True), nullable=False),
        sa.Column("date_deleted", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("source", "user_id", name="uq_hud_users_source_user"),
    )


def downgrade() -> None:
    op.drop_table("hud_users")
    op.drop_table("installation")
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("hud_source")
