"""The end-of-day digest: queued once per business day, at the practice's closing time."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta

from bot.domain import sla
from bot.outbox.kinds import DIGEST
from bot.services.base import ServiceBase

log = logging.getLogger(__name__)

END_OF_DAY_DIGEST = "end_of_day_digest"
# A digest missed while the app was down is still posted when it can be, up to a week late.
MISSED_DIGEST_LOOKBACK = timedelta(days=7)
# On a database where the digest never ran (a new install, a fresh sandbox), yesterday's
# digest is not posted hours late: only a closing this recent counts as missed.
FIRST_RUN_GRACE = timedelta(hours=1)


class DigestServices(ServiceBase):
    """Queues the managers' end-of-day digest; the outbox reads its numbers and posts it."""

    _last_queued: str | None = None

    async def queue_end_of_day_digest(self) -> str | None:
        """Queue the digest of the latest business day that has closed, if nobody has.

        The day is the period claimed in `job_runs`, in the same transaction as the outbox
        row: any number of processes or restarts queue it once, and a failed run leaves it
        for the next turn. A day missed while the app was down is queued when it can be
        (within MISSED_DIGEST_LOOKBACK), except on the very first run in a database, where a
        day that closed more than FIRST_RUN_GRACE ago is claimed without a post. Returns the
        day (ISO date) this call queued, None otherwise.
        """
        now = self.clock.now()
        closed = sla.last_closing(now, self.practice.calendar, within=MISSED_DIGEST_LOOKBACK)
        if closed is None:
            return None
        day, closing = closed
        period = day.isoformat()
        if period == self._last_queued:
            return None  # this process queued it already: no write every minute
        since = datetime.combine(day, time(0), tzinfo=self.practice.timezone).astimezone(UTC)
        async with self._uow() as tx:
            first_run = not await tx.job_runs.ever_claimed(END_OF_DAY_DIGEST)
            if not await tx.job_runs.claim_period(END_OF_DAY_DIGEST, period, now=now):
                self._last_queued = period
                return None
            if first_run and now - closing > FIRST_RUN_GRACE:
                await tx.commit()  # the period is taken: CareQueue was not running that day
                self._last_queued = period
                log.info("no digest for day=%s: closed before CareQueue first ran", period)
                return None
            await tx.outbox.enqueue(
                kind=DIGEST,
                channel=self.practice.managers_channel,
                now=now,
                payload={"day": period, "since": since.isoformat()},
            )
            await tx.commit()
        self._last_queued = period
        log.info("end-of-day digest queued day=%s", period)
        self._on_enqueued()
        return period
