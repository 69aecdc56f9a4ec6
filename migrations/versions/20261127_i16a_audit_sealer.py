"""audit log: events appended unsealed, chained by one sealer

Revision ID: 0006_i16a
Revises: 0005_i17
Create Date: 2026-11-27 16:00:00.000000

A request inserts its events with no link (`seal`, `prev_hash`, `hash` NULL) and locks
nothing shared; one sealer at a time (`hmis.db.audit.seal`) chains the committed ones shortly
after, in its own transaction, numbering them `seal` 1, 2, 3... in chain order. The head row
keeps the last sealed hash and number, and the time up to which everything committed is sealed.

Events already chained keep their hashes: their `seal` is their `id` (the chain was in `id`
order), and the head continues from the last of them.

On PostgreSQL the append-only trigger now lets an UPDATE through only when it seals an
unsealed event (it sets the three link columns and changes nothing else); a sealed event is
never updated, and no event is ever deleted. The trigger that advanced the head on each INSERT
is dropped: the sealer moves the head.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from hmis.db.models.base import UTCDateTime

revision: str = "0006_i16a"
down_revision: str | None = "0006_i15a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The columns a seal may not change (all but id and the three link columns).
CONTENT = ("at", "actor_subject", "actor_client_id", "organization_id", "roles", "client_id",
           "action", "groups", "purpose", "request_id", "operation_name")  # fmt: skip
_UNCHANGED = " AND ".join(f"NEW.{c}::text IS NOT DISTINCT FROM OLD.{c}::text" for c in CONTENT)

POSTGRES_UP = (
    "DROP TRIGGER audit_events_advance_head ON audit_events",
    "DROP FUNCTION audit_events_advance_head()",
    "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only",
    "UPDATE audit_events SET seal = id",
    "ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only",
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
POSTGRES_DOWN = (
    """
    CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit_events is append-only: % is not allowed', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END
    $$
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
SQLITE_TRIGGER = """
    CREATE TRIGGER audit_events_advance_head AFTER INSERT ON audit_events
    BEGIN
        UPDATE audit_chain SET head_hash = NEW.hash WHERE id = 1;
    END
"""


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    sqlite = _sqlite()
    if sqlite:
        op.execute("DROP TRIGGER audit_events_advance_head")
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("seal", sa.BigInteger(), nullable=True))
        batch.alter_column("prev_hash", existing_type=sa.String(64), nullable=True)
        batch.alter_column("hash", existing_type=sa.String(64), nullable=True)
    with op.batch_alter_table("audit_chain") as batch:
        batch.add_column(sa.Column("head_seal", sa.BigInteger(), nullable=False,
                                   server_default="0"))  # fmt: skip
        batch.add_column(sa.Column("sealed_through", UTCDateTime(timezone=True), nullable=True))
    if sqlite:
        op.execute("UPDATE audit_events SET seal = id")
    else:
        for statement in POSTGRES_UP:
            op.execute(statement)
    op.execute(
        "UPDATE audit_chain SET head_seal = COALESCE((SELECT max(seal) FROM audit_events), 0)"
    )
    op.create_index("ix_audit_events_seal", "audit_events", ["seal"], unique=True)
    # What the sealer looks for: small, as events are sealed within seconds.
    op.create_index("ix_audit_events_unsealed", "audit_events", ["id"],
                    postgresql_where=sa.text("seal IS NULL"),
                    sqlite_where=sa.text("seal IS NULL"))  # fmt: skip


def downgrade() -> None:
    sqlite = _sqlite()
    op.drop_index("ix_audit_events_unsealed", "audit_events")
    op.drop_index("ix_audit_events_seal", "audit_events")
    with op.batch_alter_table("audit_chain") as batch:
        batch.drop_column("sealed_through")
        batch.drop_column("head_seal")
    # Unsealed events cannot be made chained here: seal them (`hmis.db.audit.seal`) first.
    with op.batch_alter_table("audit_events") as batch:
        batch.alter_column("hash", existing_type=sa.String(64), nullable=False)
        batch.alter_column("prev_hash", existing_type=sa.String(64), nullable=False)
        batch.drop_column("seal")
    if sqlite:
        op.execute(SQLITE_TRIGGER)
    else:
        for statement in POSTGRES_DOWN:
            op.execute(statement)
