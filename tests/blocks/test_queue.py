"""`/queue`'s answer, read the way the person who typed it would."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest

from blocks.queue import QUEUE_ITEMS_MAX, queue_message, unknown_lane_message
from bot.config import Practice
from bot.domain.items import Item, Status
from bot.domain.lanes import Privacy
from bot.domain.views import Listed
from tests.blocks.conftest import (
    CALLBACK_WINDOW,
    HOSTILE_NAME,
    HOSTILE_SUMMARY,
    NOW,
    PHONE,
    REFERENCE,
    assert_valid_message,
    make_claimed,
    make_hostile_item,
    make_item,
    make_patient,
    text_of,
)


def queue(items: list[Item], practice: Practice, title: str = "Your open items") -> dict[str, Any]:
    return assert_valid_message(queue_message(items, title, practice, NOW))


def item_lines(payload: dict[str, Any]) -> list[str]:
    return [line for line in text_of(payload).splitlines() if line.startswith("*CQ-")]


def many(count: int, **changes: Any) -> list[Item]:
    return [
        make_claimed(key=f"CQ-{1000 + n}", due_at=NOW + timedelta(minutes=n), **changes)
        for n in range(count)
    ]


def test_queue_lists_my_items_soonest_due_first_with_overdue_marked(
    example_practice: Practice,
) -> None:
    later = make_claimed(key="CQ-1003", due_at=NOW + timedelta(hours=3))
    overdue = make_claimed(key="CQ-1001", due_at=NOW - timedelta(minutes=20))
    soon = make_claimed(key="CQ-1002", due_at=NOW + timedelta(minutes=30))

    lines = item_lines(queue([later, overdue, soon], example_practice))

    assert [line.split(" · ")[0] for line in lines] == ["*CQ-1001*", "*CQ-1002*", "*CQ-1003*"]
    assert "overdue" in lines[0]
    assert all("overdue" not in line for line in lines[1:])


def test_each_line_shows_key_lane_type_status_owner_and_due(example_practice: Practice) -> None:
    mine = make_claimed(key="CQ-1042", request_type="reschedule")
    unclaimed = make_item(key="CQ-1043", request_type="cancel", due_at=NOW + timedelta(hours=5))

    first, second = item_lines(queue([mine, unclaimed], example_practice))

    assert first.startswith("*CQ-1042* · Scheduling help · reschedule · Claimed · <@U1> · due ")
    assert f"<!date^{int(mine.due_at.timestamp())}^" in first
    assert "Unclaimed" in second and "New" in second


def test_queue_lines_carry_no_patient_data(example_practice: Practice) -> None:
    # Even a practice that lets cards show name and summary keeps them out of a queue.
    full = dataclasses.replace(example_practice, privacy=Privacy.FULL)
    items = [
        make_hostile_item(key="CQ-1"),
        make_claimed(key="CQ-2", patient=make_patient(name="Jane Doe")),
    ]

    message = queue_message(items, "Your open items", full, NOW)
    payload = assert_valid_message(message)

    shown = text_of(payload) + message.text
    for secret in (
        HOSTILE_NAME,
        "Jane Doe",
        "J.D.",
        HOSTILE_SUMMARY,
        "Thursday",
        PHONE,
        REFERENCE,
        CALLBACK_WINDOW,
    ):
        assert secret not in shown


def test_notification_text_counts_items_and_names_none(example_practice: Practice) -> None:
    items = [make_claimed(key="CQ-7", due_at=NOW - timedelta(minutes=1)), make_claimed(key="CQ-8")]

    message = queue_message(items, "Your open items", example_practice, NOW)

    assert message.text == "Your open items: 2 open, 1 overdue"


def test_an_empty_queue_says_nothing_is_open(example_practice: Practice) -> None:
    payload = queue([], example_practice, title="Scheduling help: open items")

    assert "Nothing open" in text_of(payload)
    assert payload["text"] == "Scheduling help: open items: 0 open"


def test_a_long_queue_shows_forty_items_then_how_many_more(example_practice: Practice) -> None:
    payload = queue(many(55), example_practice)

    lines = item_lines(payload)
    assert len(lines) == QUEUE_ITEMS_MAX
    assert lines[0].startswith("*CQ-1000*")
    assert "…and 15 more" in text_of(payload)


def test_very_long_request_types_and_lane_names_still_fit_one_message(
    example_practice: Practice,
) -> None:
    # Quotes and backslashes cost two characters each in JSON; & < > become entities.
    lanes = dict(example_practice.lanes)
    lanes["scheduling"] = dataclasses.replace(lanes["scheduling"], name='"\\<' * 40)
    practice = dataclasses.replace(example_practice, lanes=lanes)

    payload = queue(many(60, request_type='"\\&' * 200, owner="W0123456789ABCDEF"), practice)

    lines = item_lines(payload)
    assert 20 <= len(lines) < QUEUE_ITEMS_MAX
    assert f"…and {60 - len(lines)} more" in text_of(payload)


def test_request_type_cannot_ping_anyone_or_forge_a_link(example_practice: Practice) -> None:
    item = make_claimed(request_type="<!channel> <https://evil.example|call now>")

    (line,) = item_lines(queue([item], example_practice))

    assert "<!channel>" not in line and "<https://" not in line
    assert "&lt;!channel&gt;" in line


@pytest.mark.parametrize("status", [Status.WAITING, Status.ESCALATED])
def test_status_reads_as_a_word(example_practice: Practice, status: Status) -> None:
    (line,) = item_lines(queue([make_claimed(status=status)], example_practice))

    assert f" · {status.value.capitalize()} · " in line


def test_unknown_lane_lists_the_lanes_there_are(example_practice: Practice) -> None:
    message = unknown_lane_message("<!here> sched", example_practice)
    payload = assert_valid_message(message)

    shown = text_of(payload)
    assert "&lt;!here&gt; sched" in shown and "<!here>" not in shown
    for key, lane in example_practice.lanes.items():
        assert f"`{key}` {lane.name}" in shown


@pytest.mark.parametrize("count", [0, 1, 50, 500])
def test_a_queue_of_linked_items_at_the_longest_inputs_stays_one_valid_message(
    example_practice: Practice, count: int
) -> None:
    entries = [
        Listed(item, "C0123456789", f"1700000000.{n:06d}")
        for n, item in enumerate(many(count, request_type='"\\&' * 200, owner="W0123456789ABC"))
    ]

    payload = assert_valid_message(
        queue_message(
            entries,
            "Needs an owner",
            example_practice,
            NOW,
            workspace_url="https://carequeue.slack.com/",
            by_due=False,
            total=count,
        )
    )

    lines = [line for line in text_of(payload).splitlines() if line.startswith("*<https://")]
    assert len(lines) <= QUEUE_ITEMS_MAX
    assert len(lines) == count or f"…and {count - len(lines)} more" in text_of(payload)
    if count:
        assert lines[0].startswith("*<https://carequeue.slack.com/archives/C0123456789/p")
