"""What a card may say about a patient, level by level: nothing at `none`, initials at
`initials`, name, summary and promise as plain_text at `full`; never the phone, reference or
callback window; and nothing about them in the notification text lock screens show."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.domain.items import Item, Status
from bot.domain.lanes import Privacy
from tests.blocks.card_helpers import HOSTILE_NOTE, STATES, card, card_lines, make_promise
from tests.blocks.conftest import (
    CALLBACK_WINDOW,
    PHONE,
    REFERENCE,
    make_claimed,
    make_hostile_item,
    make_item,
    make_patient,
    make_resolved,
    texts_of,
)

ALL_STATES = [make_item(), make_claimed(), make_resolved(), make_item(status=Status.ESCALATED)]


def test_card_at_full_shows_channel_ping_as_plain_text() -> None:
    payload = card(make_hostile_item(), Privacy.FULL)
    plain = [b["text"] for b in payload["blocks"] if b["type"] == "section" and "text" in b]
    assert {
        "type": "plain_text",
        "text": "Patient: <!channel> Jane Q. Doe",
        "emoji": False,
    } in plain
    assert {
        "type": "plain_text",
        "text": "Summary: <https://evil.example|click> chest pain *now*",
        "emoji": False,
    } in plain
    assert not any("Jane" in text or "chest pain" in text for text in texts_of(payload, "mrkdwn"))


def test_card_at_initials_shows_only_the_initials() -> None:
    payload = card(make_hostile_item(), Privacy.INITIALS)
    assert "Patient J.Q.D." in card_lines(payload)[0].split(" · ")
    shown = json.dumps(payload)
    for patient_data in ("Jane", "Doe", PHONE, REFERENCE, "chest pain", CALLBACK_WINDOW):
        assert patient_data not in shown


@pytest.mark.parametrize("privacy", list(Privacy))
@pytest.mark.parametrize("item", ALL_STATES, ids=lambda i: i.status.value)
def test_phone_reference_and_callback_window_never_appear_on_a_card(
    privacy: Privacy, item: Item
) -> None:
    shown = json.dumps(card(item, privacy))
    assert PHONE not in shown
    assert REFERENCE not in shown
    assert CALLBACK_WINDOW not in shown


@pytest.mark.parametrize("privacy", list(Privacy))
@pytest.mark.parametrize(
    "make", [make_hostile_item, make_claimed, make_resolved], ids=["new", "claimed", "resolved"]
)
def test_notification_text_never_carries_patient_data_at_any_level(
    make: Any, privacy: Privacy
) -> None:
    item = make(
        patient=make_patient(name="<!channel> Jane Q. Doe"),
        summary="<https://evil.example|click> chest pain *now*",
    )
    payload = card(item, privacy)
    for patient_data in (
        "Jane",
        "Doe",
        "J.Q.D.",
        PHONE,
        REFERENCE,
        "chest pain",
        "evil",
        "Spanish",
    ):
        assert patient_data not in payload["text"]

    blob = json.dumps(payload["blocks"])
    # Anything Slack would parse as a ping or a link lives only in plain_text objects.
    for text in texts_of(payload, "mrkdwn"):
        assert "<!channel>" not in text
        assert "<https://evil" not in text

    if privacy is Privacy.NONE:
        for patient_data in ("Jane", "J.Q.D.", PHONE, REFERENCE, "chest pain"):
            assert patient_data not in blob
    if privacy is Privacy.INITIALS and item.status.is_open:
        assert "J.Q.D." in blob
    if privacy is Privacy.INITIALS:
        for patient_data in ("Jane", PHONE, REFERENCE, "chest pain"):
            assert patient_data not in blob
    if privacy is Privacy.FULL and item.status.is_open:
        assert "Jane Q. Doe" in blob and "chest pain" in blob
    if not item.status.is_open:
        # A closed card is one line: no patient at any level (what they were told, at full).
        for patient_data in ("Jane", "J.Q.D.", "chest pain"):
            assert patient_data not in blob


def test_notification_text_reads_key_type_owner_state_and_due_time() -> None:
    assert card(make_item())["text"] == "CQ-1042 · Scheduling help · Unclaimed · due Mon 12:54 PM"
    assert card(make_claimed())["text"] == (
        "CQ-1042 · Scheduling help · Claimed by <@U1> · due Mon 12:54 PM"
    )
    assert card(make_claimed(status=Status.WAITING))["text"] == (
        "CQ-1042 · Scheduling help · Waiting · <@U1> · due Mon 12:54 PM"
    )
    assert card(make_resolved())["text"] == "CQ-1042 · Scheduling help · Resolved"


@pytest.mark.parametrize("privacy", list(Privacy))
@pytest.mark.parametrize("state", sorted(STATES))
def test_a_working_cards_notification_text_holds_no_patient_data_or_free_text(
    state: str, privacy: Privacy
) -> None:
    item = STATES[state](
        patient=make_patient(name="Jane Doe"),
        attempts=2,
        repeat_count=2,
        related_key="CQ-1001",
        waiting_on="Dr. Rivera's office",
    )
    payload = card(item, privacy, promise=make_promise(text=HOSTILE_NOTE))
    for secret in ("Jane", "Rivera", "call *now*", "evil", "Spanish", PHONE, REFERENCE):
        assert secret not in payload["text"]
    for text in texts_of(payload, "mrkdwn"):
        assert "<!here>" not in text
