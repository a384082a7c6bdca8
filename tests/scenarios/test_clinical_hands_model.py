"""The patient-safety line under any sequence of actions, not only the ones a test names.

Hypothesis draws sequences of what people and CareQueue's own jobs do to a handful of
items (log, claim, release, reassign, move, merge, log unanswered calls, close, escalate,
acknowledge, resolve, confirm or dismiss a red flag, time passing) by every kind of person
the example practice names, and after each step checks, for every item:

- an item in clinical hands (a clinical lane, a red flag found at intake, or an open
  escalation under a clinical rule) leaves them, or is moved to a lane that is not
  clinical, only by a clinician's action: never by staff, an assistant, a manager, a team
  or CareQueue itself;
- a clinical item is never closed as unreachable, and never closed by an assistant;
- a merge never folds a clinical item into one that is not;
- a red flag found at intake is never cleared.

Each action goes through the same use cases the Slack handlers and the intake API call
(`deps.services`, `deps.work`, `deps.escalations`); a refusal is a fine answer, what is
checked is what the database holds afterwards.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    MultipleResults,
    RuleBasedStateMachine,
    initialize,
    multiple,
    rule,
    run_state_machine_as_test,
)

from bot.clock import ManualClock
from bot.config import Practice, settings_from_env
from bot.deps import Deps, build_deps
from bot.domain.callbacks import AttemptNote, Outcome
from bot.domain.escalation import Escalation
from bot.domain.handoff import HandoffNote
from bot.domain.intake import IntakeDraft, IntakeRequest, validate_intake
from bot.domain.items import Item, Origin
from bot.domain.waiting import WaitingParty
from tests.conftest import MONDAY_9AM

T = TypeVar("T")

FRONT_DESK = "UFRONT01"  # staff in every lane
ASSISTANT = "UASSIST01"  # an assistant in every lane
MANAGER = "U0MANAGER1"
NURSE = "U0NURSE01"  # clinical, level "nurse"
BILLING_TEAM = "U0BILLING1"  # the billing team escalation rules page
PEOPLE = (FRONT_DESK, ASSISTANT, MANAGER, NURSE, BILLING_TEAM)
CAREQUEUE = "CareQueue's jobs"

LANES = ("scheduling", "clinical", "billing", "telehealth")
SUMMARIES = (
    "Needs to move Tuesday's appointment to later in the week",
    "Chest pain since last night, worse when climbing stairs",
    "Question about the bill from the October visit",
)
LANGUAGES = ("English", "Spanish")
ANSWERS = ("", "acknowledge", "resolve", "not clinical")  # to an escalation ("": none yet)
RULES = ("same_day_symptoms", "refill", "billing_dispute", "legal_threat")
# Sequences drawn per run: CAREQUEUE_MODEL_EXAMPLES for a longer local run (each is up to
# 25 steps on a fresh set of patients; 50 take about a minute on SQLite).
EXAMPLES = int(os.environ.get("CAREQUEUE_MODEL_EXAMPLES", "50"))
NOT_CLINICAL_NOTE = "Asked only about the parking validation, no symptoms mentioned"


class ClinicalHands(RuleBasedStateMachine):
    """One practice, a few patients, any sequence of actions. Set `deps` and `loop` first."""

    deps: Deps
    loop: asyncio.AbstractEventLoop
    clock: ManualClock
    example = 0

    items = Bundle("items")

    def __init__(self) -> None:
        super().__init__()
        ClinicalHands.example += 1
        self.prefix = f"E{ClinicalHands.example}"
        self.keys: list[str] = []
        self.flags: dict[str, tuple[str, ...]] = {}  # red flags each item was logged with
        self.patient: dict[str, int] = {}  # whose each item is (a missed call: who it was)

    def run(self, work: Awaitable[T]) -> T:
        return self.loop.run_until_complete(work)

    # --- what the model knows ------------------------------------------------------------

    async def _state(self, key: str) -> tuple[Item, bool]:
        """The item as stored, and whether it is in clinical hands."""
        return (await self._states([key]))[key]

    async def _states(self, keys: list[str]) -> dict[str, tuple[Item, bool]]:
        """`_state` of each of `keys`, read in one transaction."""
        found: dict[str, tuple[Item, bool]] = {}
        async with self.deps.uow.read() as tx:
            for key in keys:
                item, item_id = await tx.items.get(key), await tx.items.id_of(key)
                assert item is not None and item_id is not None, key
                escalation = await tx.escalations.open_for(item_id)
                found[key] = item, self._clinical(item, escalation)
        return found

    def _clinical(self, item: Item, escalation: Escalation | None) -> bool:
        """`is_clinical_matter`, except that an escalation counts only under a clinical rule:
        a billing or legal escalation answered by its team takes nothing from clinical hands."""
        if self.deps.practice.lane(item.lane).clinical or item.red_flags:
            return True
        if escalation is None or not escalation.state.is_open:
            return False
        rule = self.deps.escalations.rule(escalation.rule)
        return rule is None or rule.clinical

    def _act(self, actor: str, *steps: Callable[[], Awaitable[Any]]) -> None:
        """Run `steps` one after the other (each is refused or done), then check every item
        against its state before them."""
        clinician = actor in self.deps.roles.clinical_members()
        before = self.run(self._states(self.keys))
        for step in steps:
            self.run(step())
        after = self.run(self._states(self.keys))
        for key, (was, was_clinical) in before.items():
            now, is_clinical = after[key]
            where = f"{key} ({was.lane}, {was.status} -> {now.lane}, {now.status}) by {actor}"
            if was_clinical and not is_clinical:
                assert clinician, f"{where} left clinical hands"
            moved_out = now.lane != was.lane and not self.deps.practice.lane(now.lane).clinical
            if was_clinical and moved_out:
                assert clinician, f"{where} was moved out of clinical handling"
            closed_now = was.status.is_open and not now.status.is_open
            if was_clinical and closed_now:
                lane = self.deps.practice.lane(was.lane)
                unreachable = lane.cadence.unreachable_resolution
                assert not (unreachable and now.resolution == unreachable), (
                    f"{where} was closed as unreachable"
                )
                if now.merged_into is not None:  # folded into the patient's other item
                    assert after[now.merged_into][1], f"{where} was merged into {now.merged_into}"
                else:  # a merge into a clinical item keeps it in clinical hands: staff's work
                    assert actor != ASSISTANT, f"{where} was closed by an assistant"
            assert set(self.flags[key]) <= set(now.red_flags), f"{where} lost its red flag"

    # --- what people do ------------------------------------------------------------------

    @initialize(target=items)
    def first_requests(self) -> MultipleResults[str]:
        """Each way an item is in clinical hands, and a repeat contact of each patient in a
        lane that is not clinical (so that a merge can try to hide one)."""
        return multiple(
            self._log("clinical", SUMMARIES[0], "English", 1),  # by its lane
            self._log("clinical", SUMMARIES[1], "English", 2),  # by its lane and a red flag
            self._log("scheduling", SUMMARIES[1], "English", 3),  # by a red flag
            self._log("scheduling", SUMMARIES[0], "English", 1),
            self._log("billing", SUMMARIES[2], "English", 2),
            self._log("telehealth", SUMMARIES[0], "English", 3),
        )

    @rule(
        target=items,
        lane=st.sampled_from(LANES),
        summary=st.sampled_from(SUMMARIES),
        language=st.sampled_from(LANGUAGES),
        patient=st.integers(1, 3),
    )
    def log(self, lane: str, summary: str, language: str, patient: int) -> str:
        return self._log(lane, summary, language, patient)

    def _log(
        self, lane: str, summary: str, language: str, patient: int, *, missed_call: bool = False
    ) -> str:
        """Log a request as the intake modal and API do (through the intake rules); a missed
        call gives only a phone number."""
        practice = self.deps.practice
        draft = IntakeDraft(
            patient_ref="" if missed_call else f"MRN-{self.prefix}-{patient}",
            patient_name="" if missed_call else f"Patient {patient}",
            phone=f"(555) 201-44{70 + patient}",
            origin=(Origin.MISSED_CALL if missed_call else Origin.VOICEMAIL).value,
            lane=lane,
            request_type="" if missed_call else practice.lane(lane).request_types[0],
            summary=summary,
            language=language,
        )
        request = validate_intake(draft, practice.lanes, practice.languages)
        assert isinstance(request, IntakeRequest), request
        done = self.run(self.deps.services.log_request(request, actor=FRONT_DESK))
        key = done.item.key
        item, clinical = self.run(self._state(key))
        if self.deps.practice.lane(lane).clinical:  # language routing keeps it there
            assert self.deps.practice.lane(item.lane).clinical, f"{key} was routed to {item.lane}"
        if item.red_flags:
            assert clinical
        self.keys.append(key)
        self.flags[key] = item.red_flags
        self.patient[key] = patient
        return key

    @rule(actor=st.sampled_from(PEOPLE), key=items, release=st.booleans())
    def claim_or_release(self, actor: str, key: str, release: bool) -> None:
        services = self.deps.services
        act = services.release if release else services.claim
        self._act(actor, lambda: act(item_key=key, actor=actor))

    @rule(actor=st.sampled_from(PEOPLE), key=items, to=st.sampled_from(PEOPLE))
    def reassign(self, actor: str, key: str, to: str) -> None:
        services = self.deps.services
        self._act(actor, lambda: services.reassign(item_key=key, actor=actor, new_owner=to))

    @rule(
        actor=st.sampled_from(PEOPLE),
        key=items,
        lane=st.sampled_from(LANES),
        note=st.sampled_from(["", NOT_CLINICAL_NOTE]),
    )
    def move(self, actor: str, key: str, lane: str, note: str) -> None:
        work = self.deps.work
        self._act(actor, lambda: work.move(item_key=key, actor=actor, lane=lane, note=note))

    @rule(actor=st.sampled_from(PEOPLE), key=items, data=st.data())
    def merge(self, actor: str, key: str, data: st.DataObject) -> None:
        """Merge `key` into another item of the same patient (the only merge offered)."""
        same = [k for k in self.keys if k != key and self.patient[k] == self.patient[key]]
        into = data.draw(st.sampled_from(same or self.keys), label="into")
        self._act(actor, lambda: self.deps.work.merge(item_key=key, actor=actor, into=into))

    @rule(actor=st.sampled_from(PEOPLE), key=items, calls=st.integers(1, 4))
    def unanswered_calls(self, actor: str, key: str, calls: int) -> None:
        """Claim the item, then call and get no answer, `calls` times in a row (the lanes'
        cadences end after three)."""
        note = AttemptNote(outcome=Outcome.NO_ANSWER)

        def claim() -> Awaitable[Any]:
            return self.deps.services.claim(item_key=key, actor=actor)

        def call() -> Awaitable[Any]:
            return self.deps.work.log_attempt(item_key=key, actor=actor, note=note)

        self._act(actor, claim, *[call] * calls)

    @rule(
        actor=st.sampled_from(PEOPLE),
        key=items,
        choice=st.integers(0, 9),
        claim_first=st.booleans(),
    )
    def close(self, actor: str, key: str, choice: int, claim_first: bool) -> None:
        item, _ = self.run(self._state(key))
        resolutions = self.deps.practice.lane(item.lane).resolutions
        resolution = resolutions[choice % len(resolutions)]
        told = "Told the patient a nurse will call them back this afternoon"
        steps: list[Callable[[], Awaitable[Any]]] = []
        if claim_first:
            steps.append(lambda: self.deps.services.claim(item_key=key, actor=actor))
        steps.append(
            lambda: self.deps.services.close(
                item_key=key, actor=actor, resolution=resolution, told_patient=told
            )
        )
        self._act(actor, *steps)

    @rule(
        actor=st.sampled_from(PEOPLE),
        key=items,
        reason=st.sampled_from(RULES),
        answerer=st.sampled_from(PEOPLE),
        answer=st.sampled_from(ANSWERS),
    )
    def escalate(self, actor: str, key: str, reason: str, answerer: str, answer: str) -> None:
        """Someone escalates; then (unless `answer` is "") someone answers at once."""
        escalations = self.deps.escalations
        self._act(actor, lambda: escalations.escalate(item_key=key, actor=actor, rule=reason))
        if answer:
            self.answer_escalation(answerer, key, answer)

    @rule(actor=st.sampled_from(PEOPLE), key=items, answer=st.sampled_from(ANSWERS[1:]))
    def answer_escalation(self, actor: str, key: str, answer: str) -> None:
        escalations = self.deps.escalations
        if answer == "acknowledge":
            self._act(actor, lambda: escalations.acknowledge(item_key=key, actor=actor))
            return
        self._act(
            actor,
            lambda: escalations.resolve(
                item_key=key,
                actor=actor,
                decision="Nurse reviewed the symptoms and booked a visit for tomorrow",
                told_patient="Told the patient to come in tomorrow at 9 or call 911 if worse",
                appropriate=True,
                not_clinical=answer == "not clinical",
            ),
        )

    @rule(actor=st.sampled_from(PEOPLE), key=items, confirm=st.booleans())
    def answer_red_flag(self, actor: str, key: str, confirm: bool) -> None:
        escalations = self.deps.escalations
        answer = escalations.confirm_red_flag if confirm else escalations.dismiss_red_flag
        self._act(actor, lambda: answer(item_key=key, actor=actor))

    @rule(
        actor=st.sampled_from(PEOPLE),
        key=items,
        to_person=st.sampled_from(PEOPLE),
        to_lane=st.sampled_from(LANES),
        to_a_lane=st.booleans(),
        promise=st.booleans(),
    )
    def hand_off(
        self, actor: str, key: str, to_person: str, to_lane: str, to_a_lane: bool, promise: bool
    ) -> None:
        """A structured handoff to a person, or to a lane (a move by another road)."""
        note = HandoffNote(
            asked="Wants to know whether the new prescription can start before Friday",
            confirmed="Pharmacy on file is the one on Main Street",
            promised="A call back about the prescription" if promise else "",
            promised_by=self.clock.now() + timedelta(hours=3) if promise else None,
            next_owner=None if to_a_lane else to_person,
            next_lane=to_lane if to_a_lane else None,
        )
        self._act(actor, lambda: self.deps.work.handoff(item_key=key, actor=actor, note=note))

    @rule(actor=st.sampled_from(PEOPLE), key=items, party=st.sampled_from(WaitingParty))
    def wait_then_resume(self, actor: str, key: str, party: WaitingParty) -> None:
        """Park the item on an outside party (a check-back two hours on), then resume it."""
        work = self.deps.work
        check_back = self.clock.now() + timedelta(hours=2)
        self._act(
            actor,
            lambda: work.wait_on(
                item_key=key, actor=actor, waiting_for=party, check_back_at=check_back
            ),
        )
        self._act(actor, lambda: work.resume(item_key=key, actor=actor))

    @rule(actor=st.sampled_from(PEOPLE), key=items)
    def reopen(self, actor: str, key: str) -> None:
        self._act(actor, lambda: self.deps.services.reopen(item_key=key, actor=actor))

    @rule(actor=st.sampled_from(PEOPLE), key=items, language=st.sampled_from(LANGUAGES))
    def set_language(self, actor: str, key: str, language: str) -> None:
        work = self.deps.work
        self._act(actor, lambda: work.set_language(item_key=key, actor=actor, language=language))

    @rule(actor=st.sampled_from(PEOPLE), key=items, hours=st.sampled_from([1, 30]))
    def promise(self, actor: str, key: str, hours: int) -> None:
        text = "A call back with the prior-authorization answer"
        due = self.clock.now() + timedelta(hours=hours)
        work = self.deps.work
        self._act(actor, lambda: work.add_promise(item_key=key, actor=actor, text=text, due_at=due))

    @rule(
        target=items,
        lane=st.sampled_from(LANES),
        patient=st.integers(1, 3),
        actor=st.sampled_from(PEOPLE),
    )
    def missed_call_then_identified(self, lane: str, patient: int, actor: str) -> str:
        """A missed call (only a phone number), then who it was, by someone: the patient's
        open items become related, so a merge is offered."""
        key = self._log(lane, "", "English", patient, missed_call=True)
        services = self.deps.services
        self._act(
            actor,
            lambda: services.identify_caller(
                item_key=key,
                actor=actor,
                patient_ref=f"MRN-{self.prefix}-{patient}",
                patient_name=f"Patient {patient}",
            ),
        )
        return key

    @rule(minutes=st.sampled_from([10, 45, 180, 60 * 20]))
    def time_passes(self, minutes: int) -> None:
        """The clock moves and CareQueue's own jobs run: red flags nobody answered are
        escalated, unacknowledged escalations page the next level, check-backs resume."""
        self.clock.advance(timedelta(minutes=minutes))
        self._act(
            CAREQUEUE,
            self.deps.escalations.run_red_flags,
            self.deps.escalations.run_escalations,
            self.deps.work.run_check_backs,
        )


def _run(database_url: str, practice: Practice, examples: int) -> None:
    loop = asyncio.new_event_loop()
    clock = ManualClock(MONDAY_9AM)
    settings_ = settings_from_env(
        {"SLACK_BOT_TOKEN": "xoxb-model", "SLACK_SIGNING_SECRET": "model"},
        database_url=database_url,
        slack_api_url="http://127.0.0.1:9/api/",  # nothing is delivered: the outbox is off
        port=0,
    )
    deps = build_deps(settings_, practice=practice, clock=clock)
    ClinicalHands.deps, ClinicalHands.loop, ClinicalHands.clock = deps, loop, clock
    try:
        run_state_machine_as_test(
            ClinicalHands,
            settings=settings(
                max_examples=examples,
                stateful_step_count=25,
                deadline=None,
                database=None,
                suppress_health_check=[HealthCheck.too_slow],
            ),
        )
    finally:
        loop.run_until_complete(deps.close())
        loop.close()


def test_no_sequence_of_actions_takes_an_item_out_of_clinical_hands(
    database_url: str, example_practice: Practice
) -> None:
    _run(database_url, example_practice, examples=EXAMPLES)
