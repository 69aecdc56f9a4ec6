"""complaints filed by staff: bound to the client by its ID alone

Revision ID: 0004_i11b
Revises: 0003
Create Date: 2026-11-27 13:00:00.000000

A complaint staff filed for a client was marked with the subject `client:<clientId>`, so a
token whose `sub` was that string read it as its complainant. Such complaints now have no
complainant subject: `client_id` (a foreign key) is what binds them to the client, whose linked
login reads them. A subject is kept only for complaints a signed-in caller filed for itself.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_i11b"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Staff filings: the marker is not the filer's own subject.
UNMARK = """
    UPDATE complaints SET complainant_subject = NULL
    WHERE client_id IS NOT NULL AND complainant_subject LIKE 'client:%'
      AND complainant_subject <> filed_by
"""
MARK = """
    UPDATE complaints SET complainant_subject = 'client:' || client_id
    WHERE complainant_subject IS NULL
"""


def _nullable(nullable: bool) -> None:
    def alter(batch) -> None:
        batch.alter_column(
            "complainant_subject", existing_type=sa.String(length=255), nullable=nullable
        )

    if op.get_bind().dialect.name != "sqlite":
        with op.batch_alter_table("complaints") as batch:
            alter(batch)
        return
    # SQLite rebuilds the table. Dropping the old one with complaint_events referring to it
    # would break their foreign keys (and the pragma that turns them off does nothing inside
    # a transaction): the events step aside meanwhile.
    op.execute("CREATE TEMP TABLE complaint_events_kept AS SELECT * FROM complaint_events")
    op.execute("DELETE FROM complaint_events")
    with op.batch_alter_table("complaints", recreate="always") as batch:
        alter(batch)
    op.execute("INSERT INTO complaint_events SELECT * FROM complaint_events_kept")
    op.execute("DROP TABLE complaint_events_kept")


def upgrade() -> None:
    _nullable(True)
    op.execute(UNMARK)


def downgrade() -> None:
    op.execute(MARK)
    _nullable(False)
