"""items.waiting_for: who an item waits on, as a choice (payer, referral office, ...)

Revision ID: 0007_h5
Revises: 0007_h6
Create Date: 2026-12-03 21:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_h5"
down_revision: str | None = "0007_h6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("waiting_for", sa.String(length=32), server_default="", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_column("waiting_for")
