"""SIGTERM to `carequeue run`: requests already in its hands are answered, it exits 0 within
a bound, and Slack writes it could not deliver stay in the outbox for the next start."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from blocks.ids import Command, FieldId
from bot.config import Practice
from bot.outbox.kinds import CARD, CHART, DIGEST, METRICS, MORNING, QA_SAMPLE
from sandbox.side.interactions import SlackSide
from sandbox.side.wire import SlackResponse
from sandbox.stub.server import SlackStub
from storage.db import create_engine
from storage.models import CounterRow, ItemRow, OutboxRow
from tests.scenarios.conftest import ASSISTANT, DEFAULT_REQUEST, FRONT_DESK, MANAGER, SIGNING_SECRET
from tests.scenarios.test_delivery import (
    _app_env,
    _free_port,
    _start_app,
    _wait_healthy,
    posted_to,
)

STOP_WITHIN_SECONDS = 20.0


async def open_intake(slack: SlackSide, stub: SlackStub, user: str) -> str:
    opened = len(stub.calls_to("views.open"))
    await slack.slash_command(user, Command.INTAKE)
    await stub.wait_for_call("views.open", count=opened + 1, timeout=10)
    return stub.open_views(user)[-1]["id"]


def request_of(number: int) -> dict[str, str]:
    return {**DEFAULT_REQUEST, FieldId.PATIENT_REF: f"MRN-{40000 + number}"}


@asynccontextmanager
async def carequeue_run(env: dict[str, str]) -> AsyncIterator[asyncio.subprocess.Process]:
    """`carequeue run` as a process, healthy; killed at the end if a test left it running."""
    process = await _start_app(env)
    try:
        await _wait_healthy(f"http://127.0.0.1:{env['PORT']}/healthz", process)
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def stop(process: asyncio.subprocess.Process) -> int:
    """SIGTERM, then its exit code, within the bound."""
    process.send_signal(signal.SIGTERM)
    return await asyncio.wait_for(process.wait(), timeout=STOP_WITHIN_SECONDS)


async def hold_the_database(connection: AsyncConnection) -> None:
    """Keep new items from committing until `connection` rolls back."""
    if connection.dialect.name == "sqlite":
        await connection.execute(text("SELECT 1"))  # BEGIN IMMEDIATE: the write lock
    else:
        await connection.execute(select(CounterRow).with_for_update())  # the item numbers


async def database_rows(database_url: str) -> tuple[int, list[tuple[str, str]]]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            items = await connection.scalar(select(func.count()).select_from(ItemRow))
            outbox = (await connection.execute(select(OutboxRow.kind, OutboxRow.status))).all()
    finally:
        await engine.dispose()
    return int(items or 0), [(kind, status) for kind, status in outbox]


async def test_sigterm_answers_requests_in_flight_and_leaves_undelivered_cards_for_the_next_start(
    database_url: str, example_practice: Practice, stub: SlackStub
) -> None:
    port = _free_port()
    env = _app_env(stub, database_url, port)
    slack = SlackSide(
        app_url=f"http://127.0.0.1:{port}/slack/events", signing_secret=SIGNING_SECRET, stub=stub
    )
    locker = create_engine(database_url)
    async with carequeue_run(env) as process:
        views = [await open_intake(slack, stub, user) for user in (FRONT_DESK, ASSISTANT, MANAGER)]
        stub.set_outage(True)  # from now on no card reaches Slack
        first = await slack.submit_view(FRONT_DESK, views[0], request_of(1))
        assert first.status == 200 and "errors" not in (first.json or {})

        async with locker.connect() as connection:
            await hold_the_database(connection)  # the next two submissions wait in the app
            waiting = zip((ASSISTANT, MANAGER), views[1:], strict=True)
            in_flight: list[asyncio.Task[SlackResponse]] = [
                asyncio.create_task(slack.submit_view(user, view, request_of(n)))
                for n, (user, view) in enumerate(waiting, start=2)
            ]
            await asyncio.sleep(0.5)  # both requests are in the app, waiting for the database
            assert not any(task.done() for task in in_flight)
            process.send_signal(signal.SIGTERM)
            stopped_at = time.monotonic()
            await asyncio.sleep(0.5)
            assert process.returncode is None  # still finishing what it holds
            await connection.rollback()

        for answer in await asyncio.gather(*in_flight):
            assert answer.status == 200, answer.body
            assert (answer.json or {}).get("response_action") == "update", answer.body
        await asyncio.wait_for(process.wait(), timeout=STOP_WITHIN_SECONDS)
        assert process.returncode == 0
        assert time.monotonic() - stopped_at < STOP_WITHIN_SECONDS
    await locker.dispose()

    items, outbox = await database_rows(database_url)
    assert items == 3
    cards = [status for kind, status in outbox if kind == "card"]
    assert cards == ["pending"] * 3  # nothing lost, nothing marked sent that was not
    channel = stub.channel_id(example_practice.lane("scheduling").channel)
    assert stub.messages(channel) == []

    stub.set_outage(False)
    async with carequeue_run(env) as restarted:
        await stub.wait_until(lambda: len(stub.messages(channel)) >= 3, timeout=30)
        assert await stop(restarted) == 0
    await slack.close()
    keys = sorted(m.text.split(" ")[0] for m in stub.messages(channel))
    assert keys == ["CQ-1001", "CQ-1002", "CQ-1003"]  # each card once
    _, outbox = await database_rows(database_url)
    assert [status for kind, status in outbox if kind == "card"] == ["sent"] * 3


async def test_sigterm_while_slack_hangs_on_a_post_exits_0_and_keeps_the_row(
    database_url: str, stub: SlackStub
) -> None:
    port = _free_port()
    slack = SlackSide(
        app_url=f"http://127.0.0.1:{port}/slack/events", signing_secret=SIGNING_SECRET, stub=stub
    )
    async with carequeue_run(_app_env(stub, database_url, port)) as process:
        view = await open_intake(slack, stub, FRONT_DESK)
        stub.hold("chat.postMessage")  # Slack takes the card and never answers
        answer = await slack.submit_view(FRONT_DESK, view, request_of(1))
        assert answer.status == 200
        await posted_to(stub, "#cq-scheduling")  # the card, not a closing-time digest
        assert await stop(process) == 0
    stub.release("chat.postMessage")
    await slack.close()
    _, outbox = await database_rows(database_url)
    # For the next start, which looks in Slack first. The jobs run on the real clock, so
    # their posts may wait beside it, whatever the hour the suite runs: after closing time
    # the day's digest, after opening time the morning summary, on the week's first
    # morning the weekly metrics.
    scheduled = {DIGEST, MORNING, METRICS, CHART, QA_SAMPLE}
    assert [row for row in outbox if row[0] not in scheduled] == [(CARD, "pending")]


async def test_sigterm_keeps_a_submission_the_person_was_told_is_still_saving(
    database_url: str, stub: SlackStub
) -> None:
    """The database is slower than Slack's deadline: the modal says "Still saving", and the
    process, told to stop meanwhile, waits for that commit before it goes."""
    port = _free_port()
    slack = SlackSide(
        app_url=f"http://127.0.0.1:{port}/slack/events", signing_secret=SIGNING_SECRET, stub=stub
    )
    locker = create_engine(database_url)
    async with carequeue_run(_app_env(stub, database_url, port)) as process:
        views = [await open_intake(slack, stub, user) for user in (FRONT_DESK, ASSISTANT)]
        first = await slack.submit_view(FRONT_DESK, views[0], request_of(1))
        assert first.status == 200
        async with locker.connect() as connection:
            await hold_the_database(connection)
            answer = await slack.submit_view(ASSISTANT, views[1], request_of(2))
            assert "Still saving" in json.dumps(answer.json)
            process.send_signal(signal.SIGTERM)
            await asyncio.sleep(6)  # longer than any stop step would wait on its own
            await connection.rollback()
        assert await asyncio.wait_for(process.wait(), timeout=STOP_WITHIN_SECONDS) == 0
    await locker.dispose()
    await slack.close()
    items, _ = await database_rows(database_url)
    assert items == 2
