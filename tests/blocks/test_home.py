"""App Home, read the way the person opening their Home tab would."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest

from blocks.home import home_view
from blocks.ids import ActionId
from blocks.limits import VIEW_BLOCKS_MAX
from bot.config import Practice
from bot.domain.items import Item, Status
from bot.domain.lanes import Privacy
from bot.domain.views import HomeData, LaneBoard, LaneSummary, Listed, ManagerBoard, PersonLoad
from tests.blocks.conftest import (
    CALLBACK_WINDOW,
    HOSTILE_NAME,
    HOSTILE_SUMMARY,
    NOW,
    PHONE,
    REFERENCE,
    assert_valid_view,
    make_claimed,
    make_hostile_item,
    make_item,
    nodes_of,
    text_of,
)

USER = "U1"


def home_data(**changes: Any) -> HomeData:
    data = HomeData(user=USER, now=NOW, mine=[], due_soon=[], waiting=[])
    return dataclasses.replace(data, **changes)


def home(data: HomeData, practice: Practice) -> dict[str, Any]:
    view = home_view(data, practice)
    payload = assert_valid_view(view)
    assert payload["type"] == "home"
    return payload


def sections(payload: dict[str, Any]) -> dict[str, str]:
    """Each header's title -> the text under it, up to the next header."""
    found: dict[str, str] = {}
    title = ""
    for block in payload["blocks"]:
        if block["type"] == "header":
            title = block["text"]["text"]
            found[title] = ""
        elif title:
            found[title] += text_of(block) + "\n"
    return found


def waiting_item(key: str = "CQ-1050", **changes: Any) -> Item:
    defaults: dict[str, Any] = {
        "key": key,
        "status": Status.WAITING,
        "waiting_for": "referral_office",
        "waiting_on": "Lakeside Cardiology records office",
        "check_back_at": NOW + timedelta(days=1),
    }
    return make_claimed(**{**defaults, **changes})


def test_home_shows_overdue_apart_from_what_is_due_soon_then_my_items_and_waiting(
    example_practice: Practice,
) -> None:
    overdue = make_claimed(key="CQ-1001", due_at=NOW - timedelta(minutes=5))
    soon = make_claimed(key="CQ-1003", due_at=NOW + timedelta(minutes=30))
    later = make_claimed(key="CQ-1002", due_at=NOW + timedelta(hours=4))
    data = home_data(
        mine=[overdue, soon, later], overdue=[overdue], due_soon=[soon], waiting=[waiting_item()]
    )

    shown = sections(home(data, example_practice))

    assert list(shown)[1:] == [
        "Needs an owner",
        "Overdue",
        "Due in the next hour",
        "My items",
        "Waiting",
    ]
    assert shown["My items"].index("CQ-1001") < shown["My items"].index("CQ-1002")
    assert "overdue" in shown["My items"].split("\n")[0]
    assert "CQ-1001" in shown["Overdue"] and "CQ-1001" not in shown["Due in the next hour"]
    assert "CQ-1003" in shown["Due in the next hour"]
    assert "CQ-1002" not in shown["Due in the next hour"]
    assert "CQ-1050" in shown["Waiting"]


def test_without_overdue_items_there_is_no_overdue_section(example_practice: Practice) -> None:
    shown = sections(home(home_data(), example_practice))

    assert "Overdue" not in shown
    assert "Every item in your lanes has an owner." in shown["Needs an owner"]


def test_waiting_items_say_who_they_wait_on_and_when_to_check_back(
    example_practice: Practice,
) -> None:
    check_back = NOW + timedelta(days=1)
    due_to_check = waiting_item("CQ-1051", check_back_at=NOW - timedelta(minutes=1))
    data = home_data(waiting=[waiting_item(check_back_at=check_back), due_to_check])

    first, second = sections(home(data, example_practice))["Waiting"].strip().split("\n")

    assert "waiting on the referral office" in first
    assert f"check back <!date^{int(check_back.timestamp())}^" in first
    assert "time to check back" not in first
    assert "time to check back" in second


def test_staffs_words_about_a_wait_never_reach_app_home(example_practice: Practice) -> None:
    data = home_data(waiting=[waiting_item(waiting_on="<!channel> Lakeside <@U999>")])

    shown = sections(home(data, example_practice))["Waiting"]

    assert "waiting on the referral office" in shown
    assert "Lakeside" not in shown and "<!channel>" not in shown and "<@U999>" not in shown


def test_home_shows_lane_counts_only_to_managers(example_practice: Practice) -> None:
    lanes = [
        LaneSummary("scheduling", "Scheduling help", 3, NOW - timedelta(hours=2, minutes=5)),
        LaneSummary("billing", "Billing handoff", 0, None),
    ]

    staff = sections(home(home_data(), example_practice))
    manager = sections(home(home_data(lanes=lanes, is_manager=True), example_practice))

    assert "Lanes" not in staff
    lines = manager["Lanes"].strip().split("\n")
    assert lines == [
        "*Scheduling help* · 3 open · oldest 2 h 5 min",
        "*Billing handoff* · nothing open",
    ]


def test_home_has_a_refresh_button(example_practice: Practice) -> None:
    buttons = nodes_of(home(home_data(), example_practice), "button")

    assert [(b["text"]["text"], b["action_id"]) for b in buttons] == [
        ("Refresh", ActionId.HOME_REFRESH.value)
    ]


def test_an_empty_home_says_so_in_each_section(example_practice: Practice) -> None:
    shown = sections(home(home_data(), example_practice))

    assert "Nothing is yours right now" in shown["My items"]
    assert "Nothing of yours is due in the next hour" in shown["Due in the next hour"]
    assert "Nothing of yours is waiting" in shown["Waiting"]


def test_long_lists_are_cut_with_how_many_more_and_stay_within_100_blocks(
    example_practice: Practice,
) -> None:
    items = [
        make_claimed(key=f"CQ-{n}", request_type='"\\&' * 100, due_at=NOW + timedelta(minutes=n))
        for n in range(200)
    ]
    waiting = [waiting_item(f"CQ-{n}", waiting_on="&" * 500) for n in range(200)]
    lanes = [LaneSummary(f"lane{n}", "&" * 500, n, NOW) for n in range(300)]
    data = home_data(mine=items, due_soon=items, waiting=waiting, lanes=lanes, is_manager=True)

    payload = home(data, example_practice)

    assert len(payload["blocks"]) <= VIEW_BLOCKS_MAX
    shown = sections(payload)
    assert "…and 175 more" in shown["My items"]
    assert "…and 175 more" in shown["Due in the next hour"]
    assert "…and 175 more" in shown["Waiting"]
    assert "…and 250 more lanes" in shown["Lanes"]


def test_home_carries_no_patient_data(example_practice: Practice) -> None:
    full = dataclasses.replace(example_practice, privacy=Privacy.FULL)
    item = make_hostile_item(status=Status.CLAIMED, owner=USER)
    data = home_data(mine=[item], due_soon=[item], waiting=[waiting_item(patient=item.patient)])

    shown = text_of(home(data, full))

    for secret in (HOSTILE_NAME, "J.Q.D.", HOSTILE_SUMMARY, PHONE, REFERENCE, CALLBACK_WINDOW):
        assert secret not in shown


@pytest.mark.parametrize("count", [0, 1, 50, 500])
def test_a_managers_home_with_every_section_full_stays_valid_and_keeps_the_board(
    example_practice: Practice, count: int
) -> None:
    long_type = '"\\&' * 100
    items = [
        make_claimed(key=f"CQ-{n}", request_type=long_type, due_at=NOW - timedelta(minutes=n))
        for n in range(count)
    ]
    unclaimed = [Listed(make_item(key=f"CQ-{n}", request_type=long_type)) for n in range(count)]
    board = ManagerBoard(
        lanes=tuple(
            LaneBoard(f"lane{n}", "&" * 500, count, count, count, count, unclaimed[0])
            if unclaimed
            else LaneBoard(f"lane{n}", "&" * 500)
            for n in range(9)
        ),
        people=tuple(PersonLoad(f"U{n:08}", count, count) for n in range(min(count, 40))),
        escalations_open=count,
    )
    data = home_data(
        mine=items,
        overdue=items,
        waiting=[waiting_item(f"CQ-{n}", waiting_on="&" * 500) for n in range(count)],
        needs_owner=unclaimed[:50],
        needs_owner_total=count,
        board=board,
        is_manager=True,
        workspace_url="https://carequeue.slack.com/",
    )

    payload = home(data, example_practice)

    assert len(payload["blocks"]) <= VIEW_BLOCKS_MAX
    shown = sections(payload)
    assert {"The practice now", "Lanes", "People"} <= set(shown)
    claims = [b for b in payload["blocks"] if b.get("accessory", {}).get("text", {}).get("text")]
    assert len(claims) == min(count, 10)
    if count > 10:
        assert f"…and {count - 10} more · `/queue unclaimed` lists them" in text_of(
            payload["blocks"]
        )
