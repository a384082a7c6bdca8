"""What a person reads on an escalation page, the escalated card and the escalation forms:
valid Block Kit, only the kind of escalation and the key in notification text, patient detail
only as the privacy level allows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from jinja2 import Environment
from slack_sdk.models.blocks import Block

from blocks.card import item_card
from blocks.escalation import escalation_notice, red_flag_prompt
from blocks.ids import ActionId, FieldId
from blocks.message import Message
from blocks.modals.escalate import (
    context_modal,
    escalate_modal,
    guidance_message,
    resolve_errors,
    resolve_modal,
)
from bot.config import EXAMPLE_PRACTICE, load_practice
from bot.domain.escalation import (
    Escalation,
    EscalationNotice,
    EscalationState,
    PromptAudience,
)
from bot.domain.items import Status
from bot.domain.lanes import Privacy
from tests.blocks.conftest import (
    CALENDAR,
    HOSTILE_NAME,
    NOW,
    PHONE,
    TZ,
    assert_valid_message,
    assert_valid_view,
    make_hostile_item,
    make_item,
    make_lane,
    nodes_of,
    text_of,
    texts_of,
)

MATRIX = load_practice(EXAMPLE_PRACTICE).escalation
EMERGENCY = MATRIX.rules["emergency"]
CLINICAL = make_lane("clinical", "Clinical messages", clinical=True)


def escalation(**changes: Any) -> Escalation:
    base = Escalation(
        item_key="CQ-1042",
        rule="emergency",
        chain=("nurse", "provider_on_call", "manager"),
        paged=("U0NURSE01", "U0NURSE02"),
        opened_by="UFRONT01",
        opened_at=NOW,
        ack_due_at=NOW + timedelta(minutes=5),
        context="Pain 8/10",
        id=7,
    )
    return Escalation(**{**base.__dict__, **changes})


def page(template: EscalationNotice, privacy: Privacy, env: Environment, **item: Any) -> Any:
    subject = make_hostile_item(lane="clinical", status=Status.ESCALATED, **item)
    params = {
        "rule": "emergency",
        "ack_due_at": (NOW + timedelta(minutes=5)).isoformat(),
        "paged": ["U0NURSE01"],
        "target": "nurse",
    }
    payload = escalation_notice(
        template.value, subject, CLINICAL, MATRIX.rules, params, privacy, TZ, env
    )
    return Message(text=payload["text"], blocks=[Block.parse(b) for b in payload["blocks"]])


@pytest.mark.parametrize("template", list(EscalationNotice))
@pytest.mark.parametrize("privacy", list(Privacy))
def test_every_escalation_notice_is_valid_and_its_text_names_only_kind_and_key(
    template: EscalationNotice, privacy: Privacy, wording: Environment
) -> None:
    message = page(template, privacy, wording)
    payload = assert_valid_message(message)
    assert "CQ-1042" in message.text and "Medical emergency" in message.text
    assert "Jane" not in message.text and "chest" not in message.text.lower()
    assert PHONE not in str(payload)
    assert ActionId.ESCALATION_VIEW.value in str(payload)


def test_the_page_carries_the_answer_buttons_and_the_deadline(wording: Environment) -> None:
    payload = assert_valid_message(page(EscalationNotice.PAGE, Privacy.NONE, wording))
    shown = text_of(payload)
    assert "*Medical emergency* (Immediate)" in shown and "acknowledge by" in shown
    assert "paged <@U0NURSE01>" in shown
    for action in (
        ActionId.ESCALATION_ACKNOWLEDGE,
        ActionId.ESCALATION_RESOLVE,
        ActionId.ESCALATION_NOT_CLINICAL,
    ):
        assert action.value in str(payload)


def test_patient_detail_follows_the_privacy_level(wording: Environment) -> None:
    none = str(page(EscalationNotice.PAGE, Privacy.NONE, wording).to_payload())
    initials = str(page(EscalationNotice.PAGE, Privacy.INITIALS, wording).to_payload())
    full_payload = page(EscalationNotice.PAGE, Privacy.FULL, wording).to_payload()
    full = str(full_payload)
    assert "Jane" not in none and "J." not in none
    assert "Jane" not in initials and "Patient: " in initials
    assert "Jane" in full and "Summary:" in full
    # A name like <!channel> pings nobody: it is plain_text.
    assert any(HOSTILE_NAME in text for text in texts_of(full_payload, "plain_text"))
    assert not any(HOSTILE_NAME in text for text in texts_of(full_payload, "mrkdwn"))


def test_the_no_response_notice_asks_the_managers_to_act(wording: Environment) -> None:
    payload = assert_valid_message(page(EscalationNotice.NO_RESPONSE, Privacy.NONE, wording))
    assert "*No response*" in text_of(payload)
    assert ActionId.ESCALATION_ACKNOWLEDGE.value not in str(payload)


def card(subject: Any, found: Escalation | None, env: Environment) -> dict[str, Any]:
    message = item_card(
        subject, CLINICAL, Privacy.NONE, NOW, TZ, env,
        escalation=found, escalation_label="Medical emergency", calendar=CALENDAR,
    )  # fmt: skip
    return assert_valid_message(message)


def test_an_escalated_card_says_who_has_it_and_offers_no_claim(wording: Environment) -> None:
    payload = card(make_item(status=Status.ESCALATED), escalation(), wording)
    shown = text_of(payload)
    assert "Escalated: *Medical emergency* · with <@U0NURSE01>, <@U0NURSE02>" in shown
    assert "acknowledge by" in shown
    assert ActionId.CLAIM.value not in str(payload)  # the table refuses every claim
    assert ActionId.RELEASE.value not in str(payload)
    assert ActionId.ESCALATION_ACKNOWLEDGE.value in str(payload)


def test_an_acknowledged_card_names_who_and_when(wording: Environment) -> None:
    acked = escalation(
        state=EscalationState.ACKNOWLEDGED, acknowledged_by="U0NURSE02", acknowledged_at=NOW
    )
    payload = card(make_item(status=Status.ESCALATED), acked, wording)
    assert "acknowledged by <@U0NURSE02> <!date^" in text_of(payload)
    assert ActionId.ESCALATION_ACKNOWLEDGE.value not in str(payload)


def test_no_response_is_said_on_the_card(wording: Environment) -> None:
    silent = escalation(state=EscalationState.NO_RESPONSE, level=2)
    assert "*No response*" in text_of(card(make_item(status=Status.ESCALATED), silent, wording))


def test_an_open_card_offers_escalate_in_its_menu(wording: Environment) -> None:
    payload = card(make_item(), None, wording)
    assert "escalate:CQ-" in str(payload)


def test_the_escalate_form_lists_every_reason_with_its_urgency() -> None:
    view = assert_valid_view(escalate_modal(make_item(), MATRIX.rules.values(), "{}"))
    shown = str(view)
    assert "Medical emergency · Immediate" in shown
    assert "Medical records request · Within 2 hours" in shown


def test_the_resolve_form_asks_whether_escalating_was_right() -> None:
    view = assert_valid_view(
        resolve_modal(make_item(), "Medical emergency", not_clinical=True, private_metadata="{}")
    )
    assert "Was escalating this the right call?" in str(view)
    assert resolve_errors("", "", None).keys() == {
        FieldId.DECISION,
        FieldId.ESCALATION_TOLD,
        FieldId.APPROPRIATE,
    }


def test_the_context_view_and_the_guidance() -> None:
    view = assert_valid_view(context_modal(make_item(), escalation(), "Medical emergency", TZ))
    assert "Pain 8/10" in str(view) and PHONE in str(view)
    guidance = guidance_message(make_item(), EMERGENCY, ("U0NURSE01",))
    payload = assert_valid_message(guidance)
    assert "call 911 now and stay on the line" in text_of(payload)
    assert "Jane" not in guidance.text


def prompt(audience: PromptAudience, privacy: Privacy, env: Environment, **item: Any) -> Message:
    subject = make_hostile_item(lane="clinical", red_flags=("chest ... pain|tight",), **item)
    params = {"audience": audience.value, "escalates_at": (NOW + timedelta(minutes=3)).isoformat()}
    payload = red_flag_prompt(subject, params, privacy, CLINICAL, TZ, env)
    return Message(text=payload["text"], blocks=[Block.parse(b) for b in payload["blocks"]])


@pytest.mark.parametrize("audience", list(PromptAudience))
@pytest.mark.parametrize("privacy", list(Privacy))
def test_the_red_flag_prompt_is_valid_and_its_text_names_only_the_key(
    audience: PromptAudience, privacy: Privacy, wording: Environment
) -> None:
    message = prompt(audience, privacy, wording)
    payload = assert_valid_message(message)
    assert message.text == "CQ-1042 may be urgent: escalate now?"
    shown = text_of(payload)
    assert "*Escalate now?* Unanswered, it escalates by itself at <!date^" in shown
    assert "Jane" not in str(payload) and PHONE not in str(payload)
    assert ActionId.RED_FLAG_ESCALATE.value in str(payload)
    assert ActionId.RED_FLAG_DISMISS.value in str(payload)


def test_the_person_who_logged_it_is_shown_the_words_they_typed(wording: Environment) -> None:
    shown = text_of(assert_valid_message(prompt(PromptAudience.LOGGER, Privacy.NONE, wording)))
    assert "*CQ-1042*: possible emergency words: chest pain." in shown
    assert ActionId.DETAILS.value not in str(prompt(PromptAudience.LOGGER, Privacy.NONE, wording))


def test_the_clinical_channel_sees_the_words_only_at_full_privacy(wording: Environment) -> None:
    none = assert_valid_message(prompt(PromptAudience.CHANNEL, Privacy.NONE, wording))
    full = assert_valid_message(prompt(PromptAudience.CHANNEL, Privacy.FULL, wording))
    assert "*CQ-1042* (Clinical messages) came in through the intake API" in text_of(none)
    assert "chest" not in text_of(none).lower()
    assert "possible emergency words (chest pain), and nobody has read it yet" in text_of(full)
    # Whoever answers in the channel can open the whole request (an audited view).
    assert ActionId.DETAILS.value in str(none)


def test_a_prompt_sent_after_the_flag_was_answered_says_so_without_buttons(
    wording: Environment,
) -> None:
    escalated = prompt(PromptAudience.LOGGER, Privacy.NONE, wording, status=Status.ESCALATED)
    dismissed = prompt(
        PromptAudience.CHANNEL, Privacy.NONE, wording, red_flag_dismissed_by="U0NURSE01"
    )
    for late in (escalated, dismissed):
        payload = assert_valid_message(late)
        assert ActionId.RED_FLAG_ESCALATE.value not in str(payload)
        assert "Escalate now?" not in text_of(payload)
    assert "It was escalated while this message waited" in text_of(escalated.to_payload())
    assert "<@U0NURSE01> said it is not an emergency" in text_of(dismissed.to_payload())
    assert ActionId.DETAILS.value in str(dismissed.to_payload())


def test_the_red_flag_prompt_names_the_reason_it_would_escalate_under(
    wording: Environment,
) -> None:
    flagged = make_item(red_flags=("kill|killing myself|himself|herself", "lawyer|attorney"))
    params = {"audience": PromptAudience.LOGGER.value}
    rule = MATRIX.rules["self_harm"]
    payload = red_flag_prompt(flagged, params, Privacy.NONE, CLINICAL, TZ, wording, rule)
    message = Message(text=payload["text"], blocks=[Block.parse(b) for b in payload["blocks"]])
    shown = text_of(assert_valid_message(message))
    assert "possible emergency words: kill myself, lawyer." in shown
    assert "*Escalate now as Self-harm or suicidal intent?*" in shown
    assert payload["text"] == f"{flagged.key} may be urgent: escalate now?"  # no words, no rule
    buttons = nodes_of(payload, "button")
    assert [b["action_id"] for b in buttons] == [
        ActionId.RED_FLAG_ESCALATE,
        ActionId.RED_FLAG_DISMISS,
    ]
