"""The end-of-day digest's numbers in a handful of aggregate reads over open items (and
today's closed and promised ones), so its cost follows the open items, not the history."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.digest import Digest, DigestItem, LaneDigest
from bot.domain.items import Status
from storage.models import CardRow, ItemRow, PromiseRow

# How many items each list of the digest names; the counts beside them are exact.
DIGEST_LIST_CAP = 40

_OPEN = ItemRow.status != Status.RESOLVED.value


class DigestRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def digest(self, day: date, *, since: datetime, now: datetime) -> Digest:
        """The practice at `now` on business day `day` (which began at `since`): open,
        unclaimed, overdue (open, not waiting, due), promises due since `since` and not
        kept, open escalations, resolved since `since`; per lane, per owner, and the first
        DIGEST_LIST_CAP overdue (soonest due first), unclaimed (oldest first) and resolved
        items, each with its current card."""
        overdue = and_(_OPEN, ItemRow.status != Status.WAITING.value, ItemRow.due_at <= now)
        counts = (
            await self.session.execute(
                select(
                    func.count(),
                    func.count(case((ItemRow.owner.is_(None), 1))),
                    func.count(case((overdue, 1))),
                    func.count(case((ItemRow.status == Status.ESCALATED.value, 1))),
                ).where(_OPEN)
            )
        ).one()
        lanes = await self.session.execute(
            select(
                ItemRow.lane,
                func.count(),
                func.count(case((overdue, 1))),
                func.min(ItemRow.received_at),
            )
            .where(_OPEN)
            .group_by(ItemRow.lane)
            .order_by(ItemRow.lane)
        )
        owners = await self.session.execute(
            select(ItemRow.owner, func.count())
            .where(_OPEN, ItemRow.owner.is_not(None))
            .group_by(ItemRow.owner)
            .order_by(func.count().desc(), ItemRow.owner)
            .limit(DIGEST_LIST_CAP)
        )
        resolved = and_(ItemRow.status == Status.RESOLVED.value, ItemRow.closed_at >= since)
        missed = await self.session.scalar(
            select(func.count()).where(
                PromiseRow.fulfilled_at.is_(None),
                PromiseRow.due_at >= since,
                PromiseRow.due_at <= now,
            )
        )
        return Digest(
            day=day,
            now=now,
            open=counts[0],
            unclaimed=counts[1],
            overdue=counts[2],
            escalations_open=counts[3],
            promises_missed=int(missed or 0),
            resolved_today=int(
                await self.session.scalar(select(func.count()).where(resolved)) or 0
            ),
            lanes=tuple(LaneDigest(lane, n, late, oldest) for lane, n, late, oldest in lanes),
            owners=tuple((str(owner), int(n)) for owner, n in owners),
            overdue_items=await self._items(overdue, ItemRow.due_at),
            unclaimed_items=await self._items(
                and_(_OPEN, ItemRow.owner.is_(None)), ItemRow.received_at
            ),
            resolved_items=await self._items(resolved, ItemRow.closed_at),
        )

    async def _items(self, condition: Any, order: Any) -> tuple[DigestItem, ...]:
        current_card = (
            select(func.max(CardRow.id))
            .where(CardRow.item_id == ItemRow.id, CardRow.moved_to_lane.is_(None))
            .correlate(ItemRow)
            .scalar_subquery()
        )
        rows = await self.session.execute(
            select(ItemRow, CardRow.channel_id, CardRow.ts)
            .outerjoin(CardRow, CardRow.id == current_card)
            .where(condition)
            .order_by(order, ItemRow.id)
            .limit(DIGEST_LIST_CAP)
        )
        return tuple(
            DigestItem(
                key=row.key,
                lane=row.lane,
                received_at=row.received_at,
                due_at=row.due_at,
                owner=row.owner,
                patient_name=row.patient_name,
                card_channel_id=channel_id,
                card_ts=ts,
            )
            for row, channel_id, ts in rows
        )
