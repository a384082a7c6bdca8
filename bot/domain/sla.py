"""The SLA clock: business time in the practice's own hours, time zone and holidays."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from bot.domain.lanes import BusinessCalendar, BusinessDuration, SameDay, Target, Unit

# How far ahead we look for the next open day before deciding the calendar is unusable:
# two years of holidays plus a week, so a closed stretch can never spin forever.
_HORIZON_DAYS = 2 * 366 + 7
_ONE_DAY = timedelta(days=1)
# A calendar keeps the open intervals of at most this many days; a long-lived process
# starts over when it has seen this many. (Working each day out on every SLA sum cost an
# intake about 100 microseconds of its 150 in due_at and the aging milestones.)
_KNOWN_DAYS_MAX = 4096
_ONE_MICROSECOND = timedelta(microseconds=1)

# A promise, a check-back or a next attempt further out than this is a typo in the year
# (a datepicker offers 9999-12-31): refused by name rather than stored.
PLANNING_HORIZON = timedelta(days=366)
FAR_AHEAD = "Pick a day within the next year."


def is_open(at: datetime, cal: BusinessCalendar) -> bool:
    """Say whether the practice is open at `at`: inside [opens, closes) on a non-holiday.

    Refuses (ValueError) a naive datetime.
    """
    _require_aware(at, "at")
    day = _local_date(at, cal)
    # Neighbouring days too: a transition at midnight can put a day's hours on the other date.
    for candidate in (day - _ONE_DAY, day, day + _ONE_DAY):
        interval = _open_interval(candidate, cal)
        if interval is not None and interval[0] <= at < interval[1]:
            return True
    return False


def next_opening(at: datetime, cal: BusinessCalendar) -> datetime:
    """Return `at` (in UTC) if the practice is open then, else the next moment it opens.

    Refuses (ValueError) a naive datetime, a calendar with no opening hours at all, and a
    calendar whose holidays keep it closed for the next two years.
    """
    _require_aware(at, "at")
    opening, _ = _next_open(at, cal)
    return opening


def add_business_time(
    start: datetime, duration: BusinessDuration, cal: BusinessCalendar
) -> datetime:
    """Return the UTC moment `duration` of business time after `start`: the SLA due time.

    Minutes and hours count only open time, so a due time is inside opening hours or exactly
    at a closing time. Days count open days: from the next opening at or after `start`, move
    that many open days forward at the same local time of day, clamped into that day's hours.
    Refuses (ValueError) a naive datetime, a negative duration and a calendar that never opens.
    """
    _require_aware(start, "start")
    if duration.amount < 0:
        raise ValueError(f"a response target cannot be negative: {duration}")
    if duration.unit is Unit.DAYS:
        return _add_business_days(start, duration.amount, cal)
    step = timedelta(hours=1) if duration.unit is Unit.HOURS else timedelta(minutes=1)
    return _add_open_time(start, duration.amount * step, cal)


def due_at(received: datetime, target: Target, cal: BusinessCalendar) -> datetime:
    """Return when a request received at `received` is due under `target`.

    A business duration follows `add_business_time`. Same-day: the first open moment at or
    after `received` decides the day; before that day's cut-off the request is due at its
    closing time, at or after it `after_cutoff` after the next business day's opening. So a
    missed call at 10:00 Monday is due at Monday's close, a voicemail left overnight by
    today's close, and one left at 16:00 (cut-off 15:00) late the next business morning.
    """
    if isinstance(target, SameDay):
        return _same_day_due(received, target, cal)
    return add_business_time(received, target, cal)


class Urgency(StrEnum):
    ON_TRACK = "on_track"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class DueState:
    """Where an item stands against its due time at one moment, in business minutes: left
    until due (rounded up: "due in 40 min" never overstates the time left), or past due
    (rounded down)."""

    urgency: Urgency
    minutes: int


# "Due soon" is the last quarter of the target, at least 30 minutes, but never more than
# half the target: a 30-minute target is not due soon the moment it arrives.
DUE_SOON_SHARE = 0.25
DUE_SOON_MINUTES = 30.0


def due_soon_window(target_minutes: float) -> float:
    """How many business minutes before its due time an item with this target is due soon."""
    return max(target_minutes * DUE_SOON_SHARE, min(DUE_SOON_MINUTES, target_minutes / 2))


def due_state(
    received: datetime,
    due: datetime,
    now: datetime,
    cal: BusinessCalendar,
    target: Target | None = None,
) -> DueState:
    """Say whether an item received at `received` and due at `due` is on track, due soon or
    overdue at `now`, and by how many business minutes.

    The target is the lane's `target` in business minutes, never more than received to due
    (`target_minutes`); without `target`, received to due. Overdue starts at the due
    time itself; an item past its due time while the practice is closed is overdue by 0
    business minutes until it opens.
    """
    if now >= due:
        return DueState(Urgency.OVERDUE, math.floor(business_minutes_between(due, now, cal)))
    left = business_minutes_between(now, due, cal)
    minutes = target_minutes(received, due, target, cal)
    urgency = Urgency.DUE_SOON if left <= due_soon_window(minutes) else Urgency.ON_TRACK
    return DueState(urgency, math.ceil(left))


def target_minutes(
    received: datetime, due: datetime, target: Target | None, cal: BusinessCalendar
) -> float:
    """The business minutes of an item's response target: `target` (its lane's, for its
    origin) as it reads from `received`, but never more than received to due.

    Received to due alone is the target only until the due time is set again: after a move
    (due counts from the move) or a resumed wait (due counts from the resume), it also holds
    the time before the move or in the wait, and thresholds measured by it (due soon, twice
    the target) would come hours or a day late. A target longer than received to due (the
    practice file raised it since) leaves the due time the item was given its measure.
    """
    elapsed = business_minutes_between(received, due, cal)
    if target is None:
        return elapsed
    return min(elapsed, business_minutes_between(received, due_at(received, target, cal), cal))


def last_closing(
    at: datetime, cal: BusinessCalendar, *, within: timedelta = timedelta(days=7)
) -> tuple[date, datetime] | None:
    """The latest business day whose closing time is at or before `at`, with that closing
    time (UTC); None when no business day closed in the `within` before `at`."""
    return _last_boundary(at, cal, within, 1)


def last_opening(
    at: datetime, cal: BusinessCalendar, *, within: timedelta = timedelta(days=7)
) -> tuple[date, datetime] | None:
    """The latest business day whose opening time is at or before `at`, with that opening
    time (UTC); None when no business day opened in the `within` before `at`."""
    return _last_boundary(at, cal, within, 0)


def _last_boundary(
    at: datetime, cal: BusinessCalendar, within: timedelta, end: int
) -> tuple[date, datetime] | None:
    """The latest business day whose opening (`end` 0) or closing (`end` 1) is at or before
    `at` and no earlier than `within` before it, with that moment."""
    _require_aware(at, "at")
    day = _local_date(at, cal) + _ONE_DAY
    earliest = at - within
    while True:
        interval = _open_interval(day, cal)
        if interval is not None and interval[end] <= at:
            return (day, interval[end]) if interval[end] >= earliest else None
        if datetime.combine(day, time(0), tzinfo=cal.tz) < earliest - _ONE_DAY:
            return None
        day -= _ONE_DAY


def business_minutes_between(start: datetime, end: datetime, cal: BusinessCalendar) -> float:
    """Count the open minutes in [start, end); 0 when `end` is not after `start`.

    Refuses (ValueError) naive datetimes. A calendar with no opening hours counts 0.
    """
    _require_aware(start, "start")
    _require_aware(end, "end")
    if end <= start:
        return 0.0
    inside = _interval_holding(start, cal)
    if inside is not None and end <= inside[1]:  # within one open stretch (most targets)
        # In UTC: two times in one zone subtract by their wall clocks, across a clock change.
        return (end.astimezone(UTC) - start.astimezone(UTC)) / timedelta(minutes=1)
    return _walk_open_minutes(start, end, cal)


def _walk_open_minutes(start: datetime, end: datetime, cal: BusinessCalendar) -> float:
    """`business_minutes_between`, day by day (start before end, both aware)."""
    total = timedelta(0)
    day = _local_date(start, cal) - _ONE_DAY
    last = _local_date(end, cal) + _ONE_DAY
    while day <= last:
        interval = _open_interval(day, cal)
        if interval is not None:
            overlap = min(interval[1], end) - max(interval[0], start)
            if overlap > timedelta(0):
                total += overlap
        day += _ONE_DAY
    return total / timedelta(minutes=1)


def clinic_day(
    received: datetime, cal: BusinessCalendar, cutoff: time | None = None
) -> tuple[datetime, datetime, bool]:
    """The clinic day a request received at `received` is answered on: (when its clock
    starts, that day's closing time, whether it arrived before the day's cut-off). The day is
    the one of the next opening at or after `received` (an overnight voicemail belongs to the
    morning); the cut-off is `cutoff` local time, or the closing time when None.

    Refuses (ValueError) a naive datetime and a calendar that never opens.
    """
    _require_aware(received, "received")
    start, day = _next_open(received, cal)
    interval = _open_interval(day, cal)
    assert interval is not None  # _next_open only returns open days
    closes = interval[1]
    limit = closes if cutoff is None else min(closes, _first_instant_at_or_after(day, cutoff, cal))
    return start, closes, start < limit


def _add_open_time(start: datetime, amount: timedelta, cal: BusinessCalendar) -> datetime:
    inside = _interval_holding(start, cal)
    if inside is not None and amount <= inside[1] - start:  # done before this stretch closes
        return start.astimezone(UTC) + amount
    return _walk_open_time(start, amount, cal)


def _interval_holding(at: datetime, cal: BusinessCalendar) -> tuple[datetime, datetime] | None:
    """The open interval `at` is in, when it is in its own local day's; else None (closed,
    or a case the day-by-day walks decide). Open days' intervals never overlap: each lies
    within its local date, so the walks skip every earlier one and begin in this one."""
    interval = _open_interval(_local_date(at, cal), cal)
    if interval is not None and interval[0] <= at < interval[1]:
        return interval
    return None


def _walk_open_time(start: datetime, amount: timedelta, cal: BusinessCalendar) -> datetime:
    """`_add_open_time`, interval by interval."""
    start = start.astimezone(UTC)
    remaining = amount
    for opens, closes, _ in _open_days_from(start, cal):
        if closes <= start:
            continue
        begin = max(opens, start)
        available = closes - begin
        # `<=` so that work fitting exactly into the day is due at closing, not next morning.
        if remaining <= available:
            return begin + remaining
        remaining -= available
    raise AssertionError("unreachable: the open intervals never run out")


def _same_day_due(received: datetime, rule: SameDay, cal: BusinessCalendar) -> datetime:
    _, closes, before_cutoff = clinic_day(received, cal, rule.cutoff)
    if before_cutoff:
        return closes
    # From the closing time, business time resumes at the next business day's opening.
    return add_business_time(closes, rule.after_cutoff, cal)


def _add_business_days(start: datetime, days: int, cal: BusinessCalendar) -> datetime:
    opening, day = _next_open(start, cal)
    time_of_day = opening.astimezone(cal.tz).time()
    for _ in range(days):
        day = _next_open_day_after(day, cal)
    interval = _open_interval(day, cal)
    assert interval is not None  # _next_open_day_after only returns open days
    opens, closes = interval
    wanted = _first_instant_at_or_after(day, time_of_day, cal)
    return min(max(wanted, opens), closes)


def _next_open(at: datetime, cal: BusinessCalendar) -> tuple[datetime, date]:
    """The first open moment at or after `at`, with the local day whose hours contain it."""
    for opens, closes, day in _open_days_from(at, cal):
        if closes > at:
            return max(opens, at.astimezone(UTC)), day
    raise AssertionError("unreachable: the open intervals never run out")


def _open_days_from(
    at: datetime, cal: BusinessCalendar
) -> Iterator[tuple[datetime, datetime, date]]:
    """Open intervals in time order from the day before `at`'s local date, without end.

    Raises ValueError when the calendar never opens or stays closed past the horizon (at
    the first closed day: `_next_open_day_after` checks, so an open day costs no check).
    """
    day = _local_date(at, cal) - _ONE_DAY
    while True:
        interval = _open_interval(day, cal)
        if interval is None:
            day = _next_open_day_after(day, cal)
            interval = _open_interval(day, cal)
            assert interval is not None
        yield interval[0], interval[1], day
        day += _ONE_DAY


def _next_open_day_after(day: date, cal: BusinessCalendar) -> date:
    _require_some_opening_hours(cal)
    for offset in range(1, _HORIZON_DAYS + 1):
        candidate = day + timedelta(days=offset)
        if _open_interval(candidate, cal) is not None:
            return candidate
    raise ValueError(
        f"the practice calendar has no open day in the {_HORIZON_DAYS} days after {day}"
    )


def _open_interval(day: date, cal: BusinessCalendar) -> tuple[datetime, datetime] | None:
    """The day's opening hours as a UTC [opens, closes) pair, or None if closed that day.

    Each end is converted from local wall time on that day, so a DST change moves the UTC
    offset rather than the hours, and a day whose hours collapse to nothing is closed.
    """
    known = cal.open_intervals
    if day in known:
        return known[day]
    if len(known) >= _KNOWN_DAYS_MAX:
        known.clear()
    interval = known[day] = _work_out_open_interval(day, cal)
    return interval


def _work_out_open_interval(day: date, cal: BusinessCalendar) -> tuple[datetime, datetime] | None:
    if day in cal.holidays:
        return None
    hours = cal.hours.get(day.weekday())
    if hours is None:
        return None
    opens = _first_instant_at_or_after(day, hours.opens, cal)
    if hours.until_midnight:  # the next day's first moment: open days touch, nothing closes
        closes = _first_instant_at_or_after(day + _ONE_DAY, time(0), cal)
    else:
        closes = _first_instant_at_or_after(day, hours.closes, cal)
    if closes <= opens:
        return None
    return opens, closes


def _first_instant_at_or_after(day: date, wall: time, cal: BusinessCalendar) -> datetime:
    """The first UTC moment at which the practice's clocks read `wall` or later on `day`.

    In a repeated (fall-back) hour that is the first occurrence; in a skipped (spring-forward)
    hour it is the moment the clocks jump, which keeps the mapping monotonic.
    """
    naive = datetime.combine(day, wall)
    earlier_offset = naive.replace(tzinfo=cal.tz, fold=0).astimezone(UTC)
    later_offset = naive.replace(tzinfo=cal.tz, fold=1).astimezone(UTC)
    if earlier_offset <= later_offset:
        return earlier_offset  # the wall time exists (once, or twice: take the first)
    # The wall time was skipped. The clocks read earlier at `low` and later at `high`;
    # narrow down to the microsecond where they jump past it.
    low, high = later_offset, earlier_offset
    while high - low > _ONE_MICROSECOND:
        middle = low + (high - low) // 2
        if middle.astimezone(cal.tz).replace(tzinfo=None) >= naive:
            high = middle
        else:
            low = middle
    return high


def _local_date(at: datetime, cal: BusinessCalendar) -> date:
    return at.astimezone(cal.tz).date()


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got naive {value}")


def _require_some_opening_hours(cal: BusinessCalendar) -> None:
    if not any(hours.has_time for hours in cal.hours.values()):
        raise ValueError("the practice calendar has no opening hours")
