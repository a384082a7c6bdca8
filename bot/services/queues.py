"""Read-only views of the work: a person's queue, a lane's queue, and what App Home shows.
Each reads in a read-only unit of work, so it never waits for a writer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta

from bot.clock import Clock
from bot.domain.items import Actor
from bot.domain.permissions import PEOPLE_ROLES
from bot.domain.practice import Practice
from bot.domain.views import HomeData, LaneBoard, LaneSummary, Listed, ManagerBoard
from bot.roles import RoleDirectory
from storage.uow import UnitOfWork, UnitOfWorkFactory

DUE_SOON = timedelta(hours=1)
LIST_LIMIT = 50
PEOPLE_LIMIT = 40


class QueueQueries:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        practice: Practice,
        clock: Clock,
        *,
        roles: RoleDirectory | None = None,
        workspace_url: Callable[[], str | None] = lambda: None,
    ) -> None:
        self._uow = uow
        self.practice = practice
        self.clock = clock
        self.roles = roles or RoleDirectory(practice)
        # `https://team.slack.com`, once Slack said it (auth.test): links keys to cards.
        self.workspace_url = workspace_url

    def lanes_worked_by(self, actor: Actor) -> list[str] | None:
        """The lanes whose unclaimed work a person is shown: managers every lane (None);
        clinicians the clinical lanes (and any lane `roles.staff` gives them); everyone else
        the administrative lanes they work (`roles.staff` / `roles.assistants`, every lane
        when the file names none), since a clinical question must not sit in an
        administrative person's list."""
        if actor.is_manager:
            return None
        return [
            key
            for key, lane in self.practice.lanes.items()
            if (actor.is_clinical and lane.clinical) or (not lane.clinical and actor.works_in(key))
        ]

    async def unclaimed(self, user: str) -> tuple[list[Listed], int]:
        """Everything that needs an owner in the lanes the person works in, most urgent
        first, and how many in all."""
        lanes = self.lanes_worked_by(self.roles.actor_for(user))
        async with self._uow.read() as tx:
            return await tx.worklist.needs_owner(lanes, limit=LIST_LIMIT)

    async def overdue(self, user: str) -> tuple[list[Listed], int]:
        """Open items past due in the lanes the person works in, longest overdue first, and
        how many in all."""
        lanes = self.lanes_worked_by(self.roles.actor_for(user))
        async with self._uow.read() as tx:
            return await tx.worklist.overdue(lanes, now=self.clock.now(), limit=LIST_LIMIT)

    async def find(self, key: str) -> Listed | None:
        async with self._uow.read() as tx:
            return await tx.worklist.find(key)

    async def mine(self, user: str) -> list[Listed]:
        """The person's open items with their cards (so `/queue` links each key), soonest
        due first (waiting ones by check-back time)."""
        async with self._uow.read() as tx:
            return await tx.worklist.owned_by(user, limit=LIST_LIMIT)

    async def lane(self, lane_key: str) -> list[Listed]:
        async with self._uow.read() as tx:
            return await tx.worklist.in_lane(lane_key, limit=LIST_LIMIT)

    async def home(self, user: str) -> HomeData:
        now = self.clock.now()
        actor = self.roles.actor_for(user)
        async with self._uow.read() as tx:
            mine = await tx.items.open_for_owner(user, limit=LIST_LIMIT)
            waiting = await tx.items.waiting(owner=user, limit=LIST_LIMIT)
            summary = await tx.items.lane_summary() if actor.is_manager else {}
            needs_owner, needs_owner_total = await tx.worklist.needs_owner(
                self.lanes_worked_by(actor), limit=LIST_LIMIT
            )
            board = await self._board(tx, now) if actor.is_manager else None
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
                if item.status.value != "waiting" and now < item.due_at <= now + DUE_SOON
            ],
            overdue=[
                item for item in mine if item.status.value != "waiting" and item.due_at <= now
            ],
            waiting=waiting,
            lanes=lanes if actor.is_manager else [],
            is_manager=actor.is_manager,
            needs_owner=needs_owner,
            needs_owner_total=needs_owner_total,
            board=board,
            workspace_url=self.workspace_url(),
            has_role=bool(actor.roles & PEOPLE_ROLES),
        )

    async def _board(self, tx: UnitOfWork, now: datetime) -> ManagerBoard:
        counts = await tx.worklist.lane_counts(now=now, day_end=self._day_end(now))
        oldest = await tx.worklist.oldest_per_lane()
        keys = [*self.practice.lanes, *sorted(set(counts) - set(self.practice.lanes))]
        lanes = []
        for key in keys:
            lane = self.practice.lanes.get(key)
            got = counts.get(key)
            lanes.append(
                LaneBoard(
                    lane=key,
                    name=lane.name if lane is not None else key,
                    open=got.open if got else 0,
                    unclaimed=got.unclaimed if got else 0,
                    overdue=got.overdue if got else 0,
                    due_today=got.due_today if got else 0,
                    oldest=oldest.get(key),
                )
            )
        return ManagerBoard(
            lanes=tuple(lanes),
            people=tuple(await tx.worklist.people(now=now, limit=PEOPLE_LIMIT)),
            escalations_open=await tx.worklist.escalations_open(),
        )

    def _day_end(self, now: datetime) -> datetime:
        """Midnight at the end of the practice's calendar day that holds `now`."""
        tz = self.practice.timezone
        tomorrow = now.astimezone(tz).date() + timedelta(days=1)
        return datetime.combine(tomorrow, time(0), tzinfo=tz)
