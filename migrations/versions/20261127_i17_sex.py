"""client profile: HUD FY2026 4.21 Sex

Revision ID: 0004_i17
Revises: 0003
Create Date: 2026-11-27 14:00:00.000000

FY2026 added Sex to the client profile. Existing profiles keep NULL (recorded before the
element existed): no value is inferred from gender, which stays a local element. Their
versions need nothing either: a field no version names reads as NULL in every as-of view.
The other FY2026 changes (the HispanicLatinao column name) concern the CSV mapping only.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_i17"
down_revision: str | None = "0004_i11b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("clients") as batch:
        batch.add_column(sa.Column("sex", sa.SmallInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("clients") as batch:
        batch.drop_column("sex")
