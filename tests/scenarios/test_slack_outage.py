"""A restart while Slack's Web API fails: requests are still stored, health says so, cards follow.

Saving a request needs no Slack call, so no request may wait for Slack: the app knows its bot
identity from the configuration or from a background `auth.test` check, never by asking
Slack on the request path.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from enum import StrEnum
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from blocks.ids import ActionId, Command, FieldId
from bot.clock import ManualClock
from bot.config import Practice
from bot.slack_status import SlackHealth
from sandbox.stub.server import SlackStub
from storage.models import ItemRow
from tests.scenarios.conftest import (
    DEFAULT_REQUEST,
    FRONT_DESK,
    Clinic,
    start_clinic,
    stop_clinic,
)

# Bounds for waiting on what the app does in the background; never a sleep.
CHECK_SECONDS = 15


class Outage(StrEnum):
    """How Slack's Web API fails while the app restarts."""

    SERVER_ERROR = "500"
    RATE_LIMITED = "429"
    REFUSED = "connection refused"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def slack() -> AsyncIterator[SlackStub]:
    """A stub on a fixed port, so it can go away (connections refused) and come back."""
    stub = SlackStub(port=free_port())
    await stub.start()
    stub.add_user(FRONT_DESK, "ana")
    yield stub
    await stub.stop()
    stub.assert_no_problems()


async def begin(outage: Outage, stub: SlackStub) -> None:
    if outage is Outage.REFUSED:
        await stub.stop()
    else:
        # Twice: a client that retries a 429 once must still see the outage.
        stub.fail_next("auth.test", status=int(outage.value), retry_after=1, times=2)


async def end(outage: Outage, stub: SlackStub) -> None:
    """Slack answers again (a 500 or 429 above ends once its two answers are used up)."""
    if outage is Outage.REFUSED:
        await stub.start()


async def health(clinic: Clinic) -> tuple[int, dict[str, Any]]:
    url = clinic.app_url.replace("/slack/events", "/healthz")
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.json()


async def stored_items(clinic: Clinic) -> int:
    async with clinic.deps.uow() as tx:
        return int(await tx.session.scalar(select(func.count()).select_from(ItemRow)) or 0)


async def open_intake_before_the_restart(
    database_url: str, practice: Practice, clock: ManualClock, stub: SlackStub
) -> str:
    """Ana opened the intake modal while Slack was fine; then the app restarted."""
    before, runner = await start_clinic(database_url, practice, clock, stub)
    try:
        return await before.open_intake(FRONT_DESK)
    finally:
        await stop_clinic(before, runner)


@pytest.mark.parametrize("outage", list(Outage), ids=[o.name.lower() for o in Outage])
async def test_a_restart_during_a_slack_outage_stores_and_acknowledges_intake_then_posts_the_card(
    outage: Outage,
    database_url: str,
    example_practice: Practice,
    clock: ManualClock,
    slack: SlackStub,
) -> None:
    view_id = await open_intake_before_the_restart(database_url, example_practice, clock, slack)
    await begin(outage, slack)
    clinic, runner = await start_clinic(database_url, example_practice, clock, slack)
    try:
        response = await clinic.slack.submit_view(FRONT_DESK, view_id, DEFAULT_REQUEST)

        assert response.status == 200, response.body
        assert "errors" not in (response.json or {}), response.body
        # On a loaded machine a save slower than the ack budget commits after the answer,
        # as the person was told; it must still be stored without Slack.
        await clinic.settled()
        assert await stored_items(clinic) == 1

        async with asyncio.timeout(CHECK_SECONDS):
            await clinic.deps.slack.wait_until(SlackHealth.UNREACHABLE)
        status, body = await health(clinic)
        assert status == 200
        assert body["database"] == "ok" and body["slack"] == "unreachable"

        await end(outage, slack)
        async with asyncio.timeout(CHECK_SECONDS):
            await clinic.deps.slack.wait_until(SlackHealth.OK)
        await clinic.deliver()

        assert len(clinic.cards("scheduling")) == 1
        assert len(slack.calls_to("chat.postMessage")) == 1
        assert (await health(clinic))[1]["slack"] == "ok"
    finally:
        await stop_clinic(clinic, runner)


async def test_no_request_asks_slack_who_the_bot_is(clinic: Clinic) -> None:
    async with asyncio.timeout(CHECK_SECONDS):
        await clinic.deps.slack.wait_until(SlackHealth.OK, SlackHealth.UNREACHABLE)
    asked_at_start = len(clinic.stub.calls_to("auth.test"))

    key = await clinic.log_request()
    await clinic.deliver()
    card = clinic.card_of("scheduling", key)
    assert (
        await clinic.slack.click_button(FRONT_DESK, card.channel, card.ts, ActionId.CLAIM, key)
    ).status == 200
    assert (await clinic.slack.slash_command(FRONT_DESK, Command.CQ, "help")).status == 200

    assert len(clinic.stub.calls_to("auth.test")) == asked_at_start
    await clinic.settled()
    item = await clinic.deps.services.get(key)
    assert item is not None and item.owner == FRONT_DESK


async def test_a_configured_bot_identity_is_used_before_slack_ever_answers(
    database_url: str, example_practice: Practice, clock: ManualClock, slack: SlackStub
) -> None:
    view_id = await open_intake_before_the_restart(database_url, example_practice, clock, slack)
    await slack.stop()
    clinic, runner = await start_clinic(
        database_url,
        example_practice,
        clock,
        slack,
        env={"SLACK_BOT_USER_ID": "UBOT", "SLACK_BOT_ID": "B0CAREQ"},
    )
    try:
        identity = clinic.deps.slack.identity
        assert identity is not None and (identity.user_id, identity.bot_id) == ("UBOT", "B0CAREQ")
        values = {**DEFAULT_REQUEST, FieldId.PATIENT_REF: "MRN-777"}
        response = await clinic.slack.submit_view(FRONT_DESK, view_id, values)
        assert response.status == 200 and "errors" not in (response.json or {}), response.body
        await clinic.settled()
        assert await stored_items(clinic) == 1
    finally:
        await stop_clinic(clinic, runner)
