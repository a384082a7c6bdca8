"""Intake API throughput: N requests at concurrency C to CareQueue, beside a bare endpoint.

    .venv/bin/python bench/intake_api.py                      # SQLite file in a temp folder
    .venv/bin/python bench/intake_api.py --requests 5000 --concurrency 50
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
from bot.app import build_app
from bot.clock import SystemClock
from bot.config import EXAMPLE_PRACTICE, load_practice, settings_from_env
from bot.deps import build_deps
from bot.server import build_web_app
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


async def main(database_url: str, count: int, concurrency: int, log: IO[str]) -> None:
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
            _, token = await deps.intake_api.create_token("Bench portal")
            runner = web.AppRunner(
                build_web_app(deps, build_app(deps), http_events=True, run_outbox=True),
                access_log=None,
            )
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            url = f"http://127.0.0.1:{runner.addresses[0][1]}/api/v1/requests"
            ours = await burst_against(url, token, 0, count, concurrency, pool)
            async with deps.uow.read() as tx:
                stored = await tx.session.scalar(select(func.count()).select_from(ItemRow))
            await runner.cleanup()
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


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary folder")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = arguments.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        loop_name = settings_from_env(os.environ).event_loop
        log_file = Path(folder) / "carequeue.log"
        with log_file.open("w", encoding="utf-8") as log:
            event_loop.run(main(url, arguments.requests, arguments.concurrency, log), loop_name)
        lines = len(log_file.read_text(encoding="utf-8").splitlines())
        each = lines / (WARM_UP + arguments.requests)
        print(f"CareQueue's log: {lines:,} lines ({each:.2f} a request)")
