"""Two `carequeue run` processes on one PostgreSQL database and one Slack, driven through a
business day by a shared clock file (CAREQUEUE_CLOCK_FILE, moved in twenty-minute steps): each
morning summary, the end-of-day digest, each card and each escalation notice is posted
exactly once, whichever process gets there first."""

from __future__ import annotations

import asyncio
import json
import signal
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import FileClock
from bot.config import Practice, settings_from_env
from bot.deps import build_deps
from sandbox.stub.records import StoredMessage
from sandbox.stub.server import SlackStub
from storage.db import create_engine
from storage.models import JobRunRow, OutboxRow
from tests.scenarios.intake_api import PHONE_SYSTEM_REQUEST
from tests.scenarios.test_delivery import _app_env, _free_port, _start_app, _wait_healthy
from tests.scenarios.test_digest import MONDAY, at

TUESDAY = MONDAY + timedelta(days=1)
STEP = timedelta(minutes=20)
STEP_SECONDS = 0.1  # real time per simulated step, plus the outbox's time to go idle


@pytest.fixture
async def two_apps(
    database_url: str, stub: SlackStub, tmp_path: Path
) -> AsyncIterator[tuple[list[str], Path]]:
    """Two app processes on `database_url` sharing a clock file set to Monday 6:30; their
    base URLs and the clock file."""
    if database_url.startswith("sqlite"):
        pytest.skip("two processes share a PostgreSQL database (TEST_DATABASE_URL)")
    clock_file = tmp_path / "clock"
    FileClock.write(clock_file, at(MONDAY, 6, 30))
    ports = [_free_port(), _free_port()]
    processes = []
    try:
        for n, port in enumerate(ports):
            env = {
                **_app_env(stub, database_url, port),
                "CAREQUEUE_CLOCK_FILE": str(clock_file),
                "CAREQUEUE_POST_INTERVAL": "0.02",
                "LOG_LEVEL": "INFO",
            }
            processes.append(await _start_app(env, tmp_path / f"app{n}.log"))
        for port, process in zip(ports, processes, strict=True):
            await _wait_healthy(f"http://127.0.0.1:{port}/healthz", process)
        yield [f"http://127.0.0.1:{port}" for port in ports], clock_file
        for port, process in zip(ports, processes, strict=True):
            assert process.returncode is None, "an app process died during the day"
            await _wait_healthy(f"http://127.0.0.1:{port}/healthz", process)
    finally:
        for process in processes:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                await asyncio.wait_for(process.wait(), timeout=15)
            except TimeoutError:
                process.kill()
                await process.wait()


def once(message: StoredMessage) -> str:
    """What a person sees of a message: a second one alike is a duplicate."""
    return json.dumps([message.thread_ts, message.text, message.blocks], sort_keys=True)


async def _outbox_idle(engine: AsyncEngine) -> None:
    """Wait (up to 20 s) until no outbox row has been pending for 0.3 s: nothing queued,
    nothing leased mid-call, and the jobs the last move started have had time to queue."""
    statement = select(func.count()).select_from(OutboxRow).where(OutboxRow.status == "pending")
    quiet = 0
    for _ in range(250):
        async with engine.connect() as connection:
            quiet = 0 if await connection.scalar(statement) else quiet + 1
        if quiet >= 4:
            return
        await asyncio.sleep(0.075)
    raise AssertionError("the outbox never went idle")


async def _token(database_url: str) -> str:
    settings = settings_from_env({"SLACK_BOT_TOKEN": "xoxb-scenario"}, database_url=database_url)
    deps = build_deps(settings)
    try:
        _, token = await deps.intake_api.create_token("Phone system")
    finally:
        await deps.close()
    return token


async def test_two_processes_through_a_simulated_day_post_everything_exactly_once(
    two_apps: tuple[list[str], Path],
    database_url: str,
    stub: SlackStub,
    example_practice: Practice,
) -> None:
    (first, second), clock_file = two_apps
    token = await _token(database_url)
    night = at(MONDAY, 5, 45).isoformat()
    requests = [
        (first, {**PHONE_SYSTEM_REQUEST, "contacted_at": night}),
        (second, {**PHONE_SYSTEM_REQUEST, "patient_reference": "MRN-30413", "contacted_at": night}),
        (
            first,
            {
                **PHONE_SYSTEM_REQUEST,
                "patient_reference": "MRN-30414",
                "lane": "clinical",
                "request_type": "symptom question",
                "origin": "portal_message",
                "summary": "Chest pain since last night, left arm numb",
                "contacted_at": night,
            },
        ),
    ]
    keys = []
    async with aiohttp.ClientSession() as session:
        for root, body in requests:
            async with session.post(
                f"{root}/api/v1/requests",
                json=body,
                headers={"Authorization": f"Bearer {token}"},
            ) as response:
                assert response.status == 201, await response.text()
                keys.append((await response.json())["key"])

    # Monday 6:30 to Tuesday 8:30 in twenty-minute steps, each process looking at every step.
    # The clock moves only while no Slack write is in flight: a twenty-minute jump outlives the
    # outbox's 10-second lease, and real clocks do not jump mid-call.
    engine = create_engine(database_url)
    try:
        await _outbox_idle(engine)  # the cards of the night's requests are out
        moment = at(MONDAY, 6, 30)
        while moment < at(TUESDAY, 8, 30):
            moment += STEP
            FileClock.write(clock_file, moment)
            await asyncio.sleep(STEP_SECONDS)
            await _outbox_idle(engine)
    finally:
        await engine.dispose()

    managers = stub.channel_id(example_practice.managers_channel)

    def posted() -> list[str]:
        return [m.text for m in stub.messages(managers)]

    await stub.wait_until(
        lambda: (
            sum(t.startswith(("Morning summary", "End-of-day digest")) for t in posted()) >= 3
            and any(t.startswith("No response") for t in posted())
        ),
        timeout=30,
    )
    await asyncio.sleep(1.0)  # a duplicate, if any, would arrive now

    summaries = [
        header
        for m in stub.messages(managers)
        for header in ("Good morning · Mon Nov 23", "Good morning · Tue Nov 24", "End of day")
        if header in str(m.blocks)
    ]
    assert Counter(summaries) == {
        "Good morning · Mon Nov 23": 1,
        "End of day": 1,
        "Good morning · Tue Nov 24": 1,
    }
    summarised = Counter(t.split(":")[0] for t in posted())
    assert {kind: summarised[kind] for kind in ("Morning summary", "End-of-day digest")} == {
        "Morning summary": 2,
        "End-of-day digest": 1,
    }
    assert summarised["No response"] == 1, posted()
    # Nothing in the managers' channel twice: summaries, weekly reports, aging alerts.
    assert max(Counter(once(m) for m in stub.messages(managers)).values()) == 1, posted()
    # Every card once, in its lane, and no thread entry (aging alerts included) twice.
    for lane, count in (("scheduling", 2), ("clinical", 1)):
        posts = stub.messages(stub.channel_id(example_practice.lane(lane).channel))
        cards = [m for m in posts if not m.is_reply]
        assert sorted(m.text.split(" ")[0] for m in cards) == sorted(
            k for k, (_, b) in zip(keys, requests, strict=True) if b["lane"] == lane
        )
        assert len(cards) == count
        assert max(Counter(once(m) for m in posts).values()) == 1
    # One post per level paged (the same notification text, different people in it).
    clinical = stub.messages(stub.channel_id(example_practice.clinical_channel))
    pages = Counter(json.dumps(m.blocks, sort_keys=True) for m in clinical)
    assert len(clinical) >= 2 and max(pages.values()) == 1, [m.text for m in clinical]

    settings = settings_from_env({"SLACK_BOT_TOKEN": "x"}, database_url=database_url)
    deps = build_deps(settings)
    try:
        async with deps.uow.read() as tx:
            runs = (await tx.session.execute(select(JobRunRow.job, JobRunRow.period))).all()
    finally:
        await deps.close()
    assert sorted(run for run in runs if run[0] in ("end_of_day_digest", "morning_summary")) == [
        ("end_of_day_digest", "2026-11-20"),
        ("end_of_day_digest", "2026-11-23"),
        ("morning_summary", "2026-11-20"),
        ("morning_summary", "2026-11-23"),
        ("morning_summary", "2026-11-24"),
    ]
    # Each summary was queued by one process or the other, never by both.
    logs = "".join(path.read_text() for path in sorted(clock_file.parent.glob("app*.log")))
    for job, day in [
        ("morning_summary", "2026-11-23"),
        ("end_of_day_digest", "2026-11-23"),
        ("morning_summary", "2026-11-24"),
    ]:
        assert logs.count(f"{job} queued day={day}") == 1, (job, day)
