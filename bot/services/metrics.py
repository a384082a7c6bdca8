"""The weekly metrics and the QA sample: queued once a week to the managers' channel (the
period claimed in `job_runs` with the outbox rows), `/cq metrics` on demand, and a
manager's QA review of a sampled item."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from bot.domain import metrics
from bot.domain.event_details import QaReviewed
from bot.domain.item_history import Period, days_before
from bot.domain.items import Action, Item, Refusal, RefusalCode
from bot.domain.metrics import MetricsReport
from bot.domain.qa import stratified_sample
from bot.outbox.kinds import CHART, METRICS, QA_SAMPLE
from bot.services.base import Once, Rejected, Result, ServiceBase
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

WEEKLY_METRICS = "weekly_metrics"
QA_SAMPLE_JOB = "qa_sample"
# A week missed while the app was down is still posted when it starts again, within a day.
MISSED_WEEK_GRACE = timedelta(days=1)
# On a database where the job never ran (a new install, a fresh sandbox), a weekly time that
# passed longer ago than this is claimed without a post: no report of a week CareQueue missed.
FIRST_RUN_GRACE = timedelta(hours=1)
REPORT_DAYS = (7, 30)


class MetricsServices(ServiceBase):
    """Reads the event log into metrics; queues the weekly post, its chart and the sample."""

    _last_queued: str | None = None

    async def report(self, days: int, *, end: datetime | None = None) -> MetricsReport:
        """Every metric over the `days` days ending now (read only)."""
        period = Period.ending(end or self.clock.now(), days, self.practice.timezone)
        async with self._uow.read() as tx:
            histories = await tx.metrics.histories(period.start)
        # Seconds of arithmetic at tens of thousands of items: off the event loop.
        return await asyncio.to_thread(
            metrics.report,
            histories,
            period,
            self.practice.calendar,
            self.practice.lanes,
            self.practice.default_language,
        )

    async def chart_series(
        self, end: datetime, weeks: int
    ) -> tuple[tuple[Period, metrics.Breakdown[metrics.Times]], ...]:
        """First-response times per lane for each of the `weeks` weeks ending at `end`."""
        async with self._uow.read() as tx:
            histories = await tx.metrics.histories(
                days_before(end, 7 * weeks, self.practice.timezone)
            )
        return await asyncio.to_thread(
            metrics.first_response_by_week, histories, end, weeks, self.practice.calendar
        )

    async def queue_weekly(self) -> str | None:
        """Queue this week's metrics, chart and QA sample to the managers' channel once,
        at the practice's weekly time (`metrics.weekly`), whichever process gets there.

        The week is claimed in `job_runs` in the same transaction as the outbox rows: replicas
        and restarts queue it once, a failed run leaves it for the next turn. A week whose
        time passed while the app was down more than MISSED_WEEK_GRACE ago is not posted
        late (next week's will come), nor one that passed more than FIRST_RUN_GRACE before the
        job's very first run in this database. Returns the period key this call queued.
        """
        now = self.clock.now()
        reports = self.practice.reports
        due = metrics.last_weekly(now, reports.weekday, reports.at, self.practice.timezone)
        period = due.astimezone(self.practice.timezone).date().isoformat()
        if period == self._last_queued or now - due > MISSED_WEEK_GRACE:
            return None
        channel = self.practice.managers_channel
        async with self._uow() as tx:
            first_run = not await tx.job_runs.ever_claimed(WEEKLY_METRICS)
            if not await tx.job_runs.claim_period(WEEKLY_METRICS, period, now=now):
                self._last_queued = period
                return None
            if first_run and now - due > FIRST_RUN_GRACE:
                await tx.commit()  # the week is taken: CareQueue was not running at its time
                self._last_queued = period
                return None
            end = due.isoformat()
            await tx.outbox.enqueue(
                kind=METRICS, channel=channel, now=now, payload={"end": end, "days": 7}
            )
            await tx.outbox.enqueue(
                kind=CHART,
                channel=channel,
                now=now,
                payload={"end": end, "weeks": reports.chart_weeks},
            )
            sample: tuple[str, ...] = ()
            if reports.qa_sample and await tx.job_runs.claim_period(QA_SAMPLE_JOB, period, now=now):
                week = Period.ending(due, 7, self.practice.timezone)
                closed = await tx.metrics.closed_between(week.start, due)
                sample = stratified_sample(closed, reports.qa_sample, seed=period)
                if sample:
                    await tx.outbox.enqueue(
                        kind=QA_SAMPLE,
                        channel=channel,
                        now=now,
                        payload={"keys": list(sample), "week": period},
                    )
            await tx.commit()
        self._last_queued = period
        log.info("weekly metrics queued week=%s qa_sample=%d", period, len(sample))
        self._on_enqueued()
        return period

    async def send_report(self, user: str, days: int) -> None:
        """Queue the metrics and their chart as a DM to `user` (`/cq metrics`)."""
        now = self.clock.now()
        async with self._uow() as tx:
            payload = {"end": now.isoformat(), "days": days}
            await tx.outbox.enqueue(kind=METRICS, channel=user, now=now, payload=payload)
            await tx.outbox.enqueue(
                kind=CHART,
                channel=user,
                now=now,
                payload={"end": now.isoformat(), "weeks": self.practice.reports.chart_weeks},
            )
            await tx.commit()
        self._on_enqueued()

    async def record_qa_review(
        self, item_key: str, actor: str, review: QaReviewed, *, once: Once | None = None
    ) -> Result:
        """Record a manager's QA review of a closed item as its event (nothing else about
        the item changes). Refused for anyone but a manager, for an item not closed, and
        for one reviewed already (naming by whom): each call counts once in the average."""

        async def only_once(
            tx: UnitOfWork, before: Item, after: Item, item_id: int, now: datetime
        ) -> QaReviewed:
            events = await tx.events.for_item(before.key)
            earlier = [e for e in events if e.action is Action.QA_REVIEW]
            if earlier:
                first = earlier[0]
                refusal = Refusal(
                    RefusalCode.ALREADY_REVIEWED,
                    item_key=before.key,
                    owner=first.actor,
                    since=first.at,
                )
                raise Rejected(refusal)
            return review

        return await self._transition(
            item_key,
            actor,
            Action.QA_REVIEW,
            lambda item, to, now: {},
            only_once,
            thread=False,
            once=once,
        )
