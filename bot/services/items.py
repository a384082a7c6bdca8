"""Use cases on items. Each is one transaction: change, event and outbox rows commit together."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.domain import sla
from bot.domain.clinical import bilingual_clinicians, keeps_lane_for_language
from bot.domain.event_details import (
    CallerIdentified,
    Claimed,
    Closed,
    Created,
    Reassigned,
    Released,
    Reopened,
    RepeatContact,
    Viewed,
)
from bot.domain.events import Event
from bot.domain.intake import IntakeRequest, check_caller
from bot.domain.items import (
    Action,
    Item,
    Patient,
    Refusal,
    RefusalCode,
    Status,
    decide,
    reassign_refusal,
)
from bot.domain.lanes import LanguageRouting
from bot.domain.red_flags import RedFlagMatcher
from bot.outbox.kinds import CARD, THREAD
from bot.services.base import (
    NOT_WAITING,
    RESOLVED_NEXT_ACTION,
    SYSTEM,
    Done,
    Invalid,
    Result,
    ServiceBase,
)
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

# A clinical request language routing kept in its lane: who calls back is named in the thread.
KEPT_FOR_LANGUAGE_ACTION = {
    True: "Call the patient back with a bilingual clinician (see thread)",
    False: "Call the patient back with an interpreter (see thread)",
}


class ItemServices(ServiceBase):
    """The item life cycle: intake, claim, release, reassign, close, reopen, details."""

    _matcher: RedFlagMatcher | None = None

    def red_flags_in(self, text: str) -> tuple[str, ...]:
        """The practice's red-flag phrases found in `text`, each once, in the order found."""
        if self._matcher is None:
            self._matcher = RedFlagMatcher(self.practice.red_flags)
        return tuple(dict.fromkeys(hit.phrase for hit in self._matcher.find(text)))

    async def log_request(
        self, request: IntakeRequest, *, actor: str, received_at: datetime | None = None
    ) -> Done:
        """Turn a validated request into a new item with a card queued for its lane channel.

        The due time counts from `received_at` (when the patient contacted the practice;
        now when not given) under the lane's target for the request's origin, in the
        practice's business hours. The key comes from a counter, never from patient data.
        A patient who prefers another language is routed as the practice file says (to the
        language lane, or to bilingual staff), except out of a clinical lane: a clinical
        request stays there, and its thread names the bilingual clinicians for the language
        (or says an interpreter is needed). A patient who already has an open item gets
        a repeat contact: the new item names the open one, whose count and thread say so.
        Red-flag phrases in the summary are stored on the item (a mark for a human, never a
        decision): unanswered for a few minutes, the item is escalated (bot/services/
        escalations.py).
        """
        async with self._uow() as tx:
            done, _ = await self.log_in(tx, request, actor=actor, received_at=received_at)
            await tx.commit()
        self.logged(done.item)
        return done

    def logged(self, item: Item) -> None:
        """After the commit of `log_in`: say so in the log (no patient data) and wake the outbox."""
        log.info("item logged key=%s lane=%s origin=%s", item.key, item.lane, item.origin.value)
        self._on_enqueued()

    async def log_in(
        self,
        tx: UnitOfWork,
        request: IntakeRequest,
        *,
        actor: str,
        received_at: datetime | None = None,
    ) -> tuple[Done, int]:
        """`log_request`'s work inside the caller's transaction `tx` (the intake API's, which
        records its delivery in the same one), with the new item's row id; the caller
        commits, then calls `logged`."""
        now = self.clock.now()
        received = received_at or now
        lane = self.practice.lane(request.lane)
        routed_from: str | None = None
        kept_for_language: str | None = None
        clinicians: tuple[str, ...] | None = None
        next_action = lane.first_action
        if self._routes_to_language_lane(request) and keeps_lane_for_language(lane):
            kept_for_language = request.language
            clinicians = bilingual_clinicians(
                self.roles.bilingual(request.language), self.roles.clinical_members()
            )
            next_action = KEPT_FOR_LANGUAGE_ACTION[bool(clinicians)]
        elif self._routes_to_language_lane(request):
            routed_from, lane = lane.key, self.practice.lane(self.practice.language_lane or "")
            next_action = lane.first_action
        due = sla.due_at(received, lane.target_for(request.origin), self.practice.calendar)
        # A caller nobody has identified yet (a missed call) is nobody's repeat contact.
        related = (
            await tx.items.open_for_patient(request.patient_ref) if request.patient_ref else []
        )
        owner = await self._bilingual_owner(tx, request.language)
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
            next_action=next_action,
            source_link=request.source_link,
            created_by=actor,
            related_key=related[0].key if related else None,
            red_flags=self.red_flags_in(request.summary),
            owner=owner,
            claimed_at=now if owner else None,
        )
        if owner:
            item = replace(item, status=Status.CLAIMED)
        item_id = await tx.items.add(item, number=number, now=now)
        event = Event(
            item_key=item.key,
            action=Action.CREATE,
            actor=actor,
            at=now,
            after=Created(
                lane=lane.key,
                request_type=item.request_type,
                origin=item.origin.value,
                status=item.status.value,
                due_at=due,
                owner=owner,
                routed_from=routed_from,
                related_key=item.related_key,
                kept_for_language=kept_for_language,
                bilingual_clinicians=clinicians,
                red_flags=item.red_flags or None,
            ).to_after(),
        )
        event_id = await tx.events.add(event, item_id=item_id)
        if related:
            await self._link_repeat(tx, related[0], item.key, now)
        card = await tx.cards.add(item_id=item_id, lane=lane.key, channel=lane.channel, now=now)
        await tx.outbox.enqueue(
            kind=CARD, channel=lane.channel, item_id=item_id, card_id=card.id, now=now
        )
        if kept_for_language is not None:  # the thread says who can call back in it
            await tx.outbox.enqueue(
                kind=THREAD,
                channel=lane.channel,
                item_id=item_id,
                card_id=card.id,
                payload={"event_id": event_id},
                now=now,
            )
        return Done(item=item, event=replace(event, id=event_id)), item_id

    async def _link_repeat(
        self, tx: UnitOfWork, related: Item, from_key: str, now: datetime
    ) -> None:
        """`from_key` is another contact from the patient of the open item `related`: its
        count goes up and its thread says so."""
        count, related_id = await tx.items.bump_repeat_count(related.key, now)
        await self._record(
            tx,
            related,
            Action.REPEAT_CONTACT,
            SYSTEM,
            now,
            {"repeat_count": count},
            RepeatContact(from_key=from_key),
            related_id,
        )

    def _routes_to_language_lane(self, request: IntakeRequest) -> bool:
        practice = self.practice
        return (
            practice.language_routing is LanguageRouting.LANE
            and practice.language_lane is not None
            and request.language != practice.default_language
            and request.lane != practice.language_lane
        )

    async def _bilingual_owner(self, tx: UnitOfWork, language: str) -> str | None:
        """With routing to staff, the bilingual colleague with the fewest open items."""
        practice = self.practice
        if practice.language_routing is not LanguageRouting.STAFF:
            return None
        if language == practice.default_language:
            return None
        staff = self.roles.bilingual(language)
        if not staff:
            return None
        loads = {person: len(await tx.items.open_for_owner(person)) for person in staff}
        return min(staff, key=lambda person: (loads[person], staff.index(person)))

    async def claim(self, *, item_key: str, actor: str) -> Result:
        """Make `actor` the owner of an unowned item.

        Exactly one of any number of simultaneous claims wins (one conditional UPDATE);
        the others are refused with the current owner and since when. One transaction
        either way, and as few statements as it takes (on SQLite it holds the one write
        lock): one read of the item with its card, the UPDATE, the event, the outbox rows.
        """
        now = self.clock.now()
        who = self.roles.actor_for(actor)
        async with self._uow() as tx:
            found = await tx.items.get_with_card(item_key)
            if found is None:
                return Refusal(RefusalCode.NOT_FOUND, item_key=item_key)
            item, item_id, card = found
            decision = decide(item, Action.CLAIM, who, clinical_lane=self._clinical(item))
            if isinstance(decision, Refusal):
                return decision
            if not await tx.items.claim(item_key, actor, now):
                return await self._refusal_after_lost_race(tx, item_key, Action.CLAIM, who)
            changes = {"owner": actor, "status": Status.CLAIMED, "claimed_at": now}
            done = await self._record(
                tx, item, Action.CLAIM, actor, now, changes, Claimed(), item_id, card=card
            )
            await tx.commit()
        log.info("item claimed key=%s by=%s", item_key, actor)
        self._on_enqueued()
        return done

    async def release(self, *, item_key: str, actor: str) -> Result:
        """Give an item back to the lane unowned. Only its owner or a manager may."""
        return await self._transition(
            item_key,
            actor,
            Action.RELEASE,
            lambda item, to, now: {"owner": None, "status": to, "claimed_at": None, **NOT_WAITING},
            Released(),
        )

    async def reassign(self, *, item_key: str, actor: str, new_owner: str) -> Result:
        """Hand an item to `new_owner`. Its owner or a manager may; a manager may assign new items.

        Refuses reassigning to the person who already owns it.
        """

        def changes(item: Item, to: Status, now: datetime) -> dict[str, Any] | Refusal:
            same = reassign_refusal(item, new_owner)
            if same is not None:
                return same
            return {"owner": new_owner, "status": to, "claimed_at": now}

        return await self._transition(item_key, actor, Action.REASSIGN, changes, Reassigned())

    async def close(
        self, *, item_key: str, actor: str, resolution: str, told_patient: str
    ) -> Result:
        """Resolve an item with the lane's definition of done: a resolution and what the
        patient was told.

        Refuses non-owners (managers excepted), unclaimed items (claim first) and, in a
        clinical lane, anyone not clinical unless a clinician acknowledged the item.
        Invalid when the resolution or the words to the patient are missing.
        """
        told = told_patient.strip()

        def changes(item: Item, to: Status, now: datetime) -> dict[str, Any] | Invalid:
            lane = self.practice.lane(item.lane)
            if resolution not in lane.resolutions or not told:
                return Invalid(
                    {"resolution": "Choose a resolution and say what the patient was told."}
                )
            return {
                "status": to,
                "resolution": resolution,
                "told_patient": told,
                "closed_at": now,
                "closed_by": actor,
                "next_action": RESOLVED_NEXT_ACTION,
                **NOT_WAITING,
            }

        return await self._transition(item_key, actor, Action.CLOSE, changes, Closed())

    async def reopen(self, *, item_key: str, actor: str) -> Result:
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
                "due_at": sla.due_at(now, lane.target_for(item.origin), self.practice.calendar),
            }

        return await self._transition(item_key, actor, Action.REOPEN, changes, Reopened())

    async def identify_caller(
        self, *, item_key: str, actor: str, patient_ref: str, patient_name: str
    ) -> Result:
        """Say who a request came from (a missed call logged with only a phone number).

        Fills in the reference and name where they are missing; what is already known
        stays. Once the reference is known, an open item of the same patient is named as
        related, so the card offers to merge. Its owner, a manager, or anyone while it is
        unclaimed may. Invalid when the reference or name is missing or malformed.
        """
        reference, name, problems = check_caller(patient_ref, patient_name)
        if problems:
            return Invalid({p.field.value: p.message for p in problems})

        async def also(
            tx: UnitOfWork, before: Item, after: Item, item_id: int, at: datetime
        ) -> CallerIdentified:
            filled = tuple(
                what
                for what, old, new in (
                    ("name", before.patient.name, after.patient.name),
                    ("reference", before.patient.reference, after.patient.reference),
                )
                if old != new
            )
            related = None
            if "reference" in filled and after.related_key is None:
                others = await tx.items.open_for_patient(
                    after.patient.reference, excluding=after.key
                )
                if others and await tx.items.change(after, {"related_key": others[0].key}, at):
                    related = others[0]
                    await self._link_repeat(tx, related, after.key, at)
            return CallerIdentified(
                filled=filled, related_key=related.key if related is not None else None
            )

        def changes(item: Item, to: Status, now: datetime) -> dict[str, Any]:
            return {
                "status": to,
                "patient_ref": item.patient.reference or reference,
                "patient_name": item.patient.name or name,
            }

        return await self._transition(item_key, actor, Action.IDENTIFY_CALLER, changes, also)

    async def view_details(self, *, item_key: str, actor: str) -> Item | Refusal:
        """Return the full record for the person working the item, and record that they saw it."""
        now = self.clock.now()
        async with self._uow() as tx:
            found = await tx.items.get_with_id(item_key)
            if found is None:
                return Refusal(RefusalCode.NOT_FOUND, item_key=item_key)
            item, item_id = found
            await tx.events.add(
                Event(
                    item_key=item_key,
                    action=Action.VIEW,
                    actor=actor,
                    at=now,
                    after=Viewed().to_after(),
                ),
                item_id=item_id,
            )
            await tx.commit()
        log.info("item viewed key=%s by=%s", item_key, actor)
        return item

    async def history(self, item_key: str) -> list[Event]:
        async with self._uow.read() as tx:
            return await tx.events.for_item(item_key)
