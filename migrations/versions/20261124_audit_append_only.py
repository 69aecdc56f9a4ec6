"""audit log: chain head, append-only on PostgreSQL

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 05:00:00.000000

`audit_chain` holds the hash of the last event; appenders lock it to extend the chain one at
a time, and a trigger advances it as events are inserted. On PostgreSQL a second trigger
rejects UPDATE and DELETE of `audit_events` for everyone, the application's own role included
(TRUNCATE, a table owner's maintenance statement, is not an UPDATE or DELETE and still works).
On SQLite the hash chain still reveals any edit.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS_HASH = "0" * 64

POSTGRES_UP = (
    """
    CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit_events is append-only: % is not allowed', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END
    $$
    """,
    """
    CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
        FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()
    """,
    """
    CREATE FUNCTION audit_events_advance_head() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE audit_chain SET head_hash = last.hash
        FROM (SELECT hash FROM appended ORDER BY id DESC LIMIT 1) AS last
        WHERE audit_chain.id = 1;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER audit_events_advance_head AFTER INSERT ON audit_events
        REFERENCING NEW TABLE AS appended
        FOR EACH STATEMENT EXECUTE FUNCTION audit_events_advance_head()
    """,
)
POSTGRES_DOWN = (
    "DROP TRIGGER audit_events_advance_head ON audit_events",
    "DROP FUNCTION audit_events_advance_head()",
    "DROP TRIGGER audit_events_append_only ON audit_events",
    "DROP FUNCTION audit_events_append_only()",
)
SQLITE_UP = (
    """
    CREATE TRIGGER audit_events_advance_head AFTER INSERT ON audit_events
    BEGIN
        UPDATE audit_chain SET head_hash = NEW.hash WHERE id = 1;
    END
    """,
)
SQLITE_DOWN = ("DROP TRIGGER audit_events_advance_head",)


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    op.create_table(
        "audit_chain",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain")),
    )
    # The chain continues from the last event already logged, if there is one.
    op.execute(
        "INSERT INTO audit_chain (id, head_hash) VALUES (1, COALESCE("
        f"(SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1), '{GENESIS_HASH}'))"
    )
    for statement in SQLITE_UP if _sqlite() else POSTGRES_UP:
        op.execute(statement)


def downgrade() -> None:
    for statement in SQLITE_DOWN if _sqlite() else POSTGRES_DOWN:
        op.execute(statement)
    op.drop_table("audit_chain")
