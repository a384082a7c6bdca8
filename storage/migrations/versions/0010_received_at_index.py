"""items.received_at indexed: the morning summary reads what arrived since the last close
through it, so its cost follows the night's arrivals, not the history

Revision ID: 0007_h4
Revises: 0007_h5
Create Date: 2026-12-03 21:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007_h4"
down_revision: str | None = "0007_h5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_items_received_at"), ["received_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_items_received_at"))
