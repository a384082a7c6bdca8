"""The aging scan: cards re-rendered as they cross a threshold, aging alerts (warning, breach,
twice the target), promise reminders and missed promises, and alerts that are no longer
true edited to say so. Run every minute by bot/jobs.py; each item is one transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from bot.domain.aging import (
    Alert,
    AlertKind,
    Cleared,
    Milestones,
    PromiseDeadline,
    Stage,
    alerts_due,
    milestones,
    next_look,
    no_longer_true,
    promise_alerts_due,
    stage_at,
)
from bot.domain.handoff import Promise
from bot.domain.items import Item, Status
from bot.outbox.kinds import ALERT, CARD
from bot.services.base import ServiceBase
from storage.repositories import Card
from storage.repositories.alerts import AgingState
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

# Items read per query; a run takes up to MAX_BATCHES of them (a restart's or the morning's
# backlog), and what is left waits a minute rather than hold one run for long.
AGING_BATCH = 500
MAX_BATCHES = 20

# Where an alert is posted (item_alert_messages.target).
THREAD = "thread"
OWNER = "owner"
MANAGERS = "managers"


def _subject(kind: AlertKind, item: Item, promise: Promise | None) -> str:
    """What one alert is about: the due time it was raised for (a new due time after a call
    is a new deadline), or the promise."""
    if promise is not None:
        return f"promise:{promise.id}"
    return f"due:{item.due_at.isoformat()}"


class AgingServices(ServiceBase):
    """The aging job's use case: look at each item whose next aging moment has come."""

    async def run_aging(self, keep_going: Callable[[], bool] = lambda: True) -> list[str]:
        """Look at every item due a look (changed since, or a threshold passed): re-render
        its card once per stage, raise each alert once, clear the ones no longer true. The
        keys of the items this call acted on. Batches of AGING_BATCH until none is left or
        a batch made no progress; an item that fails is logged and left for the next run,
        the others go on. Once `keep_going()` is false (the process is stopping) the run
        ends before its next item: each item is its own transaction, and the rest stay
        due for the next run."""
        now = self.clock.now()
        acted: list[str] = []
        for _ in range(MAX_BATCHES):
            if not keep_going():
                break
            async with self._uow.read() as tx:
                ids = await tx.alerts.due_for_aging(now, limit=AGING_BATCH)
            looked = 0
            for item_id in ids:
                if not keep_going():
                    log.info("aging run stopped with items left for the next run")
                    break
                try:
                    key = await self._age(item_id, now)
                except Exception:
                    log.exception("aging failed for item id=%s; trying again next run", item_id)
                    continue
                looked += 1
                if key is not None:
                    acted.append(key)
            if len(ids) < AGING_BATCH or not looked:
                break
        if acted:
            self._on_enqueued()
        return acted

    async def _age(self, item_id: int, now: datetime) -> str | None:
        async with self._uow() as tx:
            found = await tx.alerts.state(item_id)
            if found is None:
                return None
            state, card = found
            if state.aging_at is None or state.aging_at > now:
                return None  # another process (or a click) got here first
            item = state.item
            promises = await tx.promises.open_for(item_id) if item.status.is_open else []
            wrote = await self._clear_stale(tx, item, item_id, promises, now)
            ages = item.status.is_open and item.status is not Status.WAITING
            lane = self.practice.lane(item.lane)
            m = milestones(
                item.received_at,
                item.due_at,
                self.practice.calendar,
                lane.warn_at,
                lane.target_for(item.origin),
            )
            stage = stage_at(m, now) if ages else None
            deadlines = [PromiseDeadline(p.id, p.due_at, p.made_at) for p in promises]
            next_at = next_look(m if ages else None, deadlines, now, self.practice.calendar)
            won = await tx.alerts.advance(
                item_id, seen=state.aging_at, stage=stage.value if stage else "", next_at=next_at
            )
            if not won:
                return None
            if stage is not None and card is not None and self._card_is_behind(state, m, stage):
                await tx.outbox.enqueue(
                    kind=CARD, channel=card.channel, item_id=item_id, card_id=card.id, now=now
                )
                wrote = True
            if ages:
                for kind in alerts_due(m, now):
                    wrote |= await self._raise(tx, item, item_id, card, kind, None, now)
            for promise in promises:
                deadline = PromiseDeadline(promise.id, promise.due_at, promise.made_at)
                for kind in promise_alerts_due(deadline, now, self.practice.calendar):
                    wrote |= await self._raise(tx, item, item_id, card, kind, promise, now)
            await tx.commit()
        if wrote:
            log.info("aging key=%s stage=%s", item.key, stage.value if stage else "-")
            return item.key
        return None

    def _card_is_behind(self, state: AgingState, m: Milestones, stage: Stage) -> bool:
        """Whether the card shows another stage than `stage`. A change sets the item's
        aging_at to its updated_at and re-renders its card, so then the card shows the stage
        at that change; otherwise the stage the job last saw (and rendered)."""
        changed = not state.stage or state.aging_at == state.updated_at
        shown = stage_at(m, state.updated_at) if changed else Stage(state.stage)
        return shown != stage

    async def _raise(
        self,
        tx: UnitOfWork,
        item: Item,
        item_id: int,
        card: Card | None,
        kind: AlertKind,
        promise: Promise | None,
        now: datetime,
    ) -> bool:
        """Raise one alert unless it was raised before, and queue where it goes."""
        alert_id = await tx.alerts.raise_alert(
            item_id,
            kind,
            _subject(kind, item, promise),
            due_at=promise.due_at if promise is not None else item.due_at,
            owner=item.owner,
            promise_id=promise.id if promise is not None else None,
            now=now,
        )
        if alert_id is None:
            return False
        if kind is AlertKind.BREACH:
            await self._supersede_warnings(tx, item_id, now)
        person = item.owner or (promise.made_by if promise is not None else None)
        targets: list[tuple[str, str]] = []
        if kind is AlertKind.TWICE:
            targets.append((MANAGERS, self.practice.managers_channel))
        elif kind in (AlertKind.WARNING, AlertKind.PROMISE_SOON):
            targets.append((OWNER, person) if person else (THREAD, ""))
        else:  # a breach or a missed promise: the card's thread, and the person
            targets.append((THREAD, ""))
            if person:
                targets.append((OWNER, person))
        for target, channel in targets:
            if target == THREAD:
                if card is None:
                    continue
                channel = card.channel
            message_id = await tx.alerts.add_message(alert_id, target=target, channel=channel)
            await tx.outbox.enqueue(
                kind=ALERT,
                channel=channel,
                item_id=item_id,
                card_id=card.id if target == THREAD and card is not None else None,
                payload={"message": message_id},
                now=now,
            )
        log.info("alert raised key=%s kind=%s", item.key, kind.value)
        return True

    async def _clear_stale(
        self, tx: UnitOfWork, item: Item, item_id: int, promises: list[Promise], now: datetime
    ) -> bool:
        """Clear the item's alerts that are no longer true and queue the edit of each of
        their messages, so no thread or DM keeps a stale alarm."""
        cleared = False
        open_ids = [p.id for p in promises]
        for alert in await tx.alerts.active_for(item_id):
            reason = no_longer_true(alert, item, open_ids)
            if reason is None:
                continue
            by, at = await self._who(tx, reason, item, alert, now)
            for message_id in await tx.alerts.clear(alert.id, reason=reason, by=by, at=at):
                await self._queue_edit(tx, message_id, now)
            cleared = True
        return cleared

    async def _supersede_warnings(self, tx: UnitOfWork, item_id: int, now: datetime) -> None:
        """A breach replaces the warning before it: the warning is edited to say the item
        is overdue now, so no message keeps saying "due soon"."""
        for alert in await tx.alerts.active_for(item_id):
            if alert.kind is AlertKind.WARNING:
                reason = Cleared.OVERDUE
                for message_id in await tx.alerts.clear(alert.id, reason=reason, by=None, at=now):
                    await self._queue_edit(tx, message_id, now)

    async def _queue_edit(self, tx: UnitOfWork, message_id: int, now: datetime) -> None:
        message = await tx.alerts.message(message_id)
        if message is None:
            return
        await tx.outbox.enqueue(
            kind=ALERT,
            channel=message.channel,
            item_id=message.item_id,
            payload={"message": message_id},
            now=now,
        )

    @staticmethod
    async def _who(
        tx: UnitOfWork, reason: Cleared, item: Item, alert: Alert, now: datetime
    ) -> tuple[str | None, datetime]:
        """Who made the alert untrue and when: the claim, the close, the promise kept; an
        update (a call logged, a wait, a move) is dated when the job saw it."""
        if reason is Cleared.CLAIMED:
            return item.owner, item.claimed_at or now
        if reason is Cleared.CLOSED:
            return item.closed_by, item.closed_at or now
        if reason is Cleared.KEPT and alert.promise_id is not None:
            kept = await tx.alerts.promise_kept(alert.promise_id)
            if kept is not None:
                return kept
        return None, now
