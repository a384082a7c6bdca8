"""The file clock: processes given the same CAREQUEUE_CLOCK_FILE share one moved clock."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.clock import FileClock, SystemClock
from bot.config import settings_from_env
from bot.deps import build_deps

MONDAY_8 = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)


def test_two_clocks_on_one_file_read_the_same_moved_time_and_keep_flowing(tmp_path: Path) -> None:
    path = tmp_path / "clock"
    FileClock.write(path, MONDAY_8)
    one, other = FileClock(path), FileClock(path)

    assert abs(one.now() - MONDAY_8) < timedelta(seconds=1)
    assert abs(one.now() - other.now()) < timedelta(seconds=1)
    assert one.now() <= one.now()  # time flows between moves

    FileClock.write(path, MONDAY_8 + timedelta(hours=9))
    os.utime(path, ns=(0, path.stat().st_mtime_ns + 1))  # a change, whatever the file system
    assert one.refresh() is True and one.refresh() is False
    assert abs(one.now() - (MONDAY_8 + timedelta(hours=9))) < timedelta(seconds=1)


def test_a_missing_or_garbled_file_leaves_the_clock_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "clock"
    clock = FileClock(path)
    assert abs(clock.now() - SystemClock().now()) < timedelta(seconds=1)

    for garbled in ("tomorrow-ish", "inf", "-inf", "nan", "1e15", "3e13", "1e20"):
        path.write_text(f"{garbled}\n")
        os.utime(path, ns=(time.time_ns(), time.time_ns()))  # a new write each time
        assert clock.refresh() is False, garbled
        assert abs(clock.now() - SystemClock().now()) < timedelta(seconds=1)
    assert FileClock(path).now() is not None  # a clock started on such a file runs too


async def test_the_app_runs_on_the_file_clock_when_carequeue_clock_file_is_set(
    tmp_path: Path,
) -> None:
    path = tmp_path / "clock"
    FileClock.write(path, MONDAY_8)
    settings = settings_from_env(
        {"SLACK_BOT_TOKEN": "xoxb-test", "CAREQUEUE_CLOCK_FILE": str(path)},
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}",
    )
    deps = build_deps(settings)
    try:
        assert settings.clock_file == path
        assert isinstance(deps.clock, FileClock)
        assert abs(deps.clock.now() - MONDAY_8) < timedelta(seconds=1)
    finally:
        await deps.close()
