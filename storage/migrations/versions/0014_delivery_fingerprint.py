"""what request each idempotency key first carried

An integration that sends a second, different request under a key it used before (a phone
system whose ids start again after a reinstall, a portal reusing a key) was answered 200
with the first request's item, and the second patient's request was lost without a word.
Each delivery now keeps a fingerprint of its request, so the same key with another request
is refused (422) instead. Rows stored before have none: they answer as before.

Revision ID: 0014_delivery_fingerprint
Revises: 0013_cards_current
Create Date: 2026-12-04 20:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_delivery_fingerprint"
down_revision: str | None = "0013_cards_current"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fingerprint", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_deliveries", schema=None) as batch_op:
        batch_op.drop_column("fingerprint")
