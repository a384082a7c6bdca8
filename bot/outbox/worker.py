"""The outbox worker: lease due rows (one per pacing key), deliver each, record each
outcome as it comes, dead-letter what keeps failing, and keep going whatever one row does.

A drain leases at most one row per pacing key (a channel for posts, the workspace for edits
and Home publishes), so Slack's per-channel limit holds across replicas too. Leases are
short and renewed while a call runs: a crashed process's rows are free again in seconds,
and the next worker looks in Slack before posting a row whose outcome it cannot know.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import Clock
from bot.domain.views import HomeData
from bot.outbox.delivery import Delivery, Renderer
from bot.outbox.errors import (
    Outcome,
    api_error_name,
    is_slack_trouble,
    network_trouble,
    own_error,
    rate_limited,
)
from bot.outbox.kinds import CARD, HOME, OPS, THREAD, WORKSPACE_EDITS, held_paces, pace_key_of
from bot.outbox.pacing import Pacing, SlackProbe
from storage.repositories import OutboxEntry
from storage.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

DEAD_LETTER_NOTICE = "dead_letter"  # blocks.notices.DEAD_LETTER
DEAD_LETTER_NOTICE_DELAY = timedelta(minutes=1)
# The running worker leases a row this long before its channel's pace frees it, so reading
# and rendering it overlap the wait; its Slack call still waits for the pace.
LOOKAHEAD = timedelta(milliseconds=250)


@dataclass
class DrainReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0  # became dead letters in this drain
    waiting: int = 0
    next_due: datetime | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def delivered_anything(self) -> bool:
        return bool(self.sent or self.retried or self.failed)


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
        managers_channel: str | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self.pacing = pacing or Pacing()
        self.worker_id = worker_id or f"worker-{uuid.uuid4().hex[:8]}"
        self._delivery = Delivery(uow, client, renderer, clock, home)
        self._managers_channel = managers_channel
        self.slack = SlackProbe(self.pacing.probe_seconds)
        # Told when a delivery meets Slack's trouble (so /healthz says so); see bot/deps.py.
        self.on_slack_trouble: Callable[[], Awaitable[None]] | None = None
        self._wake = asyncio.Event()
        # Pacing keys held past a moment, as this worker last read or set them: a commit
        # that queued rows only for keys held here needs no round (see `wake`).
        self._held: dict[str, datetime] = {}
        self.wakes_skipped = 0  # wake-ups that asked for no round (for tests)
        self.looked_past_held = False  # the last round read past rows whose pace is held
        self._next_look_past_held = 0.0  # loop time: the running worker's next such read

    def wake(self, keys: Collection[str] | None = None) -> None:
        """Called after a commit that enqueued something: deliver without waiting a tick.

        `keys`, when the caller knows them, are the pacing keys of every row it queued
        (`pace_key_of`). If each is held past the lookahead, as this worker last read or set
        it, no round could send any of them now, so none starts: a flood of new cards for
        one lane is a round per post Slack's pace allows, not one per commit (each round
        reads the queue, and on SQLite holds the writer while it leases). The round that
        can send them comes when the pace ends: the worker's timer, at most `idle_poll`
        away (and sooner when the queue's next due row says so), and every answer from
        Slack starts one. Without `keys` (the caller cannot say), a round always starts."""
        if keys:
            horizon = self._clock.now() + LOOKAHEAD
            if all(self._held.get(key, horizon) > horizon for key in keys):
                self.wakes_skipped += 1
                return
        self._wake.set()

    # -- the loop ------------------------------------------------------------------------

    async def run(
        self, stop: asyncio.Event, *, idle_poll: float = 1.0, finish_within: float = 10.0
    ) -> None:
        """Deliver until `stop` is set. Each row goes as its own task, so a channel whose
        pace allows the next post gets it at once, whatever another channel's call is
        doing; a failing round is logged and retried, never fatal. On stop, calls in
        flight get `finish_within` seconds to be answered and recorded."""
        inflight: dict[int, asyncio.Task[Outcome]] = {}
        renewing = asyncio.create_task(self._renew_while(lambda: list(inflight)))
        loop = asyncio.get_running_loop()
        try:
            while not stop.is_set():
                self._wake.clear()
                started = loop.time()
                next_due = await self._start_due_rows(inflight)
                delay = idle_poll
                if next_due is not None:
                    seconds = (next_due - self._clock.now()).total_seconds()
                    delay = min(idle_poll, max(seconds, 0.005))
                waiters = [
                    asyncio.ensure_future(self._wake.wait()),
                    asyncio.ensure_future(stop.wait()),
                ]
                _, pending = await asyncio.wait(
                    waiters, timeout=delay, return_when=asyncio.FIRST_COMPLETED
                )
                for waiter in pending:
                    waiter.cancel()
                # Wake-ups that came sooner are served together (see Pacing.round_gap).
                rest = self.pacing.round_gap - (loop.time() - started)
                if rest > 0 and not stop.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), timeout=rest)
        finally:
            if inflight:
                _, late = await asyncio.wait(list(inflight.values()), timeout=finish_within)
                for task in late:
                    task.cancel()
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing

    async def _start_due_rows(self, inflight: dict[int, asyncio.Task[Outcome]]) -> datetime | None:
        """Lease what may go now and start each row's delivery; when to look again."""
        loop = asyncio.get_running_loop()
        try:
            leased = await self._lease(
                self._clock.now(), LOOKAHEAD, past_held=loop.time() >= self._next_look_past_held
            )
            if self.looked_past_held:
                self._next_look_past_held = loop.time() + self.pacing.post_interval
            for entry, send_at in leased:
                task = asyncio.create_task(self._deliver_and_record(entry, send_at))
                inflight[entry.id] = task
                task.add_done_callback(lambda _, row=entry.id: self._finished(inflight, row))
            next_due, _ = await self._next_due()
        except Exception as err:
            log.error("outbox round failed (%s); retrying", type(err).__name__)
            return None
        return next_due

    def _finished(self, inflight: dict[int, asyncio.Task[Outcome]], row: int) -> None:
        inflight.pop(row, None)
        self._wake.set()  # its channel's pace is known now: look again

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
            ids = [e.id for e, _ in chosen]
            renewing = asyncio.create_task(self._renew_while(lambda: ids))
            try:
                outcomes = await asyncio.gather(
                    *(self._deliver_and_record(entry) for entry, _ in chosen)
                )
            finally:
                renewing.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await renewing
            for outcome in outcomes:
                if outcome.sent:
                    report.sent += 1
                elif outcome.dead is not None:
                    report.failed += 1
                    report.errors.append(outcome.dead)
                else:
                    report.retried += 1
        report.next_due, report.waiting = await self._next_due()
        return report

    async def _lease(
        self, now: datetime, lookahead: timedelta = timedelta(0), *, past_held: bool = True
    ) -> list[tuple[OutboxEntry, datetime | None]]:
        """Lease at most one row per pacing key. With `lookahead`, a key whose pace frees it
        within that is taken too, with the moment its write may go (the delivery reads and
        renders meanwhile); without, only keys free now.

        The most urgent rows are read first. When not one of them can go (a backlog behind
        one channel's pace fills the whole read), the rows past them whose pace is free are
        read too (`past_held`), so a card for another lane never waits for the backlog
        ahead of it; that read walks the held rows in the database, so the running worker
        does it at most once per post interval (`looked_past_held` says it did)."""
        self.looked_past_held = False
        async with self._uow() as tx:
            paced = {key: at for key, at in (await tx.outbox.paces()).items() if at > now}
            if self.slack.failing:
                entries = await self._probe(tx, now)
            else:
                entries = await tx.outbox.due(now, limit=self.pacing.batch)
                until = now + lookahead
                if (
                    past_held
                    and len(entries) == self.pacing.batch
                    and all(paced.get(pace_key(e), now) > until for e in entries)
                ):
                    held = held_paces(paced, until)
                    entries = await tx.outbox.due(now, limit=self.pacing.batch, held=held)
                    self.looked_past_held = True
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
                if key in taken_keys or paced.get(key, now) > now + lookahead:
                    continue
                taken_keys.add(key)
                chosen.append(entry)
            until = now + timedelta(seconds=self.pacing.lease_seconds)
            won = await tx.outbox.lease(
                [e.id for e in chosen], worker=self.worker_id, now=now, until=until
            )
            chosen = [e for e in chosen if e.id in won]
            for n, entry in enumerate(chosen):
                if entry.kind == CARD and entry.card_id is not None:
                    in_doubt = await tx.outbox.coalesce_card(entry.card_id, entry.id, now)
                    if in_doubt and not entry.maybe_sent:
                        # An earlier row may have posted this card (its answer lost): this
                        # one looks in Slack first, or the card would be posted twice.
                        chosen[n] = entry = replace(entry, maybe_sent=True)
                if entry.kind == HOME:
                    await tx.outbox.coalesce_channel(HOME, entry.channel, entry.id, now)
                # Held while in flight; the answer sets the real pace (see _record).
                await tx.outbox.hold_key(pace_key(entry), until)
            await tx.commit()
        self._held = {**paced, **{pace_key(entry): until for entry in chosen}}
        return [(e, paced.get(pace_key(e))) for e in chosen]

    async def _probe(self, tx: UnitOfWork, now: datetime) -> list[OutboxEntry]:
        """While Slack fails, one row at a time finds out whether it is back."""
        if not self.slack.may_probe(now):
            return []
        probe = await tx.outbox.probe(now)
        if probe is None:
            due = await tx.outbox.due(now, limit=1)
            probe = due[0] if due else None
        if probe is None:
            return []
        self.slack.failed(now)  # the next probe, unless this one is answered
        return [probe]

    async def _renew_while(self, in_flight: Callable[[], list[int]]) -> None:
        """Renew this worker's leases on the rows in flight (a call may take up to the
        client's timeout); a crashed worker stops renewing and its rows go free."""
        every = self.pacing.lease_seconds / 3
        while True:
            await asyncio.sleep(every)
            ids = in_flight()
            if not ids:
                continue
            until = self._clock.now() + timedelta(seconds=self.pacing.lease_seconds)
            try:
                async with self._uow() as tx:
                    await tx.outbox.renew(ids, worker=self.worker_id, until=until)
                    await tx.commit()
            except Exception as err:
                log.warning("could not renew outbox leases (%s)", type(err).__name__)

    async def _next_due(self) -> tuple[datetime | None, int]:
        """When the next pending row becomes deliverable, given pacing and leases."""
        async with self._uow.read() as tx:
            schedule = await tx.outbox.schedule(limit=self.pacing.batch)
            paces = await tx.outbox.paces()
        if schedule and self.slack.failing and self.slack.next_probe is not None:
            return self.slack.next_probe, len(schedule)
        ready: list[datetime] = []
        for kind, channel, card_ts, not_before, lease_until in schedule:
            if kind == THREAD and card_ts is None:
                continue  # goes when its card is posted
            key = pace_key_of(kind, channel, card_ts)
            moments = [not_before, paces.get(key, not_before), lease_until or not_before]
            ready.append(max(moments))
        return (min(ready) if ready else None), len(schedule)

    # -- one row ---------------------------------------------------------------------------

    async def _deliver_and_record(
        self, entry: OutboxEntry, send_at: datetime | None = None
    ) -> Outcome:
        """Deliver one row and record what became of it, whatever happens: one row's
        exception is that row's outcome, never the batch's."""
        outcome = await self._deliver(entry, send_at)
        try:
            if await self._record(entry, outcome) and outcome.dead is None:
                outcome = Outcome(dead=outcome.error, error=outcome.error)
        except Exception as err:
            # The lease runs out and the row goes again, checking Slack first (maybe_sent).
            log.error(
                "could not record outbox outcome id=%s item=%s (%s)",
                entry.id,
                entry.item_key,
                type(err).__name__,
                extra={"item": entry.item_key},
            )
        return outcome

    async def _deliver(self, entry: OutboxEntry, send_at: datetime | None = None) -> Outcome:
        try:
            return await self._delivery.deliver(entry, self._clock.now(), send_at)
        except SlackApiError as err:
            try:
                return await self._outcome_of_api_error(entry, err)
            except Exception as inner:
                return self._trouble_or_own(entry, inner)
        except Exception as err:
            return self._trouble_or_own(entry, err)

    def _trouble_or_own(self, entry: OutboxEntry, err: Exception) -> Outcome:
        if network_trouble(err):
            return self._backoff(entry, type(err).__name__, maybe_sent=True)
        if isinstance(err, SlackApiError) and is_slack_trouble(err):
            return self._backoff(entry, api_error_name(err), maybe_sent=True)
        return own_error(err, row=entry.id, item=entry.item_key, kind=entry.kind)

    async def _outcome_of_api_error(self, entry: OutboxEntry, err: SlackApiError) -> Outcome:
        status = err.response.status_code
        error = api_error_name(err)
        if status == 429:
            return rate_limited(err, pace_key(entry))
        if is_slack_trouble(err):
            return self._backoff(entry, error, maybe_sent=status >= 500)
        if error == "not_in_channel":
            return await self._delivery.join_then_retry(entry)
        if error == "message_not_found" and entry.kind == CARD and entry.card_id is not None:
            return await self._delivery.forget_deleted_card(entry)
        return Outcome(dead=error, error=error)

    def _backoff(self, entry: OutboxEntry, error: str, *, maybe_sent: bool) -> Outcome:
        return Outcome(
            retry_after=self.pacing.backoff(entry.attempts),
            maybe_sent=maybe_sent,
            slack_trouble=True,
            error=error,
        )

    async def _record(self, entry: OutboxEntry, outcome: Outcome) -> bool:
        """Store what became of the row; returns whether it is now a dead letter."""
        dead = outcome.dead is not None
        now = self._clock.now()
        key = pace_key(entry)
        next_at = (outcome.answered_at or now) + self.pacing.interval(key)
        async with self._uow() as tx:
            if outcome.slack_trouble:
                self.slack.failed(now)
                if self.on_slack_trouble is not None:
                    await self.on_slack_trouble()
            elif not outcome.own_error and (self.slack.answered() or entry.backing_off):
                # Slack answered again: every backoff after its trouble ends now.
                released = await tx.outbox.end_backoff(now)
                log.info("slack answers again; %s rows resume", released)
            if outcome.sent:
                await tx.outbox.mark_sent(entry.id, now=now, ts=outcome.ts)
            elif outcome.dead is not None:
                await self._dead_letter(tx, entry, outcome.dead, now)
            else:
                delay = outcome.retry_after or 0
                if outcome.own_error:
                    delay = self.pacing.backoff(entry.failures + 1)
                not_before = now + timedelta(seconds=delay)
                failures = await tx.outbox.retry_later(
                    entry.id,
                    not_before=not_before,
                    error=outcome.error,
                    maybe_sent=outcome.maybe_sent,
                    backing_off=outcome.slack_trouble,
                    failed=outcome.own_error,
                )
                dead = outcome.own_error and failures >= self.pacing.max_failures
                if dead:
                    await self._dead_letter(tx, entry, outcome.error, now)
                if outcome.defer_key is not None:
                    next_at = max(next_at, not_before)
                    if outcome.defer_key != WORKSPACE_EDITS:
                        await tx.outbox.defer_channel(entry.channel, not_before=not_before)
                if not dead:
                    log.warning(
                        "outbox retry id=%s item=%s kind=%s error=%s in=%.1fs",
                        entry.id,
                        entry.item_key,
                        entry.kind,
                        outcome.error,
                        delay,
                        extra={"item": entry.item_key},
                    )
            # The pace counts from Slack's answer, not from when the row was picked up.
            await tx.outbox.hold_key(key, next_at)
            await tx.commit()
        self._held[key] = next_at
        return dead

    async def _dead_letter(
        self, tx: UnitOfWork, entry: OutboxEntry, error: str, now: datetime
    ) -> None:
        """The row will not go again without a person; the managers hear of it once."""
        await tx.outbox.mark_dead(entry.id, now=now, error=error)
        log.error(
            "outbox row is a dead letter id=%s item=%s kind=%s error=%s",
            entry.id,
            entry.item_key,
            entry.kind,
            error,
            extra={"item": entry.item_key},
        )
        if entry.kind == OPS or not self._managers_channel:
            return
        if await tx.outbox.pending_of_kind(OPS) == 0:
            await tx.outbox.enqueue(
                kind=OPS,
                channel=self._managers_channel,
                payload={"template": DEAD_LETTER_NOTICE},
                now=now,
                priority=50,
                # a minute's grace: rows that die together are told in one message
                not_before=now + DEAD_LETTER_NOTICE_DELAY,
            )
