"""The managers' scheduled summaries: the end-of-day digest at the practice's closing time
and the morning summary at its opening, each queued once per business day."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from bot.domain import sla
from bot.outbox.kinds import DIGEST, MORNING
from bot.services.base import ServiceBase

log = logging.getLogger(__name__)

END_OF_DAY_DIGEST = "end_of_day_digest"
MORNING_SUMMARY = "morning_summary"
# A summary missed while the app was down is still posted when it can be, up to a week late.
MISSED_DIGEST_LOOKBACK = timedelta(days=7)
# On a database where a summary never ran (a new install, a fresh sandbox), yesterday's is
# not posted hours late: only an opening or closing this recent counts as missed.
FIRST_RUN_GRACE = timedelta(hours=1)
# How far back "since the last close" may reach (a long holiday closure).
LAST_CLOSE_LOOKBACK = timedelta(days=31)

Boundary = Callable[..., tuple[date, datetime] | None]


class DigestServices(ServiceBase):
    """Queues the managers' summaries; the outbox reads their numbers when it posts them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._last_queued: dict[str, str] = {}  # job -> the period this process queued

    async def queue_end_of_day_digest(self) -> str | None:
        """Queue the digest of the latest business day that has closed, if nobody has.

        The day is the period claimed in `job_runs`, in the same transaction as the outbox
        row: any number of processes or restarts queue it once, and a failed run leaves it
        for the next turn. A day missed while the app was down is queued when it can be
        (within MISSED_DIGEST_LOOKBACK), except on the very first run in a database, where a
        day that closed more than FIRST_RUN_GRACE ago is claimed without a post. Returns the
        day (ISO date) this call queued, None otherwise.
        """

        def payload(day: date, closing: datetime) -> dict[str, Any]:
            midnight = datetime.combine(day, time(0), tzinfo=self.practice.timezone)
            # Promises count from the previous business day's close: one missed after it
            # (overnight, a weekend) is in no earlier digest.
            before = midnight - timedelta(microseconds=1)
            closed = sla.last_closing(before, self.practice.calendar, within=LAST_CLOSE_LOOKBACK)
            promises_since = closed[1] if closed is not None else midnight
            return {
                "day": day.isoformat(),
                "since": midnight.astimezone(UTC).isoformat(),
                "promises_since": promises_since.astimezone(UTC).isoformat(),
            }

        return await self._queue_once(END_OF_DAY_DIGEST, DIGEST, sla.last_closing, payload)

    async def queue_morning_summary(self) -> str | None:
        """Queue the morning summary of the latest business day that has opened, if nobody
        has: what arrived since the previous business day's close, red flags and clinical
        lanes first. Once per business day across processes, a missed morning posted late
        once, never silently skipped (the digest's rules). Returns the day queued, or None.
        """

        def payload(day: date, opening: datetime) -> dict[str, Any]:
            before = opening - timedelta(microseconds=1)
            closed = sla.last_closing(before, self.practice.calendar, within=LAST_CLOSE_LOOKBACK)
            since = closed[1] if closed is not None else opening - timedelta(days=1)
            clinical = sorted(key for key, lane in self.practice.lanes.items() if lane.clinical)
            return {"day": day.isoformat(), "since": since.isoformat(), "clinical": clinical}

        return await self._queue_once(MORNING_SUMMARY, MORNING, sla.last_opening, payload)

    async def _queue_once(
        self,
        job: str,
        kind: str,
        boundary: Boundary,
        payload: Callable[[date, datetime], dict[str, Any]],
    ) -> str | None:
        """Claim the latest business day whose `boundary` (opening or closing) has passed
        and queue `kind` for it to the managers' channel, in one transaction."""
        now = self.clock.now()
        passed = boundary(now, self.practice.calendar, within=MISSED_DIGEST_LOOKBACK)
        if passed is None:
            return None
        day, moment = passed
        period = day.isoformat()
        if self._last_queued.get(job) == period:
            return None  # this process queued it already: no write every minute
        async with self._uow() as tx:
            first_run = not await tx.job_runs.ever_claimed(job)
            if not await tx.job_runs.claim_period(job, period, now=now):
                self._last_queued[job] = period
                return None
            if first_run and now - moment > FIRST_RUN_GRACE:
                await tx.commit()  # the period is taken: CareQueue was not running that day
                self._last_queued[job] = period
                log.info("no %s for day=%s: before CareQueue first ran", job, period)
                return None
            await tx.outbox.enqueue(
                kind=kind,
                channel=self.practice.managers_channel,
                now=now,
                payload=payload(day, moment),
            )
            await tx.commit()
        self._last_queued[job] = period
        log.info("%s queued day=%s", job, period)
        self._on_enqueued()
        return period
