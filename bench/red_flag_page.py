"""From a red-flag request at intake to the clinical page handed to the Web API, with a queue
of ordinary card posts ahead of it under Slack's pacing.

    .venv/bin/python bench/red_flag_page.py                          # 500 cards queued, 1.0 s
    .venv/bin/python bench/red_flag_page.py --runs 5 --cards 500
    .venv/bin/python bench/red_flag_page.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench

Logs N ordinary voicemails over the practice's non-clinical lanes and starts the real outbox
worker (its own loop, the system clock) against the stub Web API, with the stub enforcing
one post per `interval` per channel by the wall clock as Slack does (429 with Retry-After).
Once the card queue is draining, it logs a chest-pain portal message in the clinical lane
and confirms the red-flag prompt at once (the "Escalate" click: a person's reaction time is
not CareQueue's), and measures from just before the intake call to the moment the stub
received the first DM to a paged clinician (`chat.postMessage` to a clinician's user id).
Prints each run, and how many ordinary cards were still waiting when the page went out.
Not a test; the issue's target is under 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from voicemails import voicemail

from bot.clock import SystemClock
from bot.config import EXAMPLE_PRACTICE, load_practice, settings_from_env
from bot.deps import build_deps
from bot.domain.intake import IntakeRequest
from bot.domain.items import Origin
from bot.outbox import Pacing
from bot.outbox.kinds import CARD
from sandbox.stub.server import SlackStub
from storage.db import create_engine
from storage.migrate import upgrade

CHEST_PAIN = "Chest pain since last night and short of breath, asking what to do"


def chest_pain(run: int) -> IntakeRequest:
    return IntakeRequest(
        patient_ref=f"MRN-RF-{run:03d}",
        patient_name=f"Red Flag {run}",
        phone="(555) 201-9911",
        origin=Origin.PORTAL_MESSAGE,
        lane="clinical",
        request_type="medication question",
        summary=CHEST_PAIN,
        language="English",
    )


def first_page(stub: SlackStub, seen: int, clinicians: set[str]) -> float | None:
    """When the stub received the first DM to a clinician after its first `seen` calls."""
    for call in stub.calls[seen:]:
        if call.method == "chat.postMessage" and str(call.args.get("channel", "")) in clinicians:
            return call.at
    return None


async def main(database_url: str, cards: int, interval: float, runs: int) -> None:
    practice = load_practice(EXAMPLE_PRACTICE)
    engine = create_engine(database_url)
    await upgrade(engine)
    await engine.dispose()
    lanes = [lane for lane in practice.lanes.values() if not lane.clinical]
    clinicians = {m for level in practice.roles.clinical for m in level.members}
    async with SlackStub() as stub:
        settings = settings_from_env(
            {"SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": "bench"},
            database_url=database_url,
            slack_api_url=stub.base_url,
        )
        deps = build_deps(
            settings,
            practice=practice,
            clock=SystemClock(),
            pacing=Pacing(post_interval=interval),
        )
        stub.limit_posts_per_channel(interval)
        stop = asyncio.Event()
        worker = asyncio.create_task(deps.outbox.run(stop, idle_poll=0.05))
        timings: list[float] = []
        for run in range(runs):
            for n in range(cards):
                request = voicemail(n, lanes[n % len(lanes)], run=f"{run}")
                await deps.services.log_request(request, actor="UBENCH")
            await asyncio.sleep(2 * interval)  # the card queue is draining under the limit
            seen = len(stub.calls)
            started = time.time()
            done = await deps.services.log_request(chest_pain(run), actor="UFRONTDESK")
            confirmed = await deps.escalations.confirm_red_flag(
                item_key=done.item.key, actor="UFRONTDESK"
            )
            assert done.item.red_flags, "the chest-pain summary raised no red flag"

            await stub.wait_until(
                lambda: first_page(stub, seen, clinicians) is not None,  # noqa: B023
                timeout=120,
            )
            at = first_page(stub, seen, clinicians)
            assert at is not None
            elapsed = at - started
            async with deps.uow.read() as tx:
                waiting = await tx.outbox.pending_of_kind(CARD)
            timings.append(elapsed)
            print(
                f"run {run + 1}: {type(confirmed).__name__}, page handed to the Web API "
                f"{elapsed * 1000:7.1f} ms after intake; ordinary rows still queued: {waiting}"
            )
        stop.set()
        deps.outbox.wake()
        await worker
        await deps.close()
    print(f"store: {database_url.split('://')[0]}   cards queued ahead: {cards} per run")
    print(f"interval (one post per channel per): {interval:.2f} s")
    print(
        f"intake to clinical DM: median {statistics.median(timings) * 1000:.1f} ms, "
        f"max {max(timings) * 1000:.1f} ms over {len(timings)} runs"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary folder")
    parser.add_argument("--cards", type=int, default=500)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        asyncio.run(main(url, args.cards, args.interval, args.runs))
