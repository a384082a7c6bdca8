"""Read-only views of the work: a person's queue, a lane's queue, and what App Home shows.
Each reads in a read-only unit of work, so it never waits for a writer."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import Clock
from bot.domain.items import Item
from bot.domain.practice import Practice
from bot.domain.views import HomeData, LaneSummary
from bot.roles import RoleDirectory
from storage.uow import UnitOfWorkFactory

DUE_SOON = timedelta(hours=1)
LIST_LIMIT = 50


class QueueQueries:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        practice: Practice,
        clock: Clock,
        *,
        roles: RoleDirectory | None = None,
    ) -> None:
        self._uow = uow
        self.practice = practice
        self.clock = clock
        self.roles = roles or RoleDirectory(practice)

    async def mine(self, user: str) -> list[Item]:
        """The person's open items, soonest due first (waiting ones by check-back time)."""
        async with self._uow.read() as tx:
            return await tx.items.open_for_owner(user, limit=LIST_LIMIT)

    async def lane(self, lane_key: str) -> list[Item]:
        async with self._uow.read() as tx:
            return await tx.items.open_in_lane(lane_key, limit=LIST_LIMIT)

    async def home(self, user: str) -> HomeData:
        now = self.clock.now()
        actor = self.roles.actor_for(user)
        async with self._uow.read() as tx:
            mine = await tx.items.open_for_owner(user, limit=LIST_LIMIT)
            waiting = await tx.items.waiting(owner=user, limit=LIST_LIMIT)
            summary = await tx.items.lane_summary() if actor.is_manager else {}
        lanes = [
            LaneSummary(key, lane.name, *summary.get(key, (0, None)))
            for key, lane in self.practice.lanes.items()
        ]
        return HomeData(
            user=user,
            now=now,
            mine=[item for item in mine if item.status.value != "waiting"],
            due_soon=[
                item
                for item in mine
                if item.status.value != "waiting" and item.due_at <= now + DUE_SOON
            ],
            waiting=waiting,
            lanes=lanes if actor.is_manager else [],
            is_manager=actor.is_manager,
        )
