"""The aging scan's cost: the every-minute run when nothing crossed a threshold, and a run
where many items cross at once, with a history of closed items and many open ones.

    .venv/bin/python bench/aging_scan.py                              # SQLite in a temp folder
    .venv/bin/python bench/aging_scan.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench
    .venv/bin/python bench/aging_scan.py --closed 1000000 --open 20000 --crossing 1000

Rows are inserted directly (the bench measures the scan, not intake). Prints the time of each
run and the process's peak resident memory after it. Asserts nothing about times.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from bot.clock import ManualClock
from bot.config import EXAMPLE_PRACTICE, load_practice, settings_from_env
from bot.deps import build_deps
from bot.services.aging import AgingServices
from storage.db import create_engine
from storage.migrate import upgrade
from storage.models import CardRow, ItemRow

NOW = datetime(2026, 11, 23, 19, 0, tzinfo=UTC)  # Monday 2 PM in New York
CHUNK = 5_000


def item_row(number: int, *, status: str, aging_at: datetime | None) -> dict[str, Any]:
    received = NOW - timedelta(hours=5)
    return {
        "key": f"CQ-{number}",
        "number": number,
        "lane": "scheduling",
        "request_type": "reschedule",
        "origin": "phone_call",
        "status": status,
        "patient_ref": f"MRN-{number}",
        "patient_name": "Bench Patient",
        "phone": "(555) 201-4477",
        "language": "English",
        "summary": "bench",
        "received_at": received,
        "due_at": received + timedelta(hours=4),
        "next_action": "Call the patient back",
        "created_by": "UBENCH",
        "version": 1,
        "created_at": received,
        "updated_at": received,
        "closed_at": received + timedelta(hours=1) if status == "resolved" else None,
        "aging_at": aging_at,
    }


async def fill(database_url: str, closed: int, open_items: int, crossing: int) -> None:
    engine = create_engine(database_url)
    await upgrade(engine)
    later = NOW + timedelta(days=1)
    kinds = [("resolved", None, closed), ("claimed", later, open_items), ("new", NOW, crossing)]
    number = 1000
    async with engine.begin() as connection:
        for status, aging_at, count in kinds:
            for start in range(0, count, CHUNK):
                rows = [
                    item_row(number + i, status=status, aging_at=aging_at)
                    for i in range(start, min(count, start + CHUNK))
                ]
                await connection.execute(insert(ItemRow), rows)
            number += count
        # The crossing items have cards (their alerts go to the card's thread).
        first = number - crossing
        ids = await connection.execute(ItemRow.__table__.select().where(ItemRow.number >= first))
        cards = [
            {
                "item_id": row.id,
                "lane": "scheduling",
                "channel": "#cq-scheduling",
                "channel_id": "C0SCHED",
                "ts": f"1700000000.{row.id:06d}",
                "created_at": NOW,
            }
            for row in ids
        ]
        for start in range(0, len(cards), CHUNK):
            await connection.execute(insert(CardRow), cards[start : start + CHUNK])
    await engine.dispose()


async def timed(services: AgingServices) -> tuple[float, float, int]:
    """The run's time, and the process's peak resident memory after it (MB)."""
    started = time.perf_counter()
    acted = await services.run_aging()
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return elapsed, peak, len(acted)


async def main(database_url: str, closed: int, open_items: int, crossing: int) -> None:
    started = time.perf_counter()
    await fill(database_url, closed, open_items, crossing)
    print(
        f"filled {closed:,} closed, {open_items:,} open, {crossing:,} crossing now "
        f"in {time.perf_counter() - started:.1f} s"
    )
    settings = settings_from_env(
        {"SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": "bench"},
        database_url=database_url,
        slack_api_url="http://127.0.0.1:9/api/",
    )
    deps = build_deps(settings, practice=load_practice(EXAMPLE_PRACTICE), clock=ManualClock(NOW))
    services = AgingServices(deps.uow, deps.practice, deps.clock)
    crossing_run = await timed(services)
    quiet_run = await timed(services)
    await deps.close()
    print(f"store: {database_url.split('://')[0]}")
    for name, (elapsed, peak, acted) in [("crossing", crossing_run), ("quiet", quiet_run)]:
        print(f"{name:8} run: {elapsed * 1000:9.1f} ms, peak RSS {peak:6.1f} MB, {acted} acted on")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary folder")
    parser.add_argument("--closed", type=int, default=100_000)
    parser.add_argument("--open", type=int, default=20_000)
    parser.add_argument("--crossing", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        asyncio.run(main(url, args.closed, args.open, args.crossing))
