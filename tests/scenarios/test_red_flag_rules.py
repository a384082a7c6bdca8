"""Red flags escalate under the rule their phrase names: self-harm words page with the
self-harm guidance, a legal threat goes to the manager, and when phrases of several rules
are found the most urgent one is used, by the prompt and by the unanswered-flag job alike."""

from __future__ import annotations

from datetime import timedelta

from blocks.ids import ActionId, FieldId
from bot.services.base import SYSTEM
from tests.scenarios.conftest import FRONT_DESK, Clinic

SELF_HARM = {
    FieldId.LANE: "clinical",
    FieldId.REQUEST_TYPE: "clinical|question for my provider",
    FieldId.SUMMARY: "Says she is not suicidal but keeps thinking of ending it",
}
LEGAL_THREAT = {
    FieldId.LANE: "complaints",
    FieldId.REQUEST_TYPE: "complaints|complaint about care or service",
    FieldId.SUMMARY: "Unhappy with the wait, says his attorney will be in touch",
}
LEGAL_AND_CHEST = {
    **LEGAL_THREAT,
    FieldId.SUMMARY: "Will call a lawyer about the wait; also has chest tightness today",
}


async def logged(clinic: Clinic, fields: dict[FieldId, str]) -> str:
    key = await clinic.log_request(**fields)
    await clinic.deliver()
    return key


def prompt_of(clinic: Clinic, key: str):
    (prompt,) = [m for m in clinic.stub.messages(FRONT_DESK) if m.text.startswith(key)]
    return prompt


async def test_self_harm_words_ask_and_escalate_as_self_harm_with_its_guidance(
    clinic: Clinic,
) -> None:
    key = await logged(clinic, SELF_HARM)
    prompt = prompt_of(clinic, key)
    assert "Escalate now as Self-harm or suicidal intent?" in str(prompt.blocks)
    assert prompt.text == f"{key} may be urgent: escalate now?"  # the notification: no words
    await clinic.then_wait_for(
        "chat.postEphemeral",
        clinic.slack.click_button(
            FRONT_DESK, prompt.channel, prompt.ts, ActionId.RED_FLAG_ESCALATE, key
        ),
    )
    (guidance,) = clinic.stub.ephemerals(FRONT_DESK)
    assert "988" in str(guidance.blocks)  # the self-harm rule's guidance, not 911 only
    escalation = await clinic.deps.escalations.current(key)
    assert escalation is not None and escalation.rule == "self_harm"
    assert escalation.opened_by == FRONT_DESK


async def test_an_unanswered_legal_threat_goes_to_the_manager_not_clinical(
    clinic: Clinic,
) -> None:
    key = await logged(clinic, LEGAL_THREAT)
    assert "Escalate now as Threat of legal action or formal complaint?" in str(
        prompt_of(clinic, key).blocks
    )
    clinic.clock.advance(timedelta(minutes=4))
    assert await clinic.deps.escalations.run_red_flags() == [key]
    escalation = await clinic.deps.escalations.current(key)
    assert escalation is not None and escalation.rule == "legal_threat"
    assert escalation.chain == ("manager",) and escalation.opened_by == SYSTEM


async def test_with_a_legal_and_a_clinical_phrase_the_emergency_rule_wins(
    clinic: Clinic,
) -> None:
    key = await logged(clinic, LEGAL_AND_CHEST)
    item = await clinic.deps.services.get(key)
    assert item is not None and len(item.red_flags) == 2
    assert "Escalate now as Medical emergency?" in str(prompt_of(clinic, key).blocks)
    clinic.clock.advance(timedelta(minutes=4))
    assert await clinic.deps.escalations.run_red_flags() == [key]
    escalation = await clinic.deps.escalations.current(key)
    assert escalation is not None and escalation.rule == "emergency"
    assert escalation.chain[0] in ("nurse", "provider_on_call")
