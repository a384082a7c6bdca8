"""Each weekly metric on one small event log whose answers were worked out by hand.

The practice is open Monday to Friday 8:00-17:00 in New York. The week reported runs from
Monday 2 June 2025 0:00 to Monday 9 June 0:00. The items:

- CQ-1 scheduling voicemail at Mon 7:30 (before opening), claimed 9:00, called 9:30, closed
  10:00 "appointment booked" (a reschedule): first response 60 business minutes.
- CQ-2 scheduling missed call at Mon 16:00 (after the 15:00 cut-off), Spanish, first
  called Tue 9:00: 60 + 60 = 120 business minutes; still open.
- CQ-3 referrals portal message at Tue 10:00, a repeat contact of CQ-1, claimed 14:00
  (240 min), waiting on the referral office from Wed 9:00; still open.
- CQ-4 clinical message at Wed 11:00, escalated (chest_pain) 11:05, resolved as
  appropriate 11:30, closed 12:00 (60 min); a QA review Thu 10:00 scoring 5,4,3,4,4.
- CQ-5 scheduling, received the Thursday before the week, never touched: the oldest.
- CQ-6 insurance at Thu 8:30, claimed 8:45 (15 min), escalated (billing) 9:00, marked not
  clinical as not appropriate 9:30; still open.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import metrics
from bot.domain.event_details import (
    Claimed,
    Closed,
    Created,
    Details,
    Escalated,
    EscalationResolved,
    MarkedNotClinical,
    Merged,
    QaReviewed,
    Waited,
)
from bot.domain.events import Event
from bot.domain.item_history import ItemHistory, OldestOpen, Period, Rate, Times
from bot.domain.items import Action
from bot.domain.lanes import (
    BusinessCalendar,
    BusinessDuration,
    Lane,
    OpeningHours,
    SameDay,
    Unit,
)

NY = ZoneInfo("America/New_York")
CAL = BusinessCalendar(NY, {day: OpeningHours(time(8), time(17)) for day in range(5)})
MON = date(2025, 6, 2)
WEEK = Period(datetime(2025, 6, 2, tzinfo=NY), datetime(2025, 6, 9, tzinfo=NY))
LANES = {
    "scheduling": Lane(
        "scheduling",
        "Scheduling",
        "#s",
        BusinessDuration(4, Unit.HOURS),
        ("reschedule", "new appointment"),
        ("appointment booked", "patient given next step"),
        origin_targets=(("missed_call", SameDay(cutoff=time(15))),),
    ),
}


def at(day_offset: int, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(MON + timedelta(days=day_offset), time(hour, minute), tzinfo=NY)


def event(key: str, when: datetime, details: Details, actor: str = "U1") -> Event:
    after, before = details.as_stored()
    assert details.action is not None
    return Event(key, details.action, actor, when.astimezone(UTC), before, after)


def created(key: str, when: datetime, lane: str, origin: str, **more: object) -> Event:
    return event(key, when, Created(lane=lane, origin=origin, status="new", **more))  # type: ignore[arg-type]


def history(key: str, received: datetime, *events: Event, language: str = "English") -> ItemHistory:
    return ItemHistory(key, received.astimezone(UTC), language, events)


CQ1 = history(
    "CQ-1",
    at(0, 7, 30),
    created("CQ-1", at(0, 7, 30), "scheduling", "voicemail", request_type="reschedule"),
    event("CQ-1", at(0, 9), Claimed(owner="U1")),
    Event("CQ-1", Action.LOG_ATTEMPT, "U1", at(0, 9, 30), {}, {"outcome": "reached"}),
    event("CQ-1", at(0, 10), Closed(resolution="appointment booked", told_patient="x")),
)
CQ2 = history(
    "CQ-2",
    at(0, 16),
    created("CQ-2", at(0, 16), "scheduling", "missed_call", request_type="new appointment"),
    Event("CQ-2", Action.LOG_ATTEMPT, "U2", at(1, 9), {}, {"outcome": "no_answer"}),
    language="Spanish",
)
CQ3 = history(
    "CQ-3",
    at(1, 10),
    created("CQ-3", at(1, 10), "referrals", "portal_message", related_key="CQ-1"),
    event("CQ-3", at(1, 14), Claimed(owner="U3"), actor="U3"),
    event("CQ-3", at(2, 9), Waited(waiting_on="referral office"), actor="U3"),
)
CQ4 = history(
    "CQ-4",
    at(2, 11),
    created("CQ-4", at(2, 11), "clinical", "portal_message"),
    event("CQ-4", at(2, 11, 5), Escalated(rule="chest_pain")),
    event("CQ-4", at(2, 11, 30), EscalationResolved(rule="chest_pain", appropriate=True), "N1"),
    event("CQ-4", at(2, 12), Closed(resolution="routed"), actor="N1"),
    event(
        "CQ-4",
        at(3, 10),
        QaReviewed(greeting=5, empathy=4, accuracy=3, escalation_handling=4, closing=4),
        actor="M1",
    ),
)
CQ5 = history("CQ-5", at(-4, 10), created("CQ-5", at(-4, 10), "scheduling", "phone_call"))
CQ6 = history(
    "CQ-6",
    at(3, 8, 30),
    created("CQ-6", at(3, 8, 30), "insurance", "phone_call"),
    event("CQ-6", at(3, 8, 45), Claimed(owner="U4"), actor="U4"),
    event("CQ-6", at(3, 9), Escalated(rule="billing")),
    event("CQ-6", at(3, 9, 30), MarkedNotClinical(rule="billing", appropriate=False), "M1"),
)
LOG = (CQ1, CQ2, CQ3, CQ4, CQ5, CQ6)


def test_first_response_is_business_time_to_the_first_claim_or_call() -> None:
    times = metrics.first_response_times(LOG, WEEK, CAL)

    assert times.overall == Times(count=5, average=99.0, p90=240.0, oldest=240.0)
    assert times.lanes["scheduling"] == Times(count=2, average=90.0, p90=120.0, oldest=120.0)
    assert times.lanes["clinical"].average == 60.0
    assert "CQ-5" not in {o for o in times.lanes}  # never answered: not a response time


def test_oldest_open_item_is_the_longest_wait_by_key() -> None:
    oldest = metrics.oldest_open(LOG, WEEK.end)

    assert oldest.overall == OldestOpen("CQ-5", at(-4, 10).astimezone(UTC))
    assert oldest.lanes["referrals"] is not None and oldest.lanes["referrals"].key == "CQ-3"
    assert set(oldest.lanes) == {"scheduling", "referrals", "insurance"}


def test_same_day_callback_counts_attempts_before_close_for_requests_before_the_cutoff() -> None:
    done = metrics.same_day_callback_completion(LOG, WEEK, CAL, LANES)

    # CQ-1 called the same day; CQ-3, CQ-4, CQ-6 not; CQ-2 came after the cut-off and CQ-5
    # belongs to the week before.
    assert done.overall == Rate(1, 4)
    assert done.lanes["scheduling"] == Rate(1, 1)
    assert done.lanes["referrals"] == Rate(0, 1)


def test_a_claim_is_not_a_callback_attempt() -> None:
    claimed_only = history(
        "CQ-9",
        at(0, 9),
        created("CQ-9", at(0, 9), "scheduling", "voicemail"),
        event("CQ-9", at(0, 9, 5), Claimed(owner="U1")),
    )

    assert metrics.same_day_callback_completion([claimed_only], WEEK, CAL, LANES).overall == Rate(
        0, 1
    )


def test_attempts_per_resolved_item_divides_attempts_by_items_closed() -> None:
    per_item = metrics.attempts_per_resolved_item(LOG, WEEK)

    assert per_item.overall == Rate(1, 2)  # CQ-1 one attempt, CQ-4 none
    assert per_item.lanes["scheduling"].share == 1.0


def test_waiting_on_outside_ages_from_when_the_wait_began() -> None:
    waiting = metrics.waiting_on_outside(LOG, WEEK.end)

    minutes = (WEEK.end - at(2, 9)) / timedelta(minutes=1)
    assert minutes == 6660.0
    assert waiting.overall == Times(1, minutes, minutes, minutes)
    assert set(waiting.lanes) == {"referrals"}


def test_appointment_confirmation_counts_confirmed_resolutions_of_appointment_requests() -> None:
    done = metrics.appointment_confirmation_completion(
        LOG, WEEK, frozenset({"reschedule", "new appointment"}), frozenset({"appointment booked"})
    )

    assert done.overall == Rate(1, 1)  # CQ-2 is an appointment request but still open


def test_bilingual_callback_completion_counts_non_default_language_attempts() -> None:
    assert metrics.bilingual_callback_completion(LOG, WEEK, "English").overall == Rate(1, 1)
    assert metrics.bilingual_callback_completion(LOG, WEEK, "Spanish").overall == Rate(1, 4)


def test_repeat_contact_rate_is_linked_requests_over_requests_received() -> None:
    rate = metrics.repeat_contact_rate(LOG, WEEK)

    assert rate.overall == Rate(1, 5)
    assert rate.lanes["referrals"] == Rate(1, 1)


def test_escalation_count_and_accuracy_per_lane_and_rule() -> None:
    stats = metrics.escalations(LOG, WEEK)

    assert stats.count.overall == 2
    assert stats.count.lanes == {"clinical": 1, "insurance": 1}
    assert stats.by_rule == {"chest_pain": 1, "billing": 1}
    assert stats.accuracy.overall == Rate(1, 2)
    assert stats.accuracy.lanes["insurance"] == Rate(0, 1)
    assert stats.accuracy_by_rule["chest_pain"] == Rate(1, 1)


def test_items_open_at_each_business_days_close() -> None:
    days = metrics.open_at_day_ends(LOG, WEEK, CAL)

    assert [(day.isoformat(), counts.overall) for day, counts in days] == [
        ("2025-06-02", 2),  # CQ-5, CQ-2 (CQ-1 closed at 10:00)
        ("2025-06-03", 3),  # + CQ-3
        ("2025-06-04", 3),  # CQ-4 came and went
        ("2025-06-05", 4),  # + CQ-6
        ("2025-06-06", 4),
    ]
    assert days[0][1].lanes == {"scheduling": 2}


def test_qa_scores_average_the_five_scores_per_review() -> None:
    scores = metrics.qa_scores(LOG, WEEK)

    assert scores.overall.count == 1
    assert scores.overall.average == 4.0
    assert metrics.qa_privacy_failures(LOG, WEEK).overall == Rate(0, 1)


def test_first_response_by_week_gives_one_point_per_week() -> None:
    weeks = metrics.first_response_by_week(LOG, WEEK.end, 3, CAL)

    assert [span.end for span, _ in weeks] == [
        WEEK.end - timedelta(weeks=2),
        WEEK.end - timedelta(weeks=1),
        WEEK.end,
    ]
    assert weeks[-1][1].overall.count == 5
    assert weeks[0][1].overall.count == 0


def test_percentile_is_nearest_rank() -> None:
    assert Times.of([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]).p90 == 9
    assert Times.of([7]).p90 == 7
    assert Times.of([]).average is None


@settings(deadline=None, max_examples=50)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["scheduling", "referrals", "clinical"]),
            st.integers(min_value=0, max_value=6 * 24 * 60),
            st.booleans(),
            st.booleans(),
        ),
        max_size=12,
    )
)
def test_overall_counts_are_the_sum_of_the_lanes(
    rows: list[tuple[str, int, bool, bool]],
) -> None:
    log = []
    for n, (lane, minutes, repeat, closed) in enumerate(rows):
        key = f"CQ-{n}"
        received = WEEK.start + timedelta(minutes=minutes)
        events = [created(key, received, lane, "voicemail", related_key="CQ-0" if repeat else None)]
        if closed:
            events.append(event(key, received + timedelta(hours=1), Closed(resolution="done")))
        log.append(history(key, received, *events))

    repeat = metrics.repeat_contact_rate(log, WEEK)
    assert repeat.overall == sum(repeat.lanes.values(), Rate())
    assert repeat.overall.of == len(rows)
    for _, counts in metrics.open_at_day_ends(log, WEEK, CAL):
        assert counts.overall == sum(counts.lanes.values())
    times = metrics.first_response_times(log, WEEK, CAL)
    if times.overall.count:
        assert times.overall.average is not None and times.overall.p90 is not None
        assert times.overall.average <= (times.overall.oldest or 0)
        assert times.overall.p90 <= (times.overall.oldest or 0)


def test_the_weekly_time_is_the_latest_one_at_or_before_now() -> None:
    monday_8 = datetime(2025, 6, 2, 8, tzinfo=NY)

    assert metrics.last_weekly(monday_8, 0, time(8), NY) == monday_8.astimezone(UTC)
    assert metrics.last_weekly(monday_8 - timedelta(minutes=1), 0, time(8), NY) == (
        datetime(2025, 5, 26, 8, tzinfo=NY).astimezone(UTC)
    )
    # Across the autumn clock change the local time stays 8:00 (13:00 UTC, not 12:00).
    after_dst = datetime(2025, 11, 3, 9, tzinfo=NY)
    assert metrics.last_weekly(after_dst, 0, time(8), NY) == datetime(2025, 11, 3, 13, tzinfo=UTC)


def test_a_week_across_a_daylight_saving_change_starts_at_the_wall_time_it_ends() -> None:
    """The Monday 8:00 report after clocks fall back covers from the Monday 8:00 before
    (not 9:00: the opening hour would be in no report), and the one after they spring
    forward from 8:00 (not 7:00: counted twice)."""
    new_york = ZoneInfo("America/New_York")
    for monday, previous in (
        (date(2026, 11, 2), date(2026, 10, 26)),
        (date(2026, 3, 9), date(2026, 3, 2)),
    ):
        end = datetime.combine(monday, time(8), tzinfo=new_york).astimezone(UTC)
        week = Period.ending(end, 7, new_york)
        assert week.start == datetime.combine(previous, time(8), tzinfo=new_york).astimezone(UTC)
    # Back to back, a chart's weeks neither skip nor repeat an hour.
    end = datetime.combine(date(2026, 11, 16), time(8), tzinfo=new_york).astimezone(UTC)
    cal = BusinessCalendar(new_york, {d: OpeningHours(time(8), time(17)) for d in range(5)})
    spans = [span for span, _ in metrics.first_response_by_week([], end, 6, cal)]
    assert all(a.end == b.start for a, b in itertools.pairwise(spans))
    assert spans[-1].end == end and spans[0].start == datetime.combine(
        date(2026, 10, 5), time(8), tzinfo=new_york
    ).astimezone(UTC)


def test_a_merge_closes_the_item_merged_away_not_the_item_that_keeps_it() -> None:
    """A merge is an event on both items: the kept one (`Merged.merged`) stays open, and a
    wait on it goes on."""
    kept = history(
        "CQ-7",
        at(0, 9),
        created("CQ-7", at(0, 9), "referrals", "portal_message"),
        event("CQ-7", at(0, 10), Waited(waiting_on="referral office")),
        event("CQ-7", at(0, 11), Merged(merged="CQ-8")),
    )
    folded = history(
        "CQ-8",
        at(0, 9, 30),
        created("CQ-8", at(0, 9, 30), "referrals", "portal_message"),
        event("CQ-8", at(0, 11), Merged(into="CQ-7")),
    )
    assert kept.is_open_at(at(0, 12)) and not folded.is_open_at(at(0, 12))
    assert metrics.oldest_open([kept, folded], at(0, 12)).overall == OldestOpen(
        "CQ-7", at(0, 9).astimezone(UTC)
    )
    waiting = metrics.waiting_on_outside([kept, folded], at(0, 12))
    assert waiting.overall.count == 1
