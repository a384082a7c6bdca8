"""When the patient contacted the practice: the received time their response target counts from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.intake import (
    CONTACT_LOOKBACK,
    FieldProblem,
    IntakeField,
    received_time,
)

NOW = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)


def test_no_contact_time_means_received_now() -> None:
    assert received_time(None, NOW) == NOW


@pytest.mark.parametrize(
    "contacted",
    [NOW - timedelta(hours=11), NOW - CONTACT_LOOKBACK, NOW - timedelta(seconds=1), NOW],
)
def test_a_contact_in_the_last_week_is_the_received_time(contacted: datetime) -> None:
    assert received_time(contacted, NOW) == contacted


def test_a_minute_ahead_of_the_clock_counts_as_now() -> None:
    assert received_time(NOW + timedelta(minutes=1), NOW) == NOW


def test_a_contact_in_the_future_is_refused_in_plain_words() -> None:
    problem = received_time(NOW + timedelta(hours=1), NOW)

    assert problem == FieldProblem(
        IntakeField.CONTACTED_AT,
        "That is in the future: pick when the patient called, wrote or came in.",
    )


def test_a_contact_more_than_a_week_ago_is_refused_with_what_to_do_instead() -> None:
    problem = received_time(NOW - CONTACT_LOOKBACK - timedelta(minutes=1), NOW)

    assert isinstance(problem, FieldProblem)
    assert problem.field is IntakeField.CONTACTED_AT
    assert problem.message.startswith("That is more than 7 days ago: clear the date and time")
