"""Work lists across lanes: what needs an owner, what is overdue, and the manager's board
(per lane and per person counts). A handful of aggregate reads over open items, each list
capped by the query, so Home costs the same at 8 or 800 open items."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.escalation import EscalationState
from bot.domain.items import Status
from bot.domain.views import Listed, PersonLoad
from storage.models import CardRow, EscalationRow, ItemRow
from storage.repositories.items import to_item

_OPEN = ItemRow.status != Status.RESOLVED.value
# Work that is on the clock: open, not parked on someone outside the practice.
_ON_THE_CLOCK = and_(_OPEN, ItemRow.status != Status.WAITING.value)
# Needs an owner: on the clock, unowned, and not with the clinical team already (an
# escalated item is acknowledged by a clinician, never claimed from a list).
_NEEDS_OWNER = and_(
    _ON_THE_CLOCK, ItemRow.owner.is_(None), ItemRow.status != Status.ESCALATED.value
)
# Every state still waiting on a decision, "no response" (the whole chain was paged and
# nobody answered) the most urgent of them: the digest and morning summary count the same.
_OPEN_ESCALATIONS = tuple(state.value for state in EscalationState if state.is_open)


@dataclass(frozen=True)
class LaneCounts:
    """One lane's counts as read: open, unclaimed, overdue, due before the day's end."""

    open: int
    unclaimed: int
    overdue: int
    due_today: int


class WorkListRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def needs_owner(
        self, lanes: Collection[str] | None, *, limit: int
    ) -> tuple[list[Listed], int]:
        """Unclaimed items in `lanes` (None: every lane), most urgent first: red-flagged
        ones, then soonest due, then oldest; and how many there are in all."""
        condition = _NEEDS_OWNER if lanes is None else and_(_NEEDS_OWNER, ItemRow.lane.in_(lanes))
        flagged_first = case((func.coalesce(ItemRow.red_flags, "") != "", 0), else_=1)
        listed = await self._listed(condition, (flagged_first, ItemRow.due_at), limit)
        total = await self.session.scalar(select(func.count()).where(condition))
        return listed, int(total or 0)

    async def overdue(
        self, lanes: Collection[str] | None, *, now: datetime, limit: int
    ) -> tuple[list[Listed], int]:
        """Open items past their due time in `lanes` (None: every lane), longest overdue
        first; and how many there are in all."""
        condition = and_(_ON_THE_CLOCK, ItemRow.due_at <= now)
        if lanes is not None:
            condition = and_(condition, ItemRow.lane.in_(lanes))
        listed = await self._listed(condition, (ItemRow.due_at,), limit)
        total = await self.session.scalar(select(func.count()).where(condition))
        return listed, int(total or 0)

    async def owned_by(self, owner: str, *, limit: int) -> list[Listed]:
        """A person's open items with their cards, soonest due first."""
        return await self._listed(
            and_(_OPEN, ItemRow.owner == owner), (ItemRow.due_at, ItemRow.id), limit
        )

    async def in_lane(self, lane: str, *, limit: int) -> list[Listed]:
        """A lane's open items with their cards, soonest due first."""
        return await self._listed(
            and_(_OPEN, ItemRow.lane == lane), (ItemRow.due_at, ItemRow.id), limit
        )

    async def lane_counts(self, *, now: datetime, day_end: datetime) -> dict[str, LaneCounts]:
        """Per lane: open, unclaimed, overdue, and due from now until `day_end`."""
        overdue = and_(_ON_THE_CLOCK, ItemRow.due_at <= now)
        due_today = and_(_ON_THE_CLOCK, ItemRow.due_at > now, ItemRow.due_at <= day_end)
        rows = await self.session.execute(
            select(
                ItemRow.lane,
                func.count(),
                func.count(case((_NEEDS_OWNER, 1))),
                func.count(case((overdue, 1))),
                func.count(case((due_today, 1))),
            )
            .where(_OPEN)
            .group_by(ItemRow.lane)
        )
        return {lane: LaneCounts(*map(int, counts)) for lane, *counts in rows.all()}

    async def oldest_per_lane(self) -> dict[str, Listed]:
        """Each lane's open item received first, with its card."""
        # The earliest received (a back-dated contact time can make it a later id).
        earliest = (
            select(ItemRow.lane, func.min(ItemRow.received_at).label("received"))
            .where(_OPEN)
            .group_by(ItemRow.lane)
            .subquery()
        )
        condition = and_(
            _OPEN,
            ItemRow.lane == earliest.c.lane,
            ItemRow.received_at == earliest.c.received,
        )
        listed = await self._listed(condition, (ItemRow.id,), limit=None)
        oldest: dict[str, Listed] = {}
        for entry in listed:
            oldest.setdefault(entry.item.lane, entry)
        return oldest

    async def people(self, *, now: datetime, limit: int) -> list[PersonLoad]:
        """Each owner's open and overdue items, the most loaded first."""
        overdue = and_(_ON_THE_CLOCK, ItemRow.due_at <= now)
        rows = await self.session.execute(
            select(ItemRow.owner, func.count(), func.count(case((overdue, 1))))
            .where(_OPEN, ItemRow.owner.is_not(None))
            .group_by(ItemRow.owner)
            .order_by(func.count().desc(), ItemRow.owner)
            .limit(limit)
        )
        return [PersonLoad(str(owner), int(n), int(late)) for owner, n, late in rows.all()]

    async def escalations_open(self) -> int:
        """Escalations not yet resolved (paged, acknowledged, or paged to the end of the
        chain with no response)."""
        count = await self.session.scalar(
            select(func.count()).where(EscalationRow.state.in_(_OPEN_ESCALATIONS))
        )
        return int(count or 0)

    async def find(self, key: str) -> Listed | None:
        """One item by key, open or closed, with its current card."""
        listed = await self._listed(ItemRow.key == key, (ItemRow.id,), limit=1)
        return listed[0] if listed else None

    async def _listed(
        self, condition: Any, order: tuple[Any, ...], limit: int | None
    ) -> list[Listed]:
        current_card = (
            select(func.max(CardRow.id))
            .where(CardRow.item_id == ItemRow.id, CardRow.moved_to_lane.is_(None))
            .correlate(ItemRow)
            .scalar_subquery()
        )
        query = (
            select(ItemRow, CardRow.channel_id, CardRow.ts)
            .outerjoin(CardRow, CardRow.id == current_card)
            .where(condition)
            .order_by(*order, ItemRow.id)
        )
        if limit is not None:
            query = query.limit(limit)
        rows = await self.session.execute(query)
        return [Listed(to_item(row), channel_id, ts) for row, channel_id, ts in rows]
