"""Claim burst: N signed Claim clicks at concurrency C, CareQueue beside a minimal Bolt app.

    .venv/bin/python bench/claim_burst.py                     # SQLite files in a temp folder
    .venv/bin/python bench/claim_burst.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench

(a) CareQueue as `carequeue run` serves it in HTTP mode (build_deps + build_app +
build_web_app, the outbox worker with Slack's pacing and the scheduled jobs running), its
Web API pointed at the stub, Slack's pacing on; N unclaimed items are logged first, and
their cards rendered into the stub's channels.
(b) In the same run, a minimal reference Bolt AsyncApp (aiohttp adapter) whose Claim
listener acks and runs one `UPDATE items SET owner=? WHERE key=? AND owner IS NULL` through
SQLAlchemy async, on the same kind of database. Both get byte-for-byte the same click
payloads, captured from the stub's cards and signed as Slack signs them at send time.

The clicks come from a separate process (so the client's CPU is neither on the app's event
loop nor in its CPU time). Per request: the time to the HTTP answer (the ack). Per app:
answers per second, and the app process's CPU time (time.process_time) from the first click
until every claim is in the database, divided by the clicks; that includes the in-process
stub answering the outbox, which is small under Slack's pacing. Each app first gets a
warm-up of clicks that are not counted. `--database-url` must name an empty database
(the bench migrates it and writes thousands of items, and a `bench_reference_items` table
it drops at the end).
Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import multiprocessing
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import Column, MetaData, String, Table, event, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from voicemails import bench_practice, voicemail

from blocks.ids import ActionId
from blocks.render import PracticeRenderer
from bot.app import build_app
from bot.clock import SystemClock
from bot.config import settings_from_env
from bot.deps import Deps, build_deps
from bot.domain.views import CardView
from bot.server import build_web_app, freeze_startup_heap
from sandbox.side.interactions import SlackSide
from sandbox.side.wire import SlackResponse
from sandbox.stub.records import BOT_USER_ID
from sandbox.stub.server import SlackStub
from storage.db import create_engine, is_sqlite
from storage.migrate import upgrade
from storage.models import ItemRow

SIGNING_SECRET = "bench-signing-secret"
STAFF = 50  # clicks come from this many people, in turn
WARM_UP = 50  # clicks per app before measuring, not counted
SETUP_BATCH = 10  # requests logged at once while setting up
REFERENCE_TABLE = "bench_reference_items"


# -- the clicking process ---------------------------------------------------------------


@dataclass(frozen=True)
class Burst:
    latencies: list[float]  # seconds from sending a click to the app's HTTP answer
    sent: list[float]  # seconds from the first click to sending each click (same order)
    statuses: list[int]
    seconds: float  # first click sent to last answer received
    client_cpu: float  # CPU seconds the clicking process spent over those `seconds`


def click_all(url: str, bodies: list[str], concurrency: int) -> Burst:
    """Runs in the clicking process: send every body, `concurrency` at a time."""
    return asyncio.run(_click_all(url, bodies, concurrency))


def signed(bodies: list[str]) -> list[tuple[bytes, dict[str, str]]]:
    """Each body with Slack's headers, signed now (valid for Slack's five minutes), so the
    burst itself spends no CPU on signing."""
    verifier = SignatureVerifier(SIGNING_SECRET)
    timestamp = str(int(time.time()))
    return [
        (
            body.encode(),
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Slack-Request-Timestamp": timestamp,
                "X-Slack-Signature": verifier.generate_signature(timestamp=timestamp, body=body)
                or "",
            },
        )
        for body in bodies
    ]


async def _click_all(url: str, bodies: list[str], concurrency: int) -> Burst:
    requests = signed(bodies)
    latencies: list[float] = []
    sent: list[float] = []
    statuses: list[int] = []
    pending = iter(requests)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def clicker() -> None:
            for data, headers in pending:
                started = time.perf_counter()
                async with session.post(url, data=data, headers=headers) as response:
                    await response.read()
                latencies.append(time.perf_counter() - started)
                sent.append(started - first)
                statuses.append(response.status)

        cpu = time.process_time()
        first = time.perf_counter()
        await asyncio.gather(*(clicker() for _ in range(concurrency)))
        seconds = time.perf_counter() - first
        cpu = time.process_time() - cpu
    return Burst(latencies, sent, statuses, seconds, cpu)


# -- measuring one app ------------------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    name: str
    burst: Burst
    cpu_per_click: float
    settled_seconds: float  # first click to every claim in the database
    claimed: int
    pauses: list[float]  # the app process's full garbage collections during the burst, s


class GcPauses:
    """Times the app process's full (generation 2) garbage collections: one stops the
    event loop, so every click waiting then waits as long."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self._started = 0.0

    def __enter__(self) -> GcPauses:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *_: object) -> None:
        gc.callbacks.remove(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append(time.perf_counter() - self._started)


async def measure(
    name: str,
    url: str,
    warm_up: list[str],
    bodies: list[str],
    concurrency: int,
    pool: ProcessPoolExecutor,
    claimed: Callable[[], Awaitable[int]],
) -> Measured:
    loop = asyncio.get_running_loop()
    # The set-up's objects (thousands of cards in the stub, the click bodies) are the
    # bench's, not the app's: out of the app's garbage collections, which would otherwise
    # stop its event loop for as long as walking them takes.
    gc.collect()
    gc.freeze()
    await loop.run_in_executor(pool, click_all, url, warm_up, concurrency)
    await settle(claimed, len(warm_up))
    before = await claimed()
    cpu = time.process_time()
    started = time.perf_counter()
    with GcPauses() as gc_pauses:
        burst = await loop.run_in_executor(pool, click_all, url, bodies, concurrency)
        done = await settle(claimed, before + len(bodies))
    settled = time.perf_counter() - started
    cpu = time.process_time() - cpu
    return Measured(name, burst, cpu / len(bodies), settled, done - before, gc_pauses.pauses)


async def settle(claimed: Callable[[], Awaitable[int]], expected: int) -> int:
    """Wait (a bounded while) until `expected` claims are in the database: an app that acks
    first commits after its answer, and its CPU time counts until then."""
    deadline = time.perf_counter() + 180
    count = await claimed()
    while count < expected and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
        count = await claimed()
    return count


# -- (a) CareQueue ----------------------------------------------------------------------


class CapturingSlackSide(SlackSide):
    """Builds the click payloads exactly as SlackSide sends them, but keeps them instead."""

    def __init__(self, stub: SlackStub) -> None:
        super().__init__(app_url="http://unused", signing_secret=SIGNING_SECRET, stub=stub)
        self.bodies: list[str] = []
        # Every interaction goes out through the wire's post: keep the body instead.
        self._wire.post = self._keep  # type: ignore[method-assign]

    async def _keep(self, body: str, **_: Any) -> SlackResponse:
        self.bodies.append(body)
        return SlackResponse(200, "", None)


async def log_items(deps: Deps, count: int) -> list[str]:
    """Log `count` new requests through the service, a few at a time, each a new patient
    (the run's own references, so a second run on one database makes no repeat contacts)."""
    lanes = list(deps.practice.lanes.values())
    run = f"{int(time.time()):x}"

    async def log(n: int) -> str:
        lane = lanes[n % len(lanes)]
        request = voicemail(n, lane, run=run, language=deps.practice.default_language)
        return (await deps.services.log_request(request, actor="UBENCH")).item.key

    keys: list[str] = []
    for start in range(0, count, SETUP_BATCH):
        batch = range(start, min(start + SETUP_BATCH, count))
        keys.extend(await asyncio.gather(*(log(n) for n in batch)))
    return keys


async def post_cards(deps: Deps, stub: SlackStub, keys: list[str]) -> dict[str, tuple[str, str]]:
    """Put each item's real card in its lane channel, as the outbox would have.

    The outbox posts at most one message per channel per second (Slack's limit): posting
    thousands of cards through it would take most of an hour, so the set-up renders them
    with the app's renderer and records them as posted.
    """
    renderer = PracticeRenderer(deps.practice)
    now = deps.clock.now()
    posted = {}
    async with deps.uow() as tx:
        for key in keys:
            item = await tx.items.get(key)
            item_id = await tx.items.id_of(key)
            card = await tx.cards.current_for(item_id or 0)
            assert item is not None and card is not None
            message = renderer.card(CardView(item), now)
            stored = stub.add_message(
                card.channel, message["text"], user=BOT_USER_ID, blocks=message["blocks"]
            )
            await tx.cards.record_posted(card.id, channel_id=stored.channel, ts=stored.ts, now=now)
            posted[key] = (stored.channel, stored.ts)
        await tx.commit()
    return posted


async def claim_clicks(stub: SlackStub, cards: dict[str, tuple[str, str]]) -> list[str]:
    """One Claim click per item, by the staff in turn, on the card the stub holds."""
    side = CapturingSlackSide(stub)
    for n, (key, (channel, ts)) in enumerate(cards.items()):
        await side.click_button(staff(n), channel, ts, ActionId.CLAIM, key)
    return side.bodies


def staff(n: int) -> str:
    return f"UBENCH{n % STAFF:02d}"


async def carequeue_claimed(deps: Deps) -> int:
    async with deps.uow() as tx:
        return int(
            await tx.session.scalar(
                select(func.count()).where(ItemRow.owner.like("UBENCH%"))  # type: ignore[arg-type]
            )
            or 0
        )


async def run_carequeue(
    url: str, stub: SlackStub, clicks: int, concurrency: int, pool: ProcessPoolExecutor
) -> tuple[Measured, list[str], list[str], float]:
    practice = bench_practice()
    engine = create_engine(url)
    try:
        await upgrade(engine)
        async with engine.connect() as connection:
            if await connection.scalar(select(func.count()).select_from(ItemRow)):
                raise SystemExit(f"{url.split('@')[-1]} holds items: give an empty database")
    finally:
        await engine.dispose()
    for n in range(STAFF):
        stub.add_user(staff(n), f"staff{n}")
    settings = settings_from_env(
        {"SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": SIGNING_SECRET},
        database_url=url,
        slack_api_url=stub.base_url,
        port=0,
    )
    deps = build_deps(settings, practice=practice, clock=SystemClock())
    started = time.perf_counter()
    keys = await log_items(deps, WARM_UP + clicks)
    bodies = await claim_clicks(stub, await post_cards(deps, stub, keys))
    setup = time.perf_counter() - started
    web_app = build_web_app(deps, build_app(deps), http_events=True)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    freeze_startup_heap()  # as `carequeue run` does once serving
    app_url = f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
    try:
        measured = await measure(
            "CareQueue",
            app_url,
            bodies[:WARM_UP],
            bodies[WARM_UP:],
            concurrency,
            pool,
            lambda: carequeue_claimed(deps),
        )
    finally:
        await runner.cleanup()
        await deps.close()
    return measured, keys, bodies, setup


# -- (b) the minimal reference app ------------------------------------------------------

reference_items = Table(
    REFERENCE_TABLE,
    MetaData(),
    Column("key", String(32), primary_key=True),
    Column("owner", String(32), nullable=True),
)


def reference_engine(url: str) -> AsyncEngine:
    """What a minimal app would set up: SQLAlchemy's defaults; on SQLite WAL as CareQueue,
    and BEGIN IMMEDIATE so that writers queue on the busy timeout. (With pysqlite's
    deferred BEGIN, an UPDATE whose snapshot went stale while it waited for the write lock
    fails at once with "database is locked": under a loaded machine the reference then
    lost claims, which made it look faster than an app that keeps them all.)"""
    if not is_sqlite(url):
        return create_async_engine(url)
    engine = create_async_engine(url, connect_args={"timeout": 10})

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # BEGIN is ours (below)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def reference_app(engine: AsyncEngine, stub: SlackStub) -> AsyncApp:
    app = AsyncApp(
        client=AsyncWebClient(token="xoxb-bench", base_url=stub.base_url),  # for auth.test
        signing_secret=SIGNING_SECRET,
        process_before_response=False,
    )

    @app.action(ActionId.CLAIM)
    async def claim(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        async with engine.begin() as connection:
            await connection.execute(
                update(reference_items)
                .where(reference_items.c.key == action["value"], reference_items.c.owner.is_(None))
                .values(owner=body["user"]["id"])
            )

    return app


async def run_reference(
    url: str,
    stub: SlackStub,
    keys: list[str],
    bodies: list[str],
    concurrency: int,
    pool: ProcessPoolExecutor,
) -> Measured:
    engine = reference_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(reference_items.metadata.drop_all)
        await connection.run_sync(reference_items.metadata.create_all)
        await connection.execute(insert(reference_items), [{"key": key} for key in keys])

    async def claimed() -> int:
        async with engine.connect() as connection:
            query = select(func.count()).where(reference_items.c.owner.is_not(None))
            return int(await connection.scalar(query) or 0)

    runner = web.AppRunner(
        reference_app(engine, stub).web_app(path="/slack/events"), access_log=None
    )
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    app_url = f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
    try:
        return await measure(
            "reference",
            app_url,
            bodies[:WARM_UP],
            bodies[WARM_UP:],
            concurrency,
            pool,
            claimed,
        )
    finally:
        await runner.cleanup()
        async with engine.begin() as connection:
            await connection.run_sync(reference_items.metadata.drop_all)
        await engine.dispose()


# -- the report -------------------------------------------------------------------------


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def row(m: Measured) -> tuple[float, float, float, float]:
    ms = [s * 1000 for s in m.burst.latencies]
    return statistics.median(ms), percentile(ms, 0.90), percentile(ms, 0.99), max(ms)


def tail(burst: Burst) -> str:
    """Where the slowest answers were, and whether the clicking process kept up: a client
    near a full core measures its own queue as well as the app's answers."""
    slowest = sorted(zip(burst.latencies, burst.sent, strict=True), reverse=True)
    slowest = slowest[: max(1, len(slowest) // 100)]
    sent = sorted(at for _, at in slowest)
    return (
        f"clicking process: {burst.client_cpu / burst.seconds:.0%} of a core, "
        f"{burst.client_cpu / len(burst.latencies) * 1000:.2f} ms CPU/click; "
        f"slowest 1% sent {sent[0]:.2f}-{sent[-1]:.2f} s into the burst "
        f"of {burst.seconds:.1f} s"
    )


def gc_line(m: Measured) -> str:
    if not m.pauses:
        return "no full garbage collection in the app's process"
    return (
        f"{len(m.pauses)} full garbage collections in the app's process, "
        f"longest {max(m.pauses) * 1000:.0f} ms"
    )


def report(store: str, clicks: int, concurrency: int, setup: float, rows: list[Measured]) -> None:
    print(
        f"{date.today().isoformat()}  store: {store}  clicks: {clicks}  "
        f"concurrency: {concurrency}  cores: {os.cpu_count()}  (set-up {setup:.0f} s)"
    )
    print(
        f"{'':<10} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8} "
        f"{'answers/s':>10} {'CPU ms/click':>13} {'claimed':>8} {'non-200':>8} "
        f"{'all in db s':>12}"
    )
    for m in rows:
        p50, p90, p99, top = row(m)
        failed = sum(1 for status in m.burst.statuses if status != 200)
        print(
            f"{m.name:<10} {p50:8.1f} {p90:8.1f} {p99:8.1f} {top:8.1f} "
            f"{len(m.burst.latencies) / m.burst.seconds:10.0f} {m.cpu_per_click * 1000:13.2f} "
            f"{m.claimed:8d} {failed:8d} {m.settled_seconds:12.1f}"
        )
    for m in rows:
        print(f"{m.name:<10} {tail(m.burst)}; {gc_line(m)}")
    carequeue, reference = row(rows[0]), row(rows[1])
    print(
        f"CareQueue/reference: p50 x{carequeue[0] / reference[0]:.1f}, "
        f"p99 x{carequeue[2] / reference[2]:.1f}"
    )


async def main(url: str, reference_url: str, clicks: int, concurrency: int) -> None:
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
        async with SlackStub() as stub:
            carequeue, keys, bodies, setup = await run_carequeue(
                url, stub, clicks, concurrency, pool
            )
            reference = await run_reference(reference_url, stub, keys, bodies, concurrency, pool)
    report(url.split("://")[0], clicks, concurrency, setup, [carequeue, reference])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: SQLite files in a temporary folder")
    parser.add_argument("--clicks", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'carequeue.db'}"
        reference_url = args.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'reference.db'}"
        asyncio.run(main(url, reference_url, args.clicks, args.concurrency))
