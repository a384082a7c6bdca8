"""The aging rules: thresholds in business time, which alerts are due, when a promise's owner
is reminded, and when an alert is no longer true."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.aging import (
    Alert,
    AlertKind,
    Cleared,
    FirstLook,
    PromiseDeadline,
    Stage,
    alerts_due,
    first_look,
    milestones,
    next_look,
    no_longer_true,
    promise_alerts_due,
    promise_reminder_at,
    reminder_for,
    stage_at,
)
from bot.domain.items import Item, Origin, Patient, Status
from bot.domain.lanes import BusinessCalendar, BusinessDuration, OpeningHours, Unit
from bot.domain.sla import add_business_time, is_open

NEW_YORK = ZoneInfo("America/New_York")
CAL = BusinessCalendar(NEW_YORK, {weekday: OpeningHours(time(8), time(17)) for weekday in range(5)})
MONDAY, TUESDAY = date(2026, 11, 23), date(2026, 11, 24)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=NEW_YORK).astimezone(UTC)


def test_a_four_hour_target_warns_at_75_percent_and_doubles_one_target_after_the_due_time() -> None:
    m = milestones(local(MONDAY, 9), local(MONDAY, 13), CAL)
    assert m.warning == local(MONDAY, 12)
    assert m.due_soon == local(MONDAY, 12)  # the last quarter of 4 h
    assert m.breach == local(MONDAY, 13)
    assert m.twice == local(MONDAY, 17)


def test_thresholds_count_business_time_across_the_night() -> None:
    # Received Monday 15:00, due Tuesday 10:00 (4 business hours): 75% is Tuesday 9:00.
    m = milestones(local(MONDAY, 15), local(TUESDAY, 10), CAL)
    assert m.warning == local(TUESDAY, 9)
    assert m.twice == local(TUESDAY, 14)
    half = milestones(local(MONDAY, 15), local(TUESDAY, 10), CAL, warn_at=0.5)
    assert half.warning == local(MONDAY, 17)  # two business hours: exactly at closing


THIRTY_MINUTES = BusinessDuration(30, Unit.MINUTES)


def test_after_a_move_the_thresholds_measure_the_new_lanes_target_back_from_the_new_due_time() -> (
    None
):
    """Received Monday 9:00 in a 4 h lane, moved at 15:00 to a 30 min lane: due 15:30. The
    managers hear of twice its target at 16:00, not Tuesday 13:00 (the 6.5 h from
    received to due is not its target)."""
    received, due = local(MONDAY, 9), local(MONDAY, 15, 30)
    m = milestones(received, due, CAL, target=THIRTY_MINUTES)
    assert m.twice == local(MONDAY, 16)
    assert m.warning == local(MONDAY, 15, 23)  # 75% of 30 min after the move (22.5, rounded up)
    assert m.due_soon == local(MONDAY, 15, 15)  # the card's due-soon window for 30 min: 15 min
    assert m.breach == due
    stretched = milestones(received, due, CAL)  # received to due as the target: the defect
    assert stretched.twice == local(TUESDAY, 13)


def test_after_a_resumed_wait_twice_the_target_is_one_target_past_the_new_due_time() -> None:
    """30 min target, parked at 9:10 with 20 min left, resumed Tuesday 9:00: due 9:20."""
    m = milestones(local(MONDAY, 9), local(TUESDAY, 9, 20), CAL, target=THIRTY_MINUTES)
    assert m.twice == local(TUESDAY, 9, 50)
    assert m.warning == local(TUESDAY, 9, 13)  # 7.5 min before due, as before the wait
    assert not alerts_due(m, local(TUESDAY, 9))  # nothing fires the moment it comes back


@settings(deadline=None, max_examples=60)
@given(
    received=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
    before=st.integers(min_value=0, max_value=5000),
    target=st.integers(min_value=1, max_value=3000),
    share=st.integers(1, 99),
)
def test_a_due_time_set_again_keeps_the_targets_distances(
    received: datetime, before: int, target: int, share: int
) -> None:
    """However long an item spent before its due time was set again (a move, a resumed
    wait), its thresholds stand where a new item's would, received at that moment; and an
    item whose due time was never set again gets the same thresholds with or without its
    lane's target."""
    duration = BusinessDuration(target, Unit.MINUTES)
    restarted = add_business_time(received, BusinessDuration(before, Unit.MINUTES), CAL)
    due = add_business_time(restarted, duration, CAL)
    moved = milestones(received, due, CAL, warn_at=share / 100, target=duration)
    fresh = milestones(restarted, due, CAL, warn_at=share / 100)
    assert moved == fresh
    untouched = add_business_time(received, duration, CAL)
    assert milestones(received, untouched, CAL, share / 100, duration) == milestones(
        received, untouched, CAL, share / 100
    )


def test_a_breach_supersedes_the_warning_and_twice_the_target_adds_the_managers() -> None:
    m = milestones(local(MONDAY, 9), local(MONDAY, 13), CAL)
    assert alerts_due(m, local(MONDAY, 11, 59)) == []
    assert alerts_due(m, local(MONDAY, 12)) == [AlertKind.WARNING]
    assert alerts_due(m, local(MONDAY, 13)) == [AlertKind.BREACH]
    assert alerts_due(m, local(MONDAY, 17)) == [AlertKind.BREACH, AlertKind.TWICE]
    assert [stage_at(m, local(MONDAY, h)) for h in (9, 12, 13, 17)] == [
        Stage.ON_TRACK,
        Stage.DUE_SOON,
        Stage.OVERDUE,
        Stage.TWICE,
    ]


def test_a_promise_is_reminded_30_minutes_before_when_open() -> None:
    assert promise_reminder_at(local(MONDAY, 15), CAL) == local(MONDAY, 14, 30)


def test_a_promise_due_just_after_opening_is_reminded_at_the_last_open_moment_before() -> None:
    assert promise_reminder_at(local(TUESDAY, 8, 15), CAL) == local(MONDAY, 16, 59)


def test_a_promise_made_after_its_reminder_time_gets_no_reminder_only_the_missed_alert() -> None:
    promise = PromiseDeadline(1, due_at=local(MONDAY, 15), made_at=local(MONDAY, 14, 45))
    assert promise_alerts_due(promise, local(MONDAY, 14, 50), CAL) == []
    assert promise_alerts_due(promise, local(MONDAY, 15), CAL) == [AlertKind.PROMISE_MISSED]


def test_a_promise_made_after_hours_for_early_tomorrow_is_reminded_at_the_opening() -> None:
    promise = PromiseDeadline(1, due_at=local(TUESDAY, 8, 15), made_at=local(MONDAY, 17, 30))
    assert reminder_for(promise, CAL) == local(TUESDAY, 8)
    assert promise_alerts_due(promise, local(TUESDAY, 7, 59), CAL) == []
    assert promise_alerts_due(promise, local(TUESDAY, 8), CAL) == [AlertKind.PROMISE_SOON]
    assert next_look(None, [promise], local(MONDAY, 17, 30), CAL) == local(TUESDAY, 8)


def test_the_next_look_is_the_next_threshold_or_promise_moment() -> None:
    m = milestones(local(MONDAY, 9), local(MONDAY, 13), CAL)
    promise = PromiseDeadline(1, due_at=local(MONDAY, 11), made_at=local(MONDAY, 9))
    assert next_look(m, [promise], local(MONDAY, 9), CAL) == local(MONDAY, 10, 30)
    assert next_look(m, [], local(MONDAY, 12), CAL) == local(MONDAY, 13)
    assert next_look(m, [], local(MONDAY, 17), CAL) is None


moments = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)


@settings(deadline=None, max_examples=60)
@given(received=moments, target=st.integers(min_value=1, max_value=3000), share=st.integers(1, 99))
def test_thresholds_come_in_order_and_never_pass_while_closed(
    received: datetime, target: int, share: int
) -> None:
    due = add_business_time(received, BusinessDuration(target, Unit.MINUTES), CAL)
    m = milestones(received, due, CAL, warn_at=share / 100)
    assert received <= m.warning <= m.breach < m.twice
    assert received <= m.due_soon <= m.breach
    for moment in (m.warning, m.due_soon, m.twice):
        # Inside opening hours, or exactly at a closing time (business time ended there).
        assert is_open(moment, CAL) or is_open(moment - timedelta(microseconds=1), CAL)


def test_a_new_item_is_first_looked_at_at_its_first_threshold_with_the_stage_its_card_shows() -> (
    None
):
    m = milestones(local(MONDAY, 9), local(MONDAY, 13), CAL)
    assert first_look(m, local(MONDAY, 9), CAL) == FirstLook(local(MONDAY, 12), "on_track")
    # Logged late, inside the last quarter: due soon already, no alert yet.
    m = milestones(local(MONDAY, 9), local(MONDAY, 13), CAL, warn_at=0.9)
    assert first_look(m, local(MONDAY, 12, 30), CAL) == FirstLook(local(MONDAY, 12, 36), "due_soon")


def test_a_new_item_already_past_its_warning_or_due_is_looked_at_at_once() -> None:
    # Friday's 4:30 PM voicemail, logged Monday at 9:00 past its warning; then past its due.
    m = milestones(local(MONDAY - timedelta(days=3), 16, 30), local(MONDAY, 11, 30), CAL)
    assert first_look(m, local(MONDAY, 11), CAL) == FirstLook(local(MONDAY, 11), "")
    assert first_look(m, local(MONDAY, 12), CAL) == FirstLook(local(MONDAY, 12), "")


@settings(deadline=None, max_examples=200)
@given(
    received=moments,
    target=st.integers(min_value=1, max_value=3000),
    share=st.integers(1, 99),
    late=st.integers(min_value=0, max_value=6000),
)
def test_no_stage_or_alert_changes_before_a_new_items_first_look(
    received: datetime, target: int, share: int, late: int
) -> None:
    """Skipping the job's look until `at` misses nothing: until then the stage is the one
    recorded and no alert is due; when an alert is due, the look is at once."""
    due = add_business_time(received, BusinessDuration(target, Unit.MINUTES), CAL)
    m = milestones(received, due, CAL, warn_at=share / 100)
    now = received + timedelta(minutes=late)
    look = first_look(m, now, CAL)
    if alerts_due(m, now):
        assert look == FirstLook(now, "")
        return
    assert look.at is not None and look.at > now
    assert look.stage == stage_at(m, now).value
    just_before = look.at - timedelta(microseconds=1)
    assert stage_at(m, just_before).value == look.stage
    assert alerts_due(m, just_before) == []
    assert stage_at(m, look.at).value != look.stage or alerts_due(m, look.at)


@settings(deadline=None, max_examples=60)
@given(due=moments)
def test_a_reminder_is_never_after_the_deadline_and_never_while_closed(due: datetime) -> None:
    remind = promise_reminder_at(due, CAL)
    assert remind <= due - timedelta(minutes=30)
    assert is_open(remind, CAL)


ITEM = Item(
    key="CQ-1",
    lane="scheduling",
    request_type="Reschedule",
    origin=Origin.PHONE_CALL,
    status=Status.NEW,
    patient=Patient("MRN-1", "Jane Doe", "(555) 201-4477", "English"),
    summary="",
    received_at=local(MONDAY, 9),
    due_at=local(MONDAY, 13),
    next_action="Call the patient back",
)


def test_an_alert_raised_while_unowned_is_no_longer_true_once_claimed() -> None:
    alert = Alert(1, AlertKind.BREACH, ITEM.due_at, owner=None)
    assert no_longer_true(alert, ITEM) is None
    claimed = dataclasses.replace(ITEM, status=Status.CLAIMED, owner="U1")
    assert no_longer_true(alert, claimed) is Cleared.CLAIMED
    # Raised to an owner: a claim changes nothing, a close ends it.
    owned = Alert(2, AlertKind.BREACH, ITEM.due_at, owner="U1")
    assert no_longer_true(owned, claimed) is None
    closed = dataclasses.replace(claimed, status=Status.RESOLVED)
    assert no_longer_true(owned, closed) is Cleared.CLOSED


def test_an_answered_item_with_a_new_due_time_clears_its_aging_alerts() -> None:
    alert = Alert(1, AlertKind.WARNING, ITEM.due_at, owner="U1")
    answered = dataclasses.replace(ITEM, owner="U1", due_at=local(TUESDAY, 10))
    assert no_longer_true(alert, answered) is Cleared.UPDATED
    waiting = dataclasses.replace(ITEM, owner="U1", status=Status.WAITING)
    assert no_longer_true(alert, waiting) is Cleared.UPDATED


def test_a_promise_alert_ends_when_its_promise_is_kept() -> None:
    alert = Alert(1, AlertKind.PROMISE_SOON, local(MONDAY, 15), owner="U1", promise_id=7)
    assert no_longer_true(alert, ITEM, open_promise_ids=[7]) is None
    assert no_longer_true(alert, ITEM, open_promise_ids=[]) is Cleared.KEPT
