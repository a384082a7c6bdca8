"""Monday morning: 40 voicemails logged, carded and claimed. Prints measured numbers.

    .venv/bin/python bench/monday_morning.py                       # SQLite file in a temp dir
    .venv/bin/python bench/monday_morning.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test

Measures, through the real services, outbox and the stub Slack Web API over HTTP:
- log_request latency (one transaction: item, event, card, outbox row),
- claim latency, sequential and with 25 people clicking one card at once,
- the outbox's real time to send 40 cards, with pacing switched off, so the number is the
  app's own delivery cost, not Slack's one-post-a-second rule (which, on, makes 40 posts to
  one channel take about 39 s: that is Slack's limit, not a measurement of the app).
Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from voicemails import bench_practice, voicemail

from bot.clock import SystemClock
from bot.config import settings_from_env
from bot.deps import build_deps
from bot.outbox import Pacing
from sandbox.stub.server import SlackStub
from storage.db import create_engine
from storage.migrate import upgrade

VOICEMAILS = 40


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(name: str, samples: list[float]) -> None:
    ms = [s * 1000 for s in samples]
    print(
        f"{name:<34} n={len(ms):<3} median={statistics.median(ms):7.2f} ms  "
        f"p95={percentile(ms, 0.95):7.2f} ms  max={max(ms):7.2f} ms"
    )


async def main(database_url: str) -> None:
    practice = bench_practice()
    engine = create_engine(database_url)
    await upgrade(engine)
    await engine.dispose()
    async with SlackStub() as stub:
        settings = settings_from_env(
            {"SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": "bench"},
            database_url=database_url,
            slack_api_url=stub.base_url,
        )
        unpaced = Pacing(post_interval=0, edit_interval=0)
        deps = build_deps(settings, practice=practice, clock=SystemClock(), pacing=unpaced)
        lanes = list(practice.lanes.values())
        logged: list[float] = []
        keys: list[str] = []
        for n in range(VOICEMAILS):
            lane = lanes[n % len(lanes)]
            request = voicemail(n, lane)
            started = time.perf_counter()
            done = await deps.services.log_request(request, actor="UBENCH")
            logged.append(time.perf_counter() - started)
            keys.append(done.item.key)

        started = time.perf_counter()
        delivery = await deps.outbox.drain_until_idle()
        delivered = time.perf_counter() - started

        claims: list[float] = []
        for key in keys:
            started = time.perf_counter()
            await deps.services.claim(item_key=key, actor="UFRONT01")
            claims.append(time.perf_counter() - started)

        contested = await deps.services.log_request(request, actor="UBENCH")
        started = time.perf_counter()
        await asyncio.gather(
            *(
                deps.services.claim(item_key=contested.item.key, actor=f"U{n:02d}")
                for n in range(25)
            )
        )
        burst = time.perf_counter() - started
        await deps.close()

    print(f"store: {database_url.split('://')[0]}")
    report("log_request (one transaction)", logged)
    report("claim (uncontested)", claims)
    print(f"{'25 simultaneous claims, one card':<34} total={burst * 1000:7.2f} ms")
    print(
        f"{'outbox: deliver 40 cards (unpaced)':<34} total={delivered * 1000:7.2f} ms  "
        f"sent={delivery.sent} failed={delivery.failed}"
    )
    posts = len(stub.calls_to("chat.postMessage"))
    print(f"{'chat.postMessage calls':<34} {posts} (one per card)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        asyncio.run(main(url))
