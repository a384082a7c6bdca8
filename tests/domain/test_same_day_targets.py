"""Same-day response targets and per-origin targets: due times as the practice's policy says."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.items import Origin
from bot.domain.lanes import (
    BusinessCalendar,
    BusinessDuration,
    Lane,
    OpeningHours,
    SameDay,
    Unit,
    parse_target,
)
from bot.domain.sla import business_minutes_between, due_at, is_open, next_opening
from tests.domain.test_sla import (
    FALL_BACK,
    INDEPENDENCE_DAY,
    NEW_YORK,
    PRACTICE,
    PROPERTY,
    SPRING_FORWARD,
    calendars,
    local,
    starts,
)

MONDAY = date(2025, 6, 2)
TUESDAY = date(2025, 6, 3)
FRIDAY = date(2025, 6, 6)
THREE_PM = SameDay(cutoff=time(15), after_cutoff=BusinessDuration(4, Unit.HOURS))
ALMOST_ALWAYS_OPEN = BusinessCalendar(
    NEW_YORK, {weekday: OpeningHours(time(0), time(23, 45)) for weekday in range(7)}
)


@pytest.mark.parametrize(
    ("received", "due", "why"),
    [
        (local(MONDAY, 10), local(MONDAY, 17), "a missed call at 10:00 is due by today's close"),
        (local(MONDAY, 2), local(MONDAY, 17), "an overnight voicemail is due by today's close"),
        (local(MONDAY, 14, 59), local(MONDAY, 17), "just before the cut-off: still today"),
        (local(MONDAY, 15), local(TUESDAY, 12), "at the cut-off: opening plus 4 h tomorrow"),
        (local(MONDAY, 16, 30), local(TUESDAY, 12), "after the cut-off"),
        (local(MONDAY, 17), local(TUESDAY, 17), "at closing: it counts from tomorrow's opening"),
        (local(MONDAY, 22), local(TUESDAY, 17), "in the evening: tomorrow's close"),
        (local(FRIDAY, 15, 30), local(date(2025, 6, 9), 12), "Friday late: Monday noon"),
        (local(date(2025, 6, 7), 9), local(date(2025, 6, 9), 17), "Saturday: Monday's close"),
        (local(date(2025, 7, 3), 16), local(date(2025, 7, 7), 12), "skips the holiday weekend"),
        (local(INDEPENDENCE_DAY, 10), local(date(2025, 7, 7), 17), "on a holiday: next close"),
    ],
)
def test_same_day_target_is_due_by_close_or_next_morning_after_the_cutoff(
    received: datetime, due: datetime, why: str
) -> None:
    assert due_at(received, THREE_PM, PRACTICE) == due, why


def test_same_day_without_a_cutoff_is_due_by_closing_time_whenever_it_arrives_open() -> None:
    by_close = SameDay(cutoff=None)

    assert due_at(local(MONDAY, 16, 59), by_close, PRACTICE) == local(MONDAY, 17)


def test_a_days_target_after_the_cutoff_counts_whole_days_from_the_next_opening() -> None:
    next_day_plus_one = SameDay(cutoff=time(15), after_cutoff=BusinessDuration(1, Unit.DAYS))

    due = due_at(local(MONDAY, 16), next_day_plus_one, PRACTICE)

    assert due == local(date(2025, 6, 4), 8)


def test_a_cutoff_after_closing_time_means_every_open_moment_is_before_it() -> None:
    late_cutoff = SameDay(cutoff=time(18))

    assert due_at(local(MONDAY, 16, 59), late_cutoff, PRACTICE) == local(MONDAY, 17)


def test_same_day_due_time_follows_daylight_saving_on_the_day_clocks_spring_forward() -> None:
    seven_days = BusinessCalendar(
        NEW_YORK, {weekday: OpeningHours(time(8), time(17)) for weekday in range(7)}
    )

    due = due_at(local(SPRING_FORWARD, 10), THREE_PM, seven_days)

    assert due == datetime(2025, 3, 9, 21, 0, tzinfo=UTC)  # 17:00 EDT
    assert due.astimezone(NEW_YORK).time() == time(17)


def test_a_cutoff_inside_the_skipped_hour_falls_at_the_moment_clocks_jump() -> None:
    half_past_two = SameDay(cutoff=time(2, 30), after_cutoff=BusinessDuration(1, Unit.HOURS))
    before_jump = datetime(2025, 3, 9, 6, 59, tzinfo=UTC)  # 01:59 EST
    after_jump = datetime(2025, 3, 9, 7, 0, tzinfo=UTC)  # 03:00 EDT

    assert due_at(before_jump, half_past_two, ALMOST_ALWAYS_OPEN) == local(SPRING_FORWARD, 23, 45)
    assert due_at(after_jump, half_past_two, ALMOST_ALWAYS_OPEN) == local(
        SPRING_FORWARD + timedelta(days=1), 1
    )


def test_a_cutoff_in_the_repeated_hour_is_its_first_occurrence() -> None:
    half_past_one = SameDay(cutoff=time(1, 30), after_cutoff=BusinessDuration(1, Unit.HOURS))
    first_one_forty_five = datetime(2025, 11, 2, 5, 45, tzinfo=UTC)  # 01:45 EDT
    second_one_fifteen = datetime(2025, 11, 2, 6, 15, tzinfo=UTC)  # 01:15 EST, after 01:30 EDT

    for received in (first_one_forty_five, second_one_fifteen):
        assert due_at(received, half_past_one, ALMOST_ALWAYS_OPEN) == local(
            FALL_BACK + timedelta(days=1), 1
        )
    assert due_at(
        datetime(2025, 11, 2, 5, 15, tzinfo=UTC), half_past_one, ALMOST_ALWAYS_OPEN
    ) == local(FALL_BACK, 23, 45)


# --- properties --------------------------------------------------------------------------------

cutoffs = st.none() | st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))
short_after = st.builds(BusinessDuration, st.integers(1, 600), st.just(Unit.MINUTES))
same_day_rules = st.builds(SameDay, cutoffs, short_after)


@PROPERTY
@given(calendars(), starts, same_day_rules)
def test_same_day_is_never_due_before_the_request_and_is_due_in_hours_or_at_closing(
    cal: BusinessCalendar, received: datetime, rule: SameDay
) -> None:
    due = due_at(received, rule, cal)

    assert due >= received
    assert due.tzinfo is UTC
    assert is_open(due, cal) or is_open(due - timedelta(microseconds=1), cal)


@PROPERTY
@given(calendars(), starts, same_day_rules)
def test_before_the_cutoff_same_day_is_the_closing_time_of_the_day_it_starts(
    cal: BusinessCalendar, received: datetime, rule: SameDay
) -> None:
    start = next_opening(received, cal)
    local_start = start.astimezone(cal.tz)
    before_cutoff = rule.cutoff is None or local_start.time() < rule.cutoff

    due = due_at(received, rule, cal)

    if before_cutoff:
        assert not is_open(due, cal)
        assert business_minutes_between(start, due, cal) == (due - start) / timedelta(minutes=1)
    else:
        assert business_minutes_between(start, due, cal) > 0


# Within a practice's one-shift days, an after-cut-off target shorter than a day keeps due
# times in order: the late request of today is due before anything that arrives tomorrow.
@PROPERTY
@given(
    st.datetimes(datetime(2025, 1, 1), datetime(2025, 12, 31), timezones=st.just(UTC)),
    st.timedeltas(timedelta(0), timedelta(days=4)),
    st.builds(
        SameDay,
        cutoffs,
        st.builds(BusinessDuration, st.integers(1, 9 * 60), st.just(Unit.MINUTES)),
    ),
)
def test_a_later_request_is_never_due_earlier_under_same_day(
    received: datetime, later_by: timedelta, rule: SameDay
) -> None:
    assert due_at(received, rule, PRACTICE) <= due_at(received + later_by, rule, PRACTICE)


# --- per-origin targets ------------------------------------------------------------------------

FRONT_DESK = Lane(
    key="front_desk",
    name="Front desk",
    channel="#cq-front",
    response_target=BusinessDuration(1, Unit.DAYS),
    request_types=("question",),
    resolutions=("answered",),
    origin_targets=(
        (Origin.PORTAL_MESSAGE.value, BusinessDuration(4, Unit.HOURS)),
        (Origin.VOICEMAIL.value, THREE_PM),
    ),
)


@pytest.mark.parametrize(
    ("origin", "due"),
    [
        (Origin.PORTAL_MESSAGE, local(MONDAY, 14)),
        (Origin.VOICEMAIL, local(MONDAY, 17)),
        (Origin.WEB_FORM, local(TUESDAY, 10)),
        (Origin.MISSED_CALL, local(TUESDAY, 10)),
    ],
)
def test_a_lane_answers_each_origin_with_its_own_target_or_the_lanes(
    origin: Origin, due: datetime
) -> None:
    assert due_at(local(MONDAY, 10), FRONT_DESK.target_for(origin), PRACTICE) == due


def test_targets_are_read_from_text() -> None:
    assert parse_target("same_day") == SameDay()
    assert parse_target("4h") == BusinessDuration(4, Unit.HOURS)
    assert str(parse_target(" same_day ")) == "same_day"
    with pytest.raises(ValueError, match="or same_day"):
        parse_target("today")


def test_same_day_in_another_zone_uses_the_practice_days() -> None:
    tokyo = BusinessCalendar(ZoneInfo("Asia/Tokyo"), PRACTICE.hours)
    monday_ten_in_tokyo = datetime(2025, 6, 2, 1, 0, tzinfo=UTC)

    due = due_at(monday_ten_in_tokyo, THREE_PM, tokyo)

    assert due == datetime(2025, 6, 2, 8, 0, tzinfo=UTC)  # 17:00 in Tokyo
