"""Cards: the Slack message that shows an item in its lane's channel, one per lane it has
been in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import CardRow
from storage.repositories.dialect import insert_many


@dataclass(frozen=True)
class Card:
    id: int
    item_id: int
    lane: str
    channel: str
    channel_id: str | None
    ts: str | None
    moved_to_lane: str | None = None


def to_card(row: CardRow) -> Card:
    """The card a row holds (items.py reads it too, joined to its item)."""
    return Card(
        row.id, row.item_id, row.lane, row.channel, row.channel_id, row.ts, row.moved_to_lane
    )


class CardRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, *, item_id: int, lane: str, channel: str, now: datetime) -> Card:
        return (await self.add_many([(item_id, lane, channel)], now=now))[0]

    async def add_many(self, cards: list[tuple[int, str, str]], *, now: datetime) -> list[Card]:
        """New cards, not yet posted (item row id, lane, channel each), in one statement."""
        ids = await insert_many(
            self.session,
            CardRow.__table__,
            [
                {"item_id": item_id, "lane": lane, "channel": channel, "created_at": now}
                for item_id, lane, channel in cards
            ],
            match="item_id",
        )
        return [
            Card(card_id, item_id, lane, channel, None, None, None)
            for card_id, (item_id, lane, channel) in zip(ids, cards, strict=True)
        ]

    async def current_for(self, item_id: int) -> Card | None:
        """The card in the item's current lane (the newest; older ones point to it)."""
        row = await self.session.scalar(
            select(CardRow)
            .where(CardRow.item_id == item_id, CardRow.moved_to_lane.is_(None))
            .order_by(CardRow.id.desc())
            .limit(1)
        )
        return to_card(row) if row is not None else None

    async def get(self, card_id: int) -> Card | None:
        row = await self.session.get(CardRow, card_id)
        return to_card(row) if row is not None else None

    async def by_message(self, channel_id: str, ts: str) -> Card | None:
        row = await self.session.scalar(
            select(CardRow).where(CardRow.channel_id == channel_id, CardRow.ts == ts)
        )
        return to_card(row) if row is not None else None

    async def record_posted(self, card_id: int, *, channel_id: str, ts: str, now: datetime) -> None:
        await self.session.execute(
            update(CardRow)
            .where(CardRow.id == card_id)
            .values(channel_id=channel_id, ts=ts, posted_at=now)
        )

    async def retire(self, card_id: int, *, moved_to_lane: str) -> None:
        """The item moved lanes: this card now only says where it went."""
        await self.session.execute(
            update(CardRow).where(CardRow.id == card_id).values(moved_to_lane=moved_to_lane)
        )

    async def all_for(self, item_id: int) -> list[Card]:
        rows = await self.session.scalars(
            select(CardRow).where(CardRow.item_id == item_id).order_by(CardRow.id)
        )
        return [to_card(row) for row in rows]

    async def forget_message(self, card_id: int) -> None:
        """The card's message was deleted in Slack: the next delivery posts it anew."""
        await self.session.execute(
            update(CardRow).where(CardRow.id == card_id).values(ts=None, posted_at=None)
        )
