"""Delivering the weekly reports: the metrics message, its chart (uploaded as Slack's
`files_upload_v2` does: files.getUploadURLExternal, the upload, files.completeUploadExternal
with the channel and a comment) and the QA sample. Each reads the event log at delivery, so
a report held back by an outage still covers the period it was queued for."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import TYPE_CHECKING

from bot.domain import metrics
from bot.domain.item_history import Period, days_before
from bot.outbox.errors import Outcome
from bot.outbox.kinds import CHART, ENTRY_METADATA, METRICS
from storage.repositories import OutboxEntry

if TYPE_CHECKING:
    from bot.outbox.delivery import Delivery

log = logging.getLogger(__name__)

CHANNEL_RETRY_SECONDS = 60
CHART_COMMENT = "First response per lane, week by week (business hours)."


class ReportDelivery:
    def __init__(self, delivery: Delivery) -> None:
        self._delivery = delivery

    async def deliver(self, entry: OutboxEntry) -> Outcome:
        if entry.kind == METRICS:
            return await self._metrics(entry)
        if entry.kind == CHART:
            return await self._chart(entry)
        return await self._qa_sample(entry)

    async def _metrics(self, entry: OutboxEntry) -> Outcome:
        d = self._delivery
        period = Period.ending(
            datetime.fromisoformat(str(entry.payload["end"])),
            int(entry.payload["days"]),
            self._delivery._renderer.practice.timezone,
        )
        async with d._uow.read() as tx:
            histories = await tx.metrics.histories(period.start)
        practice = d._renderer.practice
        # Seconds of arithmetic at tens of thousands of items: off the event loop.
        report = await asyncio.to_thread(
            metrics.report,
            histories,
            period,
            practice.calendar,
            practice.lanes,
            practice.default_language,
        )
        return await self._post(entry, d._renderer.metrics(report))

    async def _qa_sample(self, entry: OutboxEntry) -> Outcome:
        d = self._delivery
        keys = [str(k) for k in entry.payload.get("keys") or []]
        async with d._uow.read() as tx:
            items = [await tx.items.get(key) for key in keys]
        sample = [(item.key, item.lane) for item in items if item is not None]
        return await self._post(entry, d._renderer.qa_sample(sample))

    async def _post(self, entry: OutboxEntry, message: dict[str, object]) -> Outcome:
        d = self._delivery
        if entry.maybe_sent and await d.reconciler.message_exists(entry):
            return Outcome(sent=True)
        response = await d._post(
            entry, entry.channel, ENTRY_METADATA, {"outbox": entry.id}, message
        )
        return Outcome(sent=True, ts=str(response["ts"]))

    async def _chart(self, entry: OutboxEntry) -> Outcome:
        """Draw the chart off the event loop and upload it. A retry after a lost answer may
        upload it twice: files carry no metadata to look for, and a second chart is harmless."""
        d = self._delivery
        end = datetime.fromisoformat(str(entry.payload["end"]))
        weeks = int(entry.payload.get("weeks") or 8)
        async with d._uow.read() as tx:
            histories = await tx.metrics.histories(
                days_before(end, 7 * weeks, self._delivery._renderer.practice.timezone)
            )
        practice = d._renderer.practice
        series = await asyncio.to_thread(
            metrics.first_response_by_week, histories, end, weeks, practice.calendar
        )
        png, filename = await asyncio.to_thread(d._renderer.chart, series)
        # files.completeUploadExternal takes a channel id only (a DM's is opened for it).
        channel = await d.reconciler.channel_id(entry.channel)
        if channel is None:
            return Outcome(retry_after=CHANNEL_RETRY_SECONDS, error="channel_not_found")
        await d._wait_for_pace(entry)
        response = await d._client.files_upload_v2(
            channel=channel,
            file=png,
            filename=filename,
            title="First response per lane",
            initial_comment=CHART_COMMENT,
        )
        log.info("metrics chart uploaded channel=%s bytes=%d", channel, len(png))
        return Outcome(sent=bool(response.get("ok", True)), answered_at=d._clock.now())
