"""Delivering one outbox row: render it from the current state and make the one Slack call
(post, edit, thread reply, DM, Home publish). Raises what the call raises; the worker turns
every exception into that row's outcome."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any, Protocol

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import Clock
from bot.domain.aging import AlertNotice, Cleared
from bot.domain.digest import Digest
from bot.domain.escalation import EscalationNotice
from bot.domain.events import Event
from bot.domain.item_history import Breakdown, Period, Times
from bot.domain.items import Item
from bot.domain.metrics import MetricsReport
from bot.domain.morning import MorningSummary
from bot.domain.practice import Practice
from bot.domain.views import CardView, HomeData
from bot.outbox.errors import Outcome, api_error_name
from bot.outbox.kinds import (
    ALERT,
    CARD,
    CARD_METADATA,
    CHART,
    DIGEST,
    ENTRY_METADATA,
    HOME,
    MESSAGE,
    METRICS,
    MORNING,
    OPS,
    QA_SAMPLE,
    THREAD,
)
from bot.outbox.reconcile import Reconciler
from bot.outbox.reports import ReportDelivery
from storage.repositories import Card, OutboxEntry
from storage.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)

# The notices that carry answers to an escalation (the no-response notice carries none).
_ANSWERABLE = frozenset({EscalationNotice.PAGE.value, EscalationNotice.REMINDER.value})

# What getPermalink answers for a message (or its channel) that no longer exists.
_GONE = frozenset({"message_not_found", "channel_not_found", "thread_not_found"})


class Renderer(Protocol):
    """Turns domain state into Slack message arguments (implemented in blocks/)."""

    practice: Practice

    def card(self, view: CardView, now: datetime) -> dict[str, Any]: ...

    def thread_entry(self, event: Event, item: Item) -> dict[str, Any]: ...

    def message(self, template: str, item: Item, params: dict[str, Any]) -> dict[str, Any]: ...

    def home(self, data: HomeData) -> dict[str, Any]: ...

    def operations_notice(self, template: str, params: dict[str, Any]) -> dict[str, Any]: ...

    def digest(self, digest: Digest, workspace_url: str | None) -> dict[str, Any]: ...

    def morning(self, summary: MorningSummary, workspace_url: str | None) -> dict[str, Any]: ...

    def alert(self, notice: AlertNotice) -> dict[str, Any]: ...
    def metrics(self, report: MetricsReport) -> dict[str, Any]: ...

    def qa_sample(self, sample: list[tuple[str, str]]) -> dict[str, Any]: ...

    def chart(self, series: tuple[tuple[Period, Breakdown[Times]], ...]) -> tuple[bytes, str]: ...


class Delivery:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        client: AsyncWebClient,
        renderer: Renderer,
        clock: Clock,
        home: Callable[[str], Awaitable[HomeData]] | None = None,
    ) -> None:
        self._uow = uow
        self._client = client
        self._renderer = renderer
        self._clock = clock
        self._home = home
        self.reconciler = Reconciler(client)
        self._permalinks: dict[str, str | None] = {}
        self._send_at: dict[int, datetime | None] = {}
        self.reports = ReportDelivery(self)

    async def deliver(
        self, entry: OutboxEntry, now: datetime, send_at: datetime | None = None
    ) -> Outcome:
        """Deliver `entry`; its Slack write waits for `send_at` (its channel's pace), while
        reading and rendering happen before, so the wait hides them."""
        self._send_at[entry.id] = send_at
        try:
            return await self._deliver(entry, now)
        finally:
            self._send_at.pop(entry.id, None)

    async def _deliver(self, entry: OutboxEntry, now: datetime) -> Outcome:
        if entry.kind == CARD:
            return await self._card(entry, now)
        if entry.kind == THREAD:
            return await self._thread_entry(entry)
        if entry.kind == MESSAGE:
            return await self._message(entry)
        if entry.kind == HOME:
            return await self._home_tab(entry)
        if entry.kind == OPS:
            return await self._operations_notice(entry)
        if entry.kind == DIGEST:
            return await self._digest(entry)
        if entry.kind == MORNING:
            return await self._morning(entry)
        if entry.kind == ALERT:
            return await self._alert(entry)
        if entry.kind in (METRICS, CHART, QA_SAMPLE):
            return await self.reports.deliver(entry)
        return Outcome(dead=f"unknown outbox kind {entry.kind!r}")

    async def _card(self, entry: OutboxEntry, now: datetime) -> Outcome:
        async with self._uow.read() as tx:
            item = await tx.items.get_by_id(entry.item_id or 0)
            card = await tx.cards.get(entry.card_id or 0)
            promises = await tx.promises.open_for(entry.item_id or 0)
            cards = await tx.cards.all_for(entry.item_id or 0)
            escalation = await tx.escalations.current_for(entry.item_id or 0)
        if item is None or card is None:
            return Outcome(dead="card or item no longer exists")
        earlier = [c for c in cards if c.id < card.id and c.ts and c.channel_id]
        history = await self._permalink(earlier[-1]) if earlier else None
        promise = promises[0] if promises else None
        view = CardView(item, promise, card.moved_to_lane, history, escalation)
        message = self._renderer.card(view, now)
        if card.ts is None and entry.maybe_sent:
            found = await self.reconciler.posted_card(card)
            if found is not None:
                log.info(
                    "card found already posted key=%s card=%s",
                    item.key,
                    card.id,
                    extra={"item": item.key},
                )
                card = await self._remember_card(card, found[0], found[1])
        if card.ts is None:
            response = await self._post(
                entry, card.channel, CARD_METADATA, {"item": item.key, "card": card.id}, message
            )
            answered = self._clock.now()
            await self._remember_card(card, str(response["channel"]), str(response["ts"]))
            log.info(
                "card posted key=%s channel=%s",
                item.key,
                response["channel"],
                extra={"item": item.key},
            )
            return Outcome(sent=True, ts=str(response["ts"]), answered_at=answered)
        await self._wait_for_pace(entry)
        await self._client.chat_update(channel=card.channel_id, ts=card.ts, **message)
        return Outcome(sent=True, ts=card.ts, answered_at=self._clock.now())

    async def _thread_entry(self, entry: OutboxEntry) -> Outcome:
        async with self._uow.read() as tx:
            item = await tx.items.get_by_id(entry.item_id or 0)
            event = await tx.events.get(int(entry.payload.get("event_id", 0)))
        if item is None or event is None or entry.card_ts is None:
            return Outcome(dead="thread entry without item, event or card")
        if entry.maybe_sent and await self.reconciler.thread_entry_exists(entry):
            return Outcome(sent=True)
        response = await self._post(
            entry,
            entry.card_channel_id or entry.channel,
            ENTRY_METADATA,
            {"item": item.key, "outbox": entry.id},
            {**self._renderer.thread_entry(event, item), "thread_ts": entry.card_ts},
        )
        return Outcome(sent=True, ts=str(response["ts"]))

    async def _message(self, entry: OutboxEntry) -> Outcome:
        template = str(entry.payload.get("template", ""))
        params = dict(entry.payload.get("params") or {})
        escalation_id = params.get("escalation_id")
        async with self._uow.read() as tx:
            item = await tx.items.get_by_id(entry.item_id or 0)
            if template in _ANSWERABLE and isinstance(escalation_id, int):
                # Rendered from the escalation as it is now: one that ended while the page
                # waited (an outage, a retried dead letter) offers no answers.
                escalation = await tx.escalations.get(escalation_id)
                if escalation is not None and not escalation.state.is_open:
                    params["ended"] = escalation.state.value
        if item is None:
            return Outcome(dead="message for an item that no longer exists")
        message = self._renderer.message(template, item, params)
        if entry.maybe_sent and await self.reconciler.message_exists(entry):
            return Outcome(sent=True)
        response = await self._post(
            entry, entry.channel, ENTRY_METADATA, {"item": item.key, "outbox": entry.id}, message
        )
        return Outcome(sent=True, ts=str(response["ts"]))

    async def _operations_notice(self, entry: OutboxEntry) -> Outcome:
        async with self._uow.read() as tx:
            dead = len(await tx.outbox.dead_letters(limit=10_000))
        template = str(entry.payload.get("template", ""))
        message = self._renderer.operations_notice(template, {"dead": dead})
        if entry.maybe_sent and await self.reconciler.message_exists(entry):
            return Outcome(sent=True)
        response = await self._post(
            entry, entry.channel, ENTRY_METADATA, {"outbox": entry.id}, message
        )
        return Outcome(sent=True, ts=str(response["ts"]))

    async def _digest(self, entry: OutboxEntry) -> Outcome:
        """The end-of-day digest, its numbers read now (a digest delayed by an outage says
        so in its "as of" time)."""
        day = date.fromisoformat(str(entry.payload.get("day")))
        since = datetime.fromisoformat(str(entry.payload.get("since")))
        # A digest queued before promises_since was written counts promises from `since`.
        promised = entry.payload.get("promises_since")
        promises_since = datetime.fromisoformat(str(promised)) if promised else since
        async with self._uow.read() as tx:
            digest = await tx.digest.digest(
                day, since=since, now=self._clock.now(), promises_since=promises_since
            )
        message = self._renderer.digest(digest, await self._workspace_url(digest))
        return await self._post_summary(entry, message)

    async def _morning(self, entry: OutboxEntry) -> Outcome:
        """The morning summary, its numbers read now, as the digest's are."""
        day = date.fromisoformat(str(entry.payload.get("day")))
        since = datetime.fromisoformat(str(entry.payload.get("since")))
        clinical = [str(lane) for lane in entry.payload.get("clinical") or ()]
        async with self._uow.read() as tx:
            summary = await tx.morning.summary(
                day, since=since, now=self._clock.now(), clinical_lanes=clinical
            )
        message = self._renderer.morning(summary, await self._workspace_url(summary))
        return await self._post_summary(entry, message)

    async def _post_summary(self, entry: OutboxEntry, message: dict[str, Any]) -> Outcome:
        """Post a managers' summary once: a row that may have been sent is looked for first."""
        if entry.maybe_sent and await self.reconciler.message_exists(entry):
            return Outcome(sent=True)
        response = await self._post(
            entry, entry.channel, ENTRY_METADATA, {"outbox": entry.id}, message
        )
        return Outcome(sent=True, ts=str(response["ts"]))

    async def _alert(self, entry: OutboxEntry) -> Outcome:
        """An aging or promise alert: posted once (never when it is no longer true by the time
        it would go), then edited in place from its current state once it is cleared."""
        message_id = int(entry.payload.get("message", 0))
        async with self._uow.read() as tx:
            message = await tx.alerts.message(message_id)
            item = await tx.items.get_by_id(message.item_id) if message else None
            card = await tx.cards.current_for(message.item_id) if message else None
        if message is None or item is None:
            return Outcome(dead="alert for an item that no longer exists")
        cleared = Cleared(message.cleared_reason) if message.cleared_at else None
        link = None
        if message.target != "thread" and cleared is None and card and card.ts:
            link = await self._permalink(card)
        notice = AlertNotice(
            kind=message.alert.kind,
            item_key=item.key,
            lane=item.lane,
            target=message.target,
            due_at=message.alert.due_at,
            owner=item.owner,
            card_channel_id=card.channel_id if card else None,
            card_link=link,
            cleared=cleared,
            cleared_by=message.cleared_by,
            cleared_at=message.cleared_at,
            now_due_at=item.due_at if cleared is Cleared.UPDATED else None,
        )
        rendered = self._renderer.alert(notice)
        if message.ts is not None and message.channel_id is not None:
            await self._wait_for_pace(entry)
            await self._client.chat_update(channel=message.channel_id, ts=message.ts, **rendered)
            return Outcome(sent=True, ts=message.ts, answered_at=self._clock.now())
        if cleared is not None:
            return Outcome(sent=True)  # no longer true before it went: never post it
        in_thread = message.target == "thread"
        if in_thread and entry.card_ts is None:
            return Outcome(retry_after=5, error="card not posted yet")
        if entry.maybe_sent:
            look = self.reconciler
            if await (look.thread_entry_exists if in_thread else look.message_exists)(entry):
                return Outcome(sent=True)
        response = await self._post(
            entry,
            (entry.card_channel_id or entry.channel) if in_thread else entry.channel,
            ENTRY_METADATA,
            {"item": item.key, "outbox": entry.id},
            {**rendered, "thread_ts": entry.card_ts} if in_thread else rendered,
        )
        async with self._uow() as tx:
            await tx.alerts.record_posted(
                message.id, channel_id=str(response["channel"]), ts=str(response["ts"])
            )
            await tx.commit()
        return Outcome(sent=True, ts=str(response["ts"]), answered_at=self._clock.now())

    async def _workspace_url(self, summary: Digest | MorningSummary) -> str | None:
        """`https://team.slack.com`, learned from one card's permalink, so a summary links
        every key to its card without asking Slack once per item."""
        posted = next((i for i in summary.listed() if i.card_channel_id and i.card_ts), None)
        if posted is None:
            return None
        card = Card(0, 0, posted.lane, "", posted.card_channel_id, posted.card_ts)
        permalink = await self._permalink(card)
        return permalink.split("/archives/")[0] if permalink and "/archives/" in permalink else None

    async def _home_tab(self, entry: OutboxEntry) -> Outcome:
        if self._home is None:
            return Outcome(sent=True)
        user = entry.channel.removeprefix("home:")
        data = await self._home(user)
        await self._wait_for_pace(entry)
        await self._client.views_publish(user_id=user, view=self._renderer.home(data))
        return Outcome(sent=True)

    async def _permalink(self, card: Card) -> str | None:
        """The link to an earlier card (and its thread), asked of Slack once per card."""
        key = f"{card.channel_id}/{card.ts}"
        if key not in self._permalinks:
            try:
                response = await self._client.chat_getPermalink(
                    channel=card.channel_id or "", message_ts=card.ts or ""
                )
            except SlackApiError as err:
                if api_error_name(err) not in _GONE:
                    raise  # Slack's trouble: the row is tried again
                # The earlier card was deleted (or its channel): this card goes without the
                # link. Left to the row's error handling, "message_not_found" would read as
                # this card's own deletion: it would be posted again, or retried forever.
                log.info("earlier card %s is gone (%s): no link to it", key, api_error_name(err))
                self._permalinks[key] = None
                return None
            self._permalinks[key] = str(response.get("permalink") or "") or None
        return self._permalinks[key]

    async def _wait_for_pace(self, entry: OutboxEntry) -> None:
        send_at = self._send_at.get(entry.id)
        if send_at is not None:
            wait = (send_at - self._clock.now()).total_seconds()
            if wait > 0:
                await asyncio.sleep(wait)

    async def _post(
        self,
        entry: OutboxEntry,
        channel: str,
        event_type: str,
        payload: dict[str, Any],
        message: dict[str, Any],
    ) -> Any:
        """Post with message metadata naming what this is, so a post whose outcome was lost
        can be recognised in Slack later (see bot/outbox/reconcile.py)."""
        await self._wait_for_pace(entry)
        return await self._client.chat_postMessage(
            channel=channel,
            metadata={"event_type": event_type, "event_payload": payload},
            unfurl_links=False,
            unfurl_media=False,
            **message,
        )

    async def _remember_card(self, card: Card, channel_id: str, ts: str) -> Card:
        """Store the ts at once, in its own transaction: the card exists in Slack now."""
        async with self._uow() as tx:
            await tx.cards.record_posted(
                card.id, channel_id=channel_id, ts=ts, now=self._clock.now()
            )
            await tx.commit()
        return Card(card.id, card.item_id, card.lane, card.channel, channel_id, ts)

    async def join_then_retry(self, entry: OutboxEntry) -> Outcome:
        """Slack said not_in_channel: join the channel; the row goes again at once."""
        channel = entry.card_channel_id or await self.reconciler.channel_id(entry.channel)
        await self._client.conversations_join(channel=channel or "")
        return Outcome(retry_after=0, error="not_in_channel")

    async def forget_deleted_card(self, entry: OutboxEntry) -> Outcome:
        """The card was deleted in Slack: it is posted again on this delivery's retry."""
        async with self._uow() as tx:
            await tx.cards.forget_message(entry.card_id or 0)
            await tx.commit()
        return Outcome(retry_after=0, error="message_not_found")


__all__ = ["Delivery", "Renderer", "SlackApiError"]
