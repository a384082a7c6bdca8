"""The outbox under Slack's per-channel post limit: how close to the minimum it drains.

    .venv/bin/python bench/outbox_drain.py                          # 300 cards, 6 lanes, 0.25 s
    .venv/bin/python bench/outbox_drain.py --cards 300 --interval 1.0   # Slack's own pace
    .venv/bin/python bench/outbox_drain.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench

Logs N requests spread evenly over L lanes, then runs the real outbox worker (its own loop,
the system clock) against the stub Web API with the stub enforcing one post per `interval`
per channel by the wall clock, answering 429 with Retry-After as Slack does. Prints the
time until every card was posted, the minimum the limit allows (the busiest channel's
posts minus one, times the interval), their ratio, the 429 answers, cards lost and cards
posted twice, and the smallest gap Slack saw between two posts to one channel. A scaled
interval (the default) keeps the run short; the ratio is what compares. Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import tempfile
import time
from collections import Counter
from itertools import pairwise
from pathlib import Path

from voicemails import voicemail

from bot.clock import SystemClock
from bot.config import EXAMPLE_PRACTICE, load_practice, settings_from_env
from bot.deps import build_deps
from bot.outbox import Pacing
from sandbox.stub.server import SlackStub
from storage.db import create_engine
from storage.migrate import upgrade


async def main(database_url: str, cards: int, lanes_wanted: int, interval: float) -> None:
    practice = load_practice(EXAMPLE_PRACTICE)
    engine = create_engine(database_url)
    await upgrade(engine)
    await engine.dispose()
    lanes = list(practice.lanes.values())[:lanes_wanted]
    async with SlackStub() as stub:
        settings = settings_from_env(
            {"SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": "bench"},
            database_url=database_url,
            slack_api_url=stub.base_url,
        )
        pacing = Pacing(post_interval=interval)
        deps = build_deps(settings, practice=practice, clock=SystemClock(), pacing=pacing)
        keys: dict[str, str] = {}
        for n in range(cards):
            lane = lanes[n % len(lanes)]
            request = voicemail(n, lane)
            done = await deps.services.log_request(request, actor="UBENCH")
            keys[done.item.key] = lane.channel
        channels = {lane.channel: stub.channel_id(lane.channel) for lane in lanes}

        def posted() -> int:
            return sum(len(stub.messages(cid)) for cid in channels.values())

        stub.limit_posts_per_channel(interval)
        stop = asyncio.Event()
        started = time.perf_counter()
        worker = asyncio.create_task(deps.outbox.run(stop, idle_poll=0.05))
        await stub.wait_until(lambda: posted() >= cards, timeout=cards * interval * 3 + 60)
        elapsed = time.perf_counter() - started
        stop.set()
        deps.outbox.wake()
        await worker
        await deps.close()

    posts = stub.calls_to("chat.postMessage")
    rejected = sum(1 for call in posts if call.status == 429)
    accepted: dict[str, list[float]] = {}
    for call in posts:
        if call.status == 200 and call.response.get("ok"):
            accepted.setdefault(str(call.response.get("channel")), []).append(call.at)
    gaps = [b - a for times in accepted.values() for a, b in pairwise(times)]
    seen = Counter(
        message.text.split(" ")[0] for cid in channels.values() for message in stub.messages(cid)
    )
    busiest = max(Counter(keys.values()).values())
    minimum = (busiest - 1) * interval
    print(f"store: {database_url.split('://')[0]}   cards: {cards} over {len(lanes)} lanes")
    print(f"interval (one post per channel per): {interval:.2f} s")
    print(f"time to all cards posted:            {elapsed:8.2f} s")
    print(f"minimum the limit allows:            {minimum:8.2f} s")
    print(f"ratio:                               {elapsed / minimum if minimum else math.nan:8.3f}")
    print(f"429 answers:                         {rejected}")
    print(f"cards lost:                          {sum(1 for key in keys if key not in seen)}")
    print(f"cards posted twice:                  {sum(1 for n in seen.values() if n > 1)}")
    print(f"smallest gap in one channel:         {min(gaps) if gaps else math.nan:8.3f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary folder")
    parser.add_argument("--cards", type=int, default=300)
    parser.add_argument("--lanes", type=int, default=6)
    parser.add_argument("--interval", type=float, default=0.25)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        asyncio.run(main(url, args.cards, args.lanes, args.interval))
