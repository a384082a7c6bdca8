"""Delivery that no single row, dropped connection or Slack outage can stop or duplicate."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from blocks.ids import FieldId
from bot.clock import ManualClock, SystemClock
from bot.config import Practice
from bot.deps import web_client
from bot.domain.items import Refusal, RefusalCode
from bot.outbox import Outbox, Pacing
from bot.outbox.kinds import MESSAGE, OPS
from bot.services import operations
from sandbox.stub.methods.chat import delete
from sandbox.stub.server import SlackStub
from storage.models import OutboxRow
from tests.scenarios.conftest import FRONT_DESK, Clinic, start_clinic, stop_clinic


async def _poison(clinic: Clinic, key: str) -> int:
    """An outbox row that raises something other than a Slack or network error when it is
    rendered (a notice template nobody knows): a bug, not Slack's trouble."""
    async with clinic.deps.uow() as tx:
        item_id = await tx.items.id_of(key)
        row = await tx.outbox.enqueue(
            kind=MESSAGE,
            channel=FRONT_DESK,
            item_id=item_id,
            payload={"template": "no_such_notice"},
            now=clinic.clock.now(),
        )
        await tx.commit()
    return row.id


async def _status(clinic: Clinic, row_id: int) -> str:
    async with clinic.deps.uow() as tx:
        return str(await tx.session.scalar(select(OutboxRow.status).where(OutboxRow.id == row_id)))


def _lane_fields(clinic: Clinic, lane: str) -> dict[str, str]:
    request_type = clinic.practice.lane(lane).request_types[0]
    return {FieldId.LANE: lane, FieldId.REQUEST_TYPE: f"{lane}|{request_type}"}


async def test_a_row_that_raises_stops_nothing_else_and_becomes_a_visible_dead_letter(
    clinic: Clinic,
) -> None:
    lanes = ["scheduling", "insurance", "billing", "telehealth"]
    keys = [await clinic.log_request(**_lane_fields(clinic, lane)) for lane in lanes]
    poison = await _poison(clinic, keys[0])

    report = await clinic.deliver()

    for lane, key in zip(lanes, keys, strict=True):
        assert [m.text.split(" ")[0] for m in clinic.cards(lane)] == [key]
    assert report.failed == 1
    assert await _status(clinic, poison) == "dead"
    letters = await operations.dead_letters(clinic.deps.uow)
    assert [(letter.id, letter.item_key) for letter in letters] == [(poison, keys[0])]
    managers = clinic.stub.messages(clinic.stub.channel_id(clinic.practice.managers_channel))
    assert len(managers) == 1
    assert "could not be delivered" in managers[0].text
    assert "carequeue outbox list" in managers[0].text
    assert keys[0] not in managers[0].text  # about CareQueue, not about a patient
    async with clinic.deps.uow() as tx:
        sent = await tx.session.scalar(
            select(OutboxRow.status).where(OutboxRow.kind == OPS, OutboxRow.status == "sent")
        )
    assert sent == "sent"


async def test_health_counts_dead_letters_and_a_requeued_one_goes_again(clinic: Clinic) -> None:
    key = await clinic.log_request()
    poison = await _poison(clinic, key)
    await clinic.deliver()

    async with aiohttp.ClientSession() as session:
        health_url = clinic.app_url.replace("/slack/events", "/healthz")
        async with session.get(health_url) as response:
            assert (await response.json())["outbox"]["dead"] == 1

    assert await operations.requeue(clinic.deps.uow, [poison], clinic.clock.now()) == [poison]
    assert await _status(clinic, poison) == "pending"
    assert await operations.requeue(clinic.deps.uow, [poison], clinic.clock.now()) == []


async def test_each_dead_letter_is_told_to_the_managers_once_not_once_per_row(
    clinic: Clinic,
) -> None:
    keys = [await clinic.log_request() for _ in range(3)]
    for key in keys:
        await _poison(clinic, key)

    report = await clinic.deliver()

    assert report.failed == 3
    managers = clinic.stub.messages(clinic.stub.channel_id(clinic.practice.managers_channel))
    assert len(managers) == 1


async def test_a_failing_join_inside_the_error_path_stops_no_other_card(clinic: Clinic) -> None:
    lanes = ["scheduling", "insurance", "billing"]
    keys = [await clinic.log_request(**_lane_fields(clinic, lane)) for lane in lanes]
    clinic.stub.fail_next("chat.postMessage", times=1, status=200, error="not_in_channel")
    clinic.stub.fail_next("conversations.join", times=1, status=200, error="is_archived")

    report = await clinic.deliver()

    assert report.failed == 0
    for lane, key in zip(lanes, keys, strict=True):
        assert [m.text.split(" ")[0] for m in clinic.cards(lane)] == [key]


async def test_a_lane_removed_from_the_practice_file_still_renders_and_its_items_can_move(
    database_url: str, example_practice: Practice, clock: ManualClock, stub: SlackStub
) -> None:
    first, runner = await start_clinic(database_url, example_practice, clock, stub)
    key = await first.log_request(**_lane_fields(first, "billing"))
    await first.deliver()
    await stop_clinic(first, runner)

    without_billing = dataclasses.replace(
        example_practice,
        lanes={k: v for k, v in example_practice.lanes.items() if k != "billing"},
    )
    clinic, runner = await start_clinic(database_url, without_billing, clock, stub)
    try:
        assert await operations.unconfigured_lanes(clinic.deps.uow, without_billing) == {
            "billing": 1
        }
        claimed = await clinic.deps.services.claim(item_key=key, actor=FRONT_DESK)
        report = await clinic.deliver()
        assert report.failed == 0, report.errors
        channel = stub.channel_id(example_practice.lane("billing").channel)
        (card,) = stub.messages(channel)
        assert "billing" in str(card.blocks)
        assert f"<@{FRONT_DESK}>" in str(card.blocks)
        assert claimed.item.owner == FRONT_DESK  # type: ignore[union-attr]

        # A retired lane counts as clinical: front desk may move it into a clinical lane,
        # not out of clinical handling (that is a clinician's "Not clinical" decision).
        refused = await clinic.deps.work.move(item_key=key, actor=FRONT_DESK, lane="scheduling")
        assert isinstance(refused, Refusal)
        assert refused.code is RefusalCode.NEEDS_CLINICAL_DECISION
        closed = await clinic.deps.services.close(
            item_key=key, actor=FRONT_DESK, resolution="Resolved", told_patient="Handled"
        )
        assert isinstance(closed, Refusal) and closed.code is RefusalCode.NEEDS_CLINICAL_ACK
        moved = await clinic.deps.work.move(item_key=key, actor=FRONT_DESK, lane="clinical")
        assert moved.item.lane == "clinical"  # type: ignore[union-attr]
        report = await clinic.deliver()
        assert report.failed == 0, report.errors
        assert [m.text.split(" ")[0] for m in clinic.cards("clinical")] == [key]
    finally:
        await stop_clinic(clinic, runner)


async def test_a_post_slack_processed_before_the_connection_dropped_is_not_posted_again(
    clinic: Clinic,
) -> None:
    keys = [await clinic.log_request() for _ in range(10)]
    clinic.stub.drop_after_apply("chat.postMessage", times=10)

    report = await clinic.deliver()

    assert report.failed == 0
    cards = clinic.cards("scheduling")
    assert sorted(m.text.split(" ")[0] for m in cards) == sorted(keys)
    for key in keys:
        await clinic.deps.services.claim(item_key=key, actor=FRONT_DESK)
    await clinic.deliver()
    assert len(clinic.cards("scheduling")) == 10
    for card in clinic.cards("scheduling"):
        assert f"<@{FRONT_DESK}>" in str(card.blocks)  # the one card is the one kept current


async def test_after_a_six_minute_outage_cards_follow_within_seconds_of_slacks_return(
    clinic: Clinic,
) -> None:
    keys = [await clinic.log_request() for _ in range(3)]
    clinic.stub.fail_next("chat.postMessage", times=10_000, status=503)
    outage_ends = clinic.clock.now() + timedelta(minutes=6)
    while clinic.clock.now() < outage_ends:
        await clinic.deps.outbox.drain_once()
        clinic.clock.advance(timedelta(seconds=1))
    calls_during_outage = len(clinic.stub.calls_to("chat.postMessage"))
    clinic.stub.clear_faults()
    back = clinic.clock.now()

    await clinic.deliver()

    assert sorted(m.text.split(" ")[0] for m in clinic.cards("scheduling")) == sorted(keys)
    # one probe at a time while Slack failed, then paced as usual once it answered
    assert clinic.clock.now() - back <= timedelta(seconds=Pacing().probe_seconds + 3)
    assert calls_during_outage <= 6 * 60 / Pacing().probe_seconds + 3


async def test_a_crashed_workers_rows_are_free_again_in_seconds_and_checked_before_posting(
    clinic: Clinic,
) -> None:
    key = await clinic.log_request()
    deps = clinic.deps
    await outbox_dies_mid_post(clinic)

    clinic.clock.advance(timedelta(seconds=1))
    report = await deps.outbox.drain_once()
    assert report.sent == 0  # its lease may still be live: nobody else posts it yet

    clinic.clock.advance(timedelta(seconds=deps.outbox.pacing.lease_seconds))
    report = await clinic.deliver()

    assert report.sent >= 1
    assert [m.text.split(" ")[0] for m in clinic.cards("scheduling")] == [key]
    assert len(clinic.stub.calls_to("chat.postMessage")) == 1  # found by metadata, not reposted


async def test_posts_are_paced_from_slacks_answer_so_a_per_channel_limit_never_answers_429(
    database_url: str, example_practice: Practice, stub: SlackStub
) -> None:
    interval = 0.1
    clinic, runner = await start_clinic(database_url, example_practice, SystemClock(), stub)
    clinic.deps.outbox.pacing = dataclasses.replace(
        clinic.deps.outbox.pacing, post_interval=interval
    )
    stub.limit_posts_per_channel(interval)
    lanes = ["scheduling", "insurance", "billing"]
    try:
        for lane in lanes:
            for _ in range(8):
                await clinic.log_request(**_lane_fields(clinic, lane))
        stop = asyncio.Event()
        worker = asyncio.create_task(clinic.deps.outbox.run(stop, idle_poll=0.05))
        await stub.wait_until(
            lambda: sum(len(clinic.cards(lane)) for lane in lanes) == 24, timeout=30
        )
        stop.set()
        clinic.deps.outbox.wake()
        await worker
    finally:
        await stop_clinic(clinic, runner)

    posts = stub.calls_to("chat.postMessage")
    assert [c for c in posts if c.status == 429] == []
    for lane in lanes:
        assert len(clinic.cards(lane)) == 8


async def test_health_says_slack_is_unreachable_while_the_outbox_meets_its_errors(
    clinic: Clinic,
) -> None:
    await clinic.log_request()
    clinic.stub.fail_next("chat.postMessage", times=5, status=503)
    clinic.stub.fail_next("auth.test", times=50, status=503)  # an outage fails every method

    await clinic.deps.outbox.drain_once()

    async with aiohttp.ClientSession() as session:
        health_url = clinic.app_url.replace("/slack/events", "/healthz")
        async with session.get(health_url) as response:
            body = await response.json()
    assert response.status == 200  # the database still stores every request
    assert body["slack"] == "unreachable"


async def test_a_burst_of_commits_costs_the_worker_a_round_per_gap_not_one_per_commit(
    database_url: str,
    example_practice: Practice,
    stub: SlackStub,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every commit that queues a write wakes the worker (`wake()`); in a burst, a wake-up
    every 20 ms for a second, the wake-ups are served together, at most one round per
    tenth of a second instead of one each, and the cards still go."""
    clinic, runner = await start_clinic(database_url, example_practice, SystemClock(), stub)
    keys = [await clinic.log_request() for _ in range(3)]
    outbox = clinic.deps.outbox
    rounds = 0
    lease = outbox._lease

    async def counting_lease(*args: Any, **kwargs: Any) -> Any:
        nonlocal rounds
        rounds += 1
        return await lease(*args, **kwargs)

    monkeypatch.setattr(outbox, "_lease", counting_lease)
    stop = asyncio.Event()
    worker = asyncio.create_task(outbox.run(stop))
    loop = asyncio.get_running_loop()
    try:
        started = loop.time()
        for _ in range(50):
            outbox.wake()  # what each commit of a burst of clicks does
            await asyncio.sleep(0.02)
        seconds = loop.time() - started
        burst_rounds = rounds
        await stub.wait_until(lambda: len(clinic.cards("scheduling")) == len(keys), timeout=10)
    finally:
        stop.set()
        outbox.wake()
        await worker
        await stop_clinic(clinic, runner)

    assert burst_rounds <= seconds / 0.1 + 2


async def test_a_deleted_earlier_card_leaves_the_current_card_updating_without_its_link(
    database_url: str, example_practice: Practice, clock: ManualClock, stub: SlackStub
) -> None:
    """The card in the lane an item left links to it; someone deletes that old card, the app
    restarts, and the item is claimed. Slack answers the link's lookup "message_not_found",
    which was taken for the current card's own deletion: it was posted again, or its update
    retried every second for ever. Now the card is edited once, without the link."""
    first, runner = await start_clinic(database_url, example_practice, clock, stub)
    try:
        key = await first.log_request()
        await first.deliver()
        moved = await first.deps.work.move(item_key=key, actor=FRONT_DESK, lane="billing")
        assert not isinstance(moved, Refusal), moved
        await first.deliver()
        (old,) = first.cards("scheduling")
    finally:
        await stop_clinic(first, runner)
    delete(stub.workspace, {"channel": old.channel, "ts": old.ts})

    clinic, runner = await start_clinic(database_url, example_practice, clock, stub)
    try:
        claimed = await clinic.deps.services.claim(item_key=key, actor=FRONT_DESK)
        assert not isinstance(claimed, Refusal), claimed
        await clinic.deliver()
        cards = [m for m in clinic.cards("billing") if m.text.startswith(f"{key} ")]
        async with clinic.deps.uow.read() as tx:
            pending = (
                await tx.session.scalars(select(OutboxRow.id).where(OutboxRow.status == "pending"))
            ).all()
    finally:
        await stop_clinic(clinic, runner)
    assert len(cards) == 1 and f"<@{FRONT_DESK}>" in str(cards[0].blocks)
    assert pending == []


async def outbox_dies_mid_post(clinic: Clinic) -> None:
    """Slack takes the next card post, but the outbox worker posting it dies before it hears
    back: the post is in Slack, its row still pending and marked maybe sent."""
    deps = clinic.deps
    client = web_client(deps.settings, for_outbox=True)
    dying = Outbox(deps.uow, client, deps.renderer, clinic.clock)
    clinic.stub.hold("chat.postMessage")
    delivering = asyncio.create_task(dying.drain_once())
    await clinic.stub.wait_for_call("chat.postMessage", timeout=10)
    delivering.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await delivering
    clinic.stub.release("chat.postMessage")
