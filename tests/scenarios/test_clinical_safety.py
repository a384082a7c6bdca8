"""A clinical item never leaves clinical hands without a clinician's decision: not by a merge,
a move, language routing or closing as unreachable (issue 12's four safety holes)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from types import MappingProxyType

import pytest

from blocks.ids import ActionId, FieldId, More, ViewId
from bot.clock import ManualClock
from bot.config import Practice
from bot.domain.callbacks import FinalStep
from bot.domain.handoff import HandoffNote
from bot.domain.items import Action, Refusal, RefusalCode, Status
from bot.domain.lanes import LanguageRouting
from sandbox.side.wire import SlackResponse
from sandbox.stub.server import SlackStub
from tests.scenarios.conftest import FRONT_DESK, Clinic, running
from tests.scenarios.test_attempts import eastern, no_answer
from tests.scenarios.test_waiting import claimed_item, open_more_form

NURSE = "U0NURSE01"
SPANISH_NURSE = "U0NURSE02"
PATIENT = {FieldId.PATIENT_REF: "MRN-71003"}
RESCHEDULE = "Needs to move Tuesday's appointment to later in the week"
CHEST_PAIN = "Chest pain since last night, worse when climbing stairs"
SYMPTOM = {
    FieldId.LANE: "clinical",
    FieldId.REQUEST_TYPE: "clinical|symptom question",
    FieldId.SUMMARY: CHEST_PAIN,
}


async def move(
    clinic: Clinic, user: str, key: str, lane: str, note: str | None = None, here: str = "clinical"
) -> tuple[dict[str, object], SlackResponse]:
    """`user` moves `key` with More ▸ Move; returns the modal and the answer to its submit."""
    view = await open_more_form(clinic, user, key, More.MOVE, lane=here)
    assert view["callback_id"] == ViewId.MOVE, view["callback_id"]
    values: dict[str, object] = {FieldId.MOVE_LANE: lane}
    if note is not None:
        values[FieldId.MOVE_NOT_CLINICAL] = note
    return view, await clinic.slack.submit_view(user, view["id"], values)


# --- 1. merge ----------------------------------------------------------------------------


async def test_merging_a_chest_pain_item_into_a_scheduling_item_keeps_the_clinical_one_open(
    clinic: Clinic,
) -> None:
    reschedule = await clinic.log_request(**PATIENT, **{FieldId.SUMMARY: RESCHEDULE})
    chest_pain = await clinic.log_request(**PATIENT, **SYMPTOM)
    await clinic.deliver()
    card = clinic.card_of("clinical", chest_pain)
    assert f"Merge into {reschedule}" in json.dumps(card.blocks)

    await clinic.then_wait_for(
        "chat.postEphemeral",
        clinic.slack.click_button(
            FRONT_DESK, card.channel, card.ts, ActionId.MERGE, f"{chest_pain}|{reschedule}"
        ),
    )
    await clinic.deliver()

    clinical = await clinic.deps.services.get(chest_pain)
    folded = await clinic.deps.services.get(reschedule)
    assert clinical is not None and clinical.status is Status.NEW and clinical.lane == "clinical"
    assert clinical.merged_into is None
    assert CHEST_PAIN in clinical.summary and RESCHEDULE in clinical.summary
    assert folded is not None and folded.status is Status.RESOLVED
    assert folded.merged_into == chest_pain
    (told,) = clinic.stub.ephemerals(FRONT_DESK)
    assert f"{chest_pain} is clinical, so it stays open" in told.text
    assert f"{reschedule} was merged into {chest_pain} instead" in told.text
    clinical_card = json.dumps(clinic.card_of("clinical", chest_pain).blocks)
    assert ActionId.CLAIM.value in clinical_card
    assert ActionId.MERGE.value not in clinical_card  # nothing left to merge
    assert [e.action for e in await clinic.deps.services.history(chest_pain)] == [
        Action.CREATE,
        Action.MERGE,
    ]


async def test_a_scheduling_item_still_merges_into_the_patients_clinical_item(
    clinic: Clinic,
) -> None:
    chest_pain = await clinic.log_request(**PATIENT, **SYMPTOM)
    reschedule = await clinic.log_request(**PATIENT, **{FieldId.SUMMARY: RESCHEDULE})
    await clinic.deliver()
    card = clinic.card_of("scheduling", reschedule)
    await clinic.slack.click_button(
        FRONT_DESK, card.channel, card.ts, ActionId.MERGE, f"{reschedule}|{chest_pain}"
    )
    await clinic.deliver()

    kept = await clinic.deps.services.get(chest_pain)
    merged = await clinic.deps.services.get(reschedule)
    assert kept is not None and kept.status.is_open and RESCHEDULE in kept.summary
    assert merged is not None and merged.merged_into == chest_pain
    assert clinic.stub.ephemerals() == []


async def test_a_red_flag_nobody_answered_is_not_merged_away(clinic: Clinic) -> None:
    """A repeat request that says "chest pain" is flagged and escalates by itself after three
    minutes unless someone answers it. Merged into the patient's clinical item, it would
    close with its flag, the clinical item would carry none, and nobody would be paged."""
    clinical = await clinic.log_request(
        **PATIENT,
        **{
            FieldId.LANE: "clinical",
            FieldId.REQUEST_TYPE: "clinical|medication question",
            FieldId.SUMMARY: "Question about the metformin dose",
        },
    )
    flagged = await clinic.log_request(
        **PATIENT, **{FieldId.SUMMARY: "Has chest pain since this morning, wants to reschedule"}
    )
    await clinic.deliver()
    item = await clinic.deps.services.get(flagged)
    assert item is not None and item.red_flags and item.related_key == clinical

    card = clinic.card_of("scheduling", flagged)
    await clinic.then_wait_for(
        "chat.postEphemeral",
        clinic.slack.click_button(
            FRONT_DESK, card.channel, card.ts, ActionId.MERGE, f"{flagged}|{clinical}"
        ),
    )
    (told,) = clinic.stub.ephemerals(FRONT_DESK)
    assert f"{flagged} has a 🚩 possible emergency that nobody has answered yet" in told.text
    item = await clinic.deps.services.get(flagged)
    assert item is not None and item.status is Status.NEW and item.merged_into is None
    # Its three minutes run on: the red-flag job escalates it.
    clinic.clock.advance(timedelta(minutes=4))
    assert await clinic.deps.escalations.run_red_flags() == [flagged]

    # Answered ("Not an emergency"), it merges.
    calm = await clinic.log_request(
        **PATIENT, **{FieldId.SUMMARY: "Chest pain was heartburn, she says; wants to reschedule"}
    )
    await clinic.deliver()
    dismissed = await clinic.deps.escalations.dismiss_red_flag(item_key=calm, actor=FRONT_DESK)
    assert not isinstance(dismissed, Refusal), dismissed
    merged = await clinic.deps.work.merge(item_key=calm, actor=FRONT_DESK, into=clinical)
    assert not isinstance(merged, Refusal), merged


MEDICATION_QUESTION = {
    FieldId.LANE: "clinical",
    FieldId.REQUEST_TYPE: "clinical|medication question",
    FieldId.SUMMARY: "Question about the metformin dose",
}


def done(result: object) -> None:
    assert not isinstance(result, Refusal) and not hasattr(result, "errors"), result


async def a_nurse_answers_an_escalation(
    clinic: Clinic, key: str, rule: str, *, not_clinical: bool = False
) -> None:
    """The front desk escalates `key` for `rule`; a nurse acknowledges it and resolves it
    (or marks it not clinical)."""
    deps = clinic.deps
    done(await deps.escalations.escalate(item_key=key, actor=FRONT_DESK, rule=rule))
    done(await deps.escalations.acknowledge(item_key=key, actor=NURSE))
    done(
        await deps.escalations.resolve(
            item_key=key,
            actor=NURSE,
            decision="Answered by the nurse",
            told_patient="The nurse told her what to do",
            appropriate=not not_clinical,
            not_clinical=not_clinical,
        )
    )


async def front_desk_may_not_close(clinic: Clinic, key: str) -> None:
    refused = await clinic.deps.services.close(
        item_key=key,
        actor=FRONT_DESK,
        resolution="patient given next step",
        told_patient="Told her to keep the same dose",
    )
    assert isinstance(refused, Refusal) and refused.code is RefusalCode.NEEDS_CLINICAL_ACK


async def test_a_reopened_clinical_item_needs_a_new_clinical_acknowledgment(
    clinic: Clinic,
) -> None:
    """A nurse's acknowledgment of last week's refill question does not let the front desk
    close this week's question about the same item without a clinician."""
    key = await clinic.log_request(**MEDICATION_QUESTION)
    deps = clinic.deps
    await a_nurse_answers_an_escalation(clinic, key, "refill")
    done(await deps.services.claim(item_key=key, actor=NURSE))
    done(
        await deps.services.close(
            item_key=key,
            actor=NURSE,
            resolution="refill sent to pharmacy",
            told_patient="Refill is at her pharmacy today",
        )
    )
    done(await deps.services.reopen(item_key=key, actor=FRONT_DESK))
    await clinic.deliver()
    assert "a clinician acknowledges before closing" in json.dumps(
        clinic.card_of("clinical", key).blocks
    )
    await front_desk_may_not_close(clinic, key)


async def test_an_item_moved_into_the_clinical_lane_needs_a_clinical_acknowledgment_there(
    clinic: Clinic,
) -> None:
    key = await clinic.log_request(**{FieldId.SUMMARY: "Wants to move her physical"})
    deps = clinic.deps
    done(await deps.services.claim(item_key=key, actor=FRONT_DESK))
    await a_nurse_answers_an_escalation(clinic, key, "same_day_symptoms", not_clinical=True)
    # Later she asks about a medication: the owner moves it to the clinical lane.
    done(await deps.work.move(item_key=key, actor=FRONT_DESK, lane="clinical"))
    done(await deps.services.claim(item_key=key, actor=FRONT_DESK))
    await front_desk_may_not_close(clinic, key)


# --- 2. move -----------------------------------------------------------------------------


async def test_front_desk_cannot_move_a_clinical_item_to_scheduling(clinic: Clinic) -> None:
    key = await claimed_item(clinic, **SYMPTOM)
    _, response = await move(clinic, FRONT_DESK, key, "scheduling")

    answer = response.json or {}
    assert answer.get("response_action") == "errors", answer
    refusal = answer["errors"][FieldId.MOVE_LANE]
    assert "clinical request" in refusal and "only a clinician can decide" in refusal
    item = await clinic.deps.services.get(key)
    assert item is not None and item.lane == "clinical" and item.owner == FRONT_DESK
    assert all(e.action is not Action.MOVE for e in await clinic.deps.services.history(key))
    assert clinic.cards("scheduling") == []


async def test_front_desk_can_still_move_a_request_into_the_clinical_lane(clinic: Clinic) -> None:
    key = await claimed_item(clinic)
    _, response = await move(clinic, FRONT_DESK, key, "clinical", here="scheduling")
    assert "errors" not in (response.json or {}), response.body
    item = await clinic.deps.services.get(key)
    assert item is not None and item.lane == "clinical"


async def test_a_clinician_moves_it_out_only_with_a_not_clinical_note(clinic: Clinic) -> None:
    key = await clinic.log_request(**SYMPTOM)
    await clinic.deliver()

    view, response = await move(clinic, NURSE, key, "scheduling")
    assert any(b.get("block_id") == FieldId.MOVE_NOT_CLINICAL for b in view["blocks"])  # type: ignore[attr-defined]
    answer = response.json or {}
    assert answer.get("response_action") == "errors", answer
    assert "say why it is not clinical" in answer["errors"][FieldId.MOVE_NOT_CLINICAL]
    item = await clinic.deps.services.get(key)
    assert item is not None and item.lane == "clinical"

    note = "Asks only to reschedule the follow-up visit; no symptoms today"
    _, response = await move(clinic, NURSE, key, "scheduling", note=note)
    assert "errors" not in (response.json or {}), response.body
    await clinic.deliver()
    item = await clinic.deps.services.get(key)
    assert item is not None and item.lane == "scheduling" and item.status is Status.NEW
    (moved,) = [e for e in await clinic.deps.services.history(key) if e.action is Action.MOVE]
    assert moved.actor == NURSE and moved.after["not_clinical"] == note
    entries = clinic.replies(clinic.card_of("scheduling", key))
    assert any("Not clinical: a clinician's decision" in m.text for m in entries), entries
    assert all(note not in m.text + json.dumps(m.blocks) for m in entries)  # privacy: none


async def test_front_desk_cannot_hand_a_clinical_item_off_to_a_non_clinical_lane(
    clinic: Clinic,
) -> None:
    key = await claimed_item(clinic, **SYMPTOM)
    note = HandoffNote(
        asked="Wants to book a follow-up",
        unresolved="Whether the symptoms need a nurse",
        next_lane="scheduling",
    )
    refused = await clinic.deps.work.handoff(item_key=key, actor=FRONT_DESK, note=note)
    assert isinstance(refused, Refusal)
    assert refused.code is RefusalCode.NEEDS_CLINICAL_DECISION
    item = await clinic.deps.services.get(key)
    assert item is not None and item.lane == "clinical"


# --- 3. language routing -----------------------------------------------------------------


async def test_a_spanish_symptom_question_stays_in_the_clinical_lane_and_asks_for_an_interpreter(
    clinic: Clinic,
) -> None:
    assert clinic.practice.language_routing.value == "lane"
    key = await clinic.log_request(**SYMPTOM, **{FieldId.LANGUAGE: "Spanish"})
    await clinic.deliver()

    item = await clinic.deps.services.get(key)
    assert item is not None and item.lane == "clinical" and item.patient.language == "Spanish"
    assert all(not m.text.startswith(f"{key} ") for m in clinic.cards("language"))
    card = clinic.card_of("clinical", key)
    assert "Spanish" in json.dumps(card.blocks)
    (entry,) = clinic.replies(card)
    shown = json.dumps(entry.blocks)
    assert "stays in this clinical lane" in shown and "an interpreter is needed" in shown
    assert "Spanish" not in entry.text  # the language stays out of the notification text
    created = (await clinic.deps.services.history(key))[0]
    assert created.after["kept_for_language"] == "Spanish"
    assert "routed_from" not in created.after or created.after["routed_from"] is None


@pytest.fixture
async def bilingual_nurse_clinic(
    database_url: str, example_practice: Practice, clock: ManualClock, stub: SlackStub
) -> AsyncIterator[Clinic]:
    roles = dataclasses.replace(
        example_practice.roles,
        bilingual=MappingProxyType({"Spanish": ("U0FRONT02", SPANISH_NURSE)}),
    )
    practice = dataclasses.replace(example_practice, roles=roles)
    async with running(database_url, practice, clock, stub) as clinic:
        yield clinic


async def test_the_thread_names_the_bilingual_clinical_staff_for_the_language(
    bilingual_nurse_clinic: Clinic,
) -> None:
    clinic = bilingual_nurse_clinic
    key = await clinic.log_request(**SYMPTOM, **{FieldId.LANGUAGE: "Spanish"})
    await clinic.deliver()

    item = await clinic.deps.services.get(key)
    assert item is not None and item.lane == "clinical"
    (entry,) = clinic.replies(clinic.card_of("clinical", key))
    shown = json.dumps(entry.blocks)
    assert f"Bilingual clinical staff for Spanish: <@{SPANISH_NURSE}>" in shown
    assert "<@U0FRONT02>" not in shown  # bilingual, but not clinical


def staff_routing(practice: Practice, bilingual: tuple[str, ...]) -> Practice:
    roles = dataclasses.replace(practice.roles, bilingual=MappingProxyType({"Spanish": bilingual}))
    return dataclasses.replace(practice, roles=roles, language_routing=LanguageRouting.STAFF)


@pytest.mark.parametrize("nurse_speaks_spanish", [False, True])
async def test_routing_to_bilingual_staff_never_gives_a_clinical_request_to_the_front_desk(
    database_url: str,
    example_practice: Practice,
    clock: ManualClock,
    stub: SlackStub,
    nurse_speaks_spanish: bool,
) -> None:
    """With `language_routing: staff` a Spanish symptom question went to the bilingual front
    desk (the least busy bilingual colleague), out of clinical hands. It stays in the
    clinical lane: given to a bilingual clinician if there is one, else unowned with the
    thread saying an interpreter is needed."""
    bilingual = ("U0FRONT02", SPANISH_NURSE) if nurse_speaks_spanish else ("U0FRONT02",)
    practice = staff_routing(example_practice, bilingual)
    async with running(database_url, practice, clock, stub) as clinic:
        key = await clinic.log_request(**SYMPTOM, **{FieldId.LANGUAGE: "Spanish"})
        await clinic.deliver()
        item = await clinic.deps.services.get(key)
        assert item is not None and item.lane == "clinical"
        assert item.owner == (SPANISH_NURSE if nurse_speaks_spanish else None)
        created = (await clinic.deps.services.history(key))[0]
        assert created.after["kept_for_language"] == "Spanish"
        shown = json.dumps(clinic.replies(clinic.card_of("clinical", key))[0].blocks)
        assert "<@U0FRONT02>" not in shown
        if not nurse_speaks_spanish:
            assert "an interpreter is needed" in shown
        # A scheduling question in Spanish still goes to the bilingual front desk.
        other = await clinic.log_request(**{FieldId.LANGUAGE: "Spanish"})
        scheduled = await clinic.deps.services.get(other)
        assert scheduled is not None and scheduled.owner == "U0FRONT02"


# --- 4. close as unreachable -------------------------------------------------------------


@pytest.fixture
async def old_config_clinic(
    database_url: str, example_practice: Practice, clock: ManualClock, stub: SlackStub
) -> AsyncIterator[Clinic]:
    """A clinical lane set to close unreachable patients, as an older file (read before the
    check existed) could say: the runtime must still send them to review."""
    clinical = example_practice.lane("clinical")
    cadence = dataclasses.replace(
        clinical.cadence,
        after_last=FinalStep.CLOSE_UNREACHABLE,
        unreachable_resolution="patient given next step",
    )
    lanes = {**example_practice.lanes, "clinical": dataclasses.replace(clinical, cadence=cadence)}
    practice = dataclasses.replace(example_practice, lanes=MappingProxyType(lanes))
    async with running(database_url, practice, clock, stub) as clinic:
        yield clinic


async def test_three_unanswered_calls_send_a_clinical_patient_to_review_never_closed(
    old_config_clinic: Clinic,
) -> None:
    clinic = old_config_clinic
    key = await claimed_item(clinic, **SYMPTOM)
    for hour in (9, 11, 14):
        await no_answer(clinic, key, eastern(23, hour), lane="clinical")

    item = await clinic.deps.services.get(key)
    assert item is not None and item.status is Status.CLAIMED and item.attempts == 3
    assert item.closed_at is None and item.resolution == ""
    assert item.next_action == "Supervisor review: patient not reached"
    history = await clinic.deps.services.history(key)
    finals = [e.after["final"] for e in history if e.after.get("final")]
    assert finals == ["supervisor_review"]
    for channel in ("#cq-managers", "#cq-clinical"):
        (review,) = clinic.stub.messages(channel)
        assert key in review.text and "never closed as unreachable" in review.text
        assert "Jane" not in review.text + json.dumps(review.blocks)
