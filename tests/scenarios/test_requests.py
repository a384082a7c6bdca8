"""How the app answers Slack's HTTP requests: signatures, and the 3-second deadline."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from urllib.parse import urlencode

import aiohttp
from sqlalchemy import func, select, text

from blocks.ids import ActionId
from bot.clock import ManualClock
from bot.config import Practice
from bot.slack_status import SlackHealth
from sandbox.stub.server import SlackStub
from storage.db import create_engine
from storage.models import ItemRow
from tests.scenarios.conftest import ASSISTANT, FRONT_DESK, Clinic, start_clinic


def claim_command_body(key: str) -> str:
    return urlencode(
        {
            "token": "verification-token",
            "team_id": "T0CAREQ",
            "team_domain": "riverside",
            "channel_id": "C0TEST",
            "channel_name": "cq-scheduling",
            "user_id": FRONT_DESK,
            "user_name": "ana",
            "command": "/claim",
            "text": key,
            "api_app_id": "A0CAREQ",
            "response_url": "http://127.0.0.1:9/none",
            "trigger_id": "1.2.3",
        }
    )


async def post(clinic: Clinic, body: str, headers: dict[str, str]) -> int:
    headers = {**headers, "Content-Type": "application/x-www-form-urlencoded"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(clinic.app_url, data=body, headers=headers) as response,
    ):
        return response.status


async def test_forged_signature_gets_401_and_changes_nothing(clinic: Clinic) -> None:
    key = await clinic.log_request()
    body = claim_command_body(key)
    headers = clinic.slack.sign(body)
    headers["X-Slack-Signature"] = "v0=" + "0" * 64
    assert await post(clinic, body, headers) == 401
    item = await clinic.deps.services.get(key)
    assert item is not None and item.owner is None


async def test_stale_signature_over_five_minutes_old_gets_401(clinic: Clinic) -> None:
    key = await clinic.log_request()
    body = claim_command_body(key)
    stale = int(time.time()) - 6 * 60
    assert await post(clinic, body, clinic.slack.sign(body, timestamp=stale)) == 401
    item = await clinic.deps.services.get(key)
    assert item is not None and item.owner is None


async def test_properly_signed_request_is_accepted(clinic: Clinic) -> None:
    key = await clinic.log_request()
    body = claim_command_body(key)
    assert await post(clinic, body, clinic.slack.sign(body)) == 200
    item = await clinic.deps.services.get(key)
    assert item is not None and item.owner == FRONT_DESK


# A button's ack carries nothing Slack shows, so it goes at once: well inside the 2-s budget
# a slash command or a modal submission may spend waiting for its commit.
PROMPT_ACK_SECONDS = 0.5


async def test_a_claim_click_is_answered_before_its_commit_and_the_claim_follows(
    clinic: Clinic, database_url: str
) -> None:
    key = await clinic.log_request()
    await clinic.deliver()
    card = clinic.card_of("scheduling", key)

    locker = create_engine(database_url)
    async with locker.connect() as connection:
        if connection.dialect.name == "sqlite":
            await connection.execute(text("SELECT 1"))  # BEGIN IMMEDIATE holds the write lock
        else:
            await connection.execute(select(ItemRow.id).where(ItemRow.key == key).with_for_update())
        started = time.monotonic()
        response = await clinic.slack.click_button(
            FRONT_DESK, card.channel, card.ts, ActionId.CLAIM, key
        )
        answered_in = time.monotonic() - started
        # The lock is still held here, so the answer came before the claim could commit.
        item = await clinic.deps.services.get(key) if connection.dialect.name != "sqlite" else None
        assert item is None or item.owner is None
        await connection.rollback()
    await locker.dispose()

    assert response.status == 200
    assert answered_in < PROMPT_ACK_SECONDS
    # The click was not lost: the claim commits once the lock is gone.
    await clinic.settled()
    item = await clinic.deps.services.get(key)
    assert item is not None and item.owner == FRONT_DESK


async def test_a_refused_click_is_answered_at_once_and_told_only_to_the_clicker(
    clinic: Clinic,
) -> None:
    key = await clinic.log_request()
    await clinic.deliver()
    card = clinic.card_of("scheduling", key)
    await clinic.deps.services.claim(item_key=key, actor=FRONT_DESK)  # the card still shows Claim

    response = await clinic.then_wait_for(
        "chat.postEphemeral",
        clinic.slack.click_button(ASSISTANT, card.channel, card.ts, ActionId.CLAIM, key),
    )

    assert response.status == 200
    told = clinic.stub.ephemerals()
    assert [e.user for e in told] == [ASSISTANT]
    assert f"already owned by <@{FRONT_DESK}>" in told[0].text


async def test_healthz_reports_database_outbox_and_its_lag_and_slack(clinic: Clinic) -> None:
    await clinic.log_request()
    async with asyncio.timeout(10):
        await clinic.deps.slack.wait_until(SlackHealth.OK)
    clinic.clock.advance(timedelta(seconds=90))  # the card has waited a minute and a half
    url = clinic.app_url.replace("/slack/events", "/healthz")
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        body = await response.json()
    assert response.status == 200
    assert body == {
        "status": "ok",
        "database": "ok",
        "outbox": {"pending": 1, "dead": 0, "oldest_pending_seconds": 90.0},
        "slack": "ok",
        "user_groups": "none",  # the example practice names no user group
    }
    async with clinic.deps.uow() as tx:
        assert await tx.session.scalar(select(func.count()).select_from(ItemRow)) == 1


async def test_stopping_waits_for_clicks_answered_before_their_commit(
    database_url: str, example_practice: Practice, clock: ManualClock, stub: SlackStub
) -> None:
    clinic, runner = await start_clinic(database_url, example_practice, clock, stub)
    key = await clinic.log_request()
    await clinic.deliver()
    card = clinic.card_of("scheduling", key)

    locker = create_engine(database_url)
    async with locker.connect() as connection:
        if connection.dialect.name == "sqlite":
            await connection.execute(text("SELECT 1"))  # BEGIN IMMEDIATE holds the write lock
        else:
            await connection.execute(select(ItemRow.id).where(ItemRow.key == key).with_for_update())
        response = await clinic.slack.click_button(
            FRONT_DESK, card.channel, card.ts, ActionId.CLAIM, key
        )
        assert response.status == 200
        stopping = asyncio.create_task(runner.cleanup())  # SIGTERM, while the claim waits
        await asyncio.sleep(0.3)
        assert not stopping.done()  # the answered click holds the stop until it commits
        await connection.rollback()
    await locker.dispose()
    await asyncio.wait_for(stopping, timeout=10)

    item = await clinic.deps.services.get(key)
    assert item is not None and item.owner == FRONT_DESK
    await clinic.slack.close()
    await clinic.deps.close()
