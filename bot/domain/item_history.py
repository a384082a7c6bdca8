"""What the metrics read: an item's history from the event log, a period, and the values a
metric answers (a `Breakdown` per lane, a `Rate`, `Times`). Pure: no clock, no I/O."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from bot.domain.event_details import Created, HandedOff, Merged, Moved, details_of
from bot.domain.events import Event
from bot.domain.items import SYSTEM, Action

V = TypeVar("V")
R = TypeVar("R")
T = TypeVar("T")

CLOSING_ACTIONS = frozenset({Action.CLOSE, Action.MERGE})


def closes(event: Event) -> bool:
    """Whether `event` closed its item: a close, or a merge of this item into another. A
    merge is recorded on both items: on the one kept (`Merged.merged`) it changes nothing
    but the summary, and that item stays open."""
    if event.action is Action.CLOSE:
        return True
    if event.action is not Action.MERGE:
        return False
    details = details_of(event)
    return not (isinstance(details, Merged) and details.into is None and details.merged)


OPENING_ACTIONS = frozenset({Action.CREATE, Action.REOPEN})
LANE_ACTIONS = frozenset({Action.CREATE, Action.MOVE, Action.HANDOFF})


@dataclass(frozen=True)
class ItemHistory:
    """One item as the metrics see it: its events (in order) and the two facts the item
    holds rather than its events: when the patient contacted the practice, and their
    language now."""

    key: str
    received_at: datetime
    language: str
    events: tuple[Event, ...]

    def lane_at(self, at: datetime) -> str:
        """The lane the item was in at `at` (its first lane before it was created)."""
        lane = ""
        for when, changed in self._lane_changes:
            if when > at and lane:
                break
            lane = changed
        return lane

    @cached_property
    def _lane_changes(self) -> tuple[tuple[datetime, str], ...]:
        # Read once per item: a report asks for lanes many times, and reading details is not
        # free.
        changes = []
        for event in self.events:
            if event.action in LANE_ACTIONS:
                details = details_of(event)
                lane = details.lane if isinstance(details, Created | Moved | HandedOff) else None
                if lane:
                    changes.append((event.at, lane))
        return tuple(changes)

    @property
    def origin(self) -> str:
        created = self.created()
        return created.origin if created else ""

    @property
    def related_key(self) -> str | None:
        created = self.created()
        return created.related_key if created else None

    def created(self) -> Created | None:
        """What the item's creation recorded (lane, request type, origin, ...)."""
        return self._created

    @cached_property
    def _created(self) -> Created | None:
        for event in self.events:
            if event.action is Action.CREATE:
                details = details_of(event)
                return details if isinstance(details, Created) else None
        return None

    def is_open_at(self, at: datetime) -> bool:
        """Created at or before `at` and not closed (or merged) at that moment."""
        state = False
        for when, is_open in self._open_changes:
            if when > at:
                break
            state = is_open
        return state

    @cached_property
    def _open_changes(self) -> tuple[tuple[datetime, bool], ...]:
        return tuple(
            (e.at, not closes(e)) for e in self.events if e.action in OPENING_ACTIONS or closes(e)
        )

    def first(self, actions: frozenset[Action], *, by_person: bool = True) -> Event | None:
        return next(
            (
                e
                for e in self.events
                if e.action in actions and (not by_person or e.actor != SYSTEM)
            ),
            None,
        )

    def in_period(self, action: Action, period: Period) -> list[Event]:
        return [e for e in self.events if e.action is action and period.contains(e.at)]


def days_before(at: datetime, days: int, tz: ZoneInfo | None = None) -> datetime:
    """`days` days before `at`, at the same wall time on `tz`'s clocks (in UTC); without
    `tz`, `days` times 24 hours before."""
    if tz is None:
        return at - timedelta(days=days)
    wall = at.astimezone(tz).replace(tzinfo=None) - timedelta(days=days)
    return wall.replace(tzinfo=tz).astimezone(UTC)


@dataclass(frozen=True)
class Period:
    """[start, end): the 7 or 30 days a report covers, ending now."""

    start: datetime
    end: datetime

    @classmethod
    def ending(cls, end: datetime, days: int, tz: ZoneInfo | None = None) -> Period:
        """The `days` days before `end`: on the practice's clocks (`tz`), so a week that
        holds a daylight-saving change starts at the same wall time it ends (Monday 8:00 to
        Monday 8:00) and back-to-back reports neither skip nor repeat an hour."""
        return cls(days_before(end, days, tz), end)

    def contains(self, at: datetime) -> bool:
        return self.start <= at < self.end

    @property
    def days(self) -> int:
        return round((self.end - self.start) / timedelta(days=1))


@dataclass(frozen=True)
class Breakdown(Generic[T]):
    """A metric for the whole practice and for each lane that had something to count."""

    overall: T
    lanes: Mapping[str, T] = field(default_factory=dict)


@dataclass(frozen=True)
class Rate:
    """`done` of `of`; `share` is None when there was nothing to count."""

    done: int = 0
    of: int = 0

    @property
    def share(self) -> float | None:
        return self.done / self.of if self.of else None

    def __add__(self, other: Rate) -> Rate:
        return Rate(self.done + other.done, self.of + other.of)


@dataclass(frozen=True)
class Times:
    """Durations in minutes: how many, their mean, their 90th percentile (nearest rank)."""

    count: int = 0
    average: float | None = None
    p90: float | None = None
    oldest: float | None = None

    @classmethod
    def of(cls, minutes: Iterable[float]) -> Times:
        values = sorted(minutes)
        if not values:
            return cls()
        rank = math.ceil(0.9 * len(values)) - 1
        return cls(len(values), sum(values) / len(values), values[rank], values[-1])


@dataclass(frozen=True)
class OldestOpen:
    key: str
    received_at: datetime


def by_lane(pairs: Iterable[tuple[str, V]], combine: Callable[[list[V]], R]) -> Breakdown[R]:
    grouped: dict[str, list[V]] = defaultdict(list)
    everything: list[V] = []
    for lane, value in pairs:
        grouped[lane].append(value)
        everything.append(value)
    return Breakdown(combine(everything), {lane: combine(vs) for lane, vs in grouped.items()})
