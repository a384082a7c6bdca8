"""outbox: dead letters, failures a row caused, backoff that ends when Slack answers again

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 15:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failures", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("backing_off", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("dead_at", sa.DateTime(timezone=True), nullable=True))
    # Rows that failed for good are the dead letters now: visible, and retryable by hand.
    op.execute("UPDATE outbox SET status = 'dead', dead_at = sent_at WHERE status = 'failed'")


def downgrade() -> None:
    op.execute("UPDATE outbox SET status = 'failed' WHERE status = 'dead'")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("dead_at")
        batch_op.drop_column("backing_off")
        batch_op.drop_column("failures")
