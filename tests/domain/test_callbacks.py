"""Callback attempts: useful notes, and each lane's cadence in business time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain import sla
from bot.domain.callbacks import (
    AttemptField,
    AttemptNote,
    Cadence,
    FinalStep,
    Outcome,
    Wait,
    after_attempt,
    attempt_problems,
    says_nothing,
    wait_due,
)
from bot.domain.handoff import HandoffField, HandoffNote, handoff_problems
from bot.domain.lanes import BusinessCalendar, BusinessDuration, OpeningHours, Unit

NEW_YORK = ZoneInfo("America/New_York")
CALENDAR = BusinessCalendar(
    tz=NEW_YORK,
    hours={day: OpeningHours(time(8), time(17)) for day in range(5)},
    holidays=frozenset({date(2026, 11, 26), date(2026, 11, 27)}),
)
MONDAY_9AM = datetime(2026, 11, 23, 9, 0, tzinfo=NEW_YORK)
THREE_TRIES = Cadence(
    attempts=3,
    waits=(Wait(BusinessDuration.parse("2h")), Wait(None)),
    after_last=FinalStep.CLOSE_UNREACHABLE,
    unreachable_resolution="unable to reach patient after 3 attempts",
)
NO_ANSWER = AttemptNote(Outcome.NO_ANSWER)


def local(at: datetime) -> datetime:
    return at.astimezone(NEW_YORK)


@pytest.mark.parametrize(
    "note", ["called patient", "lvm", "LVM.", "done", "Spoke to patient", "ok", "", "  x "]
)
def test_notes_that_document_nothing_are_recognised(note: str) -> None:
    assert says_nothing(note)


@pytest.mark.parametrize(
    "note", ["Chose Tue 10:30, confirmation text sent", "None — ready to close", "Refill sent"]
)
def test_notes_with_a_fact_or_a_next_step_are_accepted(note: str) -> None:
    assert not says_nothing(note)


def test_reached_patient_needs_identity_confirmation_and_next_step() -> None:
    problems = attempt_problems(
        AttemptNote(Outcome.REACHED, confirmed="called patient", next_step="lvm"), MONDAY_9AM
    )
    assert {p.field for p in problems} == {
        AttemptField.IDENTITY,
        AttemptField.CONFIRMED,
        AttemptField.NEXT_STEP,
    }


def test_a_complete_reached_note_has_no_problems() -> None:
    note = AttemptNote(
        Outcome.REACHED,
        identity_verified=True,
        confirmed="Chose Tue 10:30, confirmation text sent",
        next_step="None — ready to close",
    )
    assert attempt_problems(note, MONDAY_9AM) == []


def test_unreached_attempt_needs_no_free_text() -> None:
    assert attempt_problems(AttemptNote(Outcome.LEFT_VOICEMAIL), MONDAY_9AM) == []


def test_wrong_number_asks_how_the_right_one_will_be_found() -> None:
    problems = attempt_problems(AttemptNote(Outcome.WRONG_NUMBER), MONDAY_9AM)
    assert [p.field for p in problems] == [AttemptField.NEXT_STEP]


def test_next_attempt_time_must_be_in_the_future() -> None:
    note = AttemptNote(Outcome.NO_ANSWER, next_due=MONDAY_9AM - timedelta(minutes=1))
    assert [p.field for p in attempt_problems(note, MONDAY_9AM)] == [AttemptField.NEXT_DUE]


@pytest.mark.parametrize(
    ("chosen", "opens"),
    [
        (datetime(2026, 11, 29, 23, 0, tzinfo=NEW_YORK), "Mon Nov 30, 8:00 AM"),  # Sunday night
        (datetime(2026, 11, 26, 10, 0, tzinfo=NEW_YORK), "Mon Nov 30, 8:00 AM"),  # Thanksgiving
        (datetime(2026, 11, 23, 17, 30, tzinfo=NEW_YORK), "Tue Nov 24, 8:00 AM"),  # after closing
    ],
)
def test_a_next_attempt_when_the_practice_is_closed_says_when_it_opens(
    chosen: datetime, opens: str
) -> None:
    note = AttemptNote(Outcome.NO_ANSWER, next_due=chosen)

    problems = attempt_problems(note, MONDAY_9AM, CALENDAR)

    assert [p.field for p in problems] == [AttemptField.NEXT_DUE]
    assert problems[0].message.endswith(f"it opens next {opens}.")
    open_then = AttemptNote(Outcome.NO_ANSWER, next_due=datetime(2026, 11, 24, 8, tzinfo=NEW_YORK))
    assert attempt_problems(open_then, MONDAY_9AM, CALENDAR) == []


def test_three_unreached_attempts_follow_the_cadence_then_close_as_unreachable() -> None:
    first = after_attempt(1, NO_ANSWER, THREE_TRIES, MONDAY_9AM, CALENDAR)
    assert local(first.due_at or MONDAY_9AM) == datetime(2026, 11, 23, 11, 0, tzinfo=NEW_YORK)
    assert first.next_action == "Call again (attempt 2 of 3)" and first.final is None

    second = after_attempt(2, NO_ANSWER, THREE_TRIES, first.due_at or MONDAY_9AM, CALENDAR)
    assert local(second.due_at or MONDAY_9AM) == datetime(2026, 11, 24, 8, 0, tzinfo=NEW_YORK)

    third = after_attempt(3, NO_ANSWER, THREE_TRIES, second.due_at or MONDAY_9AM, CALENDAR)
    assert third.final is FinalStep.CLOSE_UNREACHABLE and third.due_at is None


def test_next_morning_skips_the_thanksgiving_holidays_and_the_weekend() -> None:
    wednesday_4pm = datetime(2026, 11, 25, 16, 0, tzinfo=NEW_YORK)
    due = wait_due(Wait(None), wednesday_4pm, CALENDAR)
    assert local(due) == datetime(2026, 11, 30, 8, 0, tzinfo=NEW_YORK)


def test_final_step_happens_once_even_if_more_attempts_follow() -> None:
    review = Cadence(attempts=3, after_last=FinalStep.SUPERVISOR_REVIEW)
    finals = [after_attempt(n, NO_ANSWER, review, MONDAY_9AM, CALENDAR).final for n in range(1, 7)]
    assert finals == [None, None, FinalStep.SUPERVISOR_REVIEW, None, None, None]


def test_a_persons_own_next_attempt_time_wins_over_the_cadence() -> None:
    chosen = datetime(2026, 11, 23, 15, 30, tzinfo=NEW_YORK)
    after = after_attempt(
        1, AttemptNote(Outcome.BUSY, next_due=chosen), THREE_TRIES, MONDAY_9AM, CALENDAR
    )
    assert after.due_at == chosen


def test_the_next_action_points_to_the_call_note_and_never_quotes_it() -> None:
    note = AttemptNote(
        Outcome.REACHED, identity_verified=True, confirmed="Booked", next_step="Send portal link"
    )
    after = after_attempt(2, note, THREE_TRIES, MONDAY_9AM, CALENDAR)
    assert after.next_action == "Next step from call 2 (see its note)" and after.final is None
    wrong = AttemptNote(Outcome.WRONG_NUMBER, next_step="Ask Dr. Patel's office for Zelda's cell")
    assert "Zelda" not in after_attempt(1, wrong, THREE_TRIES, MONDAY_9AM, CALENDAR).next_action


@given(
    start=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 1), timezones=st.just(UTC)
    ),
    hours=st.integers(1, 12),
)
def test_waiting_in_business_hours_always_lands_inside_opening_hours(
    start: datetime, hours: int
) -> None:
    due = wait_due(Wait(BusinessDuration(hours, Unit.HOURS)), start, CALENDAR)
    assert due >= start
    assert sla.is_open(due, CALENDAR) or local(due).time() == time(17)
    assert sla.business_minutes_between(start, due, CALENDAR) == hours * 60


@given(
    start=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 1), timezones=st.just(UTC)
    )
)
def test_next_morning_is_always_an_opening_on_a_later_day(start: datetime) -> None:
    due = wait_due(Wait(None), start, CALENDAR)
    assert local(due).date() > local(start).date()
    assert local(due).time() == time(8) and sla.is_open(due, CALENDAR)


def handoff(**fields: object) -> HandoffNote:
    values: dict[str, object] = {"asked": "Wants to move Tuesday's visit", "next_owner": "U2"}
    values.update(fields)
    return HandoffNote(**values)  # type: ignore[arg-type]


def problems_of(note: HandoffNote) -> set[HandoffField]:
    found = handoff_problems(
        note, MONDAY_9AM, lanes=frozenset({"scheduling", "referrals"}), current_lane="scheduling"
    )
    return {p.field for p in found}


def test_a_complete_handoff_to_a_person_has_no_problems() -> None:
    assert problems_of(handoff()) == set()


def test_handoff_needs_what_the_patient_asked() -> None:
    assert problems_of(handoff(asked="  ")) == {HandoffField.ASKED}


def test_a_promise_needs_a_future_deadline_and_a_deadline_needs_words() -> None:
    assert problems_of(handoff(promised="Call back today")) == {HandoffField.PROMISED_BY}
    later = MONDAY_9AM + timedelta(hours=3)
    assert problems_of(handoff(promised_by=later)) == {HandoffField.PROMISED}
    past = MONDAY_9AM - timedelta(hours=1)
    assert HandoffField.PROMISED_BY in problems_of(handoff(promised="x", promised_by=past))


@pytest.mark.parametrize(
    ("owner", "lane"),
    [(None, None), ("U2", "referrals"), (None, "scheduling"), (None, "nowhere")],
    ids=["nobody", "both", "own-lane", "unknown-lane"],
)
def test_exactly_one_next_person_or_other_lane(owner: str | None, lane: str | None) -> None:
    assert problems_of(handoff(next_owner=owner, next_lane=lane)) == {HandoffField.NEXT}


def test_a_promise_fits_the_promise_length() -> None:
    later = MONDAY_9AM + timedelta(hours=3)
    assert problems_of(handoff(promised="x" * 301, promised_by=later)) == {HandoffField.PROMISED}


def test_a_portal_message_can_be_the_cadences_last_step() -> None:
    third = after_attempt(
        3, AttemptNote(Outcome.PORTAL_MESSAGE_SENT), THREE_TRIES, MONDAY_9AM, CALENDAR
    )
    assert third.final is FinalStep.CLOSE_UNREACHABLE
