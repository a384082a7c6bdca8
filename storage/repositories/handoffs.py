"""Handoff notes: what the next person needs to know when an item changes hands."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.handoff import HandoffNote
from storage.models import HandoffRow


class HandoffRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, item_id: int, note: HandoffNote, *, by: str, now: datetime) -> int:
        row = HandoffRow(
            item_id=item_id,
            asked=note.asked,
            confirmed=note.confirmed,
            unresolved=note.unresolved,
            promised=note.promised,
            promised_by=note.promised_by,
            not_to_promise=note.not_to_promise,
            next_owner=note.next_owner,
            next_lane=note.next_lane,
            by=by,
            at=now,
        )
        self.session.add(row)
        await self.session.flush()
        return row.id

    async def get(self, handoff_id: int) -> tuple[HandoffNote, str, datetime] | None:
        row = await self.session.get(HandoffRow, handoff_id)
        if row is None:
            return None
        note = HandoffNote(
            asked=row.asked,
            confirmed=row.confirmed,
            unresolved=row.unresolved,
            promised=row.promised,
            promised_by=row.promised_by,
            not_to_promise=row.not_to_promise,
            next_owner=row.next_owner,
            next_lane=row.next_lane,
        )
        return note, row.by, row.at
