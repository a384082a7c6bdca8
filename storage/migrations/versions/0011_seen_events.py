"""seen_events: an Events API delivery is handled once (Slack's retries find their event id);
view_submissions: a modal submission makes its item once (a replay finds its view id)

Revision ID: 0007_h8
Revises: 0007_h4
Create Date: 2026-12-03 21:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_h8"
down_revision: str | None = "0007_h4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "seen_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seen_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_seen_events_event_id")),
    )
    with op.batch_alter_table("seen_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_seen_events_seen_at"), ["seen_at"], unique=False)
    op.create_table(
        "view_submissions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("view_id", sa.String(length=64), nullable=False),
        sa.Column("view_hash", sa.String(length=128), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_view_submissions_item_id_items")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_view_submissions")),
        sa.UniqueConstraint("view_id", name=op.f("uq_view_submissions_view_id")),
    )
    with op.batch_alter_table("view_submissions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_view_submissions_item_id"), ["item_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("view_submissions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_view_submissions_item_id"))
    op.drop_table("view_submissions")
    with op.batch_alter_table("seen_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_seen_events_seen_at"))
    op.drop_table("seen_events")
