"""An item's due state at a given moment: on track, due soon or overdue, in business time."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.lanes import BusinessCalendar, BusinessDuration, OpeningHours, Unit
from bot.domain.sla import (
    DueState,
    Urgency,
    add_business_time,
    due_soon_window,
    due_state,
    last_closing,
    last_opening,
)
from tests.domain.test_sla import (
    INDEPENDENCE_DAY,
    NEW_YORK,
    PRACTICE,
    PROPERTY,
    SPRING_FORWARD,
    calendars,
    local,
    short_targets,
    starts,
)

TUESDAY = date(2025, 6, 3)
WEDNESDAY = date(2025, 6, 4)


@pytest.mark.parametrize(
    ("received", "due", "now", "state"),
    [
        (local(TUESDAY, 9), local(TUESDAY, 13), local(TUESDAY, 11), (Urgency.ON_TRACK, 120)),
        (local(TUESDAY, 9), local(TUESDAY, 13), local(TUESDAY, 12), (Urgency.DUE_SOON, 60)),
        (local(TUESDAY, 9), local(TUESDAY, 13), local(TUESDAY, 12, 20), (Urgency.DUE_SOON, 40)),
        (local(TUESDAY, 9), local(TUESDAY, 13), local(TUESDAY, 13), (Urgency.OVERDUE, 0)),
        (local(TUESDAY, 9), local(TUESDAY, 13), local(TUESDAY, 14, 15), (Urgency.OVERDUE, 75)),
        # Overnight does not count: 30 min before closing plus 45 after opening.
        (local(TUESDAY, 9), local(TUESDAY, 16, 30), local(WEDNESDAY, 8, 45), (Urgency.OVERDUE, 75)),
        # Past a due time at closing, while closed: overdue, by no business time yet.
        (local(TUESDAY, 9), local(TUESDAY, 17), local(TUESDAY, 20), (Urgency.OVERDUE, 0)),
        # A 30-minute target is due soon for its last 15 minutes, not from the start.
        (local(TUESDAY, 9), local(TUESDAY, 9, 30), local(TUESDAY, 9, 10), (Urgency.ON_TRACK, 20)),
        (local(TUESDAY, 9), local(TUESDAY, 9, 30), local(TUESDAY, 9, 16), (Urgency.DUE_SOON, 14)),
        # A same-day voicemail from last night: due soon in the last quarter of the day.
        (local(TUESDAY, 22), local(WEDNESDAY, 17), local(WEDNESDAY, 15), (Urgency.DUE_SOON, 120)),
        (local(TUESDAY, 22), local(WEDNESDAY, 17), local(WEDNESDAY, 14), (Urgency.ON_TRACK, 180)),
        # The holiday weekend is not business time: 1 h on Thursday, 30 min on Monday.
        (
            local(date(2025, 7, 3), 9),
            local(date(2025, 7, 3), 16),
            local(date(2025, 7, 7), 8, 30),
            (Urgency.OVERDUE, 90),
        ),
        # Seconds: never overstate what is left, never overstate how late.
        (
            local(TUESDAY, 9),
            local(TUESDAY, 13),
            local(TUESDAY, 11) + timedelta(seconds=30),
            (Urgency.ON_TRACK, 120),
        ),
        (
            local(TUESDAY, 9),
            local(TUESDAY, 13),
            local(TUESDAY, 13, 1) - timedelta(seconds=1),
            (Urgency.OVERDUE, 0),
        ),
    ],
)
def test_due_state_at_a_moment(
    received: datetime, due: datetime, now: datetime, state: tuple[Urgency, int]
) -> None:
    assert due_state(received, due, now, PRACTICE) == DueState(*state)


def test_on_the_day_clocks_spring_forward_an_hour_that_never_was_is_not_counted() -> None:
    seven_days = BusinessCalendar(
        NEW_YORK, {weekday: OpeningHours(time(0), time(23, 45)) for weekday in range(7)}
    )
    received = local(SPRING_FORWARD, 1)
    due = add_business_time(received, BusinessDuration(4, Unit.HOURS), seven_days)

    assert due == local(SPRING_FORWARD, 6)  # 01:00 EST + 4 h = 06:00 EDT
    assert due_state(received, due, local(SPRING_FORWARD, 5), seven_days) == DueState(
        Urgency.DUE_SOON, 60
    )


@pytest.mark.parametrize(
    ("target", "window"),
    [(30, 15), (60, 30), (120, 30), (240, 60), (540, 135)],
)
def test_due_soon_is_the_last_quarter_at_least_30_min_at_most_half(
    target: float, window: float
) -> None:
    assert due_soon_window(target) == window


def test_an_item_received_on_a_holiday_counts_from_the_next_opening() -> None:
    received = local(INDEPENDENCE_DAY, 10)
    due = add_business_time(received, BusinessDuration(4, Unit.HOURS), PRACTICE)

    assert due_state(received, due, local(date(2025, 7, 7), 8), PRACTICE) == DueState(
        Urgency.ON_TRACK, 240
    )


_ORDER = {Urgency.ON_TRACK: 0, Urgency.DUE_SOON: 1, Urgency.OVERDUE: 2}


def lateness(state: DueState) -> tuple[int, int]:
    return _ORDER[state.urgency], state.minutes if state.urgency is Urgency.OVERDUE else (
        -state.minutes
    )


@PROPERTY
@given(
    calendars(),
    starts,
    short_targets,
    st.timedeltas(timedelta(0), timedelta(days=5)),
    st.timedeltas(timedelta(0), timedelta(days=2)),
)
def test_an_item_only_gets_later_as_time_passes(
    cal: BusinessCalendar,
    received: datetime,
    target: BusinessDuration,
    first: timedelta,
    then: timedelta,
) -> None:
    due = add_business_time(received, target, cal)

    earlier = due_state(received, due, received + first, cal)
    later = due_state(received, due, received + first + then, cal)

    assert lateness(earlier) <= lateness(later)
    assert (earlier.urgency is Urgency.OVERDUE) == (received + first >= due)


@PROPERTY
@given(calendars(), starts, short_targets)
def test_a_request_just_received_is_on_track(
    cal: BusinessCalendar, received: datetime, target: BusinessDuration
) -> None:
    due = add_business_time(received, target, cal)

    assert due_state(received, due, received, cal).urgency is Urgency.ON_TRACK


# --- the latest closing (the end-of-day digest's day) -------------------------------------------


@pytest.mark.parametrize(
    ("at", "closed"),
    [
        (local(TUESDAY, 17), (TUESDAY, local(TUESDAY, 17))),
        (local(TUESDAY, 16, 59), (date(2025, 6, 2), local(date(2025, 6, 2), 17))),
        (local(WEDNESDAY, 7), (TUESDAY, local(TUESDAY, 17))),
        (local(date(2025, 6, 8), 12), (date(2025, 6, 6), local(date(2025, 6, 6), 17))),
        # Friday the Fourth is a holiday: on Saturday the last closing is Thursday's.
        (local(date(2025, 7, 5), 9), (date(2025, 7, 3), local(date(2025, 7, 3), 17))),
    ],
)
def test_the_latest_closing_skips_weekends_and_holidays(
    at: datetime, closed: tuple[date, datetime]
) -> None:
    assert last_closing(at, PRACTICE) == closed


def test_no_closing_within_the_lookback_is_none() -> None:
    assert last_closing(local(WEDNESDAY, 7), PRACTICE, within=timedelta(hours=13)) is None
    assert last_closing(local(WEDNESDAY, 7), PRACTICE, within=timedelta(hours=14)) == (
        TUESDAY,
        local(TUESDAY, 17),
    )


@pytest.mark.parametrize(
    ("at", "opened"),
    [
        (local(TUESDAY, 8), (TUESDAY, local(TUESDAY, 8))),
        (local(TUESDAY, 7, 59), (date(2025, 6, 2), local(date(2025, 6, 2), 8))),
        (local(WEDNESDAY, 7), (TUESDAY, local(TUESDAY, 8))),
        # Friday the Fourth is a holiday: on Saturday the last opening is Thursday's.
        (local(date(2025, 7, 5), 9), (date(2025, 7, 3), local(date(2025, 7, 3), 8))),
    ],
)
def test_the_latest_opening_skips_weekends_and_holidays(
    at: datetime, opened: tuple[date, datetime]
) -> None:
    assert last_opening(at, PRACTICE) == opened
    assert last_opening(at, PRACTICE, within=at - opened[1]) == opened
    assert last_opening(at, PRACTICE, within=at - opened[1] - timedelta(seconds=1)) is None


def test_a_moved_item_is_due_soon_by_its_new_lanes_target_not_its_whole_age() -> None:
    """Received 9:00 in a 4 h lane, moved at 15:00 to a 30 min lane (due 15:30). At 15:10,
    20 minutes left of a 30-minute target is on track; measured against the 6.5 h since it
    was received it would already read due soon."""
    received, due, now = local(TUESDAY, 9), local(TUESDAY, 15, 30), local(TUESDAY, 15, 10)
    thirty = BusinessDuration(30, Unit.MINUTES)
    assert due_state(received, due, now, PRACTICE, thirty) == DueState(Urgency.ON_TRACK, 20)
    assert due_state(received, due, now, PRACTICE) == DueState(Urgency.DUE_SOON, 20)
    at_due_soon = local(TUESDAY, 15, 15)
    assert due_state(received, due, at_due_soon, PRACTICE, thirty).urgency is Urgency.DUE_SOON
