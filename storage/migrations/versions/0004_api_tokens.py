"""intake API: integration tokens (hashed) and deliveries by idempotency key

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_table(
        "api_deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("source_id", sa.String(length=200), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_api_deliveries_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["token_id"], ["api_tokens.id"], name=op.f("fk_api_deliveries_token_id_api_tokens")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_deliveries")),
        sa.UniqueConstraint("token_id", "idempotency_key", name="uq_api_deliveries_token_key"),
    )
    op.create_index(op.f("ix_api_deliveries_item_id"), "api_deliveries", ["item_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_api_deliveries_item_id"), table_name="api_deliveries")
    op.drop_table("api_deliveries")
    op.drop_table("api_tokens")
