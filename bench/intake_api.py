"""Intake API throughput: N requests at concurrency C to CareQueue, beside a bare endpoint.

    .venv/bin/python bench/intake_api.py                      # SQLite file in a temp folder
    .venv/bin/python bench/intake_api.py --requests 5000 --concurrency 50
    .venv/bin/python bench/intake_api.py --requests 10000 --breakdown    # where the time goes
    .venv/bin/python bench/intake_api.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench

(a) CareQueue's `POST /api/v1/requests` as `carequeue run` serves it (build_deps + build_app
+ build_web_app on the event loop `carequeue run` picks, bot/event_loop.py, with the outbox
posting the cards to the stub Web API under Slack's pacing, the scheduled jobs running,
and its log at INFO in the format CAREQUEUE_LOG_FORMAT asks for, written to a file in the temporary
folder where `carequeue run` writes standard error), with a token from `carequeue tokens
create`'s use case and the per-token rate limit raised out of the way (it would otherwise
answer 429 by design).
Every request is a different patient with its own `Idempotency-Key`, so each creates an item.
(b) In the same run, a bare aiohttp endpoint that reads the same JSON body and answers 201
with a made-up key: the ceiling of the HTTP stack on this machine, with no validation and no
database, on the same loop (CAREQUEUE_EVENT_LOOP=asyncio runs both on asyncio's own).

The requests come from a separate process, so the client's CPU is not on the app's loop.
Per app: items (answers) per second over the whole burst, p50 and p99 of the time to the
HTTP answer, the app process's CPU time per request (all its threads, the outbox and the
SQLite driver's included; the client runs in another process), the event loop thread's
share of it and how busy that thread was (near 100%: the app is at its ceiling; lower: it
waits, on the database or for requests), and the answers that were not 201. For CareQueue
it also counts the items in the database afterwards. Not a test: nothing here asserts a
time; the targets (at least 0.3 of the bare rate, and 300 items/s on SQLite, 500 on
PostgreSQL) are for a person to read.

`--breakdown` adds, on the same database after the measured burst: (c) the same burst through
CareQueue's whole HTTP path with each delivery answered by the first one's item (still
logged and announced to the outbox: `AnswersTheFirst`), so what is left is everything but
the delivery's transaction, and how far that alone is from the bare rate; (d) the group
commit alone: deliveries handed to `IntakeApiServices.deliver` in waves of 1, 10, 25 and 50
with no HTTP, each wave one transaction, the event loop's CPU per wave and a straight line
through them (a transaction's fixed cost and a delivery's); and what 0.3 of the bare rate
leaves a delivery at the measured burst's busy share of the loop.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import json
import logging
import os
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import aiohttp
from aiohttp import web
from sqlalchemy import func, select

from bot import event_loop
from bot.api.body import Delivery as IntakeDelivery
from bot.api.body import read_delivery
from bot.app import build_app
from bot.clock import SystemClock
from bot.config import EXAMPLE_PRACTICE, load_practice, settings_from_env
from bot.deps import Deps, build_deps
from bot.domain.intake import IntakeRequest
from bot.domain.integrations import ApiToken
from bot.server import build_web_app
from bot.services.intake_api import Delivered, IntakeApiServices
from bot.services.items import ItemServices
from bot.structured_logs import configure_logging
from sandbox.stub.server import SlackStub
from storage.db import create_engine
from storage.migrate import upgrade
from storage.models import ItemRow

WARM_UP = 50  # requests per app before measuring, not counted


@dataclass(frozen=True)
class Burst:
    latencies: list[float]  # seconds from sending a request to its answer
    statuses: list[int]
    seconds: float  # first request sent to last answer received
    app_cpu: float = 0.0  # CPU seconds of the app's process (all its threads) meanwhile
    loop_cpu: float = 0.0  # of which its event loop's thread (Python's one running thread)
    wall: float = 0.0  # seconds the app side waited for the burst


def body(n: int) -> dict[str, Any]:
    """A portal message from a different patient each time (no repeat-contact linking)."""
    return {
        "patient_reference": f"MRN-{700000 + n}",
        "patient_name": f"Bench Patient {n}",
        "callback_phone": f"(555) {200 + n % 700:03d}-{n % 10000:04d}",
        "origin": "portal_message",
        "lane": "scheduling",
        "request_type": "reschedule",
        "summary": "Needs to move next week's appointment to a morning, any day works",
        "language": "English",
        "source_id": f"bench-{n}",
    }


def post_all(url: str, token: str, first: int, count: int, concurrency: int) -> Burst:
    """Runs in the client process: POST `count` bodies, `concurrency` at a time."""
    return asyncio.run(_post_all(url, token, first, count, concurrency))


async def _post_all(url: str, token: str, first: int, count: int, concurrency: int) -> Burst:
    payloads = [json.dumps(body(n)).encode() for n in range(first, first + count)]
    latencies: list[float] = []
    statuses: list[int] = []
    next_one = iter(range(count))
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def sender() -> None:
            for n in next_one:
                sent = time.perf_counter()
                request_headers = {**headers, "Idempotency-Key": f"bench-{first + n}"}
                async with session.post(url, data=payloads[n], headers=request_headers) as answer:
                    await answer.read()
                    statuses.append(answer.status)
                latencies.append(time.perf_counter() - sent)

        started = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    return Burst(latencies, statuses, seconds)


def lines_in(path: str) -> int:
    with open(path, encoding="utf-8") as file:
        return sum(1 for _ in file)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def report(name: str, burst: Burst) -> float:
    rate = len(burst.statuses) / burst.seconds
    not_created = sum(1 for status in burst.statuses if status != 201)
    print(
        f"{name:>11}: {len(burst.statuses)} requests in {burst.seconds:.2f} s = {rate:,.0f}/s;"
        f" p50 {statistics.median(burst.latencies) * 1000:.1f} ms,"
        f" p99 {percentile(burst.latencies, 0.99) * 1000:.1f} ms;"
        f" app CPU {burst.app_cpu / len(burst.statuses) * 1000:.2f} ms a request"
        f" (event loop {burst.loop_cpu / len(burst.statuses) * 1000:.2f} ms,"
        f" busy {burst.loop_cpu / burst.wall:.0%});"
        f" not 201: {not_created}"
    )
    return rate


async def burst_against(
    url: str, token: str, first: int, count: int, concurrency: int, pool: ProcessPoolExecutor
) -> Burst:
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(pool, post_all, url, token, first, WARM_UP, concurrency)
    gc.collect()
    gc.freeze()  # the set-up's objects stay out of the collections during the burst
    try:
        cpu, loop_cpu, started = time.process_time(), time.thread_time(), time.perf_counter()
        burst = await loop.run_in_executor(
            pool, post_all, url, token, first + WARM_UP, count, concurrency
        )
        return dataclasses.replace(
            burst,
            app_cpu=time.process_time() - cpu,
            loop_cpu=time.thread_time() - loop_cpu,
            wall=time.perf_counter() - started,
        )
    finally:
        gc.unfreeze()


async def bare_endpoint() -> tuple[web.AppRunner, str]:
    """The ceiling: read the JSON, answer 201 with a key. No checks, no database."""
    counter = iter(range(1, 10**9))

    async def create(request: web.Request) -> web.Response:
        received = await request.json()
        assert isinstance(received, dict)
        return web.json_response({"key": f"CQ-{next(counter)}", "status": "new"}, status=201)

    app = web.Application()
    app.router.add_post("/api/v1/requests", create)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}/api/v1/requests"


async def burst_through_carequeue(
    deps: Deps, count: int, concurrency: int, pool: ProcessPoolExecutor, first: int
) -> tuple[Burst, str]:
    """CareQueue's web app as `carequeue run` serves it (outbox and jobs running), with a
    new token; the burst, and the token."""
    _, token = await deps.intake_api.create_token(f"Bench portal {first}")
    runner = web.AppRunner(
        build_web_app(deps, build_app(deps), http_events=True, run_outbox=True),
        access_log=None,
    )
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/api/v1/requests"
    try:
        return await burst_against(url, token, first, count, concurrency, pool), token
    finally:
        await runner.cleanup()


class AnswersTheFirst:
    """For `--breakdown`: the intake API's services, except that every delivery after the
    first is answered with the item the first one made, and still logged and announced to
    the outbox as a new item (`ItemServices.logged`). So a burst through it runs CareQueue's
    whole HTTP path (aiohttp, the middlewares, the token, the rate limit, the intake rules,
    the log line, the answer) without a delivery's transaction: what is left when the
    delivery itself costs nothing."""

    def __init__(self, real: IntakeApiServices, items: ItemServices) -> None:
        self._real = real
        self._items = items
        self._first: Delivered | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    async def deliver(self, token: ApiToken, request: IntakeRequest, **options: Any) -> Delivered:
        if self._first is None:
            self._first = await self._real.deliver(token, request, **options)
        else:
            self._items.logged(self._first.item)
        return self._first


@dataclass(frozen=True)
class Waves:
    """Deliveries handed straight to the group commit, `size` at a time: the event loop's
    CPU seconds per wave, by size."""

    cpu_per_wave: dict[int, float]

    def fit(self) -> tuple[float, float]:
        """(fixed CPU seconds a transaction, CPU seconds a delivery): a least-squares line
        through the waves' sizes and their CPU."""
        sizes = list(self.cpu_per_wave)
        cpu = [self.cpu_per_wave[size] for size in sizes]
        slope, intercept = statistics.linear_regression(sizes, cpu)
        return intercept, slope


WAVE_SIZES = (1, 10, 25, 50)


async def deliveries_in_waves(deps: Deps, count: int, first: int) -> Waves:
    """`count` deliveries for each wave size, handed to `IntakeApiServices.deliver` that many
    at a time with no HTTP (the outbox not running): each wave is one group commit's
    transaction. The bodies are read by the intake rules first, outside the measurement."""
    _, secret = await deps.intake_api.create_token("Bench waves")
    token = await deps.intake_api.authenticate(secret)
    assert token is not None
    n = first

    def read(size: int) -> list[IntakeDelivery]:
        nonlocal n
        deliveries = []
        for number in range(n, n + size):
            delivery = read_delivery(body(number), deps.practice, deps.clock.now())
            assert not isinstance(delivery, list)
            deliveries.append(delivery)
        n += size
        return deliveries

    async def wave(deliveries: list[IntakeDelivery]) -> None:
        await asyncio.gather(
            *(
                deps.intake_api.deliver(
                    token,
                    delivery.request,
                    received_at=delivery.contacted_at,
                    idempotency_key=f"wave-{delivery.source_id}",
                    source_id=delivery.source_id,
                )
                for delivery in deliveries
            )
        )

    cpu_per_wave: dict[int, float] = {}
    for size in WAVE_SIZES:
        for _ in range(max(1, WARM_UP // size)):
            await wave(read(size))
        rounds = max(1, count // size)
        gc.collect()
        gc.freeze()
        try:
            spent = 0.0
            for _ in range(rounds):
                deliveries = read(size)
                started = time.thread_time()
                await wave(deliveries)
                spent += time.thread_time() - started
        finally:
            gc.unfreeze()
        cpu_per_wave[size] = spent / rounds
    return Waves(cpu_per_wave)


def print_breakdown(ours: Burst, http_only: Burst, waves: Waves, ceiling: float) -> None:
    """Where CareQueue's event loop spends a request, and what 0.3 of the bare rate asks."""
    report("HTTP only", http_only)
    http_rate = len(http_only.statuses) / http_only.seconds
    loop_ms = ours.loop_cpu / len(ours.statuses) * 1000
    http_ms = http_only.loop_cpu / len(http_only.statuses) * 1000
    print(f"HTTP only / bare: {http_rate / ceiling:.2f} (the ceiling were a delivery free)")
    print(
        f"event loop a request: {loop_ms:.2f} ms, of which the HTTP path {http_ms:.2f} ms"
        f" and the delivery {loop_ms - http_ms:.2f} ms"
    )
    fixed, each = waves.fit()
    per_wave = ", ".join(f"{size}: {cpu * 1000:.2f} ms" for size, cpu in waves.cpu_per_wave.items())
    print(f"group commit alone, event loop CPU a wave by size: {per_wave}")
    print(f"  fitted: {fixed * 1000:.2f} ms a transaction + {each * 1000:.3f} ms a delivery")
    busy = ours.loop_cpu / ours.wall
    budget_ms = busy / (0.3 * ceiling) * 1000
    left = (
        f"leaving {budget_ms - http_ms:.2f} ms for a delivery (now {loop_ms - http_ms:.2f})"
        if budget_ms > http_ms
        else f"less than the HTTP path alone ({http_ms:.2f})"
    )
    print(
        f"0.3 of the bare rate is {0.3 * ceiling:,.0f}/s: at this run's {busy:.0%} busy loop,"
        f" {budget_ms:.2f} ms a request, {left}"
    )


async def main(
    database_url: str, count: int, concurrency: int, log: IO[str], breakdown: bool
) -> None:
    practice = load_practice(EXAMPLE_PRACTICE)
    # The per-token limit answers 429 by design; the bench measures what is behind it.
    practice = dataclasses.replace(
        practice,
        intake_api=dataclasses.replace(practice.intake_api, per_minute=10**7, burst=10**6),
    )
    engine = create_engine(database_url)
    await upgrade(engine)
    await engine.dispose()
    handler = configure_logging(os.environ, log)  # as `carequeue run` logs, to a file
    with ProcessPoolExecutor(max_workers=1) as pool:
        async with SlackStub() as stub:
            settings = settings_from_env(
                {"SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": "bench"},
                database_url=database_url,
                slack_api_url=stub.base_url,
                port=0,
            )
            deps = build_deps(settings, practice=practice, clock=SystemClock())
            ours, token = await burst_through_carequeue(deps, count, concurrency, pool, first=0)
            async with deps.uow.read() as tx:
                stored = await tx.session.scalar(select(func.count()).select_from(ItemRow))
            await deps.close()
            handler.flush()
            lines = lines_in(log.name)
            if breakdown:
                deps = build_deps(settings, practice=practice, clock=SystemClock())
                deps.intake_api = AnswersTheFirst(deps.intake_api, deps.services)  # type: ignore[assignment]
                first = 2 * (WARM_UP + count)  # patients and keys no earlier burst used
                http_only, _ = await burst_through_carequeue(deps, count, concurrency, pool, first)
                await deps.close()
                deps = build_deps(settings, practice=practice, clock=SystemClock())
                waves = await deliveries_in_waves(deps, count, first=4 * (WARM_UP + count))
                await deps.close()
        logging.getLogger().removeHandler(handler)
        bare_runner, bare_url = await bare_endpoint()
        bare = await burst_against(bare_url, token, 0, count, concurrency, pool)
        await bare_runner.cleanup()
    loop = type(asyncio.get_running_loop())
    print(
        f"store: {database_url.split(':')[0]}; {count} requests at concurrency {concurrency};"
        f" loop: {loop.__module__}.{loop.__name__}"
    )
    rate = report("CareQueue", ours)
    ceiling = report("bare", bare)
    print(f"items in the database: {stored} (warm-up {WARM_UP} + {count})")
    print(f"CareQueue / bare: {rate / ceiling:.2f}")
    each = lines / (WARM_UP + count)
    print(f"CareQueue's log: {lines:,} lines ({each:.2f} a request)")
    if breakdown:
        print_breakdown(ours, http_only, waves, ceiling)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary folder")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="also CareQueue's HTTP path without the delivery, and the group commit alone",
    )
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = arguments.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        loop_name = settings_from_env(os.environ).event_loop
        log_file = Path(folder) / "carequeue.log"
        with log_file.open("w", encoding="utf-8") as log:
            event_loop.run(
                main(url, arguments.requests, arguments.concurrency, log, arguments.breakdown),
                loop_name,
            )
