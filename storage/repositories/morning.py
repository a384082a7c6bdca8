"""The morning summary's numbers: what arrived since the last close (read through the
received-time index) and what is open now (the status index), so its cost follows the
night's arrivals and the open items, not the history."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from datetime import date, datetime

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.items import Status
from bot.domain.morning import (
    MorningItem,
    MorningLane,
    MorningSummary,
    Priority,
    lanes_in_order,
    priority,
)
from storage.models import EscalationRow, ItemRow
from storage.repositories.digest import OPEN_STATUSES, DigestRepository
from storage.repositories.escalations import OPEN_STATES

_OPEN = ItemRow.status.in_(OPEN_STATUSES)


class MorningRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._lists = DigestRepository(session)

    async def summary(
        self, day: date, *, since: datetime, now: datetime, clinical_lanes: Collection[str]
    ) -> MorningSummary:
        """The practice at `now` (business day `day`'s opening), with what was received
        since `since` (the last close); the open items that arrived since then, are
        escalated or carry an unanswered red flag, listed by priority (bot/domain/morning.py):
        escalated and red-flagged first, then clinical lanes."""
        arrived = ItemRow.received_at >= since
        flagged = ItemRow.red_flags != ""
        # Answered by "Not an emergency" or by escalating it (an escalation decides it, as
        # the red-flag job and merges read it): only one nobody answered is open.
        escalated_ever = exists().where(EscalationRow.item_id == ItemRow.id)
        unanswered = and_(flagged, ItemRow.red_flag_dismissed_by.is_(None), ~escalated_ever)
        first = and_(_OPEN, or_(arrived, ItemRow.status == Status.ESCALATED.value, unanswered))
        overdue = and_(ItemRow.status != Status.WAITING.value, ItemRow.due_at <= now)
        # The night's arrivals one row each, counted here: grouped in SQL, SQLite would walk
        # the whole history in lane order rather than read the received-time index.
        night = Counter((await self.session.scalars(select(ItemRow.lane).where(arrived))).all())
        standing = (
            await self.session.execute(
                select(
                    ItemRow.lane,
                    func.count(),
                    func.count(case((ItemRow.owner.is_(None), 1))),
                    func.count(case((overdue, 1))),
                    func.count(case((unanswered, 1))),
                )
                .where(_OPEN)
                .group_by(ItemRow.lane)
            )
        ).all()
        clinical = set(clinical_lanes)
        came = dict(night)
        now_open = {lane: (n, late) for lane, n, _, late, _ in standing}
        lanes = [
            MorningLane(lane, lane in clinical, came.get(lane, 0), *now_open.get(lane, (0, 0)))
            for lane in sorted({*came, *now_open})
        ]
        rank = case(
            (ItemRow.status == Status.ESCALATED.value, int(Priority.ESCALATED)),
            (flagged, int(Priority.RED_FLAG)),
            (ItemRow.lane.in_(sorted(clinical)), int(Priority.CLINICAL)),
            else_=int(Priority.ROUTINE),
        )
        listed = await self._lists.listed(
            first,
            (rank, ItemRow.received_at),
            (ItemRow.origin, ItemRow.status, ItemRow.red_flags),
        )
        escalated = EscalationRow.state.in_(OPEN_STATES)
        return MorningSummary(
            day=day,
            now=now,
            since=since,
            arrived=sum(came.values()),
            red_flags_open=sum(n for *_, n in standing),
            first=int(await self.session.scalar(select(func.count()).where(first)) or 0),
            escalations_open=int(
                await self.session.scalar(select(func.count()).where(escalated)) or 0
            ),
            open=sum(n for _, n, *_ in standing),
            unclaimed=sum(n for _, _, n, *_ in standing),
            overdue=sum(n for _, _, _, n, _ in standing),
            lanes=lanes_in_order(lanes),
            first_items=tuple(
                MorningItem(
                    item,
                    origin,
                    priority(
                        escalated=status == Status.ESCALATED.value,
                        red_flagged=bool(red_flags),
                        clinical_lane=item.lane in clinical,
                    ),
                )
                for item, (origin, status, red_flags) in listed
            ),
            escalations=await self._lists.escalations(escalated),
        )
