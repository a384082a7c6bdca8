"""What every use case shares: read, decide with the life-cycle table, write only if nobody
changed the item meanwhile, append the event and queue the Slack writes, in one transaction."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from bot.clock import Clock
from bot.domain.clinical import is_clinical_matter
from bot.domain.event_details import KINDS, Details
from bot.domain.events import Event
from bot.domain.items import (
    SYSTEM,
    Action,
    Actor,
    Allowed,
    Item,
    Refusal,
    RefusalCode,
    Role,
    Status,
    decide,
)
from bot.domain.practice import Practice
from bot.outbox.kinds import CARD, HOME, THREAD
from bot.roles import RoleDirectory
from storage.repositories import Card
from storage.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

RESOLVED_NEXT_ACTION = "None — resolved"
MAX_RACE_RETRIES = 5


@dataclass(frozen=True)
class Done:
    """The change was committed; `item` is its new state."""

    item: Item
    event: Event


@dataclass(frozen=True)
class Invalid:
    """What was asked is itself incomplete or wrong: the form should have refused it, or a
    deadline passed while it was open. `problems` maps what is wrong (a domain field name:
    `note`, `check_back_at`, `lane`, ...) to the sentence a person reads. Nothing changed."""

    problems: Mapping[str, str]

    @property
    def text(self) -> str:
        return " ".join(self.problems.values())


# Every use case answers with one of these: done, refused with a reason, or invalid.
Result = Done | Refusal | Invalid


class Rejected(Exception):
    """Raised inside a use case's transaction to abandon it with `result` (the transaction
    rolls back); `_transition` returns the result. Never leaves the services."""

    def __init__(self, result: Refusal | Invalid) -> None:
        super().__init__(type(result).__name__)
        self.result = result


SYSTEM_ACTOR = Actor(user_id=SYSTEM, roles=frozenset({Role.SYSTEM}))

# Extra work inside the transaction, after the item changed: (tx, before, after, item id, now);
# it answers the event's details (what it wrote: a handoff's id, a promise's, ...).
Also = Callable[[UnitOfWork, Item, Item, int, datetime], Awaitable[Details]]


PATIENT_FIELDS = frozenset({"language"})
# Leaving the waiting state by any road (resume, release, close, move) clears the wait.
NOT_WAITING: dict[str, Any] = {
    "waiting_on": "",
    "check_back_at": None,
    "sla_remaining_minutes": None,
}


def apply_changes(item: Item, changes: dict[str, Any]) -> Item:
    """The item as it is after `changes` (patient fields land on the patient)."""
    own = {k: v for k, v in changes.items() if k not in PATIENT_FIELDS}
    patient = {k: v for k, v in changes.items() if k in PATIENT_FIELDS}
    updated = replace(item, **own, version=item.version + 1)
    return replace(updated, patient=replace(item.patient, **patient)) if patient else updated


def value_before(item: Item, name: str) -> Any:
    return getattr(item.patient, name) if name in PATIENT_FIELDS else getattr(item, name)


class ServiceBase:
    """Wiring shared by the service classes: storage, the practice, the clock, the outbox."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        practice: Practice,
        clock: Clock,
        on_enqueued: Callable[[], None] = lambda: None,
        *,
        roles: RoleDirectory | None = None,
    ) -> None:
        self._uow = uow
        self.practice = practice
        self.clock = clock
        self._on_enqueued = on_enqueued
        # Without a directory (tests of one service), only user ids grant a role.
        self.roles = roles or RoleDirectory(practice)

    async def get(self, item_key: str) -> Item | None:
        async with self._uow.read() as tx:
            return await tx.items.get(item_key)

    async def history(self, item_key: str) -> list[Event]:
        async with self._uow.read() as tx:
            return await tx.events.for_item(item_key)

    def _actor(self, user_id: str) -> Actor:
        return SYSTEM_ACTOR if user_id == SYSTEM else self.roles.actor_for(user_id)

    # -- shared steps -------------------------------------------------------------------

    def _clinical(self, item: Item) -> bool:
        """A clinical matter (bot/domain/clinical.py): closing it needs a clinician. A retired
        lane counts as clinical, since nothing says it was not."""
        return is_clinical_matter(item, self.practice.lane(item.lane))

    async def _transition(
        self,
        item_key: str,
        actor: str,
        action: Action,
        changes_for: Callable[[Item, Status, datetime], dict[str, Any] | Refusal | Invalid],
        details: Details | Also,
        *,
        thread: bool = True,
    ) -> Result:
        """Read, decide with the life-cycle table, write only if nobody changed the item
        meanwhile; on a lost race, read again and decide again.

        `changes_for` may answer a Refusal or Invalid instead of changes. `details` are the
        event's, of the action's kind; or a function that runs in the same transaction after
        the change (rows of its own, extra outbox messages), answers them and may raise
        Rejected to abandon it all.
        """
        try:
            return await self._transition_once_won(
                item_key, actor, action, changes_for, details, thread=thread
            )
        except Rejected as rejected:
            return rejected.result

    async def _transition_once_won(
        self,
        item_key: str,
        actor: str,
        action: Action,
        changes_for: Callable[[Item, Status, datetime], dict[str, Any] | Refusal | Invalid],
        details: Details | Also,
        *,
        thread: bool,
    ) -> Result:
        who = self._actor(actor)
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
                if isinstance(changes, Refusal | Invalid):
                    return changes
                item_id = await tx.items.change(item, changes, now)
                if item_id is None:
                    continue
                said = details
                if not isinstance(said, Details):
                    said = await said(tx, item, apply_changes(item, changes), item_id, now)
                done = await self._record(
                    tx, item, action, actor, now, changes, said, item_id, thread=thread
                )
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
        details: Details,
        item_id: int,
        *,
        card: Card | None = None,
        thread: bool = True,
    ) -> Done:
        """Append the event and queue the card edit and (unless `thread` is False) its
        thread entry, in `tx`. The event's `after` is the item's `changes` plus `details`,
        which must be the action's kind (bot/domain/event_details.py). `card` is the item's
        current card when the caller read it already (else looked up).
        """
        if type(details) is not KINDS[action]:
            raise TypeError(f"{action.value} records {KINDS[action].__name__}, not {details!r}")
        before = {name: value_before(item, name) for name in changes}
        event = Event(
            item_key=item.key,
            action=action,
            actor=actor,
            at=now,
            before=before,
            after={**changes, **details.to_after()},
        )
        event_id = await tx.events.add(event, item_id=item_id)
        updated = apply_changes(item, changes)
        if card is None:
            card = await tx.cards.current_for(item_id)
        if card is not None:
            await tx.outbox.enqueue(
                kind=CARD, channel=card.channel, item_id=item_id, card_id=card.id, now=now
            )
            if thread:
                await tx.outbox.enqueue(
                    kind=THREAD,
                    channel=card.channel,
                    item_id=item_id,
                    card_id=card.id,
                    payload={"event_id": event_id},
                    now=now,
                )
        for person in {actor, item.owner, updated.owner} - {None, SYSTEM}:
            await tx.outbox.enqueue(kind=HOME, channel=f"home:{person}", now=now)
        return Done(item=updated, event=replace(event, id=event_id))

    async def _append_event(
        self,
        tx: UnitOfWork,
        item: Item,
        action: Action,
        actor: str,
        now: datetime,
        details: Details,
        item_id: int,
    ) -> Done:
        """An event on another item touched by this use case, with its card edit and thread
        entry (the open item a repeat request merged into, say)."""
        return await self._record(tx, item, action, actor, now, {}, details, item_id)

    async def _refusal_after_lost_race(
        self, tx: UnitOfWork, item_key: str, action: Action, actor: Actor
    ) -> Refusal:
        """Why a conditional write just lost, decided in the same transaction: the item as
        the winner left it (on PostgreSQL each statement sees what committed before it; on
        SQLite a writer holds the only write lock, so nothing changed since its read)."""
        item = await tx.items.get(item_key)
        if item is None:
            return Refusal(RefusalCode.NOT_FOUND, item_key=item_key)
        decision = decide(item, action, actor, clinical_lane=self._clinical(item))
        if isinstance(decision, Refusal):
            return decision
        return Refusal(RefusalCode.STALE, item_key=item_key, action=action)
