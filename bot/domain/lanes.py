"""Lanes and the practice's business calendar, as plain values built from the practice file."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo

_DURATION = re.compile(r"^\s*(\d+)\s*(m|h|d)\s*$")

SAME_DAY = "same_day"
TARGET_FORM = "must be a duration like 4h or 1d, or same_day"


class Unit(StrEnum):
    MINUTES = "m"
    HOURS = "h"
    DAYS = "d"


# The longest duration a practice file may give, in each unit (365 of them, whichever).
_MOST = {Unit.MINUTES: 365 * 24 * 60, Unit.HOURS: 365 * 24, Unit.DAYS: 365}


class DurationTooLong(ValueError):
    """A duration over `_MOST`: said as it is, not as a badly written one."""

    def __init__(self) -> None:
        super().__init__("must be at most 365d (or 8760h, 525600m): longer is a typo")


@dataclass(frozen=True)
class BusinessDuration:
    """A response target counted in business time: 30m, 4h, 1d (business days)."""

    amount: int
    unit: Unit

    @classmethod
    def parse(cls, text: str) -> BusinessDuration:
        """Read `4h`, `30m`, `1d`; raise ValueError with the accepted form otherwise, and for
        more than a year (a typo: the due time would never come, and working it out would
        hold the event loop for seconds)."""
        match = _DURATION.match(str(text))
        if not match or int(match.group(1)) <= 0:
            raise ValueError("must be a duration like 4h or 1d")
        unit = Unit(match.group(2))
        if int(match.group(1)) > _MOST[unit]:
            raise DurationTooLong
        return cls(int(match.group(1)), unit)

    def __str__(self) -> str:
        return f"{self.amount}{self.unit.value}"


@dataclass(frozen=True)
class SameDay:
    """A same-day response target: due by closing time on the day the request arrives.

    A request that arrives while the practice is closed counts from the next opening, so an
    overnight voicemail is due by today's close. One that arrives at or after `cutoff` (the
    lane's cut-off, local time; None means the closing time) is due `after_cutoff` of
    business time after the next business day's opening.
    """

    cutoff: time | None = None
    after_cutoff: BusinessDuration = BusinessDuration(4, Unit.HOURS)

    def __str__(self) -> str:
        return SAME_DAY


Target = BusinessDuration | SameDay
"""A response target: an amount of business time, or same-day."""


def parse_target(text: str) -> Target:
    """Read `4h`, `30m`, `1d` or `same_day` (its cut-off comes from the lane); raise ValueError
    with the accepted forms otherwise."""
    if str(text).strip() == SAME_DAY:
        return SameDay()
    try:
        return BusinessDuration.parse(text)
    except DurationTooLong:
        raise
    except ValueError:
        raise ValueError(TARGET_FORM) from None


@dataclass(frozen=True)
class OpeningHours:
    """A day's opening hours. `until_midnight`: open to the end of the day ("24:00", a
    round-the-clock line with "00:00-24:00"); `closes` is then midnight."""

    opens: time
    closes: time
    until_midnight: bool = False

    @property
    def has_time(self) -> bool:
        """Whether the hours hold any time at all."""
        return self.until_midnight or self.opens < self.closes


@dataclass(frozen=True)
class BusinessCalendar:
    """When the practice is open, in its own time zone.

    `hours` maps a weekday (0 = Monday) to its opening hours; a missing weekday is closed.
    A calendar is never changed once made: each day's open interval is worked out once
    (bot/domain/sla.py) and kept in `open_intervals`, which is not part of its value.
    """

    tz: ZoneInfo
    hours: dict[int, OpeningHours]
    holidays: frozenset[date] = frozenset()
    open_intervals: dict[date, tuple[datetime, datetime] | None] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )


class Privacy(StrEnum):
    """How much patient detail Slack messages may carry (`privacy.channel_detail`)."""

    NONE = "none"
    INITIALS = "initials"
    FULL = "full"


@dataclass(frozen=True)
class EscalationRule:
    """Slot for the escalation issue: who is paged and how fast re-escalation happens."""

    to: str = ""
    after: BusinessDuration | None = None


class LanguageRouting(StrEnum):
    """Where items for patients who prefer another language go (`practice.language_routing`)."""

    NONE = "none"  # stay in the lane they were logged in
    LANE = "lane"  # to `practice.language_lane` (e.g. Language access)
    STAFF = "staff"  # stay in their lane, assigned to staff listed as speaking the language


class FinalStep(StrEnum):
    """What happens after the last unanswered attempt of a lane's cadence."""

    SUPERVISOR_REVIEW = "supervisor_review"
    CLOSE_UNREACHABLE = "close_unreachable"


NEXT_MORNING = "next_morning"


@dataclass(frozen=True)
class Wait:
    """How long to wait before the next attempt: business time, or the next business morning."""

    after: BusinessDuration | None = None

    @classmethod
    def parse(cls, text: str) -> Wait:
        """Read `2h`, `1d` or `next_morning`; raise ValueError otherwise."""
        if str(text).strip() == NEXT_MORNING:
            return cls(None)
        try:
            return cls(BusinessDuration.parse(text))
        except DurationTooLong:
            raise
        except ValueError:
            raise ValueError("must be a duration like 2h or next_morning") from None

    def __str__(self) -> str:
        return NEXT_MORNING if self.after is None else str(self.after)


@dataclass(frozen=True)
class Cadence:
    """A lane's persistence with unreached patients: `attempts` tries, `waits[i]` after
    unanswered attempt i+1 (the last wait repeats), then `after_last`."""

    attempts: int = 3
    waits: tuple[Wait, ...] = (Wait(BusinessDuration(2, Unit.HOURS)), Wait(None))
    after_last: FinalStep = FinalStep.SUPERVISOR_REVIEW
    unreachable_resolution: str = ""


@dataclass(frozen=True)
class Lane:
    key: str
    name: str
    channel: str
    response_target: Target
    request_types: tuple[str, ...]
    resolutions: tuple[str, ...]
    definition_of_done: str = ""
    clinical: bool = False
    escalation: EscalationRule = field(default_factory=EscalationRule)
    cadence: Cadence = field(default_factory=Cadence)
    # (origin value, target) pairs: e.g. portal messages 4h, voicemails same day.
    origin_targets: tuple[tuple[str, Target], ...] = ()
    # Aging alerts warn at this share of the item's response target (bot/domain/aging.py).
    warn_at: float = 0.75

    @property
    def first_action(self) -> str:
        return "Call the patient back"

    def target_for(self, origin: str) -> Target:
        """The response target for a request that came in by `origin` (an `Origin` value):
        the lane's target for that origin, or the lane's own target."""
        return next((t for o, t in self.origin_targets if o == origin), self.response_target)


def retired_lane(key: str) -> Lane:
    """A lane whose key open items still carry after it left the practice file: its cards
    still render (by key) and its items can be moved to a configured lane. It counts as
    clinical, since nothing says it was not: closing one there needs a clinician."""
    return Lane(
        key=key,
        name=f"{key} (no longer in the practice file)",
        channel="",
        response_target=BusinessDuration(1, Unit.DAYS),
        request_types=(),
        resolutions=("Resolved",),
        clinical=True,
    )
