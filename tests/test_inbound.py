"""What arrives from Slack before any listener: NUL characters dropped, malformed shapes
refused (handlers/inbound.py)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from handlers.inbound import is_well_formed, without_nul

payloads = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet=st.sampled_from("a\x00b ")),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(alphabet=st.sampled_from("k\x00"), max_size=3), inner, max_size=3)
    ),
    max_leaves=10,
)


@given(payloads)
def test_no_nul_is_left_anywhere_in_a_payload(payload: Any) -> None:
    assert "\\u0000" not in json.dumps(without_nul(payload))


def test_a_nul_is_dropped_in_place_so_listeners_see_the_same_body() -> None:
    view = {"state": {"values": {"summary": {"value": "call\x00back"}}}}
    body = {"type": "view_submission", "view": view}

    without_nul(body)

    assert body["view"] is view and view["state"]["values"]["summary"]["value"] == "callback"


def click(**changes: Any) -> dict[str, Any]:
    body = {
        "type": "block_actions",
        "user": {"id": "U1"},
        "trigger_id": "1.2.3",
        "actions": [{"action_id": "card.claim", "value": "CQ-1"}],
    }
    body.update(changes)
    return body


def test_a_click_needs_who_clicked_what_and_a_trigger() -> None:
    assert is_well_formed(click())
    assert not is_well_formed(click(user="U1"))
    assert not is_well_formed(click(user={"id": 7}))
    assert not is_well_formed(click(actions=[]))
    assert not is_well_formed(click(actions=[{"value": "CQ-1"}]))
    assert not is_well_formed(click(trigger_id=""))


def test_an_event_must_be_an_object_with_a_type() -> None:
    assert is_well_formed({"type": "event_callback", "event": {"type": "app_home_opened"}})
    assert not is_well_formed({"type": "event_callback", "event": None})
    assert not is_well_formed({"type": "", "event": {"user": 0}})


def test_a_command_needs_the_command_the_person_and_a_trigger() -> None:
    command = {"command": "/claim", "user_id": "U1", "trigger_id": "1.2.3", "text": "CQ-1"}
    assert is_well_formed(command)
    assert not is_well_formed({**command, "user_id": ""})
    assert not is_well_formed({k: v for k, v in command.items() if k != "trigger_id"})


def test_an_id_of_nul_characters_alone_counts_as_missing() -> None:
    # The NUL middleware runs after this check: "\x00" would reach Slack as an empty id.
    click = {
        "type": "block_actions",
        "user": {"id": "UFRONT01"},
        "trigger_id": "\x00",
        "actions": [{"action_id": "card.claim"}],
    }
    assert not is_well_formed(click)
    assert not is_well_formed({**click, "trigger_id": "1.2.x", "user": {"id": "\x00\x00"}})
    assert not is_well_formed({"command": "/claim", "user_id": "U1", "trigger_id": "\x00\x00"})
    assert is_well_formed({**click, "trigger_id": "1.2.x"})
