"""Notices outside a card's thread: the supervisor review for managers, the handoff and
check-back DMs. None carries patient data; each reads as a sentence."""

from __future__ import annotations

import json
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from blocks.ids import ActionId
from blocks.message import Message
from blocks.notices import notice_message
from tests.blocks.conftest import (
    PHONE,
    REFERENCE,
    TZ,
    WORDING,
    assert_valid_message,
    make_claimed,
    make_hostile_item,
    make_lane,
    nodes_of,
    texts_of,
)

LANE = make_lane(name="Scheduling help")
TEMPLATES = ["supervisor_review", "handoff_dm", "check_back_dm"]
PATIENT_DATA = ("Jane", "Doe", "J.Q.D.", PHONE, REFERENCE, "chest pain", "evil", "Spanish")


def notice(template: str, params: dict[str, Any] | None = None, **item_changes: Any) -> dict:
    item = make_hostile_item(**{"status": make_claimed().status, "owner": "U1", **item_changes})
    payload = notice_message(template, item, LANE, params or {}, TZ, WORDING)
    assert set(payload) == {"text", "blocks"}
    # Validate exactly as a builder's Message is validated: slack_sdk, then Slack's limits.
    assert_valid_message(Message(text=payload["text"], blocks=Block.parse_all(payload["blocks"])))
    return payload


def line_of(payload: dict[str, Any]) -> str:
    return payload["blocks"][0]["text"]["text"]


def test_supervisor_review_names_the_item_its_lane_the_attempts_and_the_owner() -> None:
    payload = notice("supervisor_review", {"attempts": 3})
    expected = (
        "CQ-1042 (Scheduling help): patient not reached after 3 attempts — supervisor review"
        " · owner <@U1>"
    )
    assert payload["text"] == expected
    assert line_of(payload) == expected
    (details,) = nodes_of(payload, "button")
    assert details["action_id"] == ActionId.DETAILS
    assert details["value"] == "CQ-1042"


def test_supervisor_review_of_an_unowned_item_after_one_attempt_reads_right() -> None:
    payload = notice("supervisor_review", {"attempts": 1}, owner=None)
    assert payload["text"].endswith("after 1 attempt — supervisor review · no owner")


def test_supervisor_review_without_a_count_uses_the_items_attempts() -> None:
    payload = notice("supervisor_review", {}, attempts=4)
    assert "after 4 attempts" in payload["text"]


def test_handoff_dm_says_who_handed_what_to_you_and_where_the_note_is() -> None:
    payload = notice("handoff_dm", {"handoff_id": 31, "by": "U2"})
    assert payload["text"] == (
        "<@U2> handed CQ-1042 (Scheduling help) to you. The handoff note is in the card's thread."
    )
    (view,) = nodes_of(payload, "button")
    assert view["text"]["text"] == "View handoff note"
    assert view["action_id"] == ActionId.VIEW_HANDOFF
    assert view["value"] == "CQ-1042|31"


def test_handoff_dm_without_a_note_id_has_no_button() -> None:
    payload = notice("handoff_dm", {"by": "U2"})
    assert nodes_of(payload, "button") == []
    assert len(payload["blocks"]) == 1


def test_check_back_dm_says_who_the_item_waited_on_as_a_choice_only_in_its_blocks() -> None:
    payload = notice("check_back_dm", {"waiting_for": "pharmacy"})
    assert payload["text"] == "CQ-1042 is back from waiting: time to check back."
    assert line_of(payload) == "CQ-1042 is back from waiting on the pharmacy: time to check back."


def test_check_back_dm_never_carries_staffs_words_about_the_wait() -> None:
    payload = notice("check_back_dm", {"waiting_on": "<!here> CVS on Main"}, waiting_on="CVS")
    assert "CVS" not in json.dumps(payload)
    assert "waiting on an outside party" in line_of(payload)


def test_check_back_dm_falls_back_to_what_the_item_still_waits_on() -> None:
    payload = notice("check_back_dm", {}, waiting_for="lab")
    assert "waiting on the lab" in line_of(payload)


@pytest.mark.parametrize("template", TEMPLATES)
def test_no_notice_carries_patient_data_in_its_text_or_blocks(template: str) -> None:
    params = {"attempts": 3, "handoff_id": 31, "by": "U2", "waiting_on": "payer"}
    payload = notice(template, params)
    shown = json.dumps(payload)
    for patient_data in PATIENT_DATA:
        assert patient_data not in shown
    for text in texts_of(payload, "mrkdwn"):
        assert "<!channel>" not in text and "<https://evil" not in text


@pytest.mark.parametrize("template", TEMPLATES)
def test_a_notice_ignores_odd_params(template: str) -> None:
    odd = {"attempts": "3", "handoff_id": True, "by": 7, "waiting_for": ["x"]}
    payload = notice(template, odd, attempts=2)
    shown = json.dumps(payload)
    assert "True" not in shown and "['x']" not in shown
    assert nodes_of(payload, "button") == (
        []
        if template != "supervisor_review"
        else [b for b in nodes_of(payload, "button") if b["action_id"] == ActionId.DETAILS]
    )
    if template == "supervisor_review":
        assert "after 2 attempts" in payload["text"]
    if template == "handoff_dm":
        assert payload["text"].startswith("Someone handed CQ-1042")


def test_a_notice_from_careqeue_itself_names_the_app() -> None:
    payload = notice("handoff_dm", {"handoff_id": 1, "by": "UCAREQUEUE"})
    assert payload["text"].startswith("CareQueue handed CQ-1042")


def test_lane_names_and_keys_in_a_notice_are_escaped() -> None:
    lane = make_lane(name="Billing <!here> & co")
    item = make_claimed()
    payload = notice_message("supervisor_review", item, lane, {"attempts": 3}, TZ, WORDING)
    assert "(Billing &lt;!here&gt; &amp; co)" in payload["text"]


def test_an_unknown_notice_is_refused_loudly() -> None:
    with pytest.raises(ValueError, match="unknown notice"):
        notice_message("welcome_dm", make_claimed(), LANE, {}, TZ, WORDING)
