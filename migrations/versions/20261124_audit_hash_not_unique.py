"""audit log: event hashes without a unique index

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 08:00:00.000000

Nothing looks an event up by its hash, and the chain (each event names the hash of the one
before it, checked by `verifyAuditLog`) is what shows an event added, removed or copied. The
unique index only cost time: a third of appending a page's 100 events on PostgreSQL (random
64-character keys land all over the index). On SQLite dropping it rebuilds the table, which
drops the trigger that advances the chain's head: it is made again.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONSTRAINT = "uq_audit_events_hash"
SQLITE_TRIGGER = """
    CREATE TRIGGER audit_events_advance_head AFTER INSERT ON audit_events
    BEGIN
        UPDATE audit_chain SET head_hash = NEW.hash WHERE id = 1;
    END
"""


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    if not _sqlite():
        op.drop_constraint(CONSTRAINT, "audit_events", type_="unique")
        return
    with op.batch_alter_table("audit_events", recreate="always") as batch:
        batch.drop_constraint(CONSTRAINT, type_="unique")
    op.execute(SQLITE_TRIGGER)


def downgrade() -> None:
    if not _sqlite():
        op.create_unique_constraint(CONSTRAINT, "audit_events", ["hash"])
        return
    with op.batch_alter_table("audit_events", recreate="always") as batch:
        batch.create_unique_constraint(CONSTRAINT, ["hash"])
    op.execute(SQLITE_TRIGGER)
