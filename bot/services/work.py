"""Working an item: call attempts, handoff notes, promises, waiting, moves, merges, language.

Each use case is one transaction through ServiceBase._transition: the change, its rows
(attempt, handoff, promise), the event and every Slack write it causes commit together.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from bot.domain import sla
from bot.domain.callbacks import Attempt as AttemptRecord
from bot.domain.callbacks import AttemptNote, FinalStep, after_attempt, attempt_problems
from bot.domain.clinical import (
    cadence_for,
    clinical_decision_refusal,
    is_clinical_matter,
    leaves_clinical_hands,
    merge_hides_clinical,
)
from bot.domain.event_details import (
    AttemptLogged,
    HandedOff,
    LanguageSet,
    Merged,
    Moved,
    PromiseKept,
    PromiseMade,
    Resumed,
    Waited,
)
from bot.domain.handoff import HandoffNote, handoff_problems
from bot.domain.items import Action, Item, Refusal, RefusalCode, Status
from bot.domain.lanes import BusinessCalendar, BusinessDuration, Unit
from bot.domain.waiting import WaitingParty, waiting_phrase
from bot.outbox.kinds import CARD
from bot.services.base import (
    NOT_WAITING,
    SYSTEM,
    Invalid,
    Once,
    Rejected,
    Result,
    ServiceBase,
)
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

UNREACHABLE_TOLD = "Patient not reached after {n} attempts."
PROMISE_NOT_OPEN = "That promise is already marked kept, or it is not on this item any more."
NOT_CLINICAL_NOTE_NEEDED = (
    "Moving a clinical item out of clinical handling is a clinical decision: say why it is "
    "not clinical."
)


def after_business_minutes(start: datetime, minutes: float, calendar: BusinessCalendar) -> datetime:
    """`start` plus `minutes` of business time (whole minutes; none left means next opening)."""
    if minutes < 1:
        return sla.next_opening(start, calendar)
    return sla.add_business_time(start, BusinessDuration(round(minutes), Unit.MINUTES), calendar)


class WorkServices(ServiceBase):
    """Use cases for the person working an item."""

    # -- call attempts -------------------------------------------------------------------

    async def log_attempt(
        self, *, item_key: str, actor: str, note: AttemptNote, once: Once | None = None
    ) -> Result:
        """Record one callback try and move the item along its lane's cadence.

        Unreached: the next attempt is due on the lane's cadence (in business hours), and the
        attempt that completes the cadence triggers the lane's final step exactly once —
        a supervisor review posted to the managers' channel, or closing as unreachable with
        the lane's resolution. Reached: the note's next step becomes the next action.
        Refuses what the life-cycle table refuses (claim the item first, owner or manager);
        a note that says nothing is Invalid.
        """
        now = self.clock.now()
        problems = attempt_problems(note, now, self.practice.calendar)
        if problems:
            return Invalid({"note": " ".join(problem.message for problem in problems)})
        outcome: dict[str, Any] = {}

        def changes(item: Item, to: Status, at: datetime) -> dict[str, Any]:
            lane = self.practice.lane(item.lane)
            number = item.attempts + 1
            cadence = cadence_for(item, lane)  # never closes a clinical item as unreachable
            after = after_attempt(number, note, cadence, at, self.practice.calendar)
            outcome.update(number=number, final=after.final)
            result: dict[str, Any] = {"attempts": number, "next_action": after.next_action}
            if after.due_at is not None:
                result["due_at"] = after.due_at
            if after.final is FinalStep.CLOSE_UNREACHABLE:
                result.update(
                    status=Status.RESOLVED,
                    resolution=lane.cadence.unreachable_resolution,
                    told_patient=UNREACHABLE_TOLD.format(n=number),
                    closed_at=at,
                    closed_by=actor,
                )
            return result

        async def also(
            tx: UnitOfWork, before: Item, after: Item, item_id: int, at: datetime
        ) -> AttemptLogged:
            number = outcome["number"]
            await tx.attempts.add(
                item_id,
                AttemptRecord(
                    number=number,
                    outcome=note.outcome,
                    by=actor,
                    at=at,
                    identity_verified=note.identity_verified,
                    confirmed=note.confirmed.strip(),
                    next_step=note.next_step.strip(),
                    next_due_at=note.next_due,
                ),
            )
            if outcome["final"] is FinalStep.SUPERVISOR_REVIEW:
                clinical = is_clinical_matter(before, self.practice.lane(before.lane))
                channels = [self.practice.managers_channel]
                if clinical:  # an unreachable clinical patient is the clinical team's to review
                    channels.append(self.practice.clinical_channel)
                for channel in channels:
                    await self._message(
                        tx,
                        channel,
                        "supervisor_review",
                        item_id,
                        at,
                        attempts=number,
                        clinical=clinical,
                    )
            return AttemptLogged(
                attempt=number,
                outcome=note.outcome.value,
                identity_verified=note.identity_verified,
                confirmed=note.confirmed.strip(),
                next_step=note.next_step.strip(),
                next_due_at=note.next_due,
                final=outcome["final"].value if outcome["final"] else None,
            )

        return await self._transition(item_key, actor, Action.LOG_ATTEMPT, changes, also, once=once)

    async def attempts(self, item_key: str) -> list[AttemptRecord]:
        async with self._uow.read() as tx:
            item_id = await tx.items.id_of(item_key)
            return [] if item_id is None else await tx.attempts.for_item(item_id)

    # -- handoff and promises ------------------------------------------------------------

    async def handoff(
        self, *, item_key: str, actor: str, note: HandoffNote, once: Once | None = None
    ) -> Result:
        """Post a structured handoff and give the item to who is next.

        To a person: they become the owner and get a DM with a link (no patient data in
        its notification text). To another lane: the item moves there unowned, with that
        lane's response target and a new card. A promise in the note is tracked by its
        deadline. Refuses what the table refuses (owner or manager, claimed items).
        """
        who = self._actor(actor)

        def changes(item: Item, to: Status, at: datetime) -> dict[str, Any] | Refusal | Invalid:
            # Checked against the item as this transaction reads it: a replay of a handoff
            # already made is Duplicate first, not "that is who owns it now".
            problems = handoff_problems(
                note,
                at,
                lanes=frozenset(self.practice.lanes),
                current_lane=item.lane,
                current_owner=item.owner,
            )
            if problems:
                return Invalid({"note": " ".join(problem.message for problem in problems)})
            if note.next_lane is not None:
                here, there = self.practice.lane(item.lane), self.practice.lane(note.next_lane)
                refused = clinical_decision_refusal(item, here, there, who, Action.HANDOFF)
                return refused or self._move_changes(item, note.next_lane, at)
            if note.next_owner is not None:
                refused = self._new_owner_refusal(item, note.next_owner)
                if refused is not None:
                    return refused
            return {"owner": note.next_owner, "status": to, "claimed_at": at}

        async def also(
            tx: UnitOfWork, before: Item, after: Item, item_id: int, at: datetime
        ) -> HandedOff:
            handoff_id = await tx.handoffs.add(item_id, note, by=actor, now=at)
            promise_id = None
            if note.promised.strip() and note.promised_by is not None:
                promise_id = await tx.promises.add(
                    item_id, text=note.promised.strip(), due_at=note.promised_by, by=actor, now=at
                )
            if note.next_lane is not None:
                await self._new_card(tx, before, note.next_lane, item_id, at)
            elif note.next_owner is not None and note.next_owner != actor:
                await self._message(
                    tx, note.next_owner, "handoff_dm", item_id, at, handoff_id=handoff_id, by=actor
                )
            return HandedOff(
                handoff_id=handoff_id,
                promise_id=promise_id,
                asked=note.asked.strip(),
                unresolved=note.unresolved.strip(),
                promised=note.promised.strip(),
                promise_due_at=note.promised_by,
            )

        return await self._transition(item_key, actor, Action.HANDOFF, changes, also, once=once)

    async def handoff_note(self, handoff_id: int) -> tuple[HandoffNote, str, datetime] | None:
        async with self._uow.read() as tx:
            return await tx.handoffs.get(handoff_id)

    async def add_promise(
        self, *, item_key: str, actor: str, text: str, due_at: datetime, once: Once | None = None
    ) -> Result:
        """Track an update the patient was told to expect, by its deadline."""
        if not text.strip() or due_at <= self.clock.now():
            return Invalid({"promise": "A promise needs words and a deadline in the future."})

        async def also(
            tx: UnitOfWork, before: Item, after: Item, item_id: int, at: datetime
        ) -> PromiseMade:
            promise_id = await tx.promises.add(
                item_id, text=text.strip(), due_at=due_at, by=actor, now=at
            )
            return PromiseMade(
                promise_id=promise_id, promise_text=text.strip(), promise_due_at=due_at
            )

        return await self._transition(
            item_key, actor, Action.PROMISE, lambda item, to, at: {"status": to}, also, once=once
        )

    async def fulfil_promise(self, *, item_key: str, actor: str, promise_id: int) -> Result:
        """Mark a promise kept: the update the patient was told to expect was given."""

        async def also(
            tx: UnitOfWork, before: Item, after: Item, item_id: int, at: datetime
        ) -> PromiseKept:
            if not await tx.promises.fulfil(promise_id, item_id, by=actor, now=at):
                raise Rejected(Invalid({"promise": PROMISE_NOT_OPEN}))
            return PromiseKept(promise_id=promise_id)

        return await self._transition(
            item_key, actor, Action.FULFIL_PROMISE, lambda item, to, at: {"status": to}, also
        )

    async def open_promises(self, item_key: str) -> list[Any]:
        async with self._uow.read() as tx:
            item_id = await tx.items.id_of(item_key)
            return [] if item_id is None else await tx.promises.open_for(item_id)

    # -- waiting on an outside party -----------------------------------------------------

    async def wait_on(
        self,
        *,
        item_key: str,
        actor: str,
        waiting_for: WaitingParty,
        check_back_at: datetime,
        waiting_on: str = "",
        once: Once | None = None,
    ) -> Result:
        """Park an item on an outside party until a check-back time.

        `waiting_for` is who, as a choice: what the card, its thread and App Home say at
        every privacy level (and the next action). `waiting_on` is staff's own words beside
        it, optional, shown only where the level allows free text. The response clock
        pauses: the business time left until the due time is kept and given back on resume.
        Refuses a check-back time in the past.
        """
        if check_back_at <= self.clock.now():
            return Invalid({"check_back_at": "Waiting needs a check-back time to come."})

        def changes(item: Item, to: Status, at: datetime) -> dict[str, Any]:
            remaining = item.sla_remaining_minutes if item.status is Status.WAITING else None
            if remaining is None:
                remaining = sla.business_minutes_between(at, item.due_at, self.practice.calendar)
            return {
                "status": to,
                "waiting_for": waiting_for.value,
                "waiting_on": waiting_on.strip(),
                "check_back_at": check_back_at,
                "sla_remaining_minutes": remaining,
                "next_action": f"Check back: waiting on {waiting_for.phrase}",
                "due_at": check_back_at,
            }

        return await self._transition(item_key, actor, Action.WAIT, changes, Waited(), once=once)

    async def resume(self, *, item_key: str, actor: str) -> Result:
        """End the wait: the response clock runs again from the time it had left."""

        def changes(item: Item, to: Status, at: datetime) -> dict[str, Any]:
            remaining = max(item.sla_remaining_minutes or 0.0, 0.0)
            due = after_business_minutes(at, remaining, self.practice.calendar)
            return {
                "status": to,
                **NOT_WAITING,
                "next_action": f"Follow up: {waiting_phrase(item.waiting_for)} was to answer",
                "due_at": due,
            }

        async def also(
            tx: UnitOfWork, before: Item, after: Item, item_id: int, at: datetime
        ) -> Resumed:
            if actor == SYSTEM and before.owner:
                await self._message(
                    tx,
                    before.owner,
                    "check_back_dm",
                    item_id,
                    at,
                    waiting_for=before.waiting_for,
                )
            return Resumed()

        return await self._transition(item_key, actor, Action.RESUME, changes, also)

    async def run_check_backs(self) -> list[str]:
        """Bring every waiting item whose check-back time has come back to its owner.

        Safe to run from several replicas at once: each resume is a version-checked change,
        so an item comes back once.
        """
        async with self._uow.read() as tx:
            due = await tx.items.check_backs_due(self.clock.now())
        resumed = []
        for item in due:
            try:
                result = await self.resume(item_key=item.key, actor=SYSTEM)
            except Exception:
                # The others still run.
                log.exception("check-back failed key=%s", item.key, extra={"item": item.key})
                continue
            if not isinstance(result, Refusal):
                resumed.append(item.key)
        return resumed

    # -- moving, merging, language -------------------------------------------------------

    async def move(
        self, *, item_key: str, actor: str, lane: str, note: str = "", once: Once | None = None
    ) -> Result:
        """Move an item to another lane: unowned there, with that lane's response target.

        The old card is edited to point to the new one; a new card appears in the new
        lane's channel. Refuses moving an item to the lane it is in, and a clinical item out
        of clinical handling by anyone but a clinician, whose "Not clinical" decision needs
        a `note` (recorded on the event and shown in the thread as privacy allows).
        """
        if lane not in self.practice.lanes:
            return Invalid({"lane": "Choose one of the practice's lanes."})
        to_lane = self.practice.lane(lane)
        who = self._actor(actor)
        decided: dict[str, str] = {}

        def changes(item: Item, to: Status, at: datetime) -> dict[str, Any] | Refusal | Invalid:
            if item.lane == lane:  # a form drawn before someone else moved it there
                return Refusal(RefusalCode.ALREADY_IN_LANE, item_key=item.key, lane=lane)
            here = self.practice.lane(item.lane)
            refused = clinical_decision_refusal(item, here, to_lane, who)
            if refused is not None:
                return refused
            if leaves_clinical_hands(item, here, to_lane):
                if not note.strip():
                    return Invalid({"note": NOT_CLINICAL_NOTE_NEEDED})
                decided["note"] = note.strip()
            return self._move_changes(item, lane, at)

        async def also(
            tx: UnitOfWork, before: Item, after: Item, item_id: int, at: datetime
        ) -> Moved:
            await self._new_card(tx, before, lane, item_id, at)
            return Moved(from_lane=before.lane, not_clinical=decided.get("note"))

        return await self._transition(item_key, actor, Action.MOVE, changes, also, once=once)

    async def merge(self, *, item_key: str, actor: str, into: str) -> Result:
        """Merge a repeat request into the patient's open item: one item keeps both summaries;
        the merged one closes, pointing to it. Both keep their events.

        A merge never hides the more serious item: when `item_key` is clinical and `into` is
        not, it goes the other way (`into` is folded into the clinical item, which stays
        open), and the result is that of the item folded in. Refuses what the life-cycle
        table refuses for the item that would close.
        """
        item = await self.get(item_key)
        target = await self.now_in(into)
        if item is None:
            return Refusal(RefusalCode.NOT_FOUND, item_key=item_key)
        if target is None:
            return Refusal(RefusalCode.NOT_FOUND, item_key=into)
        into = target.key  # merged since the button was drawn: the item that holds it now
        if not target.status.is_open:
            return Refusal(RefusalCode.ALREADY_CLOSED, item_key=into)
        if item.key == into or item.patient.reference != target.patient.reference:
            return Refusal(RefusalCode.NOT_ALLOWED_IN_STATE, item_key=item.key)
        if merge_hides_clinical(
            item, self.practice.lane(item.lane), target, self.practice.lane(target.lane)
        ):
            if not item.status.is_open:
                return Refusal(RefusalCode.ALREADY_CLOSED, item_key=item_key)
            return await self._fold(target.key, actor, into=item.key)
        return await self._fold(item_key, actor, into=into)

    async def _fold(self, item_key: str, actor: str, *, into: str) -> Result:
        """Close `item_key` into the open item `into`, which keeps both summaries."""

        def changes(item: Item, to: Status, at: datetime) -> dict[str, Any] | Refusal:
            return {
                "status": to,
                "merged_into": into,
                "resolution": f"merged into {into}",
                "told_patient": "",
                "closed_at": at,
                "closed_by": actor,
                "next_action": f"None — merged into {into}",
            }

        async def also(
            tx: UnitOfWork, before: Item, after: Item, item_id: int, at: datetime
        ) -> Merged:
            unanswered = before.red_flags and before.red_flag_dismissed_by is None
            if unanswered and await tx.escalations.current_for(item_id) is None:
                # Closing it would stop its red-flag escalation, and the item kept has no
                # flag of its own: nobody would be paged.
                raise Rejected(Refusal(RefusalCode.RED_FLAG_UNANSWERED, item_key=before.key))
            fresh = await tx.items.get(into)
            assert fresh is not None
            if not fresh.status.is_open or merge_hides_clinical(
                before, self.practice.lane(before.lane), fresh, self.practice.lane(fresh.lane)
            ):
                # Closed or changed meanwhile (escalated, moved): a lost race, said as one.
                raise Rejected(Refusal(RefusalCode.STALE, item_key=into, action=Action.MERGE))
            kept: dict[str, Any] = {
                "summary": f"{fresh.summary}\n\n[{before.key}] {before.summary}"
            }
            if fresh.related_key == before.key:  # folded the other way: nothing left to merge
                kept["related_key"] = None
            into_id = await tx.items.change(fresh, kept, at)
            if into_id is None:
                # Someone changed the open item meanwhile: a lost race, said as one.
                raise Rejected(Refusal(RefusalCode.STALE, item_key=into, action=Action.MERGE))
            # What the patient was promised about the merged request is still owed: it is
            # reminded and alerted on the item that keeps the request.
            await tx.promises.move_open(item_id, into_id)
            await self._append_event(
                tx, fresh, Action.MERGE, actor, at, Merged(merged=before.key), into_id
            )
            return Merged(into=into)

        return await self._transition(item_key, actor, Action.MERGE, changes, also)

    async def set_language(
        self, *, item_key: str, actor: str, language: str, once: Once | None = None
    ) -> Result:
        """Set the patient's language preference; it follows the patient to every open item."""
        if language not in self.practice.languages:
            return Invalid({"language": "Choose one of the languages the practice offers."})

        def changes(item: Item, to: Status, at: datetime) -> dict[str, Any]:
            return {"status": to, "language": language}

        async def also(
            tx: UnitOfWork, before: Item, after: Item, item_id: int, at: datetime
        ) -> LanguageSet:
            others = await tx.items.open_for_patient(before.patient.reference, excluding=before.key)
            for other in others:
                if other.patient.language == language:
                    continue
                other_id = await tx.items.change(other, {"language": language}, at)
                if other_id is not None:
                    await self._append_event(
                        tx, other, Action.SET_LANGUAGE, actor, at, LanguageSet(language), other_id
                    )
            return LanguageSet(language, also=tuple(o.key for o in others))

        return await self._transition(
            item_key, actor, Action.SET_LANGUAGE, changes, also, once=once
        )

    # -- shared steps --------------------------------------------------------------------

    def _move_changes(self, item: Item, lane_key: str, at: datetime) -> dict[str, Any]:
        lane = self.practice.lane(lane_key)
        return {
            "lane": lane_key,
            "status": Status.NEW,
            "owner": None,
            "claimed_at": None,
            "next_action": lane.first_action,
            "due_at": sla.due_at(at, lane.target_for(item.origin), self.practice.calendar),
            # A clinician's acknowledgment was for the lane it leaves: a clinical lane it
            # goes to needs its own before anyone but a clinician closes it.
            "clinical_ack_by": None,
            **NOT_WAITING,
        }

    async def _new_card(
        self, tx: UnitOfWork, before: Item, lane_key: str, item_id: int, at: datetime
    ) -> None:
        """Retire the item's current card (edited to point onward) and queue a new one."""
        old = await tx.cards.current_for(item_id)
        if old is not None:
            await tx.cards.retire(old.id, moved_to_lane=lane_key)
            await tx.outbox.enqueue(
                kind=CARD, channel=old.channel, item_id=item_id, card_id=old.id, now=at
            )
        lane = self.practice.lane(lane_key)
        card = await tx.cards.add(item_id=item_id, lane=lane_key, channel=lane.channel, now=at)
        await tx.outbox.enqueue(
            kind=CARD, channel=lane.channel, item_id=item_id, card_id=card.id, now=at
        )
