"""one current card per item, instead of one card per item and channel

An item moved to another lane and then back (scheduling -> telehealth -> scheduling: filed
in the wrong lane, or bounced by a clinician's decision) needs a new card in a channel
where it already has a retired one. The unique (item_id, channel) refused it, and the move
failed with an IntegrityError. Cards are now unique only while current: at most one card
per item has no `moved_to_lane`.

A downgrade puts (item_id, channel) back; it fails if an item has two cards in one
channel by then.

Revision ID: 0013_cards_current
Revises: 0012_outbox_queue
Create Date: 2026-12-04 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_cards_current"
down_revision: str | None = "0012_outbox_queue"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CURRENT = sa.text("moved_to_lane IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.drop_constraint("uq_cards_item_channel", type_="unique")
        batch_op.create_index(
            "uq_cards_current",
            ["item_id"],
            unique=True,
            sqlite_where=CURRENT,
            postgresql_where=CURRENT,
        )


def downgrade() -> None:
    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.drop_index("uq_cards_current")
        batch_op.create_unique_constraint("uq_cards_item_channel", ["item_id", "channel"])
