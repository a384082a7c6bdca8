"""What the practice's IT person asks of a running CareQueue: the outbox's dead letters,
sending them again, and open items whose lane left the practice file."""

from __future__ import annotations

from collections.abc import Sequence
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
