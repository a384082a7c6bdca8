"""Callback attempts: outcomes, what a useful note is, and each lane's retry cadence.

Pure rules: the caller passes `now` and the calendar.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum

from bot.domain import sla
from bot.domain.lanes import NEXT_MORNING, BusinessCalendar, Cadence, FinalStep, Wait
from bot.domain.sla import FAR_AHEAD
from bot.domain.sla import PLANNING_HORIZON as HORIZON

__all__ = ["NEXT_MORNING", "Cadence", "FinalStep", "Wait"]

CONFIRMED_MAX = 1000
NEXT_STEP_MAX = 300


class Outcome(StrEnum):
    """What happened on one call. Values are stored: never rename."""

    REACHED = "reached"
    LEFT_VOICEMAIL = "left_voicemail"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    WRONG_NUMBER = "wrong_number"
    WILL_CALL_BACK = "will_call_back"
    PORTAL_MESSAGE_SENT = "portal_message_sent"  # a cadence's last step may be a message

    @property
    def label(self) -> str:
        return _OUTCOME_LABELS[self]

    @property
    def reached(self) -> bool:
        return self is Outcome.REACHED

    @property
    def unreached(self) -> bool:
        """Counts toward the lane's cadence: the patient still has to be reached."""
        return self in (
            Outcome.LEFT_VOICEMAIL,
            Outcome.NO_ANSWER,
            Outcome.BUSY,
            Outcome.PORTAL_MESSAGE_SENT,
        )


_OUTCOME_LABELS = {
    Outcome.REACHED: "Reached",
    Outcome.LEFT_VOICEMAIL: "Left voicemail",
    Outcome.NO_ANSWER: "No answer",
    Outcome.BUSY: "Busy",
    Outcome.WRONG_NUMBER: "Wrong number",
    Outcome.WILL_CALL_BACK: "Patient will call back",
    Outcome.PORTAL_MESSAGE_SENT: "Portal message sent (no reply yet)",
}


def wait_due(wait: Wait, now: datetime, calendar: BusinessCalendar) -> datetime:
    """When the next attempt is due after waiting `wait` from `now`, in business time."""
    if wait.after is not None:
        return sla.add_business_time(now, wait.after, calendar)
    local = now.astimezone(calendar.tz)
    midnight = datetime.combine(local.date() + timedelta(days=1), time.min, tzinfo=calendar.tz)
    return sla.next_opening(midnight, calendar)


@dataclass(frozen=True)
class AttemptNote:
    """What the person who called writes down."""

    outcome: Outcome
    identity_verified: bool = False
    confirmed: str = ""
    next_step: str = ""
    next_due: datetime | None = None


@dataclass(frozen=True)
class Attempt:
    """One logged call: its number on the item, who called, when, and the note."""

    number: int
    outcome: Outcome
    by: str
    at: datetime
    identity_verified: bool = False
    confirmed: str = ""
    next_step: str = ""
    next_due_at: datetime | None = None


class AttemptField(StrEnum):
    OUTCOME = "outcome"
    IDENTITY = "identity"
    CONFIRMED = "confirmed"
    NEXT_STEP = "next_step"
    NEXT_DUE = "next_due"


@dataclass(frozen=True)
class AttemptProblem:
    field: AttemptField
    message: str


# Notes that document nothing a colleague could act on.
_EMPTY_NOTES = {
    "called",
    "called patient",
    "called pt",
    "lvm",
    "left vm",
    "left voicemail",
    "left message",
    "lm",
    "na",
    "n/a",
    "no answer",
    "done",
    "ok",
    "talked to patient",
    "spoke to patient",
    "spoke with patient",
    "pt called",
    "see above",
    "same",
    "tbd",
    "x",
}
_WORDS = re.compile(r"[a-z0-9/]+")


def says_nothing(text: str) -> bool:
    """True for notes like "called patient", "lvm", "done": no fact, no next step."""
    words = " ".join(_WORDS.findall(text.lower()))
    return len(words) < 4 or words in _EMPTY_NOTES


def attempt_problems(
    note: AttemptNote, now: datetime, calendar: BusinessCalendar | None = None
) -> list[AttemptProblem]:
    """What is missing from a call note before it may be saved.

    A reached patient needs identity verified (name and date of birth, per policy), what
    was confirmed and what happens next, each saying something ("called patient" and
    "lvm" are refused with a hint). A next-attempt time, when given, is in the future and,
    with the practice's `calendar`, when the practice is open (not a holiday, not Sunday at
    11 PM): the problem says when it opens next.
    """
    problems: list[AttemptProblem] = []
    if note.outcome.reached:
        if not note.identity_verified:
            problems.append(
                AttemptProblem(
                    AttemptField.IDENTITY,
                    "Verify the patient's name and date of birth before sharing anything.",
                )
            )
        if says_nothing(note.confirmed):
            problems.append(
                AttemptProblem(
                    AttemptField.CONFIRMED,
                    "Say what was confirmed with the patient, e.g. "
                    "“Chose Tue 10:30, confirmation text sent”.",
                )
            )
        if says_nothing(note.next_step):
            problems.append(
                AttemptProblem(
                    AttemptField.NEXT_STEP,
                    "Say what happens next, e.g. “None — ready to close” or "
                    "“Nurse to call back by 3 PM”.",
                )
            )
    elif note.outcome is Outcome.WRONG_NUMBER and says_nothing(note.next_step):
        problems.append(
            AttemptProblem(
                AttemptField.NEXT_STEP,
                "Say how the right number will be found (portal message, referral office…).",
            )
        )
    if len(note.confirmed) > CONFIRMED_MAX:
        problems.append(
            AttemptProblem(AttemptField.CONFIRMED, f"Keep this under {CONFIRMED_MAX:,} characters.")
        )
    if len(note.next_step) > NEXT_STEP_MAX:
        problems.append(
            AttemptProblem(AttemptField.NEXT_STEP, f"Keep this under {NEXT_STEP_MAX} characters.")
        )
    due = note.next_due
    if due is not None and due <= now:
        problems.append(AttemptProblem(AttemptField.NEXT_DUE, "Choose a time in the future."))
    elif due is not None and due > now + HORIZON:
        problems.append(AttemptProblem(AttemptField.NEXT_DUE, FAR_AHEAD))
    elif due is not None and calendar is not None and not sla.is_open(due, calendar):
        opens = sla.next_opening(due, calendar).astimezone(calendar.tz)
        when = f"{opens:%a %b} {opens.day}, {opens.hour % 12 or 12}:{opens:%M %p}"
        problems.append(
            AttemptProblem(
                AttemptField.NEXT_DUE,
                f"The practice is closed then. Choose a time in opening hours; it opens"
                f" next {when}.",
            )
        )
    return problems


@dataclass(frozen=True)
class AfterAttempt:
    """Where an item stands after an attempt: its next action and due time, or the final step."""

    next_action: str
    due_at: datetime | None
    final: FinalStep | None = None


def after_attempt(
    number: int,
    note: AttemptNote,
    cadence: Cadence,
    now: datetime,
    calendar: BusinessCalendar,
) -> AfterAttempt:
    """Decide the next action after attempt `number` (1-based) of an item.

    Unreached patients are retried on the lane's cadence in business time; after the last
    attempt the lane's final step applies (supervisor review or close as unreachable).
    A person's own next-attempt time wins over the cadence. The next action never quotes
    the note: cards show it at every privacy level, so it names the call whose note holds
    the words. The final step happens once, at the attempt that completes the
    cadence; attempts a supervisor orders after it wait as the last step of the cadence did.
    """
    if note.outcome.reached:
        return AfterAttempt(f"Next step from call {number} (see its note)", note.next_due)
    if note.outcome.unreached and number == cadence.attempts:
        action = (
            "Supervisor review: patient not reached"
            if cadence.after_last is FinalStep.SUPERVISOR_REVIEW
            else "Closed: patient not reached"
        )
        return AfterAttempt(action, None, final=cadence.after_last)
    if note.outcome.unreached:
        wait = cadence.waits[min(number - 1, len(cadence.waits) - 1)] if cadence.waits else None
        due = note.next_due or (wait_due(wait, now, calendar) if wait else now)
        of = f" of {cadence.attempts}" if number < cadence.attempts else ""
        return AfterAttempt(f"Call again (attempt {number + 1}{of})", due)
    if note.outcome is Outcome.WILL_CALL_BACK:
        return AfterAttempt("Wait for the patient's call", note.next_due)
    return AfterAttempt(f"Find the right number (see call {number})", note.next_due)
