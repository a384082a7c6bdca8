"""Work CareQueue does by itself, on APScheduler's AsyncIOScheduler on the app's event loop.

Today that is bringing waiting items back at their check-back time and re-escalating
escalations nobody acknowledged in time (every 30 s; windows are wall-clock minutes).
The scheduled jobs to come (aging alerts, promise reminders, the digests, weekly metrics)
join `Jobs` here, each claiming its period in the database before it posts anything, so
two replicas or a restart never post twice. Check-backs and re-escalation need no claim:
each step is a version-checked change, so it happens once however many replicas run it.

The scheduler only says *when to look*; what is due is read from the app's clock
(`deps.clock`), so a test or the sandbox that moves that clock calls `run_soon()` instead
of waiting for the next tick.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.deps import Deps
from bot.services.digest import DigestServices

log = logging.getLogger(__name__)

CHECK_BACK_EVERY_SECONDS = 60.0
CHECK_BACKS = "check_backs"
DIGEST_EVERY_SECONDS = 60.0
END_OF_DAY = "end_of_day_digest"
# Escalation windows are minutes long: look twice a minute.
ESCALATE_EVERY_SECONDS = 30.0
RE_ESCALATION = "re_escalation"


class Jobs:
    """The app's scheduled work. `start()` inside the running loop, `await stop()` to end.

    Every job runs at most one at a time and a missed turn is folded into the next (a
    process that slept through ten minutes looks once, not ten times). A failing run is
    logged with its traceback and tried again on the next turn: one bad item or a database
    blip must not end a job for good. Logs carry item keys only.
    """

    def __init__(
        self,
        deps: Deps,
        *,
        check_back_every: float = CHECK_BACK_EVERY_SECONDS,
        escalate_every: float = ESCALATE_EVERY_SECONDS,
    ) -> None:
        self.deps = deps
        self.scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        self._running = asyncio.Lock()
        self.scheduler.add_job(
            self.check_backs,
            IntervalTrigger(seconds=check_back_every, timezone=UTC),
            id=CHECK_BACKS,
            name="bring waiting items back at check-back time",
            next_run_time=datetime.now(UTC),
        )
        # At the calendar's closing time on business days (looked for every minute on the
        # app's clock, so holidays, short Fridays and a moved sandbox clock just work).
        self.digests = DigestServices(
            deps.uow, deps.practice, deps.clock, on_enqueued=deps.outbox.wake
        )
        self.scheduler.add_job(
            self.end_of_day_digest,
            IntervalTrigger(seconds=DIGEST_EVERY_SECONDS, timezone=UTC),
            id=END_OF_DAY,
            name="post the end-of-day digest at closing time",
            next_run_time=datetime.now(UTC),
        )
        self.scheduler.add_job(
            self.re_escalation,
            IntervalTrigger(seconds=escalate_every, timezone=UTC),
            id=RE_ESCALATION,
            name="page the next level of unacknowledged escalations",
            next_run_time=datetime.now(UTC),
        )

    def start(self) -> None:
        self.scheduler.start()

    def run_soon(self) -> None:
        """Look now rather than at the next tick (the app's clock was moved, as the
        sandbox's clock control does)."""
        if not self.scheduler.running:
            return
        for job in self.scheduler.get_jobs():
            job.modify(next_run_time=datetime.now(UTC))

    async def stop(self) -> None:
        """Take no new turns, let a run in progress finish, then shut the scheduler down
        (cancelling a run mid-transaction would only make it roll back and retry)."""
        if not self.scheduler.running:
            return
        self.scheduler.pause()
        async with self._running:
            self.scheduler.shutdown(wait=False)

    async def check_backs(self) -> list[str]:
        """Resume the waiting items whose check-back time has come; their keys."""
        async with self._running:
            try:
                resumed = await self.deps.work.run_check_backs()
            except Exception:
                log.exception("check-back run failed; trying again on the next turn")
                return []
        if resumed:
            log.info("check-backs resumed %d item(s): %s", len(resumed), " ".join(resumed))
        return resumed

    async def end_of_day_digest(self) -> str | None:
        """Queue the digest of the business day that last closed, once across processes."""
        async with self._running:
            try:
                return await self.digests.queue_end_of_day_digest()
            except Exception:
                log.exception("end-of-day digest run failed; trying again on the next turn")
                return None

    async def re_escalation(self) -> list[str]:
        """Page the next level of every escalation nobody acknowledged within its window (the
        first recipient reminded once), or end it in a visible "no response"; the keys acted
        on. Each step is version-checked, so replicas running this page a level once."""
        async with self._running:
            try:
                flagged = await self.deps.escalations.run_red_flags()
                return flagged + await self.deps.escalations.run_escalations()
            except Exception:
                log.exception("re-escalation run failed; trying again on the next turn")
                return []
