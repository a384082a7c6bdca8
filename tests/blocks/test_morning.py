"""The morning summary: what arrived since the last close, escalations and red flags first,
clinical lanes before the rest, within Slack's limits at any volume, and patient detail only
as the privacy level allows."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from blocks.digest import Audience
from blocks.morning import morning_message
from bot.domain.digest import DigestEscalation, DigestItem
from bot.domain.escalation import EscalationState
from bot.domain.lanes import Privacy
from bot.domain.morning import MorningItem, MorningLane, MorningSummary, Priority
from tests.blocks.conftest import HOSTILE_NAME, NOW, TZ, assert_valid_message, make_lane, text_of

LANES = {
    lane.key: lane
    for lane in (make_lane(), make_lane("clinical", "Clinical questions", clinical=True))
}
WORKSPACE = "https://riverside.slack.com"
PRIORITIES = (Priority.ESCALATED, Priority.RED_FLAG, Priority.CLINICAL, Priority.ROUTINE)


def item(n: int, *, name: str = "Jane Doe") -> DigestItem:
    return DigestItem(
        key=f"CQ-{1001 + n}",
        lane="clinical" if n < 3 else "scheduling",
        received_at=NOW - timedelta(hours=10, minutes=n),
        due_at=NOW + timedelta(hours=4),
        owner=None,
        patient_name=name,
        card_channel_id="C0LANE",
        card_ts=f"1700000000.{n:06d}",
    )


def summary(arrived: int, *, name: str = "Jane Doe") -> MorningSummary:
    items = tuple(item(n, name=name) for n in range(arrived))
    return MorningSummary(
        day=NOW.date(),
        now=NOW,
        since=NOW - timedelta(hours=15),
        arrived=arrived,
        red_flags_open=min(arrived, 1),
        first=arrived,
        escalations_open=min(arrived, 1),
        open=arrived + 5,
        unclaimed=arrived,
        overdue=2,
        lanes=(
            MorningLane("clinical", True, min(arrived, 3), min(arrived, 3), 0),
            MorningLane("scheduling", False, max(arrived - 3, 0), max(arrived - 3, 0) + 5, 2),
        ),
        first_items=tuple(
            MorningItem(i, "voicemail", PRIORITIES[min(n, 3)]) for n, i in enumerate(items[:40])
        ),
        escalations=tuple(
            DigestEscalation(
                i, "emergency", EscalationState.OPEN, NOW - timedelta(minutes=20), NOW, None
            )
            for i in items[:1]
        ),
    )


def build(s: MorningSummary, privacy: Privacy = Privacy.NONE) -> dict[str, Any]:
    audience = Audience(LANES, privacy, TZ, WORKSPACE, {"emergency": "Emergency"})
    return assert_valid_message(morning_message(s, audience))


@pytest.mark.parametrize("arrived", [0, 1, 50, 800])
def test_the_morning_summary_fits_slacks_limits_at_any_volume(arrived: int) -> None:
    payload = build(summary(arrived))

    assert len(payload["blocks"]) <= 10
    size = len(json.dumps(payload["blocks"], ensure_ascii=False))
    assert size < 6_000, size


def test_the_header_gives_the_nights_numbers_first() -> None:
    payload = build(summary(4))

    assert payload["blocks"][0]["text"]["text"] == "Good morning · Mon Nov 23"
    fields = [f["text"] for f in payload["blocks"][1]["fields"]]
    assert fields[:3] == [
        "*Arrived since close*\n4",
        "*Red flags open*\n1",
        "*Escalations open*\n1",
    ]
    assert payload["text"] == (
        "Morning summary: 4 arrived since close, 1 red flags open, 1 escalations open"
    )


def test_escalated_and_red_flagged_items_come_first_with_a_marker() -> None:
    shown = text_of(build(summary(4))["blocks"])
    listed = shown[shown.index("*Start here*") :].splitlines()[1:5]

    assert listed[0] == (
        "🚨 escalated · *<https://riverside.slack.com/archives/C0LANE/p1700000000000000|CQ-1001>*"
        " · Clinical questions · from a voicemail · received Mon 12:54 AM · unclaimed"
    )
    assert listed[1].startswith("🚩 red flag · ") and "CQ-1002" in listed[1]
    assert listed[2].startswith("🩺 clinical · ") and "CQ-1003" in listed[2]
    assert listed[3].startswith("*<") and "CQ-1004" in listed[3]


def test_clinical_lanes_are_listed_first_and_say_so() -> None:
    shown = text_of(build(summary(5))["blocks"])

    assert (
        "*Clinical questions* 🩺: 3 arrived · 3 open · 0 overdue\n*Scheduling*: 2 arrived" in shown
    )


def test_an_open_escalation_says_nobody_has_acknowledged_it() -> None:
    shown = text_of(build(summary(1))["blocks"])

    assert (
        "|CQ-1001>* · Clinical questions · Emergency · *not acknowledged*, opened 20 min ago"
        in (shown)
    )


def test_at_800_arrivals_the_list_says_how_many_more_and_where() -> None:
    shown = text_of(build(summary(800))["blocks"])

    assert "*Start here* (800)" in shown
    assert "more: type `/queue LANE` in Slack or open CareQueue's Home tab for the rest" in shown


@pytest.mark.parametrize(
    ("privacy", "shown", "hidden"),
    [
        (Privacy.NONE, [], ["Jane", "J.D."]),
        (Privacy.INITIALS, ["J.D."], ["Jane"]),
        (Privacy.FULL, ["Jane Doe"], []),
    ],
)
def test_patient_detail_only_as_the_privacy_level_allows(
    privacy: Privacy, shown: list[str], hidden: list[str]
) -> None:
    payload = build(summary(2), privacy)
    text = json.dumps(payload, ensure_ascii=False)

    assert all(s in text for s in shown)
    assert not any(h in text for h in hidden)
    assert "Jane" not in payload["text"]


def test_a_name_from_a_person_cannot_ping_anyone() -> None:
    payload = build(summary(1, name=HOSTILE_NAME), Privacy.FULL)

    assert "<!channel>" not in json.dumps(payload["blocks"])


def test_a_quiet_night_says_none() -> None:
    shown = text_of(build(summary(0))["blocks"])

    assert (
        "*Start here* (0): escalated and red-flagged items, then the night's requests, "
        + ("clinical lanes first\nNone.")
        in shown
    )
    assert "*Escalations not resolved* (0)\nNone." in shown
