"""The end-of-day digest's numbers in a handful of aggregate reads over open items (and
today's closed and promised ones), so its cost follows the open items, not the history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.digest import (
    Digest,
    DigestEscalation,
    DigestItem,
    DigestPromise,
    DigestWaiting,
    LaneDigest,
)
from bot.domain.escalation import EscalationState
from bot.domain.items import Action, Status
from storage.models import CardRow, EscalationRow, EventRow, ItemRow, PromiseRow
from storage.repositories.escalations import OPEN_STATES

# How many items each list of the digest names; the counts beside them are exact.
DIGEST_LIST_CAP = 40

# "Not resolved" spelled as the open states, so the status index serves it however many
# resolved items the history holds.
OPEN_STATUSES = tuple(s.value for s in Status if s.is_open)
_OPEN = ItemRow.status.in_(OPEN_STATUSES)


class DigestRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def digest(
        self,
        day: date,
        *,
        since: datetime,
        now: datetime,
        promises_since: datetime | None = None,
    ) -> Digest:
        """The practice at `now` on business day `day` (which began at `since`): open,
        unclaimed, overdue (open, not waiting, due), promises due since `promises_since`
        (the last close; else `since`) and not kept, open escalations, resolved since
        `since`; per lane, per owner, and the first DIGEST_LIST_CAP overdue (soonest due
        first), unclaimed (oldest first) and resolved items, each with its current card."""
        overdue = and_(_OPEN, ItemRow.status != Status.WAITING.value, ItemRow.due_at <= now)
        counts = (
            await self.session.execute(
                select(
                    func.count(),
                    func.count(case((ItemRow.owner.is_(None), 1))),
                    func.count(case((overdue, 1))),
                    func.count(case((ItemRow.status == Status.WAITING.value, 1))),
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
        # closed_at is set exactly while an item is resolved (reopening clears it): read
        # through its index alone, as a status test would send SQLite through every
        # resolved item in the history.
        # A merge closes the repeat request into the patient's other item: not a resolution
        # (the metrics say so too), or one request would count as resolved twice.
        resolved = and_(ItemRow.closed_at >= since, ItemRow.merged_into.is_(None))
        # A promise whose item was closed before its deadline was settled by the close (what
        # the patient was told then): not missed.
        settled = (
            select(ItemRow.id)
            .where(ItemRow.id == PromiseRow.item_id, ItemRow.closed_at < PromiseRow.due_at)
            .correlate(PromiseRow)  # the item read in the subquery, also where items are listed
            .exists()
        )
        missed = and_(
            PromiseRow.fulfilled_at.is_(None),
            # From the last business day's close: one missed overnight or over a weekend,
            # when no digest was posted, is in the next one.
            PromiseRow.due_at >= (promises_since or since),
            PromiseRow.due_at <= now,
            ~settled,
        )
        escalated = EscalationRow.state.in_(OPEN_STATES)
        return Digest(
            day=day,
            now=now,
            open=counts[0],
            unclaimed=counts[1],
            overdue=counts[2],
            escalations_open=int(
                await self.session.scalar(select(func.count()).where(escalated)) or 0
            ),
            promises_missed=int(await self.session.scalar(select(func.count()).where(missed)) or 0),
            waiting=counts[3],
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
            promises_due=await self._promises(missed),
            waiting_items=await self._waiting(),
            escalations=await self.escalations(escalated),
        )

    async def _promises(self, missed: Any) -> tuple[DigestPromise, ...]:
        rows = await self.listed(
            missed,
            PromiseRow.due_at,
            (PromiseRow.due_at, PromiseRow.text),
            join=(PromiseRow, PromiseRow.item_id == ItemRow.id),
        )
        return tuple(DigestPromise(item, due_at, text) for item, (due_at, text) in rows)

    async def _waiting(self) -> tuple[DigestWaiting, ...]:
        """Waiting items, longest parked first: since their latest Waiting on… (an indexed
        lookup per listed item, at most DIGEST_LIST_CAP of them)."""
        since = (
            select(func.max(EventRow.at))
            .where(EventRow.item_id == ItemRow.id, EventRow.action == Action.WAIT.value)
            .correlate(ItemRow)
            .scalar_subquery()
        )
        rows = await self.listed(
            ItemRow.status == Status.WAITING.value,
            ItemRow.received_at,
            (ItemRow.waiting_for, since, ItemRow.check_back_at),
        )
        return tuple(
            DigestWaiting(item, waiting_for, at, check_back)
            for item, (waiting_for, at, check_back) in rows
        )

    async def escalations(self, escalated: Any) -> tuple[DigestEscalation, ...]:
        """Escalations matching `escalated`, unacknowledged first, then the oldest."""
        unacknowledged = case((EscalationRow.acknowledged_at.is_(None), 0), else_=1)
        rows = await self.listed(
            escalated,
            (unacknowledged, EscalationRow.opened_at),
            (
                EscalationRow.rule,
                EscalationRow.state,
                EscalationRow.opened_at,
                EscalationRow.ack_due_at,
                EscalationRow.acknowledged_by,
            ),
            join=(EscalationRow, EscalationRow.item_id == ItemRow.id),
        )
        return tuple(
            DigestEscalation(item, rule, EscalationState(state), opened, ack_due, by)
            for item, (rule, state, opened, ack_due, by) in rows
        )

    async def _items(self, condition: Any, order: Any) -> tuple[DigestItem, ...]:
        return tuple(item for item, _ in await self.listed(condition, order, ()))

    async def listed(
        self,
        condition: Any,
        order: Any,
        extra: Sequence[Any],
        *,
        join: tuple[Any, Any] | None = None,
    ) -> list[tuple[DigestItem, tuple[Any, ...]]]:
        """The first DIGEST_LIST_CAP items matching `condition` in `order`, each with its
        current card and the `extra` columns (from the `join`ed table, if any).

        The cards are looked up for the listed items only, in a second read: joined in the
        first, they would be looked up for every match before the sort and the limit."""
        columns = (
            ItemRow.id,
            ItemRow.key,
            ItemRow.lane,
            ItemRow.received_at,
            ItemRow.due_at,
            ItemRow.owner,
            ItemRow.patient_name,
        )
        statement = select(*columns, *extra)
        if join is not None:
            statement = statement.join(*join)
        ordering = order if isinstance(order, tuple) else (order,)
        rows = (
            await self.session.execute(
                statement.where(condition).order_by(*ordering, ItemRow.id).limit(DIGEST_LIST_CAP)
            )
        ).all()
        cards: dict[int, tuple[str | None, str | None]] = {}
        if rows:
            found = await self.session.execute(
                select(CardRow.item_id, CardRow.channel_id, CardRow.ts)
                .where(
                    CardRow.item_id.in_({row[0] for row in rows}),
                    CardRow.moved_to_lane.is_(None),
                )
                .order_by(CardRow.id)
            )
            cards = {item_id: (channel_id, ts) for item_id, channel_id, ts in found}
        return [
            (
                DigestItem(
                    key=key,
                    lane=lane,
                    received_at=received_at,
                    due_at=due_at,
                    owner=owner,
                    patient_name=patient_name,
                    card_channel_id=cards.get(item_id, (None, None))[0],
                    card_ts=cards.get(item_id, (None, None))[1],
                ),
                tuple(more),
            )
            for item_id, key, lane, received_at, due_at, owner, patient_name, *more in rows
        ]
