"""What the practice's IT person asks of a running CareQueue: the outbox's dead letters,
sending them again, open items whose lane left the practice file, and the queue's health
(for /healthz and /metrics)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain.practice import Practice
from storage.repositories import DeadLetter
from storage.uow import UnitOfWorkFactory


async def dead_letters(uow: UnitOfWorkFactory, *, limit: int = 200) -> list[DeadLetter]:
    """Slack writes the outbox gave up on, oldest first."""
    async with uow() as tx:
        return await tx.outbox.dead_letters(limit=limit)


async def requeue(uow: UnitOfWorkFactory, ids: Sequence[int] | None, now: datetime) -> list[int]:
    """Send dead letters again (all of them when `ids` is None); returns the ids requeued.
    A card is rendered from its item's state at delivery, so a requeued card is current."""
    async with uow() as tx:
        requeued = await tx.outbox.requeue(ids, now=now)
        await tx.commit()
    return requeued


async def unconfigured_lanes(uow: UnitOfWorkFactory, practice: Practice) -> dict[str, int]:
    """Lanes with open items that the practice file no longer has, with how many."""
    async with uow() as tx:
        summary = await tx.items.lane_summary()
    return {
        lane: count for lane, (count, _) in sorted(summary.items()) if lane not in practice.lanes
    }


@dataclass(frozen=True)
class QueueHealth:
    """The queue as the database has it now: a few aggregate queries, cheap to ask often."""

    open_items: dict[str, int]  # per lane: every configured lane, and any with open items
    outbox_pending: int
    outbox_dead: int
    outbox_oldest_age_seconds: float  # how long the oldest undelivered write has waited


async def queue_health(uow: UnitOfWorkFactory, practice: Practice, now: datetime) -> QueueHealth:
    """Open items per lane and the outbox's depth, lag and dead letters. Raises whatever the
    database raises when it does not answer."""
    async with uow.read() as tx:
        summary = await tx.items.lane_summary()
        counts = await tx.outbox.counts()
        oldest = await tx.outbox.oldest_pending()
    open_items = dict.fromkeys(practice.lanes, 0)
    open_items.update({lane: count for lane, (count, _) in summary.items()})
    return QueueHealth(
        open_items=open_items,
        outbox_pending=counts.get("pending", 0),
        outbox_dead=counts.get("dead", 0),
        outbox_oldest_age_seconds=max((now - oldest).total_seconds(), 0.0) if oldest else 0.0,
    )
