"""Red flags at intake: the mark on the card, the prompt to the person who logged it, and an
escalation when they confirm or leave it unanswered. Dismissing never clears the mark."""

from __future__ import annotations

from datetime import timedelta

from blocks.ids import ActionId, FieldId
from bot.domain.escalation import EscalationState
from bot.domain.items import Action, Status
from bot.services.base import SYSTEM
from tests.scenarios.conftest import FRONT_DESK, Clinic

CHEST_PAIN = {
    FieldId.LANE: "clinical",
    FieldId.REQUEST_TYPE: "clinical|symptom question",
    FieldId.SUMMARY: "Chest pain since last night, left arm numb",
}


async def flagged(clinic: Clinic) -> str:
    clinic.stub.add_user("U0NURSE02", "rn.kim")
    clinic.stub.add_user("U0DOC001", "dr.ortiz")
    key = await clinic.log_request(**CHEST_PAIN)
    await clinic.deliver()
    return key


def prompt_of(clinic: Clinic, key: str):
    (prompt,) = [m for m in clinic.stub.messages(FRONT_DESK) if m.text.startswith(key)]
    return prompt


async def test_a_red_flag_marks_the_card_and_asks_the_person_who_logged_it(
    clinic: Clinic,
) -> None:
    key = await flagged(clinic)
    item = await clinic.deps.services.get(key)
    assert item is not None and "chest ... pain" in item.red_flags
    card = str(clinic.card_of("clinical", key).blocks)
    assert "*Red flag*: possible emergency words at intake" in card
    assert "Chest" not in card  # at the default privacy, not even the words
    prompt = prompt_of(clinic, key)
    assert prompt.text == f"{key} may be urgent: escalate now?"
    assert "chest pain" in str(prompt.blocks)
    assert ActionId.RED_FLAG_ESCALATE.value in str(prompt.blocks)
    assert item.status is Status.NEW  # a hit decides nothing by itself


async def test_confirming_escalates_as_an_emergency_and_shows_the_guidance(
    clinic: Clinic,
) -> None:
    key = await flagged(clinic)
    prompt = prompt_of(clinic, key)
    await clinic.then_wait_for(
        "chat.postEphemeral",
        clinic.slack.click_button(
            FRONT_DESK, prompt.channel, prompt.ts, ActionId.RED_FLAG_ESCALATE, key
        ),
    )
    (guidance,) = clinic.stub.ephemerals(FRONT_DESK)
    assert "call 911 now and stay on the line" in str(guidance.blocks)
    escalation = await clinic.deps.escalations.current(key)
    assert escalation is not None and escalation.rule == "emergency"
    assert escalation.opened_by == FRONT_DESK and escalation.state is EscalationState.OPEN


async def test_unanswered_for_a_few_minutes_it_escalates_by_itself_once(clinic: Clinic) -> None:
    key = await flagged(clinic)
    run = clinic.deps.escalations.run_red_flags
    clinic.clock.advance(timedelta(minutes=2))
    assert await run() == []
    clinic.clock.advance(timedelta(minutes=2))
    assert await run() == [key]
    assert await run() == []
    item = await clinic.deps.services.get(key)
    assert item is not None and item.status is Status.ESCALATED
    escalation = await clinic.deps.escalations.current(key)
    assert escalation is not None and escalation.opened_by == SYSTEM


async def test_dismissing_records_who_and_keeps_the_mark(clinic: Clinic) -> None:
    key = await flagged(clinic)
    prompt = prompt_of(clinic, key)
    await clinic.then_wait_for(
        "chat.postEphemeral",
        clinic.slack.click_button(
            FRONT_DESK, prompt.channel, prompt.ts, ActionId.RED_FLAG_DISMISS, key
        ),
    )
    await clinic.deliver()
    clinic.clock.advance(timedelta(minutes=10))
    assert await clinic.deps.escalations.run_red_flags() == []
    item = await clinic.deps.services.get(key)
    assert item is not None and item.red_flag_dismissed_by == FRONT_DESK and item.red_flags
    card = str(clinic.card_of("clinical", key).blocks)
    assert "*Red flag*" in card and f"not an emergency per <@{FRONT_DESK}>" in card
    history = [e.action for e in await clinic.deps.services.history(key)]
    assert Action.DISMISS_RED_FLAG in history


async def test_an_ordinary_request_is_not_flagged(clinic: Clinic) -> None:
    key = await clinic.log_request()
    item = await clinic.deps.services.get(key)
    assert item is not None and item.red_flags == ()
    assert [m for m in clinic.stub.messages(FRONT_DESK) if m.text.startswith(key)] == []
