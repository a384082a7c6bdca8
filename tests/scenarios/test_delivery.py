"""The outbox under Slack's limits and failures: nothing lost, nothing posted twice."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal
import socket
import sys
from datetime import timedelta
from pathlib import Path

import aiohttp
from sqlalchemy import func, select

from blocks.ids import ActionId, Command, FieldId
from bot.clock import ManualClock, SystemClock
from bot.config import Practice
from bot.outbox import Pacing
from bot.outbox.kinds import pace_key_of
from sandbox.side.interactions import SlackSide
from sandbox.stub.server import SlackStub
from storage.db import create_engine, session_factory
from storage.models import CardRow, ItemRow, OutboxRow
from storage.uow import UnitOfWorkFactory
from tests.scenarios.conftest import (
    ASSISTANT,
    DEFAULT_REQUEST,
    FRONT_DESK,
    SIGNING_SECRET,
    Clinic,
    start_clinic,
    stop_clinic,
)
from tests.scenarios.test_delivery_repairs import outbox_dies_mid_post

ROOT = Path(__file__).resolve().parents[2]


async def test_retry_after_defers_the_channel_and_each_card_still_appears_once(
    clinic: Clinic,
) -> None:
    start = clinic.clock.now()
    clinic.stub.fail_next("chat.postMessage", times=1, status=429, retry_after=2)
    key = await clinic.log_request()

    report = await clinic.deliver()

    assert report.failed == 0
    assert [m.text.split(" ")[0] for m in clinic.cards("scheduling")] == [key]
    assert clinic.clock.now() - start >= timedelta(seconds=2)
    assert len(clinic.stub.calls_to("chat.postMessage")) == 2


async def test_posts_to_one_channel_are_paced_and_channels_go_in_parallel(
    clinic: Clinic,
) -> None:
    start = clinic.clock.now()
    for _ in range(4):
        await clinic.log_request()
    await clinic.deliver()
    one_channel = clinic.clock.now() - start
    assert len(clinic.cards("scheduling")) == 4
    assert one_channel >= timedelta(seconds=3)  # about one post a second per channel

    start = clinic.clock.now()
    lanes = ["insurance", "telehealth", "billing", "complaints"]
    for lane in lanes:
        request_type = clinic.practice.lane(lane).request_types[0]
        await clinic.log_request(
            **{FieldId.LANE: lane, FieldId.REQUEST_TYPE: f"{lane}|{request_type}"}
        )
    await clinic.deliver()
    assert all(len(clinic.cards(lane)) == 1 for lane in lanes)
    assert clinic.clock.now() - start < timedelta(seconds=1)


async def test_rate_limits_and_server_errors_end_with_each_card_once_in_its_latest_state(
    clinic: Clinic,
) -> None:
    clinic.stub.fail_next("chat.postMessage", times=3, status=429, retry_after=2)
    keys = [await clinic.log_request() for _ in range(3)]
    await clinic.deliver()

    clinic.stub.fail_next("chat.update", times=4, status=500)
    for key in keys:
        await clinic.deps.services.claim(item_key=key, actor=FRONT_DESK)
        await clinic.deps.services.reassign(item_key=key, actor=FRONT_DESK, new_owner=ASSISTANT)
    report = await clinic.deliver()

    assert report.failed == 0
    cards = clinic.cards("scheduling")
    assert sorted(m.text.split(" ")[0] for m in cards) == sorted(keys)
    for card in cards:
        assert f"<@{ASSISTANT}>" in str(card.blocks)
        thread = clinic.replies(card)
        assert [m.text.split(" ")[0] for m in thread] == ["Claimed", "Reassigned"]


async def test_repeated_edits_of_one_card_coalesce_into_the_latest(clinic: Clinic) -> None:
    key = await clinic.log_request()
    await clinic.deliver()
    updates_before = len(clinic.stub.calls_to("chat.update"))
    for _ in range(3):
        await clinic.deps.services.claim(item_key=key, actor=FRONT_DESK)
        await clinic.deps.services.release(item_key=key, actor=FRONT_DESK)
    await clinic.deps.services.claim(item_key=key, actor=ASSISTANT)
    await clinic.deliver()

    updates = clinic.stub.calls_to("chat.update")[updates_before:]
    assert len(updates) == 1
    assert f"<@{ASSISTANT}>" in str(clinic.card_of("scheduling", key).blocks)


async def test_card_deleted_in_slack_is_posted_again_on_the_next_change(clinic: Clinic) -> None:
    key = await clinic.log_request()
    await clinic.deliver()
    clinic.stub.fail_next("chat.update", times=1, status=200, error="message_not_found")
    await clinic.deps.services.claim(item_key=key, actor=FRONT_DESK)
    report = await clinic.deliver()
    assert report.failed == 0
    assert len(clinic.stub.calls_to("chat.postMessage")) >= 2


async def test_outbox_written_while_slack_is_down_is_delivered_after_a_restart(
    database_url: str, example_practice: Practice, clock: ManualClock, stub: SlackStub
) -> None:
    first, runner = await start_clinic(database_url, example_practice, clock, stub)
    stub.fail_next("chat.postMessage", times=50, status=503)
    keys = [await first.log_request() for _ in range(2)]
    await first.deps.outbox.drain_once()
    assert stub.messages(first.channel("scheduling")) == []
    await stop_clinic(first, runner)

    stub.fail_next("chat.postMessage", times=0)
    clock.advance(timedelta(minutes=10))
    second, runner = await start_clinic(database_url, example_practice, clock, stub)
    try:
        await second.deliver()
        assert sorted(m.text.split(" ")[0] for m in second.cards("scheduling")) == sorted(keys)
    finally:
        await stop_clinic(second, runner)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _wait_healthy(url: str, process: asyncio.subprocess.Process) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(400):
            if process.returncode is not None:
                raise AssertionError("carequeue run exited during start-up")
            try:
                async with session.get(url) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise AssertionError("carequeue run did not become healthy")


async def posted_to(stub: SlackStub, channel: str, timeout: float = 10.0) -> None:  # noqa: ASYNC109
    """Wait until a chat.postMessage to `channel` (by #name or id) reached Slack."""
    wanted = {channel, stub.channel_id(channel)}
    await stub.wait_until(
        lambda: any(c.args.get("channel") in wanted for c in stub.calls_to("chat.postMessage")),
        timeout=timeout,
    )


def _app_env(stub: SlackStub, database_url: str, port: int) -> dict[str, str]:
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": "xoxb-scenario",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": stub.base_url,
        "DATABASE_URL": database_url,
        "PORT": str(port),
        "LOG_LEVEL": "WARNING",
    }
    env.pop("SLACK_APP_TOKEN", None)
    return env


async def _start_app(env: dict[str, str], log: Path | None = None) -> asyncio.subprocess.Process:
    """`carequeue run` as a process; its log (stderr) to `log` when given."""
    with log.open("wb") if log is not None else contextlib.nullcontext() as stderr:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "run",
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=stderr if stderr is not None else asyncio.subprocess.DEVNULL,
        )


async def test_killing_the_app_mid_post_and_restarting_neither_loses_nor_duplicates(
    database_url: str, example_practice: Practice, stub: SlackStub, tmp_path: Path
) -> None:
    port = _free_port()
    process = await _start_app(_app_env(stub, database_url, port))
    try:
        await _wait_healthy(f"http://127.0.0.1:{port}/healthz", process)
        # Slack accepts the card, but its answer never reaches the app: it is killed first.
        stub.hold("chat.postMessage")
        slack = SlackSide(
            app_url=f"http://127.0.0.1:{port}/slack/events",
            signing_secret=SIGNING_SECRET,
            stub=stub,
        )
        await slack.slash_command(FRONT_DESK, Command.INTAKE)
        await stub.wait_for_call("views.open", timeout=10)
        view_id = stub.open_views(FRONT_DESK)[-1]["id"]
        answer = await slack.submit_view(FRONT_DESK, view_id, dict(DEFAULT_REQUEST))
        assert answer.status == 200 and "errors" not in (answer.json or {})
        # The card's post, whatever else the jobs post on the real clock (a closing digest).
        await posted_to(stub, example_practice.lane("scheduling").channel)
    finally:
        process.send_signal(signal.SIGKILL)
        await process.wait()
        stub.release("chat.postMessage")

    channel = stub.channel_id(example_practice.lane("scheduling").channel)
    assert len(stub.messages(channel)) == 1  # Slack has the card; the app never heard back

    # Seconds after the crash, not a minute: the dead process's lease is no longer renewed.
    restarted = ManualClock(SystemClock().now() + timedelta(seconds=Pacing().lease_seconds + 1))
    clinic, runner = await start_clinic(database_url, example_practice, restarted, stub)
    try:
        report = await clinic.deliver()
        assert report.failed == 0
        assert len(stub.messages(channel)) == 1
        async with clinic.deps.uow() as tx:
            card_ts = await tx.session.scalar(select(CardRow.ts))
            pending = list(await tx.session.scalars(select(OutboxRow.status)))
        assert card_ts == stub.messages(channel)[0].ts
        assert set(pending) == {"sent"}

        posted = stub.messages(channel)[0]
        await clinic.slack.click_button(ASSISTANT, channel, posted.ts, ActionId.CLAIM, "CQ-1001")
        await clinic.deliver()
        assert len(stub.messages(channel)) == 1
        assert f"<@{ASSISTANT}>" in str(stub.messages(channel)[0].blocks)
    finally:
        await stop_clinic(clinic, runner)


async def _item_logged(uow: UnitOfWorkFactory, count: int) -> str:
    """The key of the `count`th item, once stored: on a loaded machine a save slower than
    the ack budget commits after the answer, as the person was told."""
    async with asyncio.timeout(10):
        while True:
            async with uow() as tx:
                keys = list(await tx.session.scalars(select(ItemRow.key).order_by(ItemRow.id)))
            if len(keys) >= count:
                return keys[count - 1]
            await asyncio.sleep(0.05)


async def test_kill_9_with_a_poison_row_a_removed_lane_and_dropped_connections_loses_nothing(
    database_url: str, example_practice: Practice, stub: SlackStub
) -> None:
    """Fifty requests in two lanes; a row that raises in the middle of the batch; Slack
    processing posts whose answers never arrive; the app killed mid-post; a restart with
    one lane gone from the practice file. Every card once, the poison row dead-lettered
    and visible, nothing sent twice."""
    port = _free_port()
    env = {**_app_env(stub, database_url, port), "CAREQUEUE_POST_INTERVAL": "0.05"}
    process = await _start_app(env)
    lanes = ["scheduling", "billing"]
    keys: dict[str, list[str]] = {lane: [] for lane in lanes}
    poison_id = 0
    try:
        await _wait_healthy(f"http://127.0.0.1:{port}/healthz", process)
        slack = SlackSide(
            app_url=f"http://127.0.0.1:{port}/slack/events",
            signing_secret=SIGNING_SECRET,
            stub=stub,
        )
        stub.drop_after_apply("chat.postMessage", times=5)
        engine = create_engine(database_url)
        uow = UnitOfWorkFactory(session_factory(engine))
        try:
            for number in range(50):
                lane = lanes[number % 2]
                request_type = example_practice.lane(lane).request_types[0]
                opened = len(stub.calls_to("views.open"))
                await slack.slash_command(FRONT_DESK, Command.INTAKE)
                await stub.wait_for_call("views.open", count=opened + 1, timeout=10)
                view_id = stub.open_views(FRONT_DESK)[-1]["id"]
                fields = {
                    **DEFAULT_REQUEST,
                    FieldId.PATIENT_REF: f"MRN-{30000 + number}",
                    FieldId.LANE: lane,
                    FieldId.REQUEST_TYPE: f"{lane}|{request_type}",
                }
                answer = await slack.submit_view(FRONT_DESK, view_id, fields)
                assert answer.status == 200 and "errors" not in (answer.json or {})
                key = await _item_logged(uow, number + 1)
                keys[lane].append(key)
                if number == 25:  # a row that raises when rendered, mid-batch
                    async with uow() as tx:
                        poison = await tx.outbox.enqueue(
                            kind="message",
                            channel=FRONT_DESK,
                            item_id=await tx.items.id_of(key),
                            payload={"template": "no_such_notice"},
                            now=SystemClock().now(),
                        )
                        await tx.commit()
                        poison_id = poison.id
            posted = len(stub.calls_to("chat.postMessage"))
            stub.hold("chat.postMessage")
            await stub.wait_for_call("chat.postMessage", count=posted + 1, timeout=20)
        finally:
            await engine.dispose()
    finally:
        process.send_signal(signal.SIGKILL)
        await process.wait()
        stub.release("chat.postMessage")
        await slack.close()

    without_billing = dataclasses.replace(
        example_practice,
        lanes={k: v for k, v in example_practice.lanes.items() if k != "billing"},
    )
    restarted = ManualClock(SystemClock().now() + timedelta(seconds=Pacing().lease_seconds + 1))
    clinic, runner = await start_clinic(database_url, without_billing, restarted, stub)
    try:
        await clinic.deliver()
        for lane in lanes:
            channel = stub.channel_id(example_practice.lane(lane).channel)
            cards = [m.text.split(" ")[0] for m in stub.messages(channel)]
            assert sorted(cards) == sorted(keys[lane]), lane  # each exactly once
        async with clinic.deps.uow() as tx:
            status = await tx.session.scalar(
                select(OutboxRow.status).where(OutboxRow.id == poison_id)
            )
            left = set(await tx.session.scalars(select(OutboxRow.status)))
        assert status == "dead"
        assert left <= {"sent", "coalesced", "dead"}
        async with aiohttp.ClientSession() as session:
            health_url = clinic.app_url.replace("/slack/events", "/healthz")
            async with session.get(health_url) as response:
                assert (await response.json())["outbox"]["dead"] == 1
        managers = stub.messages(stub.channel_id(example_practice.managers_channel))
        # The jobs run on the real clock: after closing time a digest joins the notice.
        notices = [m for m in managers if "could not be delivered" in m.text]
        assert len(notices) == 1
    finally:
        await stop_clinic(clinic, runner)


async def test_a_backlog_in_one_lane_holds_back_no_other_lanes_card(clinic: Clinic) -> None:
    """A phone system flushes its night into scheduling: more cards than the worker reads in
    a round, all behind that channel's one post a second. A billing request logged after
    them goes out in the next round, not when the scheduling backlog has drained."""
    clinic.deps.outbox.pacing = dataclasses.replace(clinic.deps.outbox.pacing, batch=5)
    for _ in range(8):
        await clinic.log_request()
    request_type = clinic.practice.lane("billing").request_types[0]
    billing = await clinic.log_request(
        **{FieldId.LANE: "billing", FieldId.REQUEST_TYPE: f"billing|{request_type}"}
    )
    await clinic.settled()

    await clinic.deps.outbox.drain_once()  # the first scheduling card; its channel waits now
    await clinic.deps.outbox.drain_once()  # the clock has not moved: only other channels

    assert len(clinic.cards("scheduling")) == 1
    assert [m.text.split(" ")[0] for m in clinic.cards("billing")] == [billing]


async def test_the_running_worker_reads_past_a_held_backlog_at_most_once_a_post_interval(
    clinic: Clinic,
) -> None:
    """Reading past the held rows walks them in the database: with a backlog of thousands a
    round would cost tens of milliseconds of the database's time, ten rounds a second. The
    running worker does it once per post interval; its other rounds read the urgent rows."""
    outbox = clinic.deps.outbox
    outbox.pacing = dataclasses.replace(outbox.pacing, batch=5, post_interval=60.0)
    for _ in range(8):
        await clinic.log_request()
    request_type = clinic.practice.lane("billing").request_types[0]
    await clinic.log_request(
        **{FieldId.LANE: "billing", FieldId.REQUEST_TYPE: f"billing|{request_type}"}
    )
    await clinic.settled()
    inflight: dict[int, asyncio.Task[object]] = {}
    looked = []
    for _ in range(3):
        await outbox._start_due_rows(inflight)  # type: ignore[arg-type]  # one round of run()
        await asyncio.gather(*inflight.values())
        looked.append(outbox.looked_past_held)

    # Round 1: the first scheduling card. Round 2: its channel is held for all 5 rows read,
    # so it reads past them and finds billing's. Round 3, at once: not again for a minute.
    assert looked == [False, True, False]
    assert len(clinic.cards("billing")) == 1
    assert len(clinic.cards("scheduling")) == 1


async def test_a_new_card_for_a_lane_whose_posts_are_paced_starts_no_round(
    clinic: Clinic,
) -> None:
    """Every commit that queues a card wakes the outbox, and each round reads the queue (on
    SQLite, holding the writer while it leases). In a flood of new cards for one lane every
    such round would find the lane's channel still paced: the flood's wake-ups start no
    round. One for another lane, or a red-flag prompt, or a repeat contact's edit of the
    patient's open item, does."""
    outbox = clinic.deps.outbox
    outbox.pacing = dataclasses.replace(outbox.pacing, post_interval=60.0)
    await clinic.log_request(**{FieldId.PATIENT_REF: "MRN-1"})
    await clinic.deliver()  # the card is posted: scheduling's posts are paced for a minute
    assert len(clinic.cards("scheduling")) == 1
    outbox._wake.clear()

    await clinic.log_request(**{FieldId.PATIENT_REF: "MRN-2"})
    assert (outbox.wakes_skipped, outbox._wake.is_set()) == (1, False)

    request_type = clinic.practice.lane("billing").request_types[0]
    billing = {FieldId.LANE: "billing", FieldId.REQUEST_TYPE: f"billing|{request_type}"}
    await clinic.log_request(**{FieldId.PATIENT_REF: "MRN-3"}, **billing)
    assert (outbox.wakes_skipped, outbox._wake.is_set()) == (1, True)
    outbox._wake.clear()
    red_flag = {FieldId.SUMMARY: "Crushing chest pain since this morning"}
    await clinic.log_request(**{FieldId.PATIENT_REF: "MRN-4"}, **red_flag)
    assert (outbox.wakes_skipped, outbox._wake.is_set()) == (1, True)
    outbox._wake.clear()
    await clinic.log_request(**{FieldId.PATIENT_REF: "MRN-2"})  # a repeat contact
    assert (outbox.wakes_skipped, outbox._wake.is_set()) == (1, True)

    # When the pace ends, the held cards go: the worker's own timer, no wake needed.
    clinic.clock.advance(timedelta(seconds=61))
    await clinic.deliver()
    assert len(clinic.cards("scheduling")) == 4


async def test_what_intake_says_it_queued_is_what_it_queued(clinic: Clinic) -> None:
    """The outbox skips a round on the pacing keys intake names for a new item
    (`ItemServices._queued_keys`): they must be the keys of every row its transaction
    queued, or a row could wait for a round nobody starts."""
    clinical = next(lane for lane in clinic.practice.lanes.values() if lane.clinical)
    cases = [
        {FieldId.PATIENT_REF: "MRN-11"},
        {FieldId.PATIENT_REF: "MRN-12", FieldId.LANGUAGE: "Spanish"},  # to the language lane
        {  # kept in its clinical lane, with a thread naming who can call back in Spanish
            FieldId.PATIENT_REF: "MRN-13",
            FieldId.LANGUAGE: "Spanish",
            FieldId.LANE: clinical.key,
            FieldId.REQUEST_TYPE: f"{clinical.key}|{clinical.request_types[0]}",
        },
        {FieldId.PATIENT_REF: "MRN-14", FieldId.SUMMARY: "Crushing chest pain since noon"},
        {FieldId.PATIENT_REF: "MRN-11"},  # a repeat contact
    ]
    said: list[set[str] | None] = []
    for fields in cases:
        async with clinic.deps.uow.read() as tx:
            last_row = await tx.session.scalar(select(func.max(OutboxRow.id))) or 0
        key = await clinic.log_request(**fields)
        async with clinic.deps.uow.read() as tx:
            item = await tx.items.get(key)
            queued = (
                await tx.session.execute(
                    select(OutboxRow.kind, OutboxRow.channel).where(OutboxRow.id > last_row)
                )
            ).all()
        assert item is not None
        said.append(clinic.deps.services._queued_keys(item))
        if said[-1] is not None:
            assert said[-1] == {pace_key_of(kind, channel, None) for kind, channel in queued}
    # The plain one and both kept or routed for a language name their keys; the red flag's
    # prompt and the repeat contact's edit of the open item make the outbox look.
    assert [keys is not None for keys in said] == [True, True, True, False, False]


async def test_a_card_whose_post_lost_its_answer_is_edited_not_posted_again_after_a_claim(
    clinic: Clinic,
) -> None:
    """The outbox died in the middle of posting a card: Slack has it, CareQueue never heard.
    Before the retry, someone claims it from that very card. The claim's newer card row
    supersedes the in-doubt one; it used to post a second card (the first left "Unclaimed"
    with a live Claim). It now looks in Slack first and edits the card it finds."""
    key = await clinic.log_request()
    deps = clinic.deps
    await outbox_dies_mid_post(clinic)
    (card,) = clinic.cards("scheduling")
    clicked = await clinic.slack.click_button(
        FRONT_DESK, card.channel, card.ts, ActionId.CLAIM, key
    )
    assert clicked.status == 200
    await clinic.settled()
    clinic.clock.advance(timedelta(seconds=deps.outbox.pacing.lease_seconds + 1))
    await clinic.deliver()

    cards = [m for m in clinic.cards("scheduling") if m.text.startswith(f"{key} ")]
    assert len(cards) == 1, [m.text for m in cards]
    assert f"<@{FRONT_DESK}>" in str(cards[0].blocks)
