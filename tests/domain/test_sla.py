"""The SLA clock: due times and open minutes in the practice's hours, zone and holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.lanes import BusinessCalendar, BusinessDuration, OpeningHours, Unit
from bot.domain.sla import (
    _add_open_time,
    _walk_open_minutes,
    _walk_open_time,
    add_business_time,
    business_minutes_between,
    due_at,
    is_open,
    next_opening,
)

NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS_8_TO_5 = {weekday: OpeningHours(time(8), time(17)) for weekday in range(5)}
EVERY_DAY_8_TO_5 = {weekday: OpeningHours(time(8), time(17)) for weekday in range(7)}
INDEPENDENCE_DAY = date(2025, 7, 4)  # a Friday

PRACTICE = BusinessCalendar(NEW_YORK, WEEKDAYS_8_TO_5, frozenset({INDEPENDENCE_DAY}))
SEVEN_DAY_PRACTICE = BusinessCalendar(NEW_YORK, EVERY_DAY_8_TO_5)

# 2025 in New York: clocks spring forward on Sunday 9 March, fall back on Sunday 2 November,
# both at 02:00 local time.
SPRING_FORWARD = date(2025, 3, 9)
FALL_BACK = date(2025, 11, 2)


def local(day: date, hour: int, minute: int = 0, tz: ZoneInfo = NEW_YORK) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=tz)


def hours(amount: int) -> BusinessDuration:
    return BusinessDuration(amount, Unit.HOURS)


def minutes(amount: int) -> BusinessDuration:
    return BusinessDuration(amount, Unit.MINUTES)


def days(amount: int) -> BusinessDuration:
    return BusinessDuration(amount, Unit.DAYS)


# --- is_open ---------------------------------------------------------------------------------


def test_practice_is_open_from_the_opening_minute() -> None:
    assert is_open(local(date(2025, 6, 3), 8), PRACTICE)


def test_practice_is_closed_at_the_closing_minute() -> None:
    assert not is_open(local(date(2025, 6, 3), 17), PRACTICE)
    assert is_open(local(date(2025, 6, 3), 16, 59), PRACTICE)


def test_practice_is_closed_on_a_weekday_without_hours() -> None:
    assert not is_open(local(date(2025, 6, 7), 10), PRACTICE)  # Saturday


def test_practice_is_closed_on_a_holiday() -> None:
    assert not is_open(local(INDEPENDENCE_DAY, 10), PRACTICE)


def test_open_hours_are_read_in_the_practice_time_zone_whatever_zone_the_input_uses() -> None:
    tuesday_nine_am_in_new_york = datetime(2025, 6, 3, 13, 0, tzinfo=UTC)
    tuesday_seven_am_in_new_york = datetime(2025, 6, 3, 11, 0, tzinfo=UTC)

    assert is_open(tuesday_nine_am_in_new_york, PRACTICE)
    assert not is_open(tuesday_seven_am_in_new_york, PRACTICE)


# --- next_opening ----------------------------------------------------------------------------


def test_next_opening_is_the_moment_itself_when_open() -> None:
    at = local(date(2025, 6, 3), 11, 15)

    assert next_opening(at, PRACTICE) == at
    assert next_opening(at, PRACTICE).tzinfo is UTC


def test_next_opening_after_closing_is_the_next_morning() -> None:
    assert next_opening(local(date(2025, 6, 3), 17), PRACTICE) == local(date(2025, 6, 4), 8)


def test_next_opening_skips_weekend_and_holiday() -> None:
    thursday_evening = local(date(2025, 7, 3), 18)

    assert next_opening(thursday_evening, PRACTICE) == local(date(2025, 7, 7), 8)


def test_next_opening_refuses_a_calendar_without_opening_hours() -> None:
    never_open = BusinessCalendar(NEW_YORK, {})

    with pytest.raises(ValueError, match="the practice calendar has no opening hours"):
        next_opening(local(date(2025, 6, 3), 10), never_open)


@pytest.mark.parametrize(
    "hours_of_the_week",
    [{}, {weekday: OpeningHours(time(17), time(8)) for weekday in range(7)}],
    ids=["no hours", "every day closes before it opens"],
)
@pytest.mark.parametrize(
    "sum_of",
    [
        lambda at, cal: add_business_time(at, BusinessDuration(30, Unit.MINUTES), cal),
        lambda at, cal: add_business_time(at, hours(4), cal),
        lambda at, cal: add_business_time(at, BusinessDuration(2, Unit.DAYS), cal),
        lambda at, cal: add_business_time(at, BusinessDuration(0, Unit.MINUTES), cal),
    ],
    ids=["minutes", "hours", "days", "nothing"],
)
def test_every_due_time_refuses_a_calendar_that_never_opens(
    hours_of_the_week: dict[int, OpeningHours], sum_of: object
) -> None:
    """By name, at once: never a search to the horizon, never a loop without end."""
    never_open = BusinessCalendar(NEW_YORK, hours_of_the_week)

    with pytest.raises(ValueError, match="the practice calendar has no opening hours"):
        sum_of(local(date(2025, 6, 3), 10), never_open)  # type: ignore[operator]


def test_next_opening_gives_up_when_holidays_close_the_practice_for_years() -> None:
    closed_for_three_years = frozenset(
        date(2025, 1, 1) + timedelta(days=offset) for offset in range(3 * 366)
    )
    calendar = BusinessCalendar(NEW_YORK, WEEKDAYS_8_TO_5, closed_for_three_years)

    with pytest.raises(ValueError, match="no open day"):
        next_opening(local(date(2025, 1, 1), 10), calendar)


def test_naive_datetimes_are_refused() -> None:
    naive = datetime(2025, 6, 3, 10)

    with pytest.raises(ValueError, match="timezone-aware"):
        is_open(naive, PRACTICE)
    with pytest.raises(ValueError, match="timezone-aware"):
        next_opening(naive, PRACTICE)
    with pytest.raises(ValueError, match="timezone-aware"):
        add_business_time(naive, hours(4), PRACTICE)
    with pytest.raises(ValueError, match="timezone-aware"):
        business_minutes_between(local(date(2025, 6, 3), 10), naive, PRACTICE)


# --- add_business_time: minutes and hours ----------------------------------------------------


def test_four_hours_from_friday_afternoon_lands_monday_morning() -> None:
    friday = date(2025, 6, 6)

    due = add_business_time(local(friday, 15), hours(4), PRACTICE)

    assert due == local(date(2025, 6, 9), 10)
    assert due.tzinfo is UTC


def test_request_on_saturday_morning_counts_from_monday_opening() -> None:
    saturday = date(2025, 6, 7)

    assert add_business_time(local(saturday, 9), hours(4), PRACTICE) == local(date(2025, 6, 9), 12)


def test_due_time_skips_weekend_and_holiday() -> None:
    thursday_before_the_fourth = date(2025, 7, 3)

    due = add_business_time(local(thursday_before_the_fourth, 15), hours(4), PRACTICE)

    assert due == local(date(2025, 7, 7), 10)


def test_work_that_fits_the_day_exactly_is_due_at_closing_not_next_morning() -> None:
    tuesday = date(2025, 6, 3)

    assert add_business_time(local(tuesday, 13), hours(4), PRACTICE) == local(tuesday, 17)


def test_thirty_minutes_late_in_the_day_carries_into_the_next_morning() -> None:
    due = add_business_time(local(date(2025, 6, 3), 16, 45), minutes(30), PRACTICE)

    assert due == local(date(2025, 6, 4), 8, 15)


def test_request_arriving_at_closing_time_counts_from_the_next_opening() -> None:
    due = add_business_time(local(date(2025, 6, 3), 17), hours(1), PRACTICE)

    assert due == local(date(2025, 6, 4), 9)


def test_lunch_is_not_modelled_so_midday_counts_as_open_time() -> None:
    tuesday = date(2025, 6, 3)

    assert add_business_time(local(tuesday, 11), hours(3), PRACTICE) == local(tuesday, 14)


def test_a_target_longer_than_a_day_spans_several_days() -> None:
    # 20 business hours from Monday 08:00: 9 on Monday, 9 on Tuesday, 2 on Wednesday.
    due = add_business_time(local(date(2025, 6, 2), 8), hours(20), PRACTICE)

    assert due == local(date(2025, 6, 4), 10)


def test_negative_targets_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_business_time(local(date(2025, 6, 3), 10), hours(-1), PRACTICE)


def test_due_at_is_the_same_rule_as_add_business_time() -> None:
    received = local(date(2025, 6, 6), 15)

    assert due_at(received, hours(4), PRACTICE) == add_business_time(received, hours(4), PRACTICE)
    assert due_at(received=received, target=days(1), cal=PRACTICE) == local(date(2025, 6, 9), 15)


# --- add_business_time: business days --------------------------------------------------------


def test_one_day_from_tuesday_morning_is_wednesday_at_the_same_time() -> None:
    due = add_business_time(local(date(2025, 6, 3), 10, 30), days(1), PRACTICE)

    assert due == local(date(2025, 6, 4), 10, 30)


def test_one_day_from_friday_afternoon_is_monday_at_the_same_time() -> None:
    due = add_business_time(local(date(2025, 6, 6), 16), days(1), PRACTICE)

    assert due == local(date(2025, 6, 9), 16)


def test_one_day_from_saturday_is_tuesday_at_opening_time() -> None:
    due = add_business_time(local(date(2025, 6, 7), 11), days(1), PRACTICE)

    assert due == local(date(2025, 6, 10), 8)


def test_business_days_skip_a_holiday() -> None:
    due = add_business_time(local(date(2025, 7, 3), 10), days(1), PRACTICE)

    assert due == local(date(2025, 7, 7), 10)


def test_day_target_is_clamped_to_an_earlier_closing_time() -> None:
    short_wednesday = {**WEEKDAYS_8_TO_5, 2: OpeningHours(time(8), time(12))}
    calendar = BusinessCalendar(NEW_YORK, short_wednesday)

    due = add_business_time(local(date(2025, 6, 3), 15), days(1), calendar)

    assert due == local(date(2025, 6, 4), 12)


def test_day_target_is_clamped_to_a_later_opening_time() -> None:
    late_wednesday = {**WEEKDAYS_8_TO_5, 2: OpeningHours(time(10), time(17))}
    calendar = BusinessCalendar(NEW_YORK, late_wednesday)

    due = add_business_time(local(date(2025, 6, 3), 8, 30), days(1), calendar)

    assert due == local(date(2025, 6, 4), 10)


def test_day_target_keeps_local_time_across_spring_forward() -> None:
    friday_before = date(2025, 3, 7)

    due = add_business_time(local(friday_before, 10), days(1), PRACTICE)

    assert due == local(date(2025, 3, 10), 10)
    assert due == datetime(2025, 3, 10, 14, 0, tzinfo=UTC)  # EDT, not EST's 15:00


# --- daylight saving time --------------------------------------------------------------------


def test_opening_time_follows_the_local_clock_on_spring_forward_day() -> None:
    saturday_evening = local(date(2025, 3, 8), 18)

    opening = next_opening(saturday_evening, SEVEN_DAY_PRACTICE)

    assert opening == datetime(2025, 3, 9, 12, 0, tzinfo=UTC)  # 08:00 EDT


def test_opening_time_follows_the_local_clock_on_fall_back_day() -> None:
    saturday_evening = local(date(2025, 11, 1), 18)

    opening = next_opening(saturday_evening, SEVEN_DAY_PRACTICE)

    assert opening == datetime(2025, 11, 2, 13, 0, tzinfo=UTC)  # 08:00 EST


@pytest.mark.parametrize("day", [SPRING_FORWARD, FALL_BACK])
def test_an_eight_to_five_day_is_nine_real_hours_on_dst_change_days(day: date) -> None:
    whole_day = business_minutes_between(
        local(day, 0), local(day + timedelta(days=1), 0), SEVEN_DAY_PRACTICE
    )

    assert whole_day == 9 * 60


def test_hours_carried_over_spring_forward_night_land_on_local_time() -> None:
    due = add_business_time(local(date(2025, 3, 8), 15), hours(4), SEVEN_DAY_PRACTICE)

    assert due == local(SPRING_FORWARD, 10)
    assert due == datetime(2025, 3, 9, 14, 0, tzinfo=UTC)


def test_hours_carried_over_fall_back_night_land_on_local_time() -> None:
    due = add_business_time(local(date(2025, 11, 1), 15), hours(4), SEVEN_DAY_PRACTICE)

    assert due == local(FALL_BACK, 10)
    assert due == datetime(2025, 11, 2, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "open_minutes"),
    [(SPRING_FORWARD, 5 * 60), (FALL_BACK, 7 * 60)],
)
def test_a_night_line_open_across_the_clock_change_gains_or_loses_the_hour(
    day: date, open_minutes: int
) -> None:
    midnight_to_six = BusinessCalendar(
        NEW_YORK, {weekday: OpeningHours(time(0), time(6)) for weekday in range(7)}
    )

    counted = business_minutes_between(local(day, 0), local(day, 12), midnight_to_six)

    assert counted == open_minutes


def test_an_opening_time_the_clocks_skip_opens_when_the_clocks_jump() -> None:
    opens_at_half_past_two = BusinessCalendar(
        NEW_YORK, {weekday: OpeningHours(time(2, 30), time(17)) for weekday in range(7)}
    )

    opening = next_opening(local(SPRING_FORWARD, 0), opens_at_half_past_two)

    assert opening == datetime(2025, 3, 9, 7, 0, tzinfo=UTC)  # 03:00 EDT, the jump itself


# --- business_minutes_between ----------------------------------------------------------------


def test_no_business_minutes_when_end_is_not_after_start() -> None:
    at = local(date(2025, 6, 3), 10)

    assert business_minutes_between(at, at, PRACTICE) == 0
    assert business_minutes_between(at, at - timedelta(hours=1), PRACTICE) == 0


def test_business_minutes_skip_the_weekend() -> None:
    friday_afternoon = local(date(2025, 6, 6), 16)
    monday_morning = local(date(2025, 6, 9), 9)

    assert business_minutes_between(friday_afternoon, monday_morning, PRACTICE) == 120


def test_business_minutes_skip_a_holiday() -> None:
    thursday = local(date(2025, 7, 3), 16, 30)
    monday = local(date(2025, 7, 7), 8, 15)

    assert business_minutes_between(thursday, monday, PRACTICE) == 45


def test_business_minutes_count_fractions_of_a_minute() -> None:
    start = local(date(2025, 6, 3), 10)

    assert business_minutes_between(start, start + timedelta(seconds=90), PRACTICE) == 1.5


def test_a_calendar_without_hours_counts_no_business_minutes() -> None:
    never_open = BusinessCalendar(NEW_YORK, {})
    start = local(date(2025, 6, 3), 10)

    assert business_minutes_between(start, start + timedelta(days=30), never_open) == 0


# --- properties ------------------------------------------------------------------------------
#
# Random calendars in zones with DST (including Lord Howe's half-hour shift) and without,
# hours anywhere in the day so opening and closing times fall into skipped and repeated hours,
# and start times clustered around the 2025 clock changes.

ZONES = [
    ZoneInfo(name)
    for name in (
        "America/New_York",
        "Europe/London",
        "Australia/Lord_Howe",
        "Asia/Kolkata",
        "UTC",
    )
]
CLOCK_CHANGES = [
    datetime(2025, 3, 9, 7, tzinfo=UTC),  # New York springs forward
    datetime(2025, 11, 2, 6, tzinfo=UTC),  # New York falls back
    datetime(2025, 3, 30, 1, tzinfo=UTC),  # London springs forward
    datetime(2025, 10, 26, 1, tzinfo=UTC),  # London falls back
    datetime(2025, 4, 5, 15, tzinfo=UTC),  # Lord Howe falls back half an hour
    datetime(2025, 10, 4, 15, 30, tzinfo=UTC),  # Lord Howe springs forward half an hour
]
PROPERTY = settings(max_examples=120, deadline=None)

QUARTERS_IN_A_DAY = 24 * 4


def quarter_hour(index: int) -> time:
    return time(index // 4, index % 4 * 15)


@st.composite
def opening_hours(draw: st.DrawFn, earliest_opening: time = time(0)) -> OpeningHours:
    first = earliest_opening.hour * 4 + earliest_opening.minute // 15
    opens = draw(st.integers(first, QUARTERS_IN_A_DAY - 2))
    closes = draw(st.integers(opens + 1, QUARTERS_IN_A_DAY - 1))
    return OpeningHours(quarter_hour(opens), quarter_hour(closes))


@st.composite
def calendars(draw: st.DrawFn, earliest_opening: time = time(0)) -> BusinessCalendar:
    return BusinessCalendar(
        tz=draw(st.sampled_from(ZONES)),
        hours=draw(
            st.dictionaries(
                st.integers(0, 6), opening_hours(earliest_opening), min_size=1, max_size=7
            )
        ),
        holidays=draw(st.frozensets(st.dates(date(2025, 1, 1), date(2025, 12, 31)), max_size=40)),
    )


starts = st.one_of(
    st.builds(
        lambda change, offset: change + offset,
        st.sampled_from(CLOCK_CHANGES),
        st.timedeltas(-timedelta(days=4), timedelta(days=4)),
    ),
    st.datetimes(datetime(2025, 1, 1), datetime(2025, 12, 31), timezones=st.just(UTC)),
)
short_targets = st.builds(
    BusinessDuration,
    st.integers(1, 2400),
    st.just(Unit.MINUTES),
) | st.builds(BusinessDuration, st.integers(1, 40), st.just(Unit.HOURS))
day_targets = st.builds(BusinessDuration, st.integers(1, 10), st.just(Unit.DAYS))
any_targets = short_targets | day_targets


def target_minutes(target: BusinessDuration) -> int:
    return target.amount * (60 if target.unit is Unit.HOURS else 1)


@PROPERTY
@given(calendars(), starts, short_targets)
def test_business_minutes_up_to_the_due_time_equal_the_target(
    cal: BusinessCalendar, start: datetime, target: BusinessDuration
) -> None:
    due = add_business_time(start, target, cal)

    assert business_minutes_between(start, due, cal) == target_minutes(target)


@PROPERTY
@given(calendars(), starts, any_targets)
def test_due_time_is_never_before_the_request(
    cal: BusinessCalendar, start: datetime, target: BusinessDuration
) -> None:
    due = add_business_time(start, target, cal)

    assert due >= start
    assert due.tzinfo is UTC


@PROPERTY
@given(calendars(), starts, st.timedeltas(timedelta(0), timedelta(days=3)), short_targets)
def test_a_later_request_is_never_due_earlier(
    cal: BusinessCalendar, start: datetime, later_by: timedelta, target: BusinessDuration
) -> None:
    earlier_due = add_business_time(start, target, cal)
    later_due = add_business_time(start + later_by, target, cal)

    assert earlier_due <= later_due


# Day targets keep the wall-clock time, which runs backwards inside a repeated hour; they are
# monotonic for practices that are not open in the small hours when clocks change.
@PROPERTY
@given(
    calendars(earliest_opening=time(4)),
    starts,
    st.timedeltas(timedelta(0), timedelta(days=3)),
    day_targets,
)
def test_a_later_request_is_never_due_earlier_in_business_days(
    cal: BusinessCalendar, start: datetime, later_by: timedelta, target: BusinessDuration
) -> None:
    earlier_due = add_business_time(start, target, cal)
    later_due = add_business_time(start + later_by, target, cal)

    assert earlier_due <= later_due


@PROPERTY
@given(calendars(), starts, short_targets)
def test_an_hours_target_is_due_in_opening_hours_or_exactly_at_closing(
    cal: BusinessCalendar, start: datetime, target: BusinessDuration
) -> None:
    due = add_business_time(start, target, cal)

    just_before = due - timedelta(microseconds=1)
    assert is_open(due, cal) or (is_open(just_before, cal) and not is_open(due, cal))


@PROPERTY
@given(calendars(), starts, day_targets)
def test_a_day_target_is_due_on_an_open_day(
    cal: BusinessCalendar, start: datetime, target: BusinessDuration
) -> None:
    due = add_business_time(start, target, cal)

    due_day = due.astimezone(cal.tz).date()
    assert due_day.weekday() in cal.hours
    assert due_day not in cal.holidays
    assert business_minutes_between(next_opening(start, cal), due, cal) > 0


@PROPERTY
@given(calendars(), starts)
def test_next_opening_is_open_and_nothing_before_it_is(
    cal: BusinessCalendar, start: datetime
) -> None:
    opening = next_opening(start, cal)

    assert opening >= start
    assert is_open(opening, cal)
    assert business_minutes_between(start, opening, cal) == 0


# A calendar remembers each day's open interval once worked out: the sums must not depend on
# what it remembers, nor its value on what it has seen.
@given(
    st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2026, 12, 31)),
    st.integers(min_value=0, max_value=5000),
)
@settings(max_examples=200)
def test_a_calendar_that_remembers_its_days_sums_as_a_fresh_one(
    naive_start: datetime, minutes: int
) -> None:
    start = naive_start.replace(tzinfo=UTC)
    duration = BusinessDuration(minutes, Unit.MINUTES)
    fresh = BusinessCalendar(NEW_YORK, WEEKDAYS_8_TO_5, frozenset({INDEPENDENCE_DAY}))
    assert add_business_time(start, duration, PRACTICE) == add_business_time(start, duration, fresh)
    assert PRACTICE.open_intervals  # it has seen days
    assert fresh == BusinessCalendar(NEW_YORK, WEEKDAYS_8_TO_5, frozenset({INDEPENDENCE_DAY}))


def test_a_calendar_forgets_its_days_when_it_has_seen_too_many(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import bot.domain.sla as sla_module

    monkeypatch.setattr(sla_module, "_KNOWN_DAYS_MAX", 10)
    calendar = BusinessCalendar(NEW_YORK, WEEKDAYS_8_TO_5)
    start = datetime(2025, 6, 2, 13, tzinfo=UTC)
    due = add_business_time(start, BusinessDuration(30, Unit.DAYS), calendar)
    assert len(calendar.open_intervals) <= 10
    assert due == add_business_time(
        start, BusinessDuration(30, Unit.DAYS), BusinessCalendar(NEW_YORK, WEEKDAYS_8_TO_5)
    )


@settings(max_examples=600, deadline=None)
@given(calendars(), starts, st.timedeltas(timedelta(0), timedelta(hours=30)))
def test_a_sum_within_one_open_stretch_is_what_the_day_by_day_walk_gives(
    cal: BusinessCalendar, start: datetime, amount: timedelta
) -> None:
    """The short cut for a sum that starts and ends in one open interval (most targets,
    and most of an item's aging thresholds) never differs from walking the open days, in
    any zone, around every clock change, to the microsecond."""
    due = _add_open_time(start, amount, cal)
    assert due == _walk_open_time(start, amount, cal)
    assert due.tzinfo is UTC
    end = start + amount
    if end > start:
        assert business_minutes_between(start, end, cal) == _walk_open_minutes(start, end, cal)
        # The same instants written in the practice's zone (one zone: wall-clock arithmetic).
        local_start, local_end = start.astimezone(cal.tz), end.astimezone(cal.tz)
        assert _add_open_time(local_start, amount, cal) == due
        assert business_minutes_between(local_start, local_end, cal) == _walk_open_minutes(
            start, end, cal
        )


def test_minutes_within_one_open_stretch_across_a_clock_change_count_real_time() -> None:
    """A practice open through the night New York falls back: from 00:30 to 03:00 on its
    clocks is three and a half hours, whichever zone the two times are written in."""
    all_night = BusinessCalendar(
        NEW_YORK, {weekday: OpeningHours(time(0), time(23, 45)) for weekday in range(7)}
    )
    start, end = local(FALL_BACK, 0, 30), local(FALL_BACK, 3)

    assert business_minutes_between(start, end, all_night) == 210
    assert business_minutes_between(start.astimezone(UTC), end, all_night) == 210
    assert _add_open_time(start, timedelta(minutes=210), all_night) == end


ROUND_THE_CLOCK = BusinessCalendar(
    NEW_YORK, {weekday: OpeningHours(time(0), time(0), until_midnight=True) for weekday in range(7)}
)


@settings(deadline=None, max_examples=200)
@given(
    start=st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)
    ),
    minutes=st.integers(min_value=1, max_value=14 * 24 * 60),
)
def test_round_the_clock_business_time_is_wall_clock_time(start: datetime, minutes: int) -> None:
    """Open 00:00-24:00 every day (a 24/7 nurse line): never closed, not for a minute at
    midnight, nor across a daylight-saving change."""
    assert is_open(start, ROUND_THE_CLOCK)
    assert next_opening(start, ROUND_THE_CLOCK) == start
    due = add_business_time(start, BusinessDuration(minutes, Unit.MINUTES), ROUND_THE_CLOCK)
    assert due == start + timedelta(minutes=minutes)
    assert business_minutes_between(start, due, ROUND_THE_CLOCK) == minutes


def test_round_the_clock_is_open_in_the_last_minute_of_the_day() -> None:
    moment = datetime.combine(FALL_BACK, time(23, 59, 30), tzinfo=NEW_YORK)
    assert is_open(moment, ROUND_THE_CLOCK)
    a_day = add_business_time(
        datetime.combine(FALL_BACK, time(12), tzinfo=NEW_YORK),
        BusinessDuration(24, Unit.HOURS),
        ROUND_THE_CLOCK,
    )
    assert a_day == datetime.combine(FALL_BACK, time(12), tzinfo=NEW_YORK).astimezone(
        UTC
    ) + timedelta(hours=24)
