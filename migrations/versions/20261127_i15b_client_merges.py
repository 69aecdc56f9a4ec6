"""client merges: the record of each merge of duplicate clients, for undoing it

Revision ID: 0006_i15b
Revises: 0005_i17
Create Date: 2026-11-27 16:00:00.000000

`mergeClients` re-points every row of the merged-away client to the survivor and records the
IDs it moved here; `unmergeClients` puts exactly those back. Indexes on the identifiers that
`duplicateCandidates` reads are not needed: it reads every live client once per call.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_i15b"
down_revision: str | None = "0005_i17"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "client_merges",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("survivor_id", sa.Uuid(), nullable=False),
        sa.Column("merged_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("merged_by", sa.String(length=255), nullable=False),
        sa.Column("merged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("moved", sa.JSON(), nullable=False),
        sa.Column("unmerged_by", sa.String(length=255), nullable=True),
        sa.Column("unmerged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unmerge_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["survivor_id"], ["clients.id"], name="fk_client_merges_survivor_id_clients"
        ),
        sa.ForeignKeyConstraint(
            ["merged_id"], ["clients.id"], name="fk_client_merges_merged_id_clients"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_client_merges"),
    )
    op.create_index("ix_client_merges_survivor_id", "client_merges", ["survivor_id"])
    op.create_index("ix_client_merges_merged_id", "client_merges", ["merged_id"])


def downgrade() -> None:
    op.drop_index("ix_client_merges_merged_id", table_name="client_merges")
    op.drop_index("ix_client_merges_survivor_id", table_name="client_merges")
    op.drop_table("client_merges")
