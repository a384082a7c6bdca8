"""The morning summary's numbers, as plain values: what came in while the practice was
closed, the red flags and the clinical lanes first, so the day starts with control.

Priority is one rule (`priority`): an escalated item first, then a red-flagged one, then an
item in a clinical lane, then the rest, each group oldest first. Storage orders by the same
rule (storage/repositories/morning.py) so the capped list holds the most urgent items.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import IntEnum

from bot.domain.digest import DigestEscalation, DigestItem


class Priority(IntEnum):
    """Lower comes first. Values are only an order: never stored."""

    ESCALATED = 0
    RED_FLAG = 1
    CLINICAL = 2
    ROUTINE = 3


def priority(*, escalated: bool, red_flagged: bool, clinical_lane: bool) -> Priority:
    """Where an item stands in the morning: an escalation outranks a red flag (a person has
    already judged it urgent), a red flag outranks a clinical lane, and a red flag keeps its
    place even when someone said it was not an emergency (a match never clears a flag)."""
    if escalated:
        return Priority.ESCALATED
    if red_flagged:
        return Priority.RED_FLAG
    if clinical_lane:
        return Priority.CLINICAL
    return Priority.ROUTINE


@dataclass(frozen=True)
class MorningItem:
    item: DigestItem
    origin: str
    priority: Priority


@dataclass(frozen=True)
class MorningLane:
    """One lane at opening: what arrived since the last close, what is open and overdue."""

    lane: str
    clinical: bool
    arrived: int
    open: int
    overdue: int


@dataclass(frozen=True)
class MorningSummary:
    """The practice at `now`, the opening of business day `day`; `since` is the previous
    business day's closing. `first_items` (every open item that arrived since then, is
    escalated, or carries a red flag nobody has answered) and `escalations` hold at most the
    query's cap, in priority order; the numbers beside them are exact."""

    day: date
    now: datetime
    since: datetime
    arrived: int  # received since the last close, whatever their state now
    red_flags_open: int  # open items with a red flag nobody has answered, whenever they came
    first: int  # how many items `first_items` would hold uncapped
    escalations_open: int
    open: int
    unclaimed: int
    overdue: int
    lanes: tuple[MorningLane, ...]  # clinical lanes first, then by what arrived
    first_items: tuple[MorningItem, ...]  # by priority, then oldest first
    escalations: tuple[DigestEscalation, ...]

    def listed(self) -> tuple[DigestItem, ...]:
        return (*(m.item for m in self.first_items), *(e.item for e in self.escalations))


def lanes_in_order(lanes: list[MorningLane]) -> tuple[MorningLane, ...]:
    """Clinical lanes first, then the lanes that received most overnight, then by key."""
    return tuple(sorted(lanes, key=lambda lane: (not lane.clinical, -lane.arrived, lane.lane)))
