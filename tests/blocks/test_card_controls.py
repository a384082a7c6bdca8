"""The card's one row of controls: at most three buttons, the likeliest next actions in the
item's state, and a "More" menu with the rest; every shipped action id still answered."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from blocks.ids import ActionId, More, card_actions_block_id, more_value, parse_more_value
from bot.domain.items import TRANSITIONS, Action, Status
from tests.blocks.card_helpers import (
    STATES,
    actions_of,
    buttons_of,
    card,
    make_escalation,
    make_promise,
    make_waiting,
    more_options,
)
from tests.blocks.conftest import make_claimed, make_item, make_resolved

MENU_REST = [
    "Release",
    "Reassign\u2026",
    "Waiting on\u2026",
    "Promise\u2026",
    "Move to another lane\u2026",
    "Language\u2026",
    "Escalate\u2026",
]


def menu_of(payload: dict[str, Any]) -> dict[str, Any]:
    (menu,) = [e for e in actions_of(payload) if e.get("action_id") == ActionId.MORE]
    return menu


def test_an_unclaimed_card_offers_claim_and_details_and_the_rest_in_the_menu() -> None:
    payload = card(make_item())
    assert buttons_of(payload) == ["Claim", "Details"]
    claim = actions_of(payload)[0]
    assert (claim["action_id"], claim["style"]) == (ActionId.CLAIM, "primary")
    # A manager may assign a new item; anyone may move, set the language or escalate it.
    assert more_options(payload) == [
        "Reassign\u2026",
        "Move to another lane\u2026",
        "Language\u2026",
        "Escalate\u2026",
    ]


def test_the_owner_sees_log_call_handoff_close_and_everything_else_in_the_menu() -> None:
    payload = card(make_claimed())
    elements = actions_of(payload)
    assert [e["type"] for e in elements] == ["button", "button", "button", "static_select"]
    assert buttons_of(payload) == ["Log call", "Handoff", "Close"]
    assert [e["action_id"] for e in elements] == [
        ActionId.LOG_CALL,
        ActionId.HANDOFF,
        ActionId.CLOSE,
        ActionId.MORE,
    ]
    assert [e.get("style") for e in elements[:3]] == ["primary", None, None]
    assert more_options(payload) == [*MENU_REST, "Details"]
    assert menu_of(payload)["placeholder"]["text"] == "\u22ef More"


def test_a_waiting_card_offers_resume_log_call_close() -> None:
    payload = card(make_waiting())
    assert buttons_of(payload) == ["Resume", "Log call", "Close"]
    assert [e.get("style") for e in actions_of(payload)[:3]] == ["primary", None, None]
    options = more_options(payload)
    assert options[0] == "Handoff" and options[-1] == "Details"
    assert "Promise\u2026" in options and "Move to another lane\u2026" in options


def test_a_closed_card_offers_reopen_and_details_in_a_menu_beside_its_line() -> None:
    payload = card(make_resolved())
    (line,) = payload["blocks"]
    menu = line["accessory"]
    assert (menu["type"], menu["action_id"]) == ("overflow", ActionId.MORE)
    assert [o["text"]["text"] for o in menu["options"]] == ["Reopen", "Details"]
    assert [o["value"] for o in menu["options"]] == ["reopen:CQ-1042", "details:CQ-1042"]
    assert buttons_of(payload) == []


@pytest.mark.parametrize("state", sorted(STATES))
def test_no_card_shows_more_than_three_buttons_and_one_menu(state: str) -> None:
    item = STATES[state](related_key="CQ-1001", repeat_count=2, attempts=1)
    payload = card(item, promise=make_promise(), escalation=make_escalation())
    assert len(buttons_of(payload)) <= 3
    assert sum(e["type"] != "button" for e in actions_of(payload)) <= 1


@pytest.mark.parametrize("state", sorted(STATES))
def test_details_is_always_one_click_away(state: str) -> None:
    payload = card(STATES[state]())
    assert "Details" in buttons_of(payload) + more_options(payload)


@pytest.mark.parametrize("state", sorted(STATES))
def test_buttons_and_options_carry_the_item_key(state: str) -> None:
    payload = card(STATES[state]())
    elements = actions_of(payload)
    if STATES[state]().status.is_open:
        (actions,) = [b for b in payload["blocks"] if b["type"] == "actions"]
        assert actions["block_id"] == card_actions_block_id("CQ-1042")
    assert {e["value"] for e in elements if e["type"] == "button"} <= {"CQ-1042"}
    for option in [o for e in elements for o in e.get("options", [])]:
        parsed = parse_more_value(option["value"])
        assert parsed is not None
        what, key = parsed
        assert key == "CQ-1042"
        assert option["value"] == more_value(what, "CQ-1042")


def test_promise_kept_takes_a_place_in_the_row_and_names_the_promise() -> None:
    for item in (make_claimed(), make_waiting()):
        payload = card(item, promise=make_promise())
        (kept,) = [e for e in actions_of(payload) if e.get("action_id") == ActionId.FULFIL_PROMISE]
        assert kept["text"]["text"] == "Promise kept"
        assert kept["value"] == "CQ-1042|7"
        assert len(buttons_of(payload)) == 3
    # What it pushed out of the row is in the menu, not lost.
    assert more_options(card(make_claimed(), promise=make_promise()))[0] == "Close"


def test_a_kept_promise_offers_no_button() -> None:
    kept = make_promise(fulfilled_at=make_claimed().claimed_at, fulfilled_by="U1")
    assert "Promise kept" not in buttons_of(card(make_claimed(), promise=kept))


def test_a_new_item_with_a_promise_from_its_old_lane_offers_no_promise_kept_until_claimed() -> None:
    assert "Promise kept" not in buttons_of(card(make_item(), promise=make_promise()))


def test_a_repeat_contact_offers_to_merge_into_the_related_item() -> None:
    payload = card(make_item(repeat_count=2, related_key="CQ-1001"))
    assert buttons_of(payload) == ["Claim", "Merge into CQ-1001", "Details"]
    (merge,) = [e for e in actions_of(payload) if e.get("action_id") == ActionId.MERGE]
    assert merge["value"] == "CQ-1042|CQ-1001"
    claimed = card(make_claimed(related_key="CQ-1001"))
    assert buttons_of(claimed) == ["Log call", "Merge into CQ-1001", "Handoff"]
    assert more_options(claimed)[0] == "Close"


def test_a_closed_item_with_a_related_key_offers_no_merge() -> None:
    assert "Merge" not in str(card(make_resolved(related_key="CQ-1001")))


def test_a_missed_call_offers_identify_caller_beside_claim() -> None:
    unknown = make_item(patient=dataclasses.replace(make_item().patient, name="", reference=""))
    assert buttons_of(card(unknown)) == ["Claim", "Identify caller", "Details"]


# What each button and menu option asks the life cycle for.
ACTION_OF_BUTTON = {
    ActionId.CLAIM: Action.CLAIM,
    ActionId.RELEASE: Action.RELEASE,
    ActionId.REASSIGN: Action.REASSIGN,
    ActionId.CLOSE: Action.CLOSE,
    ActionId.LOG_CALL: Action.LOG_ATTEMPT,
    ActionId.HANDOFF: Action.HANDOFF,
    ActionId.RESUME: Action.RESUME,
    ActionId.REOPEN: Action.REOPEN,
    ActionId.MERGE: Action.MERGE,
}
ACTION_OF_OPTION = {
    More.RELEASE: Action.RELEASE,
    More.REASSIGN: Action.REASSIGN,
    More.CLOSE: Action.CLOSE,
    More.LOG_CALL: Action.LOG_ATTEMPT,
    More.HANDOFF: Action.HANDOFF,
    More.WAIT: Action.WAIT,
    More.PROMISE: Action.PROMISE,
    More.MOVE: Action.MOVE,
    More.LANGUAGE: Action.SET_LANGUAGE,
    More.ESCALATE: Action.ESCALATE,
}


@pytest.mark.parametrize("state", sorted(STATES))
def test_no_card_offers_what_the_life_cycle_table_refuses_in_its_state(state: str) -> None:
    item = STATES[state]()
    payload = card(item, escalation=make_escalation())
    for element in actions_of(payload):
        action = ACTION_OF_BUTTON.get(element["action_id"])
        if action is not None:
            assert (item.status, action) in TRANSITIONS, element["action_id"]
        for option in element.get("options", []):
            parsed = parse_more_value(option["value"])
            assert parsed is not None
            chosen = ACTION_OF_OPTION.get(parsed[0])
            if chosen is not None:
                assert (item.status, chosen) in TRANSITIONS, option["value"]


@pytest.mark.parametrize("owner", [None, "U0NURSE01"])
def test_an_escalated_card_offers_the_clinicians_answers_and_close_in_the_menu(
    owner: str | None,
) -> None:
    escalated = dataclasses.replace(make_item(status=Status.ESCALATED), owner=owner)
    payload = card(escalated, escalation=make_escalation())
    assert buttons_of(payload) == ["Acknowledge", "Resolve", "Not clinical"]
    ids = [e["action_id"] for e in actions_of(payload)]
    assert ActionId.CLAIM not in ids  # every claim of an escalated item is refused
    assert "Close" in more_options(payload) and more_options(payload)[-1] == "Details"
