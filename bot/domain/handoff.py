"""Handoff notes and promises: what lets the next person continue instead of restarting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain.sla import FAR_AHEAD
from bot.domain.sla import PLANNING_HORIZON as HORIZON

FIELD_MAX = 1000
PROMISE_MAX = 300


class HandoffField(StrEnum):
    ASKED = "asked"
    CONFIRMED = "confirmed"
    UNRESOLVED = "unresolved"
    PROMISED = "promised"
    PROMISED_BY = "promised_by"
    NOT_TO_PROMISE = "not_to_promise"
    NEXT = "next"


@dataclass(frozen=True)
class HandoffNote:
    """The structured note; `next_owner` (a person) or `next_lane` (a lane) says who is next."""

    asked: str
    confirmed: str = ""
    unresolved: str = ""
    promised: str = ""
    promised_by: datetime | None = None
    not_to_promise: str = ""
    next_owner: str | None = None
    next_lane: str | None = None


@dataclass(frozen=True)
class HandoffProblem:
    field: HandoffField
    message: str


def handoff_problems(
    note: HandoffNote,
    now: datetime,
    *,
    lanes: frozenset[str],
    current_lane: str,
    current_owner: str | None = None,
) -> list[HandoffProblem]:
    """What a handoff note still needs.

    Refuses: no account of what the patient asked; a promise without a deadline or a
    deadline without a promise (a promise is tracked by its deadline); a deadline in the
    past; nobody next, or both a person and a lane; the person who owns it already (a
    handoff to yourself hands nothing over); an unknown lane or the item's own lane; any
    field over FIELD_MAX characters (a promise over PROMISE_MAX).
    """
    problems: list[HandoffProblem] = []
    if not note.asked.strip():
        problems.append(HandoffProblem(HandoffField.ASKED, "Say what the patient asked."))
    if note.promised.strip() and note.promised_by is None:
        problems.append(
            HandoffProblem(
                HandoffField.PROMISED_BY, "By when was it promised? Pick a date and time."
            )
        )
    if note.promised_by is not None and not note.promised.strip():
        problems.append(HandoffProblem(HandoffField.PROMISED, "Say what was promised."))
    if note.promised_by is not None and note.promised_by <= now:
        problems.append(HandoffProblem(HandoffField.PROMISED_BY, "Choose a time in the future."))
    elif note.promised_by is not None and note.promised_by > now + HORIZON:
        problems.append(HandoffProblem(HandoffField.PROMISED_BY, FAR_AHEAD))
    if (note.next_owner is None) == (note.next_lane is None):
        problems.append(
            HandoffProblem(HandoffField.NEXT, "Choose who is next: a person or another lane.")
        )
    elif note.next_owner is not None and note.next_owner == current_owner:
        problems.append(
            HandoffProblem(
                HandoffField.NEXT,
                "That is who owns it now: choose the person (or lane) who takes it next.",
            )
        )
    elif note.next_lane is not None and note.next_lane not in lanes:
        problems.append(HandoffProblem(HandoffField.NEXT, "Choose one of the practice's lanes."))
    elif note.next_lane == current_lane:
        problems.append(
            HandoffProblem(HandoffField.NEXT, "That is this item's lane: choose a person instead.")
        )
    if len(note.promised) > PROMISE_MAX:
        problems.append(
            HandoffProblem(
                HandoffField.PROMISED, f"Keep the promise under {PROMISE_MAX} characters."
            )
        )
    for field, text in (
        (HandoffField.ASKED, note.asked),
        (HandoffField.CONFIRMED, note.confirmed),
        (HandoffField.UNRESOLVED, note.unresolved),
        (HandoffField.NOT_TO_PROMISE, note.not_to_promise),
    ):
        if len(text) > FIELD_MAX:
            problems.append(HandoffProblem(field, f"Keep this under {FIELD_MAX:,} characters."))
    return problems


@dataclass(frozen=True)
class Promise:
    """An update the patient was told to expect, with its deadline."""

    id: int
    text: str
    due_at: datetime
    made_by: str
    made_at: datetime
    fulfilled_at: datetime | None = None
    fulfilled_by: str | None = None

    @property
    def open(self) -> bool:
        return self.fulfilled_at is None
