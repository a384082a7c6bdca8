"""What the weekly metrics and the QA sample read: the histories of the items a period
touched, and the closed items a sample is drawn from."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.item_history import ItemHistory
from storage.models import EventRow, ItemRow
from storage.repositories.events import to_event


class MetricsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def histories(self, since: datetime) -> list[ItemHistory]:
        """Every item open now or with an event since `since`, with all its events in order:
        what a report over [since, now) can count. Costs follow the items the period touched
        (and the open ones), not the whole history."""
        touched = select(EventRow.item_id).where(EventRow.at >= since).distinct()
        items = (
            await self.session.execute(
                select(ItemRow.id, ItemRow.key, ItemRow.received_at, ItemRow.language).where(
                    or_(ItemRow.closed_at.is_(None), ItemRow.id.in_(touched))
                )
            )
        ).all()
        if not items:
            return []
        events_by_item: dict[int, list[EventRow]] = defaultdict(list)
        ids = [row.id for row in items]
        for start in range(0, len(ids), 500):
            rows = await self.session.scalars(
                select(EventRow)
                .where(EventRow.item_id.in_(ids[start : start + 500]))
                .order_by(EventRow.id)
            )
            for row in rows:
                events_by_item[row.item_id].append(row)
        return [
            ItemHistory(
                key=row.key,
                received_at=row.received_at,
                language=row.language,
                events=tuple(to_event(e) for e in events_by_item[row.id]),
            )
            for row in items
        ]

    async def closed_between(self, since: datetime, until: datetime) -> list[tuple[str, str]]:
        """(key, lane) of the items closed in [since, until) and still closed, oldest first:
        what a QA sample is drawn from."""
        rows = await self.session.execute(
            select(ItemRow.key, ItemRow.lane)
            .where(ItemRow.closed_at >= since, ItemRow.closed_at < until)
            .where(ItemRow.merged_into.is_(None))
            .order_by(ItemRow.closed_at, ItemRow.id)
        )
        return [(row.key, row.lane) for row in rows]
