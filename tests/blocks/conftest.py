"""Factories for the lanes and items the block builders are tested with, and what Slack accepts."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from jinja2 import Environment
from slack_sdk.models.views import View

from blocks.limits import NOTIFICATION_TEXT_MAX
from blocks.message import Message
from blocks.templating import build_environment
from blocks.validate import message_problems, view_problems
from bot.domain.items import Item, Origin, Patient, Status
from bot.domain.lanes import BusinessCalendar, BusinessDuration, Lane, OpeningHours

TZ = ZoneInfo("America/New_York")
# Monday 23 November 2026, 10:54 AM in New York.
NOW = datetime(2026, 11, 23, 15, 54, tzinfo=UTC)
# Open 8:00 to 17:00 on weekdays: the business time a card's due state counts in.
CALENDAR = BusinessCalendar(TZ, {weekday: OpeningHours(time(8), time(17)) for weekday in range(5)})

HOSTILE_NAME = "<!channel> Jane Q. Doe"
HOSTILE_SUMMARY = "<https://evil.example|click> chest pain *now*"
PHONE = "(555) 201-4477"
REFERENCE = "MRN-20431"
CALLBACK_WINDOW = "weekdays after 3 PM"
SOURCE_LINK = "https://carequeue-demo.slack.com/archives/C0LANE/p1700000000000100"

# The shipped wording, no practice's overrides: builders take it as their `env` here. A
# constant for the tests' own helpers, the `wording` fixture for a test that calls a builder.
WORDING = build_environment(None)


@pytest.fixture
def wording() -> Environment:
    """The shipped templates, as a practice without a `templates_dir` has them."""
    return WORDING


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


# --- what Slack accepts: blocks.validate, the same checks the stub Web API makes -------------


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def assert_valid_message(message: Message) -> dict[str, Any]:
    """A message Slack accepts (blocks.validate), with notification text kept short."""
    assert message.text.strip(), "a message always sets its notification text"
    assert len(message.text) <= NOTIFICATION_TEXT_MAX
    assert message.blocks, "a message built from blocks has at least one"
    assert message_problems(message.blocks, message.text) == []
    return message.to_payload()


def assert_valid_view(view: View) -> dict[str, Any]:
    """A modal or Home tab Slack accepts (blocks.validate). Returns it as a dict."""
    assert view_problems(view) == []
    return view.to_dict()


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
