"""The one source of "now": real in production, controllable in tests and the sandbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to (tests, the sandbox's clock control)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now

    def set(self, at: datetime) -> datetime:
        if at.tzinfo is None:
            raise ValueError("ManualClock.set needs a timezone-aware time")
        self._now = at.astimezone(UTC)
        return self._now


class OffsetClock:
    """Real time plus an offset that only grows: the sandbox's clock control.

    Time keeps flowing (the outbox's pacing and leases work as in production) while a
    person can jump ahead to closing time or tomorrow morning.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._offset = timedelta(0)
        if start is not None:
            self.set(start)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ValueError("the sandbox clock only moves forward")
        self._offset += delta
        return self.now()

    def set(self, at: datetime) -> datetime:
        if at.tzinfo is None:
            raise ValueError("OffsetClock.set needs a timezone-aware time")
        self._offset = at.astimezone(UTC) - datetime.now(UTC)
        return self.now()
