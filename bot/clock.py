"""The one source of "now": real in production, controllable in tests and the sandbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
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


# The furthest a simulation may move the clock: a century, well inside datetime's range
# (an offset like 1e15 seconds would make every now() fail, stopping the app's jobs).
MAX_OFFSET_SECONDS = 100 * 366 * 24 * 3600


class FileClock:
    """Real time plus the offset (seconds) written in a file, re-read by `refresh()`:
    `CAREQUEUE_CLOCK_FILE`, for simulations only. Every process given the same file sees
    the same moved clock, as the sandbox's clock control moves one process's clock; time
    keeps flowing between moves, so the outbox's pacing and leases work as in production.
    A missing or unreadable file, or an offset past a century, leaves the offset as it was
    (zero at first).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = timedelta(0)
        self._seen: int | None = None
        self.refresh()

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def refresh(self) -> bool:
        """Read the file if it changed since the last look; True when the offset moved."""
        try:
            stamp = self.path.stat().st_mtime_ns
            if stamp == self._seen:
                return False
            seconds = float(self.path.read_text().strip())
            if not abs(seconds) <= MAX_OFFSET_SECONDS:  # inf and nan fail this too
                return False
            offset = timedelta(seconds=seconds)
        except (OSError, ValueError):
            return False
        self._seen = stamp
        moved, self._offset = offset != self._offset, offset
        return moved

    @staticmethod
    def write(path: Path, at: datetime) -> None:
        """Move every FileClock reading `path` to `at` (aware), atomically."""
        offset = (at.astimezone(UTC) - datetime.now(UTC)).total_seconds()
        temporary = path.with_suffix(".tmp")
        temporary.write_text(f"{offset:.6f}\n")
        temporary.replace(path)
