"""The outbox under Slack's limits: how close to the minimum it drains a queue of new cards,
and whether its card edits stay inside `chat.update`'s limit while staff claim them.

    .venv/bin/python bench/outbox_drain.py                          # 300 cards, 6 lanes, 0.25 s
    .venv/bin/python bench/outbox_drain.py --cards 600 --claims 300 # the issue's numbers
    .venv/bin/python bench/outbox_drain.py --cards 300 --interval 1.0   # Slack's own pace
    .venv/bin/python bench/outbox_drain.py --claims 0               # the drain alone
    .venv/bin/python bench/outbox_drain.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench

Logs N requests spread evenly over L lanes, then runs the real outbox worker (its own loop,
the system clock) against the stub Web API with the stub enforcing one post per `interval`
per channel by the wall clock, answering 429 with Retry-After as Slack does. Prints the
time until every card was posted, the minimum the limit allows (the busiest channel's
posts minus one, times the interval), their ratio, the 429 answers, cards lost and cards
posted twice, and the smallest gap Slack saw between two posts to one channel.

Then (unless `--claims 0`) C distinct cards are claimed by S staff, spread evenly over one
minute, each a signed Claim click (block_actions) on the card the stub holds, through the
running Bolt app served as `carequeue run` serves it, while the same worker edits the cards;
the stub answers `chat.update` 429 beyond 50 calls in any minute (Slack's Tier 3, per
workspace). Prints the `chat.update` calls, the cards edited, the most calls in any second
per channel and in any minute for the workspace, the 429 answers, and the time from the
last click to the last card edit.

Time is scaled by `interval` (Slack's one post per second per channel): at 0.25 a second of
Slack's is 0.25 s, so the minute of claims, the stub's minute and the outbox's own pacing
(bot/outbox/pacing.py) all shrink by four. Ratios and counts compare; a run at 1.0 takes
Slack's real time (the edits alone about six minutes). Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import math
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from itertools import pairwise, zip_longest
from pathlib import Path

from aiohttp import web
from claim_burst import carequeue_claimed
from voicemails import bench_practice, voicemail

from blocks.ids import ActionId
from bot.app import build_app
from bot.clock import SystemClock
from bot.config import settings_from_env
from bot.deps import Deps, build_deps
from bot.outbox import Pacing
from bot.server import build_web_app
from sandbox.side.interactions import SlackSide
from sandbox.side.wire import SlackResponse
from sandbox.stub.records import Call
from sandbox.stub.server import SlackStub
from storage.db import create_engine
from storage.migrate import upgrade

SIGNING_SECRET = "bench-signing-secret"
# Slack's limits in its own seconds: chat.update is Tier 3 ("50+ per minute", per workspace);
# messages about one per second per channel. The outbox paces edits at 1.2 s (50 a minute).
EDITS_PER_MINUTE = 50
MINUTE = 60.0
SECOND = 1.0


@dataclasses.dataclass(frozen=True)
class Claims:
    """What the claims part sent: each click's wall-clock time and the app's answer."""

    owners: dict[str, str]  # item key -> who clicked Claim
    cards: dict[str, tuple[str, str]]  # item key -> (channel id, ts)
    sent_at: list[float]
    statuses: list[int]
    first_call: int  # index of the stub's first call after the drain


def scaled_pacing(scale: float) -> Pacing:
    """The outbox's own pacing (its defaults, Slack's limits) with every interval scaled."""
    slack = Pacing()
    return Pacing(
        post_interval=slack.post_interval * scale,
        edit_interval=slack.edit_interval * scale,
        publish_interval=slack.publish_interval * scale,
    )


async def main(
    database_url: str, cards: int, lanes_wanted: int, interval: float, claims: int, staff: int
) -> None:
    practice = bench_practice()
    engine = create_engine(database_url)
    await upgrade(engine)
    await engine.dispose()
    lanes = list(practice.lanes.values())[:lanes_wanted]
    async with SlackStub() as stub:
        settings = settings_from_env(
            {"SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": SIGNING_SECRET},
            database_url=database_url,
            slack_api_url=stub.base_url,
            port=0,
        )
        pacing = scaled_pacing(interval)
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
        drained = len(stub.calls)
        report_drain(stub, stub.calls[:drained], keys, channels, elapsed, interval, database_url)
        if claims:
            minute = MINUTE * interval
            stub.limit_calls("chat.update", EDITS_PER_MINUTE, seconds=minute)
            clicked = await claim_cards(deps, stub, channels.values(), claims, staff, minute)
            edits_allowed = (claims * 2 - 1) * pacing.edit_interval + minute + 60
            try:
                unedited = Unedited(stub, clicked)
                await stub.wait_until(unedited.none_left, timeout=edits_allowed)
            except TimeoutError:
                print(f"not every claimed card showed its owner within {edits_allowed:.0f} s")
            claimed = await carequeue_claimed(deps)
            report_claims(stub, clicked, claimed, interval, pacing)
        stop.set()
        deps.outbox.wake()
        await worker
        await deps.close()


def key_of(card_text: str) -> str:
    """The item key a card's top-level text starts with."""
    return card_text.split(" ")[0]


def report_drain(
    stub: SlackStub,
    calls: list[Call],
    keys: dict[str, str],
    channels: dict[str, str],
    elapsed: float,
    interval: float,
    database_url: str,
) -> None:
    posts = [call for call in calls if call.method == "chat.postMessage"]
    rejected = sum(1 for call in posts if call.status == 429)
    accepted: dict[str, list[float]] = {}
    for call in posts:
        if call.status == 200 and call.response.get("ok"):
            accepted.setdefault(str(call.response.get("channel")), []).append(call.at)
    gaps = [b - a for times in accepted.values() for a, b in pairwise(times)]
    seen = Counter(
        key_of(message.text) for cid in channels.values() for message in stub.messages(cid)
    )
    busiest = max(Counter(keys.values()).values())
    minimum = (busiest - 1) * interval
    print(f"store: {database_url.split('://')[0]}   cards: {len(keys)} over {len(channels)} lanes")
    print(f"interval (one post per channel per): {interval:.2f} s")
    print(f"time to all cards posted:            {elapsed:8.2f} s")
    print(f"minimum the limit allows:            {minimum:8.2f} s")
    print(f"ratio:                               {elapsed / minimum if minimum else math.nan:8.3f}")
    print(f"429 answers:                         {rejected}")
    print(f"cards lost:                          {sum(1 for key in keys if key not in seen)}")
    print(f"cards posted twice:                  {sum(1 for n in seen.values() if n > 1)}")
    print(f"smallest gap in one channel:         {min(gaps) if gaps else math.nan:8.3f} s")


# -- claims and the card edits they cause ------------------------------------------------


async def claim_cards(
    deps: Deps, stub: SlackStub, channels: Iterable[str], claims: int, staff: int, over: float
) -> Claims:
    """Claim `claims` distinct cards, the lanes in turn and the staff in turn, one signed
    click every `over / claims` seconds through the running app (served as in HTTP mode,
    its outbox the bench's worker)."""
    first_call = len(stub.calls)
    per_lane = [[(key_of(m.text), (cid, m.ts)) for m in stub.messages(cid)] for cid in channels]
    in_turn = [card for row in zip_longest(*per_lane) for card in row if card is not None]
    cards = dict(in_turn[:claims])
    people = [f"UBENCH{n:02d}" for n in range(staff)]
    for person in people:
        stub.add_user(person, person.lower())
    owners = {key: people[n % staff] for n, key in enumerate(cards)}
    # Served as `carequeue run` serves HTTP mode, without a second outbox worker or the
    # scheduled jobs: the bench's worker is already draining.
    web_app = build_web_app(deps, build_app(deps), http_events=True, run_outbox=False)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    app_url = f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
    slack = SlackSide(app_url=app_url, signing_secret=SIGNING_SECRET, stub=stub)
    sent_at: list[float] = []
    try:
        gap = over / max(len(cards), 1)
        start = time.perf_counter()
        clicks: list[asyncio.Task[SlackResponse]] = []
        for n, (key, (channel, ts)) in enumerate(cards.items()):
            await asyncio.sleep(max(0.0, start + n * gap - time.perf_counter()))
            sent_at.append(time.time())
            click = slack.click_button(owners[key], channel, ts, ActionId.CLAIM, key)
            clicks.append(asyncio.create_task(click))
        answers = await asyncio.gather(*clicks)
    finally:
        await slack.close()
        await runner.cleanup()
    return Claims(owners, cards, sent_at, [a.status for a in answers], first_call)


def shows_owner(stub: SlackStub, channel: str, ts: str, owner: str) -> bool:
    message = stub.message(channel, ts)
    return message is not None and f"<@{owner}>" in json.dumps(message.blocks)


class Unedited:
    """The claimed cards no edit has yet shown with their owner, read from the stub's calls
    as they come (the wait re-checks on every call: reading only the new ones keeps the
    bench's own work off the event loop the outbox runs on)."""

    def __init__(self, stub: SlackStub, clicked: Claims) -> None:
        self._stub = stub
        self._seen = clicked.first_call
        self._owners = {card: clicked.owners[key] for key, card in clicked.cards.items()}

    def none_left(self) -> bool:
        calls = self._stub.calls
        for call in calls[self._seen :]:
            if call.method != "chat.update" or not call.response.get("ok"):
                continue
            card = (str(call.args.get("channel")), str(call.args.get("ts")))
            owner = self._owners.get(card)
            if owner is not None and shows_owner(self._stub, *card, owner):
                del self._owners[card]
        self._seen = len(calls)
        return not self._owners


def most_in_window(times: list[float], window: float) -> int:
    """The most of `times` that fall in any half-open interval `window` long."""
    ordered = sorted(times)
    most, first = 0, 0
    for last, at in enumerate(ordered):
        while at - ordered[first] >= window:
            first += 1
        most = max(most, last - first + 1)
    return most


def report_claims(
    stub: SlackStub, clicked: Claims, claimed: int, scale: float, pacing: Pacing
) -> None:
    calls = stub.calls[clicked.first_call :]
    updates = [call for call in calls if call.method == "chat.update"]
    applied = [call for call in updates if call.status == 200 and call.response.get("ok")]
    per_channel: dict[str, list[float]] = {}
    for call in applied:
        per_channel.setdefault(str(call.args.get("channel")), []).append(call.at)
    per_card = Counter((str(c.args.get("channel")), str(c.args.get("ts"))) for c in applied)
    by_method = Counter(call.method for call in calls if call.status == 429)
    times = [call.at for call in applied]
    showing = sum(
        shows_owner(stub, channel, ts, clicked.owners[key])
        for key, (channel, ts) in clicked.cards.items()
    )
    second, minute = SECOND * scale, MINUTE * scale
    busiest_second = max((most_in_window(t, second) for t in per_channel.values()), default=0)
    last_click = clicked.sent_at[-1] if clicked.sent_at else math.nan
    last_edit = max(times, default=math.nan)
    span = max(times) - min(times) if times else math.nan
    # The edits can go no faster than the outbox's pace, nor finish before the clicks do.
    clicking = clicked.sent_at[-1] - clicked.sent_at[0] if clicked.sent_at else 0.0
    paced = max((len(applied) - 1) * pacing.edit_interval, clicking)
    print(
        f"claims: {len(clicked.cards)} cards by {len(set(clicked.owners.values()))} staff over "
        f"{clicked.sent_at[-1] - clicked.sent_at[0]:.2f} s (Slack's minute scaled by {scale:g}:"
        f" {minute:g} s)"
    )
    print(f"clicks answered non-200:             {sum(1 for s in clicked.statuses if s != 200)}")
    print(f"items claimed in the database:       {claimed}")
    print(f"chat.update calls (429 included):    {len(updates)}")
    print(f"cards edited:                        {len(per_card)}")
    print(f"cards showing their owner:           {showing} of {len(clicked.cards)}")
    print(f"most edits of one card:              {max(per_card.values(), default=0)}")
    print(
        f"most chat.update in 1 s, 1 channel:  {busiest_second}   "
        f"(Slack: about 1 a second per channel, bursts allowed; window {second:g} s)"
    )
    print(
        f"most chat.update in 60 s, workspace: {most_in_window(times, minute)}   "
        f"(limit: {EDITS_PER_MINUTE}, Tier 3; window {minute:g} s)"
    )
    print(
        f"429 answers:                         chat.update {by_method['chat.update']}, "
        f"chat.postMessage {by_method['chat.postMessage']}"
    )
    print(f"last click to last card edit:        {last_edit - last_click:8.2f} s")
    print(
        f"first to last edit:                  {span:8.2f} s   "
        f"(at best {paced:.2f} s: {len(applied) - 1} x the outbox's {pacing.edit_interval:.2f} s, "
        f"or the clicks' span; ratio {span / paced if paced else math.nan:.3f})"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary folder")
    parser.add_argument("--cards", type=int, default=300)
    parser.add_argument("--lanes", type=int, default=6)
    parser.add_argument("--interval", type=float, default=0.25)
    parser.add_argument("--claims", type=int, default=300, help="0: the drain alone")
    parser.add_argument("--staff", type=int, default=10)
    args = parser.parse_args()
    if args.claims > args.cards:
        parser.error("--claims must not exceed --cards (each claim is a different card)")
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        asyncio.run(main(url, args.cards, args.lanes, args.interval, args.claims, args.staff))
