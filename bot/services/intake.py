"""Intake: a validated request becomes an item, through one path whichever way it came
(the Slack form, a message shortcut, the intake API as a batch). Routing (a lane, language
routing that never takes a request out of clinical hands, bilingual staff), repeat contacts,
red flags and the item's first aging look are decided here; the item, its event, card and
outbox rows are written in the caller's transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from bot.domain import sla
from bot.domain.aging import FirstLook, first_look, milestones
from bot.domain.clinical import bilingual_clinicians, keeps_lane_for_language
from bot.domain.escalation import RED_FLAG_PROMPT
from bot.domain.event_details import (
    Created,
    RepeatContact,
)
from bot.domain.events import Event
from bot.domain.intake import IntakeRequest
from bot.domain.items import (
    Action,
    Item,
    Patient,
    Status,
)
from bot.domain.lanes import LanguageRouting
from bot.domain.red_flags import RedFlagMatcher
from bot.outbox.kinds import CARD, THREAD, URGENT_PRIORITY, pace_key_of
from bot.services.base import (
    SYSTEM,
    Done,
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


class IntakeServices(ServiceBase):
    """Logging requests as items (ItemServices adds the rest of the life cycle)."""

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
