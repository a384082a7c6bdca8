"""Response targets in the practice file: same_day with its cut-off, and targets per origin."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest
import yaml

from bot.config import load_practice, parse_practice
from bot.config.environment import EXAMPLE_PRACTICE
from bot.domain.items import Origin
from bot.domain.lanes import BusinessDuration, SameDay, Unit
from tests.test_config import Edit, example, lane_index, problems_after


def practice_after(*edits: Edit) -> Any:
    data = example()
    for edit in edits:
        edit(data)
    return parse_practice(yaml.safe_dump(data, sort_keys=False))


def test_shipped_example_calls_back_missed_calls_and_voicemails_the_same_day() -> None:
    scheduling = load_practice(EXAMPLE_PRACTICE).lane("scheduling")
    same_day = SameDay(cutoff=time(15), after_cutoff=BusinessDuration(4, Unit.HOURS))

    assert scheduling.target_for(Origin.VOICEMAIL) == same_day
    assert scheduling.target_for(Origin.MISSED_CALL) == same_day
    assert scheduling.target_for(Origin.PORTAL_MESSAGE) == BusinessDuration(4, Unit.HOURS)


def test_a_lane_whose_own_target_is_same_day_takes_its_after_cutoff() -> None:
    def edit(data: dict[str, Any]) -> None:
        lane = data["lanes"][lane_index(data, "billing")]
        lane.update(response_target="same_day", cutoff="14:30", after_cutoff="2h")
        lane["origin_targets"] = {"portal_message": "4h"}

    billing = practice_after(edit).lane("billing")

    assert billing.response_target == SameDay(time(14, 30), BusinessDuration(2, Unit.HOURS))
    assert billing.target_for(Origin.VOICEMAIL) == billing.response_target
    assert billing.target_for(Origin.PORTAL_MESSAGE) == BusinessDuration(4, Unit.HOURS)


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (
            {"response_target": "same_day"},
            [
                'lanes[8].cutoff: a same_day target needs the lane\'s cut-off, like "15:00" '
                "(requests at or after it are due the next business day)",
                "lanes[8].after_cutoff: say how long after the next business day's opening a "
                "request that came after the cut-off is due, like 4h",
            ],
        ),
        (
            {"origin_targets": {"voicemail": "same_day"}},
            [
                'lanes[8].cutoff: a same_day target needs the lane\'s cut-off, like "15:00" '
                "(requests at or after it are due the next business day)",
            ],
        ),
        (
            {"cutoff": "15:00", "after_cutoff": "2h"},
            [
                "lanes[8].cutoff: only same_day targets have a cut-off; remove it or use same_day",
                "lanes[8].after_cutoff: only same_day targets have a cut-off; remove it or use "
                "same_day",
            ],
        ),
        (
            {"origin_targets": {"fax": "4h"}},
            [
                "lanes[8].origin_targets.fax: 'fax' is not an origin: use one of "
                "phone_call, voicemail, missed_call, portal_message, web_form, email, "
                "text_reply, referral_partner, in_person"
            ],
        ),
        (
            {"origin_targets": {"voicemail": "today"}},
            ["lanes[8].origin_targets.voicemail: must be a duration like 4h or 1d, or same_day"],
        ),
        (
            {"origin_targets": {"voicemail": "same_day"}, "cutoff": 900},
            ['lanes[8].cutoff: must be a time of day in quotes, like "15:00"'],
        ),
        (
            {"origin_targets": {"voicemail": "same_day"}, "cutoff": "25:00"},
            ["lanes[8].cutoff: '25:00' is not a time of day: use 24-hour HH:MM"],
        ),
    ],
)
def test_target_mistakes_are_reported_with_their_path(
    settings: dict[str, Any], expected: list[str]
) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["lanes"][lane_index(data, "billing")].update(settings)

    assert problems_after(edit) == expected


# --- warn_at: when aging alerts warn, as a share of the target ------------------------------


def test_warn_at_is_a_share_of_the_target_and_defaults_to_75_percent() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["lanes"][lane_index(data, "billing")]["warn_at"] = "50%"

    practice = practice_after(edit)
    assert practice.lane("billing").warn_at == 0.5
    assert practice.lane("referrals").warn_at == 0.75
    assert load_practice(EXAMPLE_PRACTICE).lane("scheduling").warn_at == 0.75


@pytest.mark.parametrize("value", ["150%", "0%", "0.75", 75, "soon"])
def test_a_warn_at_that_is_not_a_share_of_the_target_is_reported_with_its_path(
    value: object,
) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["lanes"][2]["warn_at"] = value

    assert problems_after(edit) == [
        'lanes[2].warn_at: must be a share of the response target from 1% to 99%, like "75%"'
    ]
