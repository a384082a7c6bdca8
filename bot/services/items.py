"""Use cases on items. Each is one transaction: change, event and outbox rows commit together."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from bot.clock import Clock
from bot.config import Practice
from bot.domain import sla
from bot.domain.events import Event
from bot.domain.intake import IntakeRequest
from bot.domain.items import (
    Action,
    Allowed,
    Item,
    Patient,
    Refusal,
    RefusalCode,
    Status,
    decide,
    reassign_refusal,
)
from bot.roles import actor_for
from storage.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

CARD = "card"
THREAD = "thread"
RESOLVED_NEXT_ACTION = "None — resolved"
MAX_RACE_RETRIES = 5


@dataclass(frozen=True)
class Done:
    """The change was committed; `item` is its new state."""

    item: Item
    event: Event


class ClosingIncomplete(ValueError):
    """A close without what the lane's definition of done needs (the modal checks first)."""


class ItemServices:
    """The application's use cases on items, wired with storage, practice and clock."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        practice: Practice,
        clock: Clock,
        on_enqueued: Callable[[], None] = lambda: None,
    ) -> None:
        self._uow = uow
        self.practice = practice
        self.clock = clock
        self._on_enqueued = on_enqueued

    async def log_request(
        self, request: IntakeRequest, *, actor: str, received_at: datetime | None = None
    ) -> Done:
        """Turn a validated request into a new item with a card queued for its lane channel.

        The due time is the received time plus the lane's response target, counted in
        the practice's business hours. The key comes from a counter, never from patient data.
        """
        now = self.clock.now()
        received = received_at or now
        lane = self.practice.lane(request.lane)
        due = sla.due_at(received, lane.response_target, self.practice.calendar)
        async with self._uow() as tx:
            number = await tx.items.next_number(self.practice.first_item_number)
            item = Item(
                key=f"{self.practice.item_key_prefix}-{number}",
                lane=lane.key,
                request_type=request.request_type,
                origin=request.origin,
                status=Status.NEW,
                patient=Patient(
                    reference=request.patient_ref,
                    name=request.patient_name,
                    phone=request.phone,
                    language=request.language,
                    callback_window=request.callback_window,
                ),
                summary=request.summary,
                received_at=received,
                due_at=due,
                next_action=lane.first_action,
                source_link=request.source_link,
                created_by=actor,
            )
            item_id = await tx.items.add(item, number=number, now=now)
            event = Event(
                item_key=item.key,
                action=Action.CREATE,
                actor=actor,
                at=now,
                after={
                    "lane": lane.key,
                    "request_type": item.request_type,
                    "origin": item.origin.value,
                    "status": item.status.value,
                    "due_at": due.isoformat(),
                },
            )
            event_id = await tx.events.add(event, item_id=item_id)
            card = await tx.cards.add(item_id=item_id, lane=lane.key, channel=lane.channel, now=now)
            await tx.outbox.enqueue(
                kind=CARD, channel=lane.channel, item_id=item_id, card_id=card.id, now=now
            )
            await tx.commit()
        log.info("item logged key=%s lane=%s origin=%s", item.key, lane.key, item.origin.value)
        self._on_enqueued()
        return Done(item=item, event=replace(event, id=event_id))

    async def claim(self, *, item_key: str, actor: str) -> Done | Refusal:
        """Make `actor` the owner of an unowned item.

        Exactly one of any number of simultaneous claims wins (one conditional UPDATE);
        the others are refused with the current owner and since when.
        """
        now = self.clock.now()
        who = actor_for(actor, self.practice)
        async with self._uow() as tx:
            item = await tx.items.get(item_key)
            if item is None:
                return Refusal(RefusalCode.NOT_FOUND, item_key=item_key)
            decision = decide(item, Action.CLAIM, who, clinical_lane=self._clinical(item))
            if isinstance(decision, Refusal):
                return decision
            won = await tx.items.claim(item_key, actor, now)
            if won:
                changes = {"owner": actor, "status": Status.CLAIMED, "claimed_at": now}
                done = await self._record(tx, item, Action.CLAIM, actor, now, changes)
                await tx.commit()
        if not won:
            return await self._refusal_after_lost_race(item_key, Action.CLAIM, actor)
        log.info("item claimed key=%s by=%s", item_key, actor)
        self._on_enqueued()
        return done

    async def release(self, *, item_key: str, actor: str) -> Done | Refusal:
        """Give an item back to the lane unowned. Only its owner or a manager may."""
        return await self._transition(
            item_key,
            actor,
            Action.RELEASE,
            lambda item, to, now: {"owner": None, "status": to, "claimed_at": None},
        )

    async def reassign(self, *, item_key: str, actor: str, new_owner: str) -> Done | Refusal:
        """Hand an item to `new_owner`. Its owner or a manager may; a manager may assign new items.

        Refuses reassigning to the person who already owns it.
        """

        def changes(item: Item, to: Status, now: datetime) -> dict[str, Any] | Refusal:
            same = reassign_refusal(item, new_owner)
            if same is not None:
                return same
            return {"owner": new_owner, "status": to, "claimed_at": now}

        return await self._transition(item_key, actor, Action.REASSIGN, changes)

    async def close(
        self, *, item_key: str, actor: str, resolution: str, told_patient: str
    ) -> Done | Refusal:
        """Resolve an item with the lane's definition of done: a resolution and what the
        patient was told.

        Refuses non-owners (managers excepted), unclaimed items (claim first) and, in a
        clinical lane, anyone not clinical unless a clinician acknowledged the item.
        Raises ClosingIncomplete when the resolution or the words to the patient are missing.
        """
        told = told_patient.strip()

        def changes(item: Item, to: Status, now: datetime) -> dict[str, Any]:
            lane = self.practice.lane(item.lane)
            if resolution not in lane.resolutions or not told:
                raise ClosingIncomplete(f"closing {item.key} needs a listed resolution and a note")
            return {
                "status": to,
                "resolution": resolution,
                "told_patient": told,
                "closed_at": now,
                "closed_by": actor,
                "next_action": RESOLVED_NEXT_ACTION,
            }

        return await self._transition(item_key, actor, Action.CLOSE, changes)

    async def reopen(self, *, item_key: str, actor: str) -> Done | Refusal:
        """Reopen a resolved item, owned by whoever reopens it, with a fresh response target."""

        def changes(item: Item, to: Status, now: datetime) -> dict[str, Any]:
            lane = self.practice.lane(item.lane)
            return {
                "status": to,
                "owner": actor,
                "claimed_at": now,
                "resolution": "",
                "told_patient": "",
                "closed_at": None,
                "closed_by": None,
                "next_action": lane.first_action,
                "due_at": sla.due_at(now, lane.response_target, self.practice.calendar),
            }

        return await self._transition(item_key, actor, Action.REOPEN, changes)

    async def view_details(self, *, item_key: str, actor: str) -> Item | Refusal:
        """Return the full record for the person working the item, and record that they saw it."""
        now = self.clock.now()
        async with self._uow() as tx:
            item = await tx.items.get(item_key)
            item_id = await tx.items.id_of(item_key)
            if item is None or item_id is None:
                return Refusal(RefusalCode.NOT_FOUND, item_key=item_key)
            await tx.events.add(
                Event(item_key=item_key, action=Action.VIEW, actor=actor, at=now), item_id=item_id
            )
            await tx.commit()
        log.info("item viewed key=%s by=%s", item_key, actor)
        return item

    async def get(self, item_key: str) -> Item | None:
        async with self._uow() as tx:
            return await tx.items.get(item_key)

    async def history(self, item_key: str) -> list[Event]:
        async with self._uow() as tx:
            return await tx.events.for_item(item_key)

    # -- shared steps -------------------------------------------------------------------

    def _clinical(self, item: Item) -> bool:
        lane = self.practice.lanes.get(item.lane)
        return bool(lane and lane.clinical)

    async def _transition(
        self,
        item_key: str,
        actor: str,
        action: Action,
        changes_for: Callable[[Item, Status, datetime], dict[str, Any] | Refusal],
    ) -> Done | Refusal:
        """Read, decide with the life-cycle table, write only if nobody changed the item
        meanwhile; on a lost race, read again and decide again."""
        who = actor_for(actor, self.practice)
        for _ in range(MAX_RACE_RETRIES):
            now = self.clock.now()
            async with self._uow() as tx:
                item = await tx.items.get(item_key)
                if item is None:
                    return Refusal(RefusalCode.NOT_FOUND, item_key=item_key)
                decision = decide(item, action, who, clinical_lane=self._clinical(item))
                if isinstance(decision, Refusal):
                    return decision
                assert isinstance(decision, Allowed)
                changes = changes_for(item, decision.to, now)
                if isinstance(changes, Refusal):
                    return changes
                if not await tx.items.change(item, changes, now):
                    continue
                done = await self._record(tx, item, action, actor, now, changes)
                await tx.commit()
            log.info("item %s key=%s by=%s", action.value, item_key, actor)
            self._on_enqueued()
            return done
        return Refusal(RefusalCode.STALE, item_key=item_key, action=action)

    async def _record(
        self,
        tx: UnitOfWork,
        item: Item,
        action: Action,
        actor: str,
        now: datetime,
        changes: dict[str, Any],
    ) -> Done:
        """Append the event and queue the card edit and its thread entry, in `tx`."""
        item_id = await tx.items.id_of(item.key)
        assert item_id is not None
        before = {name: getattr(item, name) for name in changes}
        event = Event(
            item_key=item.key, action=action, actor=actor, at=now, before=before, after=changes
        )
        event_id = await tx.events.add(event, item_id=item_id)
        updated = replace(item, **changes, version=item.version + 1)
        card = await tx.cards.current_for(item_id)
        if card is not None:
            await tx.outbox.enqueue(
                kind=CARD, channel=card.channel, item_id=item_id, card_id=card.id, now=now
            )
            await tx.outbox.enqueue(
                kind=THREAD,
                channel=card.channel,
                item_id=item_id,
                card_id=card.id,
                payload={"event_id": event_id},
                now=now,
            )
        return Done(item=updated, event=replace(event, id=event_id))

    async def _refusal_after_lost_race(self, item_key: str, action: Action, actor: str) -> Refusal:
        async with self._uow() as tx:
            item = await tx.items.get(item_key)
        if item is None:
            return Refusal(RefusalCode.NOT_FOUND, item_key=item_key)
        decision = decide(item, action, actor_for(actor, self.practice))
        if isinstance(decision, Refusal):
            return decision
        return Refusal(RefusalCode.STALE, item_key=item_key, action=action)
