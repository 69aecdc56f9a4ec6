"""audit log: insert-only, the chain's links and the sealer's queue in tables of their own

Revision ID: 0008_i16b
Revises: 0007_fiximp
Create Date: 2026-11-27 20:00:00.000000

Sealing an event used to UPDATE its row in `audit_events` (setting `seal`, `prev_hash`,
`hash`): PostgreSQL rewrote the wide row and its seven index entries and left a dead tuple,
59 µs of database time per event in the benchmark's pg_stat_statements, the costliest
statement of a page. Now no row of the log is ever updated: an append inserts its events
and their ids into `audit_pending` (the queue of events not yet sealed) in one statement, and
the sealer inserts each event's link into `audit_links` (`seal`, `event_id`, `prev_hash`,
`hash`) and deletes its id from the queue.

Existing links move to `audit_links` unchanged (hashes stay valid), unsealed events into the
queue. On PostgreSQL `audit_events` and `audit_links` reject every UPDATE and DELETE, and
`audit_pending` rejects UPDATE and the DELETE of an event that has no link: an unsealed event
cannot be dropped from the queue unnoticed (`verify` counts events against the chain and the
queue). TRUNCATE stays the table owner's.

Downgrading puts the links back into the columns; queued events stay unsealed (NULL), as the
0006 sealer expects.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_i16b"
down_revision: str | None = "0007_fiximp"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The columns a seal may not change (all but id and the three link columns): 0006's trigger.
CONTENT = ("at", "actor_subject", "actor_client_id", "organization_id", "roles", "client_id",
           "action", "groups", "purpose", "request_id", "operation_name")  # fmt: skip
_UNCHANGED = " AND ".join(f"NEW.{c}::text IS NOT DISTINCT FROM OLD.{c}::text" for c in CONTENT)

# `audit_events`' trigger function as 0002 made it: no UPDATE, no DELETE.
EVENTS_APPEND_ONLY = """
    CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit_events is append-only: % is not allowed', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END
    $$
"""
POSTGRES_UP = (
    EVENTS_APPEND_ONLY,
    """
    CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END
    $$
    """,
    """
    CREATE TRIGGER audit_links_append_only BEFORE UPDATE OR DELETE ON audit_links
        FOR EACH ROW EXECUTE FUNCTION audit_append_only()
    """,
    """
    CREATE TRIGGER audit_pending_no_update BEFORE UPDATE ON audit_pending
        FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()
    """,
    # Once per statement, over the deleted rows: the sealer dequeues a batch at a time. Each
    # row's link is looked up by its index: a LATERAL subquery with a LIMIT stays a nested
    # loop, where an anti-join could hash all of `audit_links` (the planner takes the
    # transition table for 100 rows whatever it holds).
    """
    CREATE FUNCTION audit_pending_sealed_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM removed AS r
                   LEFT JOIN LATERAL (SELECT true AS found FROM audit_links AS l
                                      WHERE l.event_id = r.event_id LIMIT 1) AS l ON true
                   WHERE l.found IS NULL) THEN
            RAISE EXCEPTION 'audit_pending is append-only until an event is sealed: '
                'DELETE of an unsealed event is not allowed'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER audit_pending_sealed_only AFTER DELETE ON audit_pending
        REFERENCING OLD TABLE AS removed
        FOR EACH STATEMENT EXECUTE FUNCTION audit_pending_sealed_only()
    """,
)
POSTGRES_DOWN = (
    "DROP TRIGGER audit_pending_sealed_only ON audit_pending",
    "DROP FUNCTION audit_pending_sealed_only()",
    "DROP TRIGGER audit_pending_no_update ON audit_pending",
    "DROP TRIGGER audit_links_append_only ON audit_links",
    "DROP FUNCTION audit_append_only()",
    # 0006's: an UPDATE may only seal an unsealed event (what the fill below does).
    f"""
    CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND OLD.hash IS NULL AND OLD.seal IS NULL
           AND NEW.hash IS NOT NULL AND NEW.prev_hash IS NOT NULL AND NEW.seal IS NOT NULL
           AND NEW.id = OLD.id AND {_UNCHANGED} THEN
            RETURN NEW;  -- the sealer links an unsealed event, nothing else
        END IF;
        RAISE EXCEPTION 'audit_events is append-only: % is not allowed', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END
    $$
    """,
)


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    sqlite = _sqlite()
    if not sqlite:  # no append or seal of the old code between the copy and the drop
        op.execute("LOCK TABLE audit_chain, audit_events IN EXCLUSIVE MODE")
    op.create_table(
        "audit_links",
        sa.Column("seal", sa.BigInteger(), autoincrement=False, nullable=False),
        # No foreign key: its check would lock each event's row (see the model).
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seal", name="pk_audit_links"),
        sa.UniqueConstraint("event_id", name="uq_audit_links_event_id"),
    )
    op.create_table(
        "audit_pending",
        sa.Column("event_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("event_id", name="pk_audit_pending"),
    )
    op.execute(
        "INSERT INTO audit_links (seal, event_id, prev_hash, hash) "
        "SELECT seal, id, prev_hash, hash FROM audit_events WHERE seal IS NOT NULL"
    )
    op.execute(
        "INSERT INTO audit_pending (event_id) SELECT id FROM audit_events WHERE seal IS NULL"
    )
    if not sqlite:
        for statement in POSTGRES_UP:
            op.execute(statement)
    op.drop_index("ix_audit_events_unsealed", "audit_events")
    op.drop_index("ix_audit_events_seal", "audit_events")
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("seal")
        batch.drop_column("hash")
        batch.drop_column("prev_hash")


def downgrade() -> None:
    sqlite = _sqlite()
    if not sqlite:
        op.execute("LOCK TABLE audit_chain, audit_events IN EXCLUSIVE MODE")
        for statement in POSTGRES_DOWN:
            op.execute(statement)
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("prev_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("seal", sa.BigInteger(), nullable=True))
    # Each sealed event gets its link back; queued ones stay NULL, for the 0006 sealer.
    op.execute(
        "UPDATE audit_events SET (seal, prev_hash, hash) = "
        "(SELECT seal, prev_hash, hash FROM audit_links WHERE event_id = audit_events.id) "
        "WHERE id IN (SELECT event_id FROM audit_links)"
    )
    op.create_index("ix_audit_events_seal", "audit_events", ["seal"], unique=True)
    op.create_index("ix_audit_events_unsealed", "audit_events", ["id"],
                    postgresql_where=sa.text("seal IS NULL"),
                    sqlite_where=sa.text("seal IS NULL"))  # fmt: skip
    op.drop_table("audit_pending")
    op.drop_table("audit_links")
