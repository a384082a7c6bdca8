"""Delivery of Slack writes that services committed to the outbox table.

A drain leases due rows (at most one per pacing key: a channel for posts, the workspace
for edits), renders each card from the item's *current* state (so queued edits of one
card coalesce into one), sends them concurrently, and records the outcome. 429 defers the
pacing key by Retry-After instead of sleeping; transient errors back off; a row whose
previous attempt ended in doubt (process killed mid-call, timeout) is first looked for in
Slack by its message metadata, so a restart never posts a card twice.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import Clock
from bot.domain.events import Event
from bot.domain.items import Item
from bot.domain.views import CardView, HomeData
from storage.repositories import Card, OutboxEntry
from storage.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)

CARD = "card"
THREAD = "thread"
MESSAGE = "message"  # a templated post to a channel, or a DM when the channel is a user id
HOME = "home"  # publish one person's App Home (channel "home:<user>")
HOME_PUBLISHES = "publish:workspace"
CARD_METADATA = "carequeue_card"
ENTRY_METADATA = "carequeue_entry"
WORKSPACE_EDITS = "edit:workspace"
RECONCILE_PAGES = 5
RETRYABLE_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


class Renderer(Protocol):
    """Turns domain state into Slack message arguments (implemented in blocks/)."""

    def card(self, view: CardView, now: datetime) -> dict[str, Any]: ...

    def thread_entry(self, event: Event, item: Item) -> dict[str, Any]: ...

    def message(self, template: str, item: Item, params: dict[str, Any]) -> dict[str, Any]: ...

    def home(self, data: HomeData) -> dict[str, Any]: ...


@dataclass
class DrainReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    waiting: int = 0
    next_due: datetime | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def delivered_anything(self) -> bool:
        return bool(self.sent or self.retried or self.failed)


@dataclass(frozen=True)
class _Outcome:
    sent: bool = False
    ts: str | None = None
    retry_after: float | None = None
    defer_key: str | None = None
    maybe_sent: bool = False
    failed: str | None = None
    error: str = ""


@dataclass(frozen=True)
class Pacing:
    """Seconds between writes: posts per channel (Slack: ~1/s), edits per workspace (~50/min)."""

    post_interval: float = 1.0
    edit_interval: float = 1.2
    publish_interval: float = 0.6  # views.publish: Tier 4, about 100 a minute
    lease_seconds: float = 60.0
    max_backoff_seconds: float = 300.0
    batch: int = 200


def _carries(message: dict[str, Any], event_type: str, key: str, value: object) -> bool:
    """Whether a Slack message's metadata says it is ours, for this card or outbox row."""
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    return metadata.get("event_type") == event_type and payload.get(key) == value


def pace_key_of(kind: str, channel: str, card_ts: str | None) -> str:
    """Slack's limits as pacing keys: posts per channel, edits and publishes per workspace."""
    if kind == CARD and card_ts is not None:
        return WORKSPACE_EDITS
    if kind == HOME:
        return HOME_PUBLISHES
    return f"post:{channel}"


def pace_key(entry: OutboxEntry) -> str:
    return pace_key_of(entry.kind, entry.channel, entry.card_ts)


class Outbox:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        client: AsyncWebClient,
        renderer: Renderer,
        clock: Clock,
        *,
        pacing: Pacing | None = None,
        worker_id: str | None = None,
        home: Callable[[str], Awaitable[HomeData]] | None = None,
    ) -> None:
        self._uow = uow
        self._client = client
        self._renderer = renderer
        self._clock = clock
        self.pacing = pacing or Pacing()
        self.worker_id = worker_id or f"worker-{uuid.uuid4().hex[:8]}"
        self._home = home
        self._wake = asyncio.Event()
        self._channel_ids: dict[str, str] = {}
        self._permalinks: dict[str, str | None] = {}

    def wake(self) -> None:
        """Called after a commit that enqueued something: deliver without waiting a tick."""
        self._wake.set()

    # -- the loop ------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event, *, idle_poll: float = 1.0) -> None:
        """Drain until `stop` is set; a failing drain is logged and retried, never fatal."""
        while not stop.is_set():
            self._wake.clear()
            try:
                report = await self.drain_once()
            except Exception:
                log.exception("outbox drain failed; retrying")
                report = DrainReport()
            if report.delivered_anything:
                continue
            delay = idle_poll
            if report.next_due is not None:
                seconds = (report.next_due - self._clock.now()).total_seconds()
                delay = min(idle_poll, max(seconds, 0.05))
            waiters = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())]
            _, pending = await asyncio.wait(
                waiters, timeout=delay, return_when=asyncio.FIRST_COMPLETED
            )
            for waiter in pending:
                waiter.cancel()

    async def drain_until_idle(
        self, *, advance: Callable[[timedelta], object] | None = None, max_rounds: int = 10_000
    ) -> DrainReport:
        """Deliver everything deliverable. With `advance` (a manual clock's), move time to the
        next due moment instead of waiting, so tests honour Retry-After without sleeping."""
        total = DrainReport()
        for _ in range(max_rounds):
            report = await self.drain_once()
            total.sent += report.sent
            total.retried += report.retried
            total.failed += report.failed
            total.errors += report.errors
            if report.delivered_anything:
                continue
            if report.next_due is None or advance is None:
                total.waiting = report.waiting
                total.next_due = report.next_due
                return total
            gap = report.next_due - self._clock.now()
            advance(max(gap, timedelta(milliseconds=1)))
        raise RuntimeError("outbox did not settle")

    # -- one round -----------------------------------------------------------------------

    async def drain_once(self) -> DrainReport:
        now = self._clock.now()
        chosen = await self._lease(now)
        report = DrainReport()
        if chosen:
            outcomes = await asyncio.gather(*(self._deliver(entry, now) for entry in chosen))
            for entry, outcome in zip(chosen, outcomes, strict=True):
                await self._record(entry, outcome)
                if outcome.sent:
                    report.sent += 1
                elif outcome.failed is not None:
                    report.failed += 1
                    report.errors.append(outcome.failed)
                else:
                    report.retried += 1
        report.next_due, report.waiting = await self._next_due()
        return report

    async def _lease(self, now: datetime) -> list[OutboxEntry]:
        async with self._uow() as tx:
            entries = await tx.outbox.due(now, limit=self.pacing.batch)
            latest_card_row: dict[int, int] = {}
            latest_home_row: dict[str, int] = {}
            for entry in entries:
                if entry.kind == CARD and entry.card_id is not None:
                    latest_card_row[entry.card_id] = max(
                        entry.id, latest_card_row.get(entry.card_id, 0)
                    )
                if entry.kind == HOME:
                    latest_home_row[entry.channel] = max(
                        entry.id, latest_home_row.get(entry.channel, 0)
                    )
            paced = await tx.outbox.paced_until({pace_key(e) for e in entries}, now)
            taken_keys: set[str] = set()
            chosen: list[OutboxEntry] = []
            for entry in entries:
                if entry.kind == CARD and latest_card_row.get(entry.card_id or 0) != entry.id:
                    continue
                if entry.kind == HOME and latest_home_row.get(entry.channel) != entry.id:
                    continue
                if entry.kind == THREAD and entry.card_ts is None:
                    continue
                key = pace_key(entry)
                if key in paced or key in taken_keys:
                    continue
                taken_keys.add(key)
                chosen.append(entry)
            until = now + timedelta(seconds=self.pacing.lease_seconds)
            won = await tx.outbox.lease(
                [e.id for e in chosen], worker=self.worker_id, now=now, until=until
            )
            chosen = [e for e in chosen if e.id in won]
            for entry in chosen:
                if entry.kind == CARD and entry.card_id is not None:
                    await tx.outbox.coalesce_card(entry.card_id, entry.id, now)
                if entry.kind == HOME:
                    await tx.outbox.coalesce_channel(HOME, entry.channel, entry.id, now)
                interval = {
                    WORKSPACE_EDITS: self.pacing.edit_interval,
                    HOME_PUBLISHES: self.pacing.publish_interval,
                }.get(pace_key(entry), self.pacing.post_interval)
                await tx.outbox.set_pace(pace_key(entry), now + timedelta(seconds=interval))
            await tx.commit()
        return chosen

    async def _next_due(self) -> tuple[datetime | None, int]:
        """When the next pending row becomes deliverable, given pacing and leases."""
        async with self._uow() as tx:
            schedule = await tx.outbox.schedule(limit=self.pacing.batch)
            paces = await tx.outbox.paces()
        ready: list[datetime] = []
        for kind, channel, card_ts, not_before, lease_until in schedule:
            if kind == THREAD and card_ts is None:
                continue  # goes when its card is posted
            key = pace_key_of(kind, channel, card_ts)
            moments = [not_before, paces.get(key, not_before), lease_until or not_before]
            ready.append(max(moments))
        return (min(ready) if ready else None), len(schedule)

    # -- delivery ------------------------------------------------------------------------

    async def _deliver(self, entry: OutboxEntry, now: datetime) -> _Outcome:
        try:
            if entry.kind == CARD:
                return await self._deliver_card(entry, now)
            if entry.kind == THREAD:
                return await self._deliver_thread_entry(entry)
            if entry.kind == MESSAGE:
                return await self._deliver_message(entry)
            if entry.kind == HOME:
                return await self._deliver_home(entry)
            return _Outcome(failed=f"unknown outbox kind {entry.kind!r}")
        except SlackApiError as err:
            return await self._outcome_of_api_error(entry, err)
        except (aiohttp.ClientError, TimeoutError) as err:
            return self._backoff(entry, f"{type(err).__name__}", maybe_sent=True)

    async def _deliver_card(self, entry: OutboxEntry, now: datetime) -> _Outcome:
        async with self._uow() as tx:
            item = await tx.items.get_by_id(entry.item_id or 0)
            card = await tx.cards.get(entry.card_id or 0)
            promises = await tx.promises.open_for(entry.item_id or 0)
            cards = await tx.cards.all_for(entry.item_id or 0)
        if item is None or card is None:
            return _Outcome(failed="card or item no longer exists")
        earlier = [c for c in cards if c.id < card.id and c.ts and c.channel_id]
        history = await self._permalink(earlier[-1]) if earlier else None
        view = CardView(item, promises[0] if promises else None, card.moved_to_lane, history)
        message = self._renderer.card(view, now)
        if card.ts is None and entry.maybe_sent:
            found = await self._find_posted_card(card, item.key)
            if found is not None:
                log.info("card found already posted key=%s card=%s", item.key, card.id)
                card = await self._remember_card(card, found[0], found[1])
        if card.ts is None:
            response = await self._post(
                card.channel, CARD_METADATA, {"item": item.key, "card": card.id}, message
            )
            await self._remember_card(card, str(response["channel"]), str(response["ts"]))
            log.info("card posted key=%s channel=%s", item.key, response["channel"])
            return _Outcome(sent=True, ts=str(response["ts"]))
        await self._client.chat_update(channel=card.channel_id, ts=card.ts, **message)
        return _Outcome(sent=True, ts=card.ts)

    async def _deliver_thread_entry(self, entry: OutboxEntry) -> _Outcome:
        async with self._uow() as tx:
            item = await tx.items.get_by_id(entry.item_id or 0)
            event = await tx.events.get(int(entry.payload.get("event_id", 0)))
        if item is None or event is None or entry.card_ts is None:
            return _Outcome(failed="thread entry without item, event or card")
        if entry.maybe_sent and await self._thread_entry_exists(entry):
            return _Outcome(sent=True)
        response = await self._post(
            entry.card_channel_id or entry.channel,
            ENTRY_METADATA,
            {"item": item.key, "outbox": entry.id},
            {**self._renderer.thread_entry(event, item), "thread_ts": entry.card_ts},
        )
        return _Outcome(sent=True, ts=str(response["ts"]))

    async def _permalink(self, card: Card) -> str | None:
        """The link to an earlier card (and its thread), asked of Slack once per card."""
        key = f"{card.channel_id}/{card.ts}"
        if key not in self._permalinks:
            response = await self._client.chat_getPermalink(
                channel=card.channel_id or "", message_ts=card.ts or ""
            )
            self._permalinks[key] = str(response.get("permalink") or "") or None
        return self._permalinks[key]

    async def _deliver_message(self, entry: OutboxEntry) -> _Outcome:
        async with self._uow() as tx:
            item = await tx.items.get_by_id(entry.item_id or 0)
        if item is None:
            return _Outcome(failed="message for an item that no longer exists")
        template = str(entry.payload.get("template", ""))
        message = self._renderer.message(template, item, dict(entry.payload.get("params") or {}))
        if entry.maybe_sent and await self._message_exists(entry):
            return _Outcome(sent=True)
        response = await self._post(
            entry.channel, ENTRY_METADATA, {"item": item.key, "outbox": entry.id}, message
        )
        return _Outcome(sent=True, ts=str(response["ts"]))

    async def _message_exists(self, entry: OutboxEntry) -> bool:
        channel = await self._resolve_channel(entry.channel)
        if channel is None or channel.startswith(("U", "W")):
            return False  # a DM's channel id is only known once opened; accept a rare repeat
        page = await self._client.conversations_history(
            channel=channel, include_all_metadata=True, limit=200
        )
        return any(
            _carries(message, ENTRY_METADATA, "outbox", entry.id)
            for message in page.get("messages", [])
        )

    async def _deliver_home(self, entry: OutboxEntry) -> _Outcome:
        if self._home is None:
            return _Outcome(sent=True)
        user = entry.channel.removeprefix("home:")
        data = await self._home(user)
        await self._client.views_publish(user_id=user, view=self._renderer.home(data))
        return _Outcome(sent=True)

    async def _post(
        self, channel: str, event_type: str, payload: dict[str, Any], message: dict[str, Any]
    ) -> Any:
        """Post with message metadata naming what this is, so a post whose outcome was lost
        can be recognised in Slack later (see _find_posted_card, _thread_entry_exists)."""
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

    async def _find_posted_card(self, card: Card, item_key: str) -> tuple[str, str] | None:
        """Look through the channel's recent history for this card's metadata.

        No `oldest` bound: Slack's clock and ours may disagree; the most recent
        RECONCILE_PAGES pages are searched instead.
        """
        channel_id = card.channel_id or await self._resolve_channel(card.channel)
        if channel_id is None:
            return None
        cursor: str | None = None
        for _ in range(RECONCILE_PAGES):
            page = await self._client.conversations_history(
                channel=channel_id, include_all_metadata=True, limit=200, cursor=cursor
            )
            for message in page.get("messages", []):
                if _carries(message, CARD_METADATA, "card", card.id):
                    return channel_id, str(message["ts"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                break
        return None

    async def _thread_entry_exists(self, entry: OutboxEntry) -> bool:
        page = await self._client.conversations_replies(
            channel=entry.card_channel_id or entry.channel,
            ts=entry.card_ts or "",
            include_all_metadata=True,
            limit=1000,
        )
        return any(
            _carries(message, ENTRY_METADATA, "outbox", entry.id)
            for message in page.get("messages", [])
        )

    async def _resolve_channel(self, channel: str) -> str | None:
        if not channel.startswith("#"):
            return channel
        if channel in self._channel_ids:
            return self._channel_ids[channel]
        cursor: str | None = None
        while True:
            page = await self._client.conversations_list(
                limit=1000,
                cursor=cursor,
                exclude_archived=True,
                types="public_channel,private_channel",
            )
            for found in page.get("channels", []):
                self._channel_ids[f"#{found['name']}"] = found["id"]
            if channel in self._channel_ids:
                return self._channel_ids[channel]
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                log.warning("channel %s not found in this workspace", channel)
                return None

    # -- outcomes ------------------------------------------------------------------------

    async def _outcome_of_api_error(self, entry: OutboxEntry, err: SlackApiError) -> _Outcome:
        status = err.response.status_code
        data = err.response.data
        error = str((data.get("error") if isinstance(data, dict) else "") or f"http_{status}")
        if status == 429:
            retry_after = float(err.response.headers.get("Retry-After", "1") or 1)
            return _Outcome(retry_after=retry_after, defer_key=pace_key(entry), error="ratelimited")
        if status >= 500 or error in RETRYABLE_ERRORS:
            return self._backoff(entry, error, maybe_sent=status >= 500)
        if error == "not_in_channel":
            await self._client.conversations_join(
                channel=entry.card_channel_id or await self._resolve_channel(entry.channel) or ""
            )
            return _Outcome(retry_after=0, error=error)
        if error == "message_not_found" and entry.kind == CARD and entry.card_id is not None:
            async with self._uow() as tx:
                await tx.cards.forget_message(entry.card_id)
                await tx.commit()
            return _Outcome(retry_after=0, error=error)
        return _Outcome(failed=error, error=error)

    def _backoff(self, entry: OutboxEntry, error: str, *, maybe_sent: bool) -> _Outcome:
        delay = min(2 ** max(entry.attempts - 1, 0), self.pacing.max_backoff_seconds)
        return _Outcome(retry_after=delay, maybe_sent=maybe_sent, error=error)

    async def _record(self, entry: OutboxEntry, outcome: _Outcome) -> None:
        now = self._clock.now()
        async with self._uow() as tx:
            if outcome.sent:
                await tx.outbox.mark_sent(entry.id, now=now, ts=outcome.ts)
            elif outcome.failed is not None:
                await tx.outbox.mark_failed(entry.id, now=now, error=outcome.failed)
                log.error(
                    "outbox row failed for good id=%s item=%s kind=%s error=%s",
                    entry.id,
                    entry.item_key,
                    entry.kind,
                    outcome.failed,
                )
            else:
                not_before = now + timedelta(seconds=outcome.retry_after or 0)
                await tx.outbox.retry_later(
                    entry.id,
                    not_before=not_before,
                    error=outcome.error,
                    maybe_sent=outcome.maybe_sent,
                )
                if outcome.defer_key is not None:
                    await tx.outbox.set_pace(outcome.defer_key, not_before)
                    if outcome.defer_key != WORKSPACE_EDITS:
                        await tx.outbox.defer_channel(entry.channel, not_before=not_before)
                log.warning(
                    "outbox retry id=%s item=%s kind=%s error=%s in=%.1fs",
                    entry.id,
                    entry.item_key,
                    entry.kind,
                    outcome.error,
                    outcome.retry_after or 0,
                )
            await tx.commit()
