"""Promises made to a patient, with their deadlines, until someone fulfils them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.handoff import Promise
from storage.models import PromiseRow


def _to_promise(row: PromiseRow) -> Promise:
    return Promise(
        id=row.id,
        text=row.text,
        due_at=row.due_at,
        made_by=row.made_by,
        made_at=row.made_at,
        fulfilled_at=row.fulfilled_at,
        fulfilled_by=row.fulfilled_by,
    )


class PromiseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self, item_id: int, *, text: str, due_at: datetime, by: str, now: datetime
    ) -> int:
        row = PromiseRow(item_id=item_id, text=text, due_at=due_at, made_by=by, made_at=now)
        self.session.add(row)
        await self.session.flush()
        return row.id

    async def open_for(self, item_id: int) -> list[Promise]:
        """Unfulfilled promises, nearest deadline first."""
        rows = await self.session.scalars(
            select(PromiseRow)
            .where(PromiseRow.item_id == item_id, PromiseRow.fulfilled_at.is_(None))
            .order_by(PromiseRow.due_at, PromiseRow.id)
        )
        return [_to_promise(row) for row in rows]

    async def move_open(self, from_item_id: int, to_item_id: int) -> None:
        """Give the unfulfilled promises of one item to another (a merge: the request, and
        what the patient was promised about it, live on in the item that keeps it)."""
        await self.session.execute(
            update(PromiseRow)
            .where(PromiseRow.item_id == from_item_id, PromiseRow.fulfilled_at.is_(None))
            .values(item_id=to_item_id)
        )

    async def fulfil(self, promise_id: int, item_id: int, *, by: str, now: datetime) -> bool:
        result = await self.session.execute(
            update(PromiseRow)
            .where(
                PromiseRow.id == promise_id,
                PromiseRow.item_id == item_id,
                PromiseRow.fulfilled_at.is_(None),
            )
            .values(fulfilled_at=now, fulfilled_by=by)
            .returning(PromiseRow.id)
        )
        return result.scalar_one_or_none() is not None
