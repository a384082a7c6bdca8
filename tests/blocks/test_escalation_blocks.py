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
from blocks.escalation import escalation_notice
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
from bot.domain.escalation import Escalation, EscalationNotice, EscalationState
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
