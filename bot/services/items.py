"""Use cases on items. Each is one transaction: change, event and outbox rows commit together."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from bot.domain import sla
from bot.domain.aging import FirstLook, first_look, milestones
from bot.domain.clinical import bilingual_clinicians, keeps_lane_for_language
from bot.domain.closing import close_problems
from bot.domain.escalation import RED_FLAG_PROMPT, EscalationState
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
    reassign_refusal,
)
from bot.domain.lanes import LanguageRouting
from bot.domain.permissions import check
from bot.domain.red_flags import RedFlagMatcher
from bot.outbox.kinds import CARD, THREAD, URGENT_PRIORITY, pace_key_of
from bot.services.base import (
    NOT_WAITING,
    RESOLVED_NEXT_ACTION,
    SYSTEM,
    Done,
    Invalid,
    Once,
    Rejected,
    Result,
    ServiceBase,
)
from bot.services.red_flag_prompt import red_flag_prompt_for
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

# A clinical request language routing kept in its lane: who calls back is named in the thread.
KEPT_FOR_LANGUAGE_ACTION = {
    True: "Call the patient back with a bilingual clinician (see thread)",
    False: "Call the patient back with an interpreter (see thread)",
}


@dataclass(frozen=True)
class Intake:
    """One request to log: who logs it, and when the patient contacted the practice (None:
    now)."""

    request: IntakeRequest
    actor: str
    received_at: datetime | None = None


@dataclass(frozen=True)
class Plan:
    """A new item decided and not yet written: its number, creation event, lane channel,
    the patient's open item it repeats, and the language it was kept in its lane for."""

    item: Item
    number: int
    event: Event
    channel: str
    related: Item | None
    kept_for_language: str | None
    look: FirstLook  # when the aging job first needs to look at it


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
        decision) and the prompt to confirm or dismiss is queued in the same transaction
        (bot/services/red_flag_prompt.py); unanswered for a few minutes, the item is
        escalated (bot/services/escalations.py).
        """
        async with self._uow() as tx:
            done, _ = await self.log_in(tx, request, actor=actor, received_at=received_at)
            await tx.commit()
        self.logged(done.item)
        return done

    def logged(self, item: Item) -> None:
        """After the commit of `log_in`: say so in the log (no patient data; `by` is the
        Slack user, or `api:<token id>` for an integration) and wake the outbox. One line
        per new item, whichever way it came in."""
        log.info(
            "item logged key=%s lane=%s origin=%s by=%s",
            item.key,
            item.lane,
            item.origin.value,
            item.created_by,
            extra={"item": item.key},
        )
        self._on_enqueued(self._queued_keys(item))

    def _queued_keys(self, item: Item) -> set[str] | None:
        """The pacing keys of the rows `_write_rest` queued for the new `item`, so the
        outbox can tell that a flood of cards for one lane needs no round per commit; None
        (the outbox looks) when they go further: a red-flag prompt, a repeat contact's
        edit of the patient's open item."""
        if item.red_flags or item.related_key is not None:
            return None
        # Its card and, kept in its lane for a language, the card's thread: both are posts
        # to the lane's channel.
        return {pace_key_of(CARD, self.practice.lane(item.lane).channel, None)}

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
        return (await self.log_many_in(tx, [Intake(request, actor, received_at)]))[0]

    async def log_many_in(
        self, tx: UnitOfWork, intakes: Sequence[Intake]
    ) -> list[tuple[Done, int]]:
        """`log_in` for several requests in one transaction (the intake API's group commit),
        in order, each exactly as `log_in` alone would log it, with fewer statements: one
        read of the patients' context, one counter upsert and one INSERT per table for a
        run. A run ends before a request whose answer depends on one in it: the same
        patient (a repeat contact of it), or an owner chosen among bilingual staff (by
        their open items)."""
        done: list[tuple[Done, int]] = []
        run: list[Intake] = []
        for intake in intakes:
            if run and self._depends_on_run(intake, run):
                done += await self._log_run(tx, run)
                run = []
            run.append(intake)
        if run:
            done += await self._log_run(tx, run)
        return done

    def _depends_on_run(self, intake: Intake, run: list[Intake]) -> bool:
        """Whether `intake` must wait until `run` is written: the same patient is in it, or
        owners are chosen among bilingual staff by their open items (then every request
        is its own run, whatever its language)."""
        ref = intake.request.patient_ref
        if ref and any(other.request.patient_ref == ref for other in run):
            return True
        return self.practice.language_routing is LanguageRouting.STAFF

    async def _log_run(self, tx: UnitOfWork, run: list[Intake]) -> list[tuple[Done, int]]:
        now = self.clock.now()
        # One query: the patients' last known language and their open items. A caller
        # nobody has identified yet (a missed call) is nobody's repeat contact.
        # The item numbers first: taking them locks the practice's one counter row until
        # commit, so on PostgreSQL simultaneous intakes take turns from here, and each reads
        # the patients' open items with the earlier ones committed. Read first, two
        # requests from one patient at once (a Slack intake and a portal message) would each
        # miss the other, and neither be linked as a repeat contact.
        first = await tx.items.next_numbers(len(run), self.practice.first_item_number)
        refs = [intake.request.patient_ref for intake in run if intake.request.patient_ref]
        contexts = await tx.items.patient_contexts(refs) if refs else {}
        plans = [
            await self._plan(
                tx, intake, contexts.get(intake.request.patient_ref, (None, [])), first + n, now
            )
            for n, intake in enumerate(run)
        ]
        item_ids = await tx.items.add_many(
            [(plan.item, plan.number, plan.look) for plan in plans], now=now
        )
        event_ids = await tx.events.add_many(
            [(plan.event, item_id) for plan, item_id in zip(plans, item_ids, strict=True)]
        )
        cards = await tx.cards.add_many(
            [
                (item_id, plan.item.lane, plan.channel)
                for plan, item_id in zip(plans, item_ids, strict=True)
            ],
            now=now,
        )
        done: list[tuple[Done, int]] = []
        for plan, item_id, event_id, card in zip(plans, item_ids, event_ids, cards, strict=True):
            await self._write_rest(tx, plan, item_id, event_id, card.id, now)
            done.append((Done(item=plan.item, event=replace(plan.event, id=event_id)), item_id))
        return done

    async def _plan(
        self,
        tx: UnitOfWork,
        intake: Intake,
        context: tuple[str | None, list[Item]],
        number: int,
        now: datetime,
    ) -> Plan:
        """The new item and its creation event, decided from what is known of the patient
        (`context`: their last language and open items); nothing written."""
        known, related = context
        received = intake.received_at or now
        request = self._with_known_language(intake.request, known)
        lane = self.practice.lane(request.lane)
        routed_from: str | None = None
        kept_for_language: str | None = None
        clinicians: tuple[str, ...] | None = None
        next_action = lane.first_action
        clinical_lane = keeps_lane_for_language(lane)
        routed_for_language = self._routes_to_language_lane(request) or self._routes_to_staff(
            request
        )
        if routed_for_language and clinical_lane:
            kept_for_language = request.language
            clinicians = bilingual_clinicians(
                self.roles.bilingual(request.language), self.roles.clinical_members()
            )
            next_action = KEPT_FOR_LANGUAGE_ACTION[bool(clinicians)]
        elif self._routes_to_language_lane(request):
            routed_from, lane = lane.key, self.practice.lane(self.practice.language_lane or "")
            next_action = lane.first_action
        due = sla.due_at(received, lane.target_for(request.origin), self.practice.calendar)
        owner = await self._bilingual_owner(tx, request.language, clinicians_only=clinical_lane)
        item = Item(
            key=f"{self.practice.item_key_prefix}-{number}",
            lane=lane.key,
            request_type=request.request_type,
            origin=request.origin,
            status=Status.CLAIMED if owner else Status.NEW,
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
            created_by=intake.actor,
            related_key=related[0].key if related else None,
            red_flags=self.red_flags_in(request.summary),
            owner=owner,
            claimed_at=now if owner else None,
        )
        event = Event(
            item_key=item.key,
            action=Action.CREATE,
            actor=intake.actor,
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
        related_item = related[0] if related else None
        calendar = self.practice.calendar
        look = first_look(milestones(received, due, calendar, lane.warn_at), now, calendar)
        return Plan(item, number, event, lane.channel, related_item, kept_for_language, look)

    async def _write_rest(
        self, tx: UnitOfWork, plan: Plan, item_id: int, event_id: int, card_id: int, now: datetime
    ) -> None:
        """What follows a new item's row, event and card: the repeat contact on the
        patient's open item, and the outbox rows (card, thread, red-flag prompt)."""
        item = plan.item
        if plan.related is not None:
            await self._link_repeat(tx, plan.related, item.key, now)
        await tx.outbox.enqueue(
            kind=CARD, channel=plan.channel, item_id=item_id, card_id=card_id, now=now
        )
        if plan.kept_for_language is not None:  # the thread says who can call back in it
            await tx.outbox.enqueue(
                kind=THREAD,
                channel=plan.channel,
                item_id=item_id,
                card_id=card_id,
                payload={"event_id": event_id},
                now=now,
            )
        if item.red_flags:
            # Ahead of any card, in this transaction: never lost to a crash or an outage.
            channel, params = red_flag_prompt_for(item, self.practice, now)
            priority = URGENT_PRIORITY
            await self._message(tx, channel, RED_FLAG_PROMPT, item_id, now, priority, **params)

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

    def _with_known_language(self, request: IntakeRequest, known: str | None) -> IntakeRequest:
        """A request logged in the practice's default language from a patient whose last
        item was in another (`known`) keeps the patient's language: a preference follows the
        patient, not only their open items. A language chosen other than the default is kept."""
        default = self.practice.default_language
        if not request.patient_ref or request.language not in ("", default):
            return request
        if known is None or known == default:
            return request
        return replace(request, language=known)

    def _routes_to_language_lane(self, request: IntakeRequest) -> bool:
        practice = self.practice
        return (
            practice.language_routing is LanguageRouting.LANE
            and practice.language_lane is not None
            and request.language != practice.default_language
            and request.lane != practice.language_lane
        )

    def _routes_to_staff(self, request: IntakeRequest) -> bool:
        practice = self.practice
        return practice.language_routing is LanguageRouting.STAFF and request.language not in (
            "",
            practice.default_language,
        )

    async def _bilingual_owner(
        self, tx: UnitOfWork, language: str, *, clinicians_only: bool = False
    ) -> str | None:
        """With routing to staff, the bilingual colleague with the fewest open items; for a
        request in a clinical lane only a bilingual clinician (the request never leaves
        clinical hands for a language: none, and it stays unowned, the thread naming an
        interpreter)."""
        practice = self.practice
        if practice.language_routing is not LanguageRouting.STAFF:
            return None
        if language == practice.default_language:
            return None
        staff = self.roles.bilingual(language)
        if clinicians_only:
            staff = bilingual_clinicians(staff, self.roles.clinical_members())
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
            decision = self._decide(item, Action.CLAIM, who)
            if isinstance(decision, Refusal):
                return await self._refused(tx, decision, actor)
            if not await tx.items.claim(item_key, actor, now):
                return await self._refusal_after_lost_race(tx, item_key, Action.CLAIM, who)
            changes = {"owner": actor, "status": Status.CLAIMED, "claimed_at": now}
            done = await self._record(
                tx, item, Action.CLAIM, actor, now, changes, Claimed(), item_id, card=card
            )
            await tx.commit()
        log.info("item claimed key=%s by=%s", item_key, actor, extra={"item": item_key})
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

    async def reassign(
        self, *, item_key: str, actor: str, new_owner: str, once: Once | None = None
    ) -> Result:
        """Hand an item to `new_owner`. Its owner or a manager may; a manager may assign new items.

        Refuses reassigning to the person who already owns it. The new owner gets a direct
        message saying who gave it to them (no patient data), as after a handoff.
        """

        def changes(item: Item, to: Status, now: datetime) -> dict[str, Any] | Refusal:
            refused = reassign_refusal(item, new_owner) or self._new_owner_refusal(item, new_owner)
            if refused is not None:
                return refused
            return {"owner": new_owner, "status": to, "claimed_at": now}

        async def tell_the_new_owner(
            tx: UnitOfWork, before: Item, after: Item, item_id: int, at: datetime
        ) -> Reassigned:
            # As a handoff does: a DM without patient data, unless they took it themselves.
            if new_owner != actor:
                await self._message(tx, new_owner, "reassign_dm", item_id, at, by=actor)
            return Reassigned()

        return await self._transition(
            item_key, actor, Action.REASSIGN, changes, tell_the_new_owner, once=once
        )

    async def close(
        self,
        *,
        item_key: str,
        actor: str,
        resolution: str,
        told_patient: str,
        once: Once | None = None,
    ) -> Result:
        """Resolve an item with the lane's definition of done: a resolution and what the
        patient was told.

        Refuses non-owners (managers excepted), unclaimed items (claim first) and, in a
        clinical lane, anyone not clinical unless a clinician acknowledged the item.
        Invalid when the resolution or the words to the patient are missing or say nothing,
        or the resolution claims more calls than were logged (bot/domain/closing.py).
        """
        told = told_patient.strip()

        def changes(item: Item, to: Status, now: datetime) -> dict[str, Any] | Invalid:
            problems = close_problems(item, self.practice.lane(item.lane), resolution, told)
            if problems:
                return Invalid(problems)
            return {
                "status": to,
                "resolution": resolution,
                "told_patient": told,
                "closed_at": now,
                "closed_by": actor,
                "next_action": RESOLVED_NEXT_ACTION,
                **NOT_WAITING,
            }

        async def end_its_escalation(
            tx: UnitOfWork, before: Item, after: Item, item_id: int, now: datetime
        ) -> Closed:
            # A clinician may close an escalated item: its escalation ends with it, answered
            # by the close, or it would stay open in the counts and page again after a
            # reopen.
            if before.status is Status.ESCALATED:
                escalation = await tx.escalations.open_for(item_id)
                if escalation is not None:
                    ended = await tx.escalations.change(
                        escalation,
                        {
                            "state": EscalationState.RESOLVED,
                            "resolved_by": actor,
                            "resolved_at": now,
                            "decision": f"Closed: {resolution}",
                            "told_patient": told,
                            "acknowledged_by": escalation.acknowledged_by or actor,
                            "acknowledged_at": escalation.acknowledged_at or now,
                        },
                    )
                    if not ended:
                        raise Rejected(Refusal(RefusalCode.STALE, item_key=before.key))
            return Closed()

        return await self._transition(
            item_key, actor, Action.CLOSE, changes, end_its_escalation, once=once
        )

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
                # Reopened, it is a new episode: a clinician's acknowledgment of the last
                # one does not let anyone but a clinician close this one.
                "clinical_ack_by": None,
            }

        return await self._transition(item_key, actor, Action.REOPEN, changes, Reopened())

    async def identify_caller(
        self,
        *,
        item_key: str,
        actor: str,
        patient_ref: str,
        patient_name: str,
        once: Once | None = None,
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

        def changes(item: Item, to: Status, now: datetime) -> dict[str, Any] | Invalid:
            known = (item.patient.reference.strip(), item.patient.name.strip())
            said = (reference, name)
            if any(k and k.casefold() != s.casefold() for k, s in zip(known, said, strict=True)):
                # Someone identified the caller meanwhile, as another patient: keeping the
                # first answer quietly would pair one patient's name with another's record.
                return Invalid(
                    {
                        "patient_ref": f"{item.key}'s caller was identified meanwhile "
                        "as someone else; nothing was changed. If this call was from another "
                        "patient, log a new request for them."
                    }
                )
            if all(known):
                return Invalid(
                    {
                        "patient_ref": f"{item.key}'s caller was identified already, "
                        "as this patient: nothing needed changing."
                    }
                )
            return {
                "status": to,
                "patient_ref": item.patient.reference or reference,
                "patient_name": item.patient.name or name,
            }

        return await self._transition(
            item_key, actor, Action.IDENTIFY_CALLER, changes, also, once=once
        )

    async def view_details(self, *, item_key: str, actor: str) -> Item | Refusal:
        """The full record (name, phone, reference, summary) for someone with a reason to
        see it, and the record that they saw it (an event per reveal).

        Opens for the item's owner, its lane's staff and assistants, managers, clinicians
        when it is a clinical matter, and whoever its open escalation paged; anyone else is
        refused with the role that would do, and the refusal is an event too.
        """
        now = self.clock.now()
        who = self._actor(actor)
        async with self._uow() as tx:
            found = await tx.items.get_with_id(item_key)
            if found is None:
                return Refusal(RefusalCode.NOT_FOUND, item_key=item_key)
            item, item_id = found
            escalation = await tx.escalations.open_for(item_id)
            paged = escalation is not None and actor in escalation.paged
            refused = check(who, Action.VIEW, item, clinical=self._clinical(item), paged=paged)
            if refused is not None:
                return await self._refused(tx, refused, actor)
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
        log.info("item viewed key=%s by=%s", item_key, actor, extra={"item": item_key})
        return item

    async def history(self, item_key: str) -> list[Event]:
        async with self._uow.read() as tx:
            return await tx.events.for_item(item_key)
