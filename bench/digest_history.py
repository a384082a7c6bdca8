"""The managers' summaries against a long history: the end-of-day digest and the morning
summary (query and Block Kit build) with H closed items and O open ones, on SQLite or
PostgreSQL. Their cost should follow the open items, not the history: run two history
sizes and compare.

    .venv/bin/python bench/digest_history.py                                  # SQLite, temp folder
    .venv/bin/python bench/digest_history.py --history 1000000 --compare 100000 --open 20000
    .venv/bin/python bench/digest_history.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench

On PostgreSQL the database's `public` schema is dropped and rebuilt for each history size:
give it a database of its own. Rows are bulk-loaded (COPY on PostgreSQL, executemany on
SQLite), then each summary is read and built `--repeat` times; it prints the median and
worst time, the peak Python allocation while building (tracemalloc) and the process's peak
RSS, and the query plan of every statement they run (EXPLAIN), flagging any full scan of
the items table. The aging job's scan (which items are due a look, bot/services/aging.py)
is timed as its query: what it then does per item follows the items due, not the history.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from blocks.digest import Audience, digest_message
from blocks.morning import morning_message
from bot.config import EXAMPLE_PRACTICE, load_practice
from bot.domain.practice import Practice
from bot.services.aging import AGING_BATCH
from storage.db import create_engine, is_sqlite, session_factory
from storage.migrate import upgrade
from storage.models import CardRow, EscalationRow, EventRow, ItemRow, PromiseRow
from storage.uow import UnitOfWorkFactory

# Tuesday 24 November 2026, 8:00 in New York: the morning after Monday's close.
MONDAY = date(2026, 11, 23)
TZ_NAME = "America/New_York"
CHUNK = 20_000


def local(practice: Practice, day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, clock_time(hour, minute), tzinfo=practice.timezone).astimezone(UTC)


def item_row(n: int, lane: str, now: datetime, **values: Any) -> dict[str, Any]:
    received = values.pop("received_at")
    return {
        "id": n,
        "key": f"CQ-{n}",
        "number": n,
        "lane": lane,
        "request_type": "callback",
        "origin": "voicemail",
        "status": "new",
        "owner": None,
        "claimed_at": None,
        "patient_ref": f"MRN-{n}",
        "patient_name": f"Patient {n}",
        "phone": "(555) 201-4477",
        "language": "English",
        "callback_window": "",
        "summary": "After-hours voicemail asking for a callback",
        "source_link": "",
        "received_at": received,
        "due_at": received + timedelta(hours=4),
        "next_action": "Call back",
        "resolution": "",
        "told_patient": "",
        "closed_at": None,
        "closed_by": None,
        "clinical_ack_by": None,
        "created_by": "UFRONT01",
        "version": 1,
        "created_at": received,
        "updated_at": now,
        "attempts": 0,
        "waiting_on": "",
        "check_back_at": None,
        "sla_remaining_minutes": None,
        "repeat_count": 1,
        "related_key": None,
        "merged_into": None,
        "red_flags": "",
        "red_flag_dismissed_by": None,
        "aging_at": None,
        **values,
    }


def populate(
    practice: Practice, history: int, open_items: int, now: datetime, seed: int = 13
) -> Iterator[tuple[Any, dict[str, Any]]]:
    """(table, row) for H resolved items over two years (the last 200 closed on Monday) and
    O open ones: new, claimed, waiting, escalated, a few red-flagged, a few arrived overnight;
    a card and events per item, promises for some."""
    rng = random.Random(seed)
    lanes = sorted(practice.lanes)
    owners = [f"U{n:08d}" for n in range(30)]
    monday_morning = local(practice, MONDAY, 8)
    ids = {"card": 0, "event": 0, "promise": 0, "escalation": 0}

    def next_id(kind: str) -> int:
        ids[kind] += 1
        return ids[kind]

    def card(n: int, lane: str, at: datetime) -> tuple[Any, dict[str, Any]]:
        row = {
            "id": next_id("card"),
            "item_id": n,
            "lane": lane,
            "channel": f"#{lane}",
            "channel_id": f"C{lane.upper()[:8]}",
            "ts": f"{int(at.timestamp())}.{n % 1_000_000:06d}",
            "posted_at": at,
            "created_at": at,
            "moved_to_lane": None,
        }
        return CardRow.__table__, row

    def event_row(n: int, action: str, at: datetime) -> tuple[Any, dict[str, Any]]:
        row = {
            "id": next_id("event"),
            "item_id": n,
            "item_key": f"CQ-{n}",
            "action": action,
            "actor": "UFRONT01",
            "at": at,
            "before": {},
            "after": {},
        }
        return EventRow.__table__, row

    for n in range(1, history + 1):
        lane = lanes[n % len(lanes)]
        if n > history - 200:
            received = monday_morning + timedelta(minutes=rng.randint(0, 400))
        else:
            received = now - timedelta(days=rng.uniform(2, 730))
        closed = received + timedelta(hours=rng.uniform(0.5, 30))
        if n > history - 200:
            closed = min(closed, local(practice, MONDAY, 16, 59))
        owner = rng.choice(owners)
        yield (
            ItemRow.__table__,
            item_row(
                n,
                lane,
                now,
                received_at=received,
                status="resolved",
                owner=owner,
                claimed_at=received,
                closed_at=closed,
                closed_by=owner,
                resolution="done",
                told_patient="Booked",
                next_action="None — resolved",
            ),
        )
        yield card(n, lane, received)
        yield event_row(n, "create", received)
        yield event_row(n, "close", closed)
        if n % 5 == 0:
            row = {
                "id": next_id("promise"),
                "item_id": n,
                "text": "Call back with the result",
                "due_at": received + timedelta(hours=6),
                "made_by": owner,
                "made_at": received,
                "fulfilled_at": received + timedelta(hours=5),
                "fulfilled_by": owner,
            }
            yield PromiseRow.__table__, row

    clinical = sorted(key for key, lane in practice.lanes.items() if lane.clinical)
    for m in range(open_items):
        n = history + 1 + m
        lane = lanes[m % len(lanes)]
        kind = m % 20
        overnight = m % 50 == 0
        received = (
            local(practice, MONDAY, 17) + timedelta(minutes=rng.randint(1, 14 * 60))
            if overnight
            else now - timedelta(hours=rng.uniform(1, 240))
        )
        values: dict[str, Any] = {"received_at": received}
        values["due_at"] = received + timedelta(hours=rng.choice([4, 8, 24, 72]))
        if kind in range(8, 13):
            values |= {"status": "claimed", "owner": rng.choice(owners), "claimed_at": received}
        elif kind in (13, 14):
            values |= {
                "status": "waiting",
                "owner": rng.choice(owners),
                "claimed_at": received,
                "waiting_on": "referral office",
                "check_back_at": now + timedelta(days=2),
                "sla_remaining_minutes": 120.0,
            }
        elif kind == 15 and clinical:
            lane = clinical[m % len(clinical)]
            values |= {"status": "escalated"}
        if m % 97 == 0:
            values["red_flags"] = "chest pain"
        # The aging job's next look: a few items due one now, the rest later.
        values["aging_at"] = now - timedelta(minutes=1) if m % 50 == 1 else now + timedelta(hours=2)
        yield ItemRow.__table__, item_row(n, lane, now, **values)
        yield card(n, lane, received)
        yield event_row(n, "create", received)
        if values.get("status") == "waiting":
            yield event_row(n, "wait", received + timedelta(hours=1))
        if values.get("status") == "escalated":
            opened = now - timedelta(minutes=rng.randint(5, 600))
            row = {
                "id": next_id("escalation"),
                "item_id": n,
                "item_key": f"CQ-{n}",
                "lane": lane,
                "rule": "emergency",
                "chain": ["nurse", "provider_on_call", "manager"],
                "level": 0,
                "paged": ["U0NURSE01"],
                "state": "open" if m % 2 else "acknowledged",
                "reminded": False,
                "context": "",
                "opened_by": "UFRONT01",
                "opened_at": opened,
                "ack_due_at": opened + timedelta(minutes=5),
                "acknowledged_by": None if m % 2 else "U0NURSE01",
                "acknowledged_at": None if m % 2 else opened + timedelta(minutes=2),
                "resolved_by": None,
                "resolved_at": None,
                "decision": "",
                "told_patient": "",
                "appropriate": None,
                "version": 1,
            }
            yield EscalationRow.__table__, row
        if m % 10 == 0:
            row = {
                "id": next_id("promise"),
                "item_id": n,
                "text": "Call back with the result",
                "due_at": local(practice, MONDAY, 9) + timedelta(minutes=m % 420),
                "made_by": "UFRONT01",
                "made_at": received,
                "fulfilled_at": None if m % 20 else local(practice, MONDAY, 12),
                "fulfilled_by": None if m % 20 else "UFRONT01",
            }
            yield PromiseRow.__table__, row


async def reset(engine: AsyncEngine) -> None:
    """An empty schema at the latest migration."""
    if engine.dialect.name == "postgresql":
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    await upgrade(engine)


async def load(engine: AsyncEngine, rows: Iterator[tuple[Any, dict[str, Any]]]) -> int:
    """Bulk-load the rows, table by table in chunks: COPY on PostgreSQL, executemany on
    SQLite. Returns how many rows."""
    pending: dict[Any, list[dict[str, Any]]] = {}
    order = [ItemRow.__table__, CardRow.__table__, EventRow.__table__, PromiseRow.__table__]
    order.append(EscalationRow.__table__)
    total = 0
    async with engine.connect() as connection:

        async def flush(table: Any) -> None:
            batch = pending.pop(table, [])
            if not batch:
                return
            if engine.dialect.name == "postgresql":
                raw = await connection.get_raw_connection()
                # The columns the rows carry; the others take their server defaults.
                columns = list(batch[0])
                json_columns = {
                    c.name for c in table.columns if c.type.__class__.__name__ == "JSON"
                }
                records = [
                    tuple(json.dumps(row[c]) if c in json_columns else row[c] for c in columns)
                    for row in batch
                ]
                await raw.driver_connection.copy_records_to_table(
                    table.name, records=records, columns=columns
                )
            else:
                await connection.execute(table.insert(), batch)

        for table, row in rows:
            pending.setdefault(table, []).append(row)
            total += 1
            if len(pending[table]) >= CHUNK:
                # Parents before children: flush every table that comes first.
                for earlier in order[: order.index(table) + 1]:
                    await flush(earlier)
        for table in order:
            await flush(table)
        await connection.commit()
        if engine.dialect.name == "postgresql":
            await connection.execute(text("ANALYZE"))
            await connection.commit()
    return total


def capture_statements(engine: AsyncEngine) -> list[tuple[str, Any]]:
    captured: list[tuple[str, Any]] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def remember(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            captured.append((statement, parameters))

    return captured


async def explain(engine: AsyncEngine, statements: list[tuple[str, Any]]) -> list[str]:
    """Each statement's plan; a full scan of the items table is marked."""
    out = []
    prefix = "EXPLAIN QUERY PLAN " if is_sqlite(str(engine.url)) else "EXPLAIN "
    seen = set()
    async with engine.connect() as connection:
        for statement, parameters in statements:
            if statement in seen:
                continue
            seen.add(statement)
            result = await connection.exec_driver_sql(prefix + statement, parameters)
            rows = [" ".join(str(v) for v in row[-1:]) for row in result]
            scans = [r for r in rows if "Seq Scan on items" in r or r.strip() == "SCAN items"]
            head = " ".join(statement.split())[:110]
            out.append(("  FULL SCAN OF items  " if scans else "  ") + head)
            out.extend(f"      {r.strip()}" for r in rows[:12])
    return out


async def timed(
    build: Callable[[], Awaitable[int]], repeat: int
) -> tuple[float, float, float, int]:
    """(median ms, worst ms, peak MiB allocated while building, blocks JSON size)."""
    times, peaks, size = [], [], 0
    for _ in range(repeat):
        tracemalloc.start()
        started = time.perf_counter()
        size = await build()
        times.append((time.perf_counter() - started) * 1000)
        peaks.append(tracemalloc.get_traced_memory()[1] / 2**20)
        tracemalloc.stop()
    return statistics.median(times), max(times), max(peaks), size


async def measure(
    database_url: str,
    practice: Practice,
    history: int,
    open_items: int,
    repeat: int,
    show_plans: bool,
) -> None:
    engine = create_engine(database_url)
    try:
        await reset(engine)
        now = local(practice, MONDAY + timedelta(days=1), 8)
        started = time.perf_counter()
        loaded = await load(engine, populate(practice, history, open_items, now))
        print(
            f"\nhistory {history:,} closed + {open_items:,} open: {loaded:,} rows loaded in "
            f"{time.perf_counter() - started:.1f} s"
        )
        uow = UnitOfWorkFactory(session_factory(engine))
        audience = Audience(
            practice.lanes, practice.privacy, practice.timezone, "https://x.slack.com"
        )
        since_midnight = datetime.combine(
            MONDAY, clock_time(0), tzinfo=practice.timezone
        ).astimezone(UTC)
        clinical = [key for key, lane in practice.lanes.items() if lane.clinical]

        async def digest() -> int:
            async with uow.read() as tx:
                d = await tx.digest.digest(MONDAY, since=since_midnight, now=now)
            return len(json.dumps(digest_message(d, audience).to_payload()["blocks"]))

        async def morning() -> int:
            async with uow.read() as tx:
                s = await tx.morning.summary(
                    MONDAY + timedelta(days=1),
                    since=local(practice, MONDAY, 17),
                    now=now,
                    clinical_lanes=clinical,
                )
            return len(json.dumps(morning_message(s, audience).to_payload()["blocks"]))

        async def aging_scan() -> int:
            async with uow.read() as tx:
                return len(await tx.alerts.due_for_aging(now, limit=AGING_BATCH))

        statements = capture_statements(engine)
        runs = (("end-of-day digest", digest), ("morning summary", morning))
        runs += (("aging scan (query)", aging_scan),)
        for name, build in runs:
            statements.clear()
            median, worst, peak, size = await timed(build, repeat)
            print(
                f"  {name:18} median {median:8.1f} ms  worst {worst:8.1f} ms  "
                f"peak alloc {peak:6.2f} MiB  {size:,} {'ids' if 'aging' in name else 'chars'}"
            )
            if show_plans:
                for line in await explain(engine, list(statements)):
                    print(line)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"  process peak RSS so far {rss:.0f} MiB")
    finally:
        await engine.dispose()


async def main(
    database_url: str | None, histories: list[int], open_items: int, repeat: int, plans: bool
) -> None:
    practice = load_practice(EXAMPLE_PRACTICE)
    with tempfile.TemporaryDirectory(prefix="carequeue-bench-") as folder:
        for history in histories:
            url = database_url or f"sqlite+aiosqlite:///{Path(folder) / f'history-{history}.db'}"
            await measure(url, practice, history, open_items, repeat, plans)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", help="PostgreSQL database to rebuild (default: SQLite in a temp folder)"
    )
    parser.add_argument(
        "--history", type=int, default=1_000_000, help="closed items (default 1,000,000)"
    )
    parser.add_argument(
        "--compare",
        type=int,
        default=100_000,
        help="a second, smaller history to compare (0: none)",
    )
    parser.add_argument("--open", type=int, default=20_000, help="open items (default 20,000)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-plans", action="store_true", help="skip the EXPLAIN output")
    args = parser.parse_args()
    sizes = [args.compare, args.history] if args.compare else [args.history]
    asyncio.run(main(args.database_url, sizes, args.open, args.repeat, not args.no_plans))
    sys.exit(0)
