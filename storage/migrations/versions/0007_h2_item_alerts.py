"""item_alerts: each aging or promise alert raised once per item, threshold and deadline, with
where it was posted (so a cleared alert is edited); items.aging_at/aging_stage: when the
aging job looks at an item next and which card stage it last saw

Revision ID: 0007_h2
Revises: 0006
Create Date: 2026-12-03 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_h2"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "item_alerts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("owner", sa.String(length=32), nullable=True),
        sa.Column("promise_id", sa.Integer(), nullable=True),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cleared_reason", sa.String(length=16), server_default="", nullable=False),
        sa.Column("cleared_by", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_item_alerts_item_id_items")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_alerts")),
        sa.UniqueConstraint("item_id", "kind", "subject", name="uq_item_alerts_item_kind_subject"),
    )
    with op.batch_alter_table("item_alerts", schema=None) as batch_op:
        batch_op.create_index("ix_item_alerts_active", ["item_id", "cleared_at"], unique=False)
    op.create_table(
        "item_alert_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=80), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=True),
        sa.Column("ts", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["item_alerts.id"],
            name=op.f("fk_item_alert_messages_alert_id_item_alerts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_alert_messages")),
    )
    with op.batch_alter_table("item_alert_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_item_alert_messages_alert_id"), ["alert_id"], unique=False
        )
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("aging_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("aging_stage", sa.String(length=16), server_default="", nullable=False)
        )
        batch_op.create_index(batch_op.f("ix_items_aging_at"), ["aging_at"], unique=False)
    # Items open before this migration are looked at on the job's first run.
    op.execute("UPDATE items SET aging_at = updated_at WHERE status <> 'resolved'")


def downgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_items_aging_at"))
        batch_op.drop_column("aging_stage")
        batch_op.drop_column("aging_at")
    with op.batch_alter_table("item_alert_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_alert_messages_alert_id"))
    op.drop_table("item_alert_messages")
    with op.batch_alter_table("item_alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_item_alerts_active")
    op.drop_table("item_alerts")
