"""What every use case shares: read, decide with the life-cycle table, write only if nobody
changed the item meanwhile, append the event and queue the Slack writes, in one transaction."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from bot.clock import Clock
from bot.domain.clinical import is_clinical_matter
from bot.domain.event_details import KINDS, Details, RoleRefused
from bot.domain.events import Event
from bot.domain.items import (
    ROLE_REFUSALS,
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
from bot.domain.permissions import check
from bot.domain.practice import Practice
from bot.outbox.kinds import CARD, HOME, MESSAGE, THREAD
from bot.roles import RoleDirectory
from storage.repositories import Card
from storage.repositories.outbox import DEFAULT_PRIORITY
from storage.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)


class OnEnqueued(Protocol):
    """Told after a commit that queued outbox rows (the outbox's `wake`), with the pacing
    keys of those rows when the caller knows every one of them, else None."""

    def __call__(self, keys: Collection[str] | None = None, /) -> None: ...


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


@dataclass(frozen=True)
class Once:
    """The form submission a use case answers, to act on once: Slack's view id (and hash).
    A captured, validly signed submission replayed within Slack's five minutes carries
    the same view id; so does the same form submitted twice at once."""

    view_id: str
    view_hash: str = ""

    def __post_init__(self) -> None:
        # The column's widths; Slack's ids are far shorter.
        object.__setattr__(self, "view_id", self.view_id[:64])
        object.__setattr__(self, "view_hash", self.view_hash[:128])


@dataclass(frozen=True)
class Duplicate:
    """The form was submitted before and that submission was acted on: this one changed
    nothing. Answered like the first (the modal closes); `item_key` is the item asked for."""

    item_key: str


# Every use case answers with one of these: done, refused with a reason, or invalid; one
# given a form submission (`once`) may also answer that it was acted on already.
Result = Done | Refusal | Invalid | Duplicate


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


# Item changes that land on the patient: the stored column and the Patient field.
PATIENT_FIELDS: Mapping[str, str] = {
    "language": "language",
    "patient_ref": "reference",
    "patient_name": "name",
}
# Patient fields whose values an event never repeats (it says that they changed): who the
# patient is stays on the item, where retention can remove it, not in the audit trail.
KEPT_OUT_OF_EVENTS = frozenset({"patient_ref", "patient_name"})
# Leaving the waiting state by any road (resume, release, close, move) clears the wait.
NOT_WAITING: dict[str, Any] = {
    "waiting_on": "",
    "waiting_for": "",
    "check_back_at": None,
    "sla_remaining_minutes": None,
}


def apply_changes(item: Item, changes: dict[str, Any]) -> Item:
    """The item as it is after `changes` (patient fields land on the patient)."""
    own = {k: v for k, v in changes.items() if k not in PATIENT_FIELDS}
    patient = {PATIENT_FIELDS[k]: v for k, v in changes.items() if k in PATIENT_FIELDS}
    updated = replace(item, **own, version=item.version + 1)
    return replace(updated, patient=replace(item.patient, **patient)) if patient else updated


def value_before(item: Item, name: str) -> Any:
    if name in PATIENT_FIELDS:
        return getattr(item.patient, PATIENT_FIELDS[name])
    return getattr(item, name)


# Merges a chain may hold before a reader stops following it (each merge closes an item,
# so a chain cannot loop; this only bounds the reads).
MERGE_HOPS = 20


async def followed_merges(tx: UnitOfWork, item: Item) -> Item:
    """The item at the end of `item`'s chain of merges (`item` itself if it was not merged)."""
    for _ in range(MERGE_HOPS):
        if item.merged_into is None:
            break
        kept = await tx.items.get(item.merged_into)
        if kept is None:
            break
        item = kept
    return item


class ServiceBase:
    """Wiring shared by the service classes: storage, the practice, the clock, the outbox."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        practice: Practice,
        clock: Clock,
        on_enqueued: OnEnqueued = lambda keys=None: None,
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

    async def now_in(self, item_key: str) -> Item | None:
        """The item that holds `item_key`'s request now: itself, or the item it was merged
        into (and so on, when that one was merged too)."""
        async with self._uow.read() as tx:
            item = await tx.items.get(item_key)
            return None if item is None else await followed_merges(tx, item)

    async def history(self, item_key: str) -> list[Event]:
        async with self._uow.read() as tx:
            return await tx.events.for_item(item_key)

    def _actor(self, user_id: str) -> Actor:
        return SYSTEM_ACTOR if user_id == SYSTEM else self.roles.actor_for(user_id)

    # -- shared steps -------------------------------------------------------------------

    def _new_owner_refusal(self, item: Item, new_owner: str) -> Refusal | None:
        """Refuse giving `item` to someone who could not claim it themselves (no role, or
        not in its lane): as its owner they would see the patient's details."""
        clinical = self._clinical(item)
        refused = check(self._actor(new_owner), Action.CLAIM, item, clinical=clinical)
        if refused is None:
            return None
        # The claim's refusal (the role and lane that would do), said of the new owner.
        return replace(refused, code=RefusalCode.NEW_OWNER_NOT_PERMITTED, owner=new_owner)

    def _clinical(self, item: Item) -> bool:
        """A clinical matter (bot/domain/clinical.py): closing it needs a clinician. A retired
        lane counts as clinical, since nothing says it was not."""
        return is_clinical_matter(item, self.practice.lane(item.lane))

    def _decide(
        self, item: Item, action: Action, who: Actor, *, paged: bool = False
    ) -> Allowed | Refusal:
        """The role rule (bot/domain/permissions.py) first, then the life-cycle table."""
        clinical = self._clinical(item)
        refused = check(who, action, item, clinical=clinical, paged=paged)
        if refused is not None:
            return refused
        return decide(item, action, who, clinical_lane=clinical)

    async def _refused(self, tx: UnitOfWork, refusal: Refusal, actor: str) -> Refusal:
        """Record a role refusal as an event in `tx` (who tried what, and the role that would
        do) and commit; any other refusal is returned untouched, unrecorded."""
        if refusal.code not in ROLE_REFUSALS or not refusal.item_key:
            return refusal
        item_id = await tx.items.id_of(refusal.item_key)
        if item_id is None:
            return refusal
        details = RoleRefused(
            attempted=refusal.action.value if refusal.action else "",
            reason=refusal.code.value,
            needed=refusal.needed.value if refusal.needed else "",
        )
        event = Event(
            item_key=refusal.item_key,
            action=Action.REFUSED,
            actor=actor,
            at=self.clock.now(),
            after=details.to_after(),
        )
        await tx.events.add(event, item_id=item_id)
        await tx.commit()
        log.info(
            "item refused key=%s action=%s by=%s reason=%s",
            refusal.item_key,
            details.attempted,
            actor,
            refusal.code.value,
        )
        return refusal

    async def refusal_for(self, *, item_key: str, actor: str, action: Action) -> Refusal | None:
        """Why `actor` may not do `action` to the item now (None if they may), asked before a
        form opens so nobody writes a note for nothing; a role refusal is recorded as an
        event then and there. The use case decides again on submit."""
        async with self._uow.read() as tx:
            item = await tx.items.get(item_key)
        if item is None:
            return Refusal(RefusalCode.NOT_FOUND, item_key=item_key)
        decision = self._decide(item, action, self._actor(actor))
        if not isinstance(decision, Refusal):
            return None
        if decision.code in ROLE_REFUSALS:
            async with self._uow() as tx:
                await self._refused(tx, decision, actor)
        return decision

    async def _transition(
        self,
        item_key: str,
        actor: str,
        action: Action,
        changes_for: Callable[[Item, Status, datetime], dict[str, Any] | Refusal | Invalid],
        details: Details | Also,
        *,
        thread: bool = True,
        once: Once | None = None,
    ) -> Result:
        """Read, decide with the life-cycle table, write only if nobody changed the item
        meanwhile; on a lost race, read again and decide again.

        `changes_for` may answer a Refusal or Invalid instead of changes. `details` are the
        event's, of the action's kind; or a function that runs in the same transaction after
        the change (rows of its own, extra outbox messages), answers them and may raise
        Rejected to abandon it all.

        With `once` (a form's submission), the view id is recorded in the same transaction
        as the change, so a crash keeps both or neither; a submission of a view already
        recorded answers Duplicate before deciding anything and changes nothing. A refused
        or invalid submission records nothing: the person can correct the form and submit
        it again. Two at once: the unique view id lets one commit, the other is Duplicate.
        """
        try:
            return await self._transition_once_won(
                item_key, actor, action, changes_for, details, thread=thread, once=once
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
        once: Once | None,
    ) -> Result:
        who = self._actor(actor)
        for _ in range(MAX_RACE_RETRIES):
            now = self.clock.now()
            async with self._uow() as tx:
                if replayed := await self._replayed(tx, once, item_key, action):
                    return replayed
                item = await tx.items.get(item_key)
                if item is None:
                    return Refusal(RefusalCode.NOT_FOUND, item_key=item_key)
                decision = self._decide(item, action, who)
                if isinstance(decision, Refusal):
                    if replayed := await self._replayed(tx, once, item_key, action):
                        return replayed
                    return await self._refused(tx, decision, actor)
                assert isinstance(decision, Allowed)
                changes = changes_for(item, decision.to, now)
                if isinstance(changes, Refusal | Invalid):
                    if replayed := await self._replayed(tx, once, item_key, action):
                        return replayed
                    return changes
                item_id = await tx.items.change(item, changes, now)
                if item_id is None:
                    continue
                if once is not None and not await self._claim(tx, once, item_id, now):
                    return self._duplicate(once, item_key, action)
                said = details
                if not isinstance(said, Details):
                    said = await said(tx, item, apply_changes(item, changes), item_id, now)
                done = await self._record(
                    tx, item, action, actor, now, changes, said, item_id, thread=thread
                )
                await tx.commit()
            log.info(
                "item %s key=%s by=%s", action.value, item_key, actor, extra={"item": item_key}
            )
            self._on_enqueued()
            return done
        return Refusal(RefusalCode.STALE, item_key=item_key, action=action)

    async def _replayed(
        self, tx: UnitOfWork, once: Once | None, item_key: str, action: Action
    ) -> Duplicate | None:
        """Duplicate when the submission `once` was acted on already. Asked again before a
        refusal: a simultaneous copy may have committed between the first check and the
        item read (on PostgreSQL each statement sees the latest commit), and the item it
        changed would refuse this copy, which is a replay and must say so."""
        if once is not None and await tx.once.view_submitted(once.view_id):
            return self._duplicate(once, item_key, action)
        return None

    async def _claim(self, tx: UnitOfWork, once: Once, item_id: int, now: datetime) -> bool:
        """Record the submission `once` in `tx`, beside the change it made; False when a
        simultaneous submission of the same view committed first (its row won)."""
        claimed = await tx.once.claim_view(once.view_id, once.view_hash, now, item_id)
        return claimed is not None

    def _duplicate(self, once: Once, item_key: str, action: Action) -> Duplicate:
        log.info(
            "form submission replayed, ignored: action=%s key=%s view=%s",
            action.value,
            item_key,
            once.view_id,
            extra={"item": item_key},
        )
        return Duplicate(item_key=item_key)

    async def _message(
        self,
        tx: UnitOfWork,
        channel: str,
        template: str,
        item_id: int,
        at: datetime,
        priority: int = DEFAULT_PRIORITY,
        **params: Any,
    ) -> None:
        """Queue a templated message (a channel post, or a DM when `channel` is a user id);
        a page goes at a higher `priority` (a lower number), ahead of queued card posts."""
        await tx.outbox.enqueue(
            kind=MESSAGE,
            channel=channel,
            item_id=item_id,
            payload={"template": template, "params": params},
            priority=priority,
            now=at,
        )

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
        recorded = {k: v for k, v in changes.items() if k not in KEPT_OUT_OF_EVENTS}
        event = Event(
            item_key=item.key,
            action=action,
            actor=actor,
            at=now,
            before={name: value_before(item, name) for name in recorded},
            after={**recorded, **details.to_after()},
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
        decision = self._decide(item, action, actor)
        if isinstance(decision, Refusal):
            return decision
        return Refusal(RefusalCode.STALE, item_key=item_key, action=action)
