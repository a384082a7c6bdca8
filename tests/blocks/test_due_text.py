"""How a card says where an item stands against its due time, and how old it is."""

from __future__ import annotations

from datetime import timedelta

import pytest

from blocks.text import business_time_text, due_state_text, slack_ago
from bot.domain.sla import DueState, Urgency
from tests.blocks.conftest import NOW


@pytest.mark.parametrize(
    ("minutes", "text"),
    [(0, "0 min"), (40, "40 min"), (60, "1 h"), (75, "1 h 15 min"), (14 * 60 + 2, "14 h 2 min")],
)
def test_business_time_reads_in_hours_and_minutes_never_days(minutes: int, text: str) -> None:
    assert business_time_text(minutes) == text


@pytest.mark.parametrize(
    ("state", "text"),
    [
        (DueState(Urgency.ON_TRACK, 40), ":large_green_circle: due in 40 min"),
        (DueState(Urgency.DUE_SOON, 20), ":large_yellow_circle: *due soon* · 20 min left"),
        (DueState(Urgency.DUE_SOON, 0), ":large_yellow_circle: *due soon*"),
        (DueState(Urgency.OVERDUE, 75), ":red_circle: *overdue 1 h 15 min*"),
        (DueState(Urgency.OVERDUE, 0), ":red_circle: *overdue*"),
    ],
)
def test_each_due_state_has_its_own_marker_and_words(state: DueState, text: str) -> None:
    assert due_state_text(state) == text


def test_age_is_formatted_by_slack_for_each_reader_with_the_age_now_as_fallback() -> None:
    received = NOW - timedelta(hours=22, minutes=3)
    epoch = int(received.timestamp())

    assert slack_ago(received, NOW) == f"<!date^{epoch}^{{ago}}|22 h 3 min ago>"
