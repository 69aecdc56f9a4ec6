"""record lifecycle: a deletion's reason; one current case manager assignment per organization

Revision ID: 0006_i15a
Revises: 0005_i17
Create Date: 2026-11-27 16:10:00.000000

`record_versions.reason` keeps why a record was deleted (the API requires one). The partial
unique index enforces at most one current assignment (not ended, not deleted) per client and
organization; `assignCaseManager` ends the previous one. A database that already holds two
current assignments of one organization for a client stops here with a message saying so:
which one is current is a decision for staff (end the others, then migrate again).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_i15a"
down_revision: str | None = "0006_i15b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CURRENT = "end_date IS NULL AND date_deleted IS NULL"


def upgrade() -> None:
    # Checked before any change: SQLite does not roll DDL back with the migration.
    doubled = op.get_bind().scalar(
        sa.text(
            "SELECT count(*) FROM (SELECT client_id, organization_id "
            f"FROM case_manager_assignments WHERE {CURRENT} "
            "GROUP BY client_id, organization_id HAVING count(*) > 1) AS d"
        )
    )
    if doubled:
        raise RuntimeError(
            f"{doubled} client(s) have more than one current case manager assignment of one "
            "organization; end all but one (their end_date, written through hmis.db.history), "
            "then migrate again"
        )
    with op.batch_alter_table("record_versions") as batch:
        batch.add_column(sa.Column("reason", sa.String(length=500), nullable=True))
    with op.batch_alter_table("case_manager_assignments") as batch:
        batch.create_index(
            "uq_case_manager_assignments_current",
            ["client_id", "organization_id"],
            unique=True,
            sqlite_where=sa.text(CURRENT),
            postgresql_where=sa.text(CURRENT),
        )


def downgrade() -> None:
    with op.batch_alter_table("case_manager_assignments") as batch:
        batch.drop_index(
            "uq_case_manager_assignments_current",
            sqlite_where=sa.text(CURRENT),
            postgresql_where=sa.text(CURRENT),
        )
    with op.batch_alter_table("record_versions") as batch:
        batch.drop_column("reason")
