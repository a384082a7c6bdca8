"""The audit trail: every change to an item as an `Event`, in order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.events import Event
from bot.domain.items import Action
from storage.models import EventRow
from storage.repositories.dialect import insert_many


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, datetime):
            out[key] = value.isoformat()
        elif hasattr(value, "value"):
            out[key] = value.value
        else:
            out[key] = value
    return out


def to_event(row: EventRow) -> Event:
    return Event(
        id=row.id,
        item_key=row.item_key,
        action=Action(row.action),
        actor=row.actor,
        at=row.at,
        before=row.before or {},
        after=row.after or {},
    )


class EventRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, event: Event, *, item_id: int) -> int:
        """Append `event`; returns its id. One INSERT, no ORM flush: every use case writes
        one, inside the transaction a burst of clicks queues for."""
        return (await self.add_many([(event, item_id)]))[0]

    async def add_many(self, events: list[tuple[Event, int]]) -> list[int]:
        """Append events (each with its item's row id) in one statement; their ids, in order."""
        return await insert_many(
            self.session,
            EventRow.__table__,
            [
                {
                    "item_id": item_id,
                    "item_key": event.item_key,
                    "action": event.action.value,
                    "actor": event.actor,
                    "at": event.at,
                    "before": _jsonable(dict(event.before)),
                    "after": _jsonable(dict(event.after)),
                }
                for event, item_id in events
            ],
            match="item_id",
        )

    async def get(self, event_id: int) -> Event | None:
        row = await self.session.get(EventRow, event_id)
        return to_event(row) if row is not None else None

    async def for_item(self, key: str) -> list[Event]:
        rows = await self.session.scalars(
            select(EventRow).where(EventRow.item_key == key).order_by(EventRow.id)
        )
        return [to_event(row) for row in rows]

    async def since(self, since: datetime, *, batch: int = 1000) -> list[Event]:
        rows = await self.session.scalars(
            select(EventRow)
            .where(EventRow.at >= since)
            .order_by(EventRow.at, EventRow.id)
            .limit(batch)
        )
        return [to_event(row) for row in rows]

    async def page_after(self, since: datetime, after_id: int, batch: int) -> list[Event]:
        rows = await self.session.scalars(
            select(EventRow)
            .where(EventRow.at >= since, EventRow.id > after_id)
            .order_by(EventRow.id)
            .limit(batch)
        )
        return [to_event(row) for row in rows]
