"""Work CareQueue does by itself, on APScheduler's AsyncIOScheduler on the app's event loop.

Bringing waiting items back at their check-back time; re-escalating escalations nobody
acknowledged in time (every 30 s; windows are wall-clock minutes); the aging scan (every
minute: cards at thresholds, aging alerts, promise reminders; each alert a unique row, so
raised once however many replicas run it); the end-of-day digest, the morning summary and
the weekly metrics with the QA sample, each claiming its period in the database before it
posts anything, so two replicas or a restart never post twice. Check-backs and
re-escalation need no claim: each step is a version-checked change, so it happens once
however many replicas run it. A new job is one line in `Jobs.__init__`'s schedule.

The scheduler only says *when to look*; what is due is read from the app's clock
(`deps.clock`), so a test or the sandbox that moves that clock calls `run_soon()` instead
of waiting for the next tick.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.deps import Deps
from bot.services.aging import AgingServices
from bot.services.digest import DigestServices

log = logging.getLogger(__name__)
T = TypeVar("T")

AGING = "aging"
AGING_EVERY_SECONDS = 60.0
CHECK_BACK_EVERY_SECONDS = 60.0
CHECK_BACKS = "check_backs"
DIGEST_EVERY_SECONDS = 60.0
END_OF_DAY = "end_of_day_digest"
MORNING = "morning_summary"
# Escalation windows are minutes long: look twice a minute.
ESCALATE_EVERY_SECONDS = 30.0
RE_ESCALATION = "re_escalation"
WEEKLY_REPORTS = "weekly_reports"
WEEKLY_EVERY_SECONDS = 60.0


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
        self._stopping = False  # a long run ends between items once the process stops
        self.digests = DigestServices(
            deps.uow, deps.practice, deps.clock, on_enqueued=deps.outbox.wake
        )
        # Aging alerts, card re-renders at thresholds, promise reminders (bot/services/aging.py).
        self.aging_services = AgingServices(
            deps.uow, deps.practice, deps.clock, on_enqueued=deps.outbox.wake
        )
        # The digest, the morning summary and the weekly reports look every minute on the
        # app's clock for their moment (closing, opening, `metrics.weekly`), so holidays,
        # short Fridays and a moved sandbox clock just work; each claims its period once.
        schedule: tuple[tuple[Callable[[], Awaitable[object]], float, str, str], ...] = (
            (self.check_backs, check_back_every, CHECK_BACKS, "bring waiting items back"),
            (self.end_of_day_digest, DIGEST_EVERY_SECONDS, END_OF_DAY, "end-of-day digest"),
            (self.morning_summary, DIGEST_EVERY_SECONDS, MORNING, "morning summary"),
            (self.re_escalation, escalate_every, RE_ESCALATION, "page the next level"),
            (self.aging, AGING_EVERY_SECONDS, AGING, "aging alerts and promise reminders"),
            (self.weekly_reports, WEEKLY_EVERY_SECONDS, WEEKLY_REPORTS, "weekly metrics and QA"),
        )
        for run, seconds, job_id, name in schedule:
            self.scheduler.add_job(
                run,
                IntervalTrigger(seconds=seconds, timezone=UTC),
                id=job_id,
                name=name,
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
        self._stopping = True
        self.scheduler.pause()
        async with self._running:
            self.scheduler.shutdown(wait=False)

    async def _turn(self, what: str, work: Callable[[], Awaitable[T]], nothing: T) -> T:
        """One run of a job, never two at once; a failure is logged with its traceback and
        the job tries again on its next turn (`nothing` stands for this turn's result)."""
        async with self._running:
            try:
                return await work()
            except Exception:
                log.exception("%s run failed; trying again on the next turn", what)
                return nothing

    async def check_backs(self) -> list[str]:
        """Resume the waiting items whose check-back time has come; their keys."""
        resumed = await self._turn("check-back", self.deps.work.run_check_backs, [])
        if resumed:
            log.info("check-backs resumed %d item(s): %s", len(resumed), " ".join(resumed))
        return resumed

    async def end_of_day_digest(self) -> str | None:
        """Queue the digest of the business day that last closed, once across processes."""
        return await self._turn("end-of-day digest", self.digests.queue_end_of_day_digest, None)

    async def morning_summary(self) -> str | None:
        """Queue the morning summary of the business day that last opened, once across
        processes."""
        return await self._turn("morning summary", self.digests.queue_morning_summary, None)

    async def weekly_reports(self) -> str | None:
        """Queue the week's metrics, chart and QA sample once across processes; the week
        (the date of its weekly time) when this call queued them."""
        return await self._turn("weekly reports", self.deps.metrics.queue_weekly, None)

    async def re_escalation(self) -> list[str]:
        """Page the next level of every escalation nobody acknowledged within its window (the
        first recipient reminded once), or end it in a visible "no response"; the keys acted
        on. Each step is version-checked, so replicas running this page a level once."""
        escalations = self.deps.escalations

        async def both() -> list[str]:
            return await escalations.run_red_flags() + await escalations.run_escalations()

        return await self._turn("re-escalation", both, [])

    async def aging(self) -> list[str]:
        """Re-render cards that crossed a threshold, raise each aging and promise alert once
        and clear those no longer true; the keys acted on. Each alert is a unique row, so
        replicas running this raise it once."""

        def run() -> Awaitable[list[str]]:
            return self.aging_services.run_aging(keep_going=lambda: not self._stopping)

        return await self._turn("aging", run, [])
