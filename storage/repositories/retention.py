"""Closed items past the retention period: what is due, and removing their patient text
from every table that holds it (the item, its calls, promises, handoffs, escalations and
the values its events recorded). Never commits: the purge commits each batch."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.items import Status
from bot.domain.retention import REDACTED, redact_event_side
from storage.models import (
    ApiDeliveryRow,
    AttemptRow,
    EscalationRow,
    EventRow,
    HandoffRow,
    ItemRow,
    PromiseRow,
)


@dataclass(frozen=True)
class LaneDue:
    """Closed items of one lane due for redaction, and when the longest-closed one closed."""

    count: int
    oldest_closed_at: datetime


class RetentionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _due(self, cutoff: datetime) -> tuple[ColumnElement[bool], ...]:
        """Closed before `cutoff`, and not redacted since it last closed (an item reopened
        after its purge gathers new notes, which go when it has been closed long enough)."""
        return (
            ItemRow.status == Status.RESOLVED.value,
            ItemRow.closed_at.is_not(None),
            ItemRow.closed_at < cutoff,
            or_(ItemRow.redacted_at.is_(None), ItemRow.redacted_at < ItemRow.closed_at),
        )

    async def due_per_lane(self, cutoff: datetime) -> dict[str, LaneDue]:
        """Per lane: closed items due for redaction (closed before `cutoff`, not yet done)."""
        rows = await self.session.execute(
            select(ItemRow.lane, func.count(), func.min(ItemRow.closed_at))
            .where(*self._due(cutoff))
            .group_by(ItemRow.lane)
        )
        return {lane: LaneDue(int(count), oldest) for lane, count, oldest in rows.all()}

    async def next_batch(self, cutoff: datetime, *, limit: int) -> list[int]:
        """Row ids of up to `limit` due items, longest closed first."""
        rows = await self.session.scalars(
            select(ItemRow.id)
            .where(*self._due(cutoff))
            .order_by(ItemRow.closed_at, ItemRow.id)
            .limit(limit)
        )
        return list(rows)

    async def redact(
        self, item_ids: Sequence[int], item_values: Mapping[str, str], now: datetime
    ) -> None:
        """Replace the items' patient text (`item_values`) and every free-text note about
        them; mark them redacted at `now` so a second purge passes them by."""
        if not item_ids:
            return
        ids = list(item_ids)
        await self.session.execute(
            update(ItemRow)
            .where(ItemRow.id.in_(ids))
            .values(**item_values, redacted_at=now, updated_at=now)
        )
        await self.session.execute(
            update(AttemptRow)
            .where(AttemptRow.item_id.in_(ids))
            .values(confirmed=REDACTED, next_step=REDACTED)
        )
        await self.session.execute(
            update(PromiseRow).where(PromiseRow.item_id.in_(ids)).values(text=REDACTED)
        )
        await self.session.execute(
            update(HandoffRow)
            .where(HandoffRow.item_id.in_(ids))
            .values(
                asked=REDACTED,
                confirmed=REDACTED,
                unresolved=REDACTED,
                promised=REDACTED,
                not_to_promise=REDACTED,
            )
        )
        await self.session.execute(
            update(EscalationRow)
            .where(EscalationRow.item_id.in_(ids))
            .values(context=REDACTED, decision=REDACTED, told_patient=REDACTED)
        )
        # The fingerprint of the request that made the item is a hash of its patient text.
        await self.session.execute(
            update(ApiDeliveryRow).where(ApiDeliveryRow.item_id.in_(ids)).values(fingerprint=None)
        )
        await self._redact_events(ids)

    async def _redact_events(self, item_ids: list[int]) -> None:
        """Events stay (who did what, when); the patient text they recorded goes."""
        rows = await self.session.execute(
            select(EventRow.id, EventRow.before, EventRow.after).where(
                EventRow.item_id.in_(item_ids)
            )
        )
        for event_id, before, after in rows.all():
            new_before = redact_event_side(before or {})
            new_after = redact_event_side(after or {})
            if new_before != (before or {}) or new_after != (after or {}):
                await self.session.execute(
                    update(EventRow)
                    .where(EventRow.id == event_id)
                    .values(before=new_before, after=new_after)
                )
