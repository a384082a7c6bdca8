"""Factories for the lanes and items the block builders are tested with, and Slack's limits."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from blocks.message import Message
from bot.domain.items import Item, Origin, Patient, Status
from bot.domain.lanes import BusinessDuration, Lane

TZ = ZoneInfo("America/New_York")
# Monday 23 November 2026, 10:54 AM in New York.
NOW = datetime(2026, 11, 23, 15, 54, tzinfo=UTC)

HOSTILE_NAME = "<!channel> Jane Q. Doe"
HOSTILE_SUMMARY = "<https://evil.example|click> chest pain *now*"
PHONE = "(555) 201-4477"
REFERENCE = "MRN-20431"
CALLBACK_WINDOW = "weekdays after 3 PM"
SOURCE_LINK = "https://carequeue-demo.slack.com/archives/C0LANE/p1700000000000100"


def make_lane(
    key: str = "scheduling",
    name: str = "Scheduling",
    *,
    request_types: Sequence[str] = ("Scheduling help", "Reschedule", "Cancel appointment"),
    resolutions: Sequence[str] = ("appointment booked", "rescheduled", "no longer needed"),
    definition_of_done: str = "The patient has a booked time, or knows why not and what is next.",
    clinical: bool = False,
) -> Lane:
    return Lane(
        key=key,
        name=name,
        channel=f"C{key.upper()[:8]}",
        response_target=BusinessDuration.parse("4h"),
        request_types=tuple(request_types),
        resolutions=tuple(resolutions),
        definition_of_done=definition_of_done,
        clinical=clinical,
    )


def make_patient(**changes: Any) -> Patient:
    patient = Patient(
        reference=REFERENCE,
        name="Jane Doe",
        phone=PHONE,
        language="Spanish",
        callback_window=CALLBACK_WINDOW,
    )
    return dataclasses.replace(patient, **changes)


def make_item(patient: Patient | None = None, **changes: Any) -> Item:
    """An unclaimed voicemail that arrived 72 minutes before NOW and is due in 2 hours."""
    item = Item(
        key="CQ-1042",
        lane="scheduling",
        request_type="Scheduling help",
        origin=Origin.VOICEMAIL,
        status=Status.NEW,
        patient=patient or make_patient(),
        summary="Needs to move Thursday's appointment to next week.",
        received_at=NOW - timedelta(minutes=72),
        due_at=NOW + timedelta(hours=2),
        next_action="Call the patient back",
        source_link=SOURCE_LINK,
        created_by="U0FRONT",
    )
    return dataclasses.replace(item, **changes)


def make_claimed(**changes: Any) -> Item:
    """The same item, claimed by U1 twelve minutes ago."""
    defaults = {"status": Status.CLAIMED, "owner": "U1", "claimed_at": NOW - timedelta(minutes=12)}
    return make_item(**{**defaults, **changes})


def make_resolved(**changes: Any) -> Item:
    """The same item, closed by U1 five minutes ago with what the patient was told."""
    defaults = {
        "status": Status.RESOLVED,
        "owner": "U1",
        "claimed_at": NOW - timedelta(minutes=50),
        "resolution": "appointment booked",
        "told_patient": "Booked Tue 9:30 AM with Dr. Rivera; <!here> reminder text sent.",
        "closed_at": NOW - timedelta(minutes=5),
        "closed_by": "U1",
    }
    return make_item(**{**defaults, **changes})


def make_hostile_item(**changes: Any) -> Item:
    """An item whose patient text tries to ping the channel and forge a link."""
    defaults = {"patient": make_patient(name=HOSTILE_NAME), "summary": HOSTILE_SUMMARY}
    return make_item(**{**defaults, **changes})


# --- Slack's limits, including the ones slack_sdk does not check -------------------------

MESSAGE_BLOCKS_MAX = 50
VIEW_BLOCKS_MAX = 100
BLOCKS_JSON_MAX = 12_000


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _check_block_dicts(blocks: list[dict[str, Any]]) -> None:
    for node in _walk(blocks):
        kind = node.get("type")
        if kind in ("plain_text", "mrkdwn"):
            assert node["text"], f"empty {kind} text object"
        if kind == "section":
            if "text" in node:
                assert len(node["text"]["text"]) <= 3000
            for field in node.get("fields", []):
                assert len(field["text"]) <= 2000, "a section field is over 2,000 characters"
            assert len(node.get("fields", [])) <= 10
        if kind == "header":
            assert len(node["text"]["text"]) <= 150
            assert node["text"]["type"] == "plain_text"
        if kind == "context":
            assert 1 <= len(node["elements"]) <= 10
        if kind == "actions":
            assert 1 <= len(node["elements"]) <= 25
        if kind == "button":
            assert len(node["text"]["text"]) <= 75
            assert len(node.get("value", "")) <= 2000
        if kind == "plain_text_input" and "max_length" in node:
            assert 1 <= node["max_length"] <= 3000
            assert len(node.get("initial_value", "")) <= node["max_length"]
        if kind == "static_select":
            groups = node.get("option_groups", [])
            assert len(groups) <= 100
            options = node.get("options", []) + [o for g in groups for o in g["options"]]
            assert options, "a select without options"
            for group in groups:
                assert 1 <= len(group["options"]) <= 100
                assert len(group["label"]["text"]) <= 75
            for option in options:
                assert len(option["text"]["text"]) <= 75
                assert len(option["value"]) <= 150
            if "initial_option" in node:
                assert node["initial_option"] in options
        if kind == "input":
            assert len(node["label"]["text"]) <= 2000
        if "placeholder" in node:
            assert len(node["placeholder"]["text"]) <= 150
        if "block_id" in node:
            assert len(node["block_id"]) <= 255
        if "action_id" in node:
            assert len(node["action_id"]) <= 255


def assert_valid_blocks(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    """Validate with slack_sdk (`validate_json`, then `to_dict`, which validates every nested
    object) and with the limits slack_sdk leaves to us. Returns the blocks as dicts."""
    for block in blocks:
        block.validate_json()
    dicts = [block.to_dict() for block in blocks]
    _check_block_dicts(dicts)
    return dicts


def assert_valid_message(message: Message) -> dict[str, Any]:
    """A message Slack accepts: text set, ≤ 50 blocks, blocks JSON ≤ 12,000 characters."""
    assert message.text.strip(), "a message always sets its notification text"
    assert len(message.text) <= 4000
    assert 1 <= len(message.blocks) <= MESSAGE_BLOCKS_MAX
    dicts = assert_valid_blocks(message.blocks)
    assert len(json.dumps(dicts, ensure_ascii=False)) <= BLOCKS_JSON_MAX
    return {"text": message.text, "blocks": dicts}


def assert_valid_view(view: View) -> dict[str, Any]:
    """A modal Slack accepts: title/submit/close ≤ 24, ≤ 100 blocks, every block valid."""
    view.validate_json()
    payload = view.to_dict()
    assert 1 <= len(payload["blocks"]) <= VIEW_BLOCKS_MAX
    for key in ("title", "submit", "close"):
        if key in payload:
            assert 1 <= len(payload[key]["text"]) <= 24
            assert payload[key]["type"] == "plain_text"
    assert len(payload.get("private_metadata", "")) <= 3000
    assert_valid_blocks(view.blocks)
    return payload


def nodes_of(payload: Any, kind: str) -> list[dict[str, Any]]:
    """Every object of one `type` in a payload, however deep."""
    return [node for node in _walk(payload) if node.get("type") == kind]


def texts_of(payload: Any, kind: str) -> list[str]:
    """Every text of one kind (`plain_text` or `mrkdwn`) in a payload."""
    return [str(node["text"]) for node in nodes_of(payload, kind)]


def text_of(payload: Any) -> str:
    """Everything a person could read in a payload, joined (for "shows / never shows" checks)."""
    return "\n".join(
        str(node["text"])
        for node in _walk(payload)
        if isinstance(node.get("text"), str) and node.get("type") in ("plain_text", "mrkdwn")
    )
