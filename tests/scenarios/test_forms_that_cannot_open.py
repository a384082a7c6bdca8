"""When Slack will not open a form, the click is still answered at once and the person is
told, only them, that the form could not open and to try again."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import pytest

from blocks.ids import ActionId, Command
from sandbox.side.wire import SlackResponse
from tests.scenarios.conftest import FRONT_DESK, Clinic

# Slack allows 3 s; a prompt answer is far inside that.
PROMPT_SECONDS = 1.0

# How views.open fails: (HTTP status, error). A 429 is answered twice, since the client
# retries one 429 itself.
REFUSALS: dict[str, tuple[int, str, int]] = {
    "expired trigger": (200, "expired_trigger_id", 1),
    "server error": (500, "Internal Server Error", 1),
    "rate limited": (429, "ratelimited", 2),
}


async def claimed_card_item(clinic: Clinic) -> str:
    key = await clinic.log_request()
    result = await clinic.deps.services.claim(item_key=key, actor=FRONT_DESK)
    assert not hasattr(result, "code"), result
    await clinic.deliver()
    return key


def log_call_on_the_card(clinic: Clinic, key: str) -> Awaitable[SlackResponse]:
    card = clinic.card_of("scheduling", key)
    return clinic.slack.click_button(FRONT_DESK, card.channel, card.ts, ActionId.LOG_CALL, key)


def cq_log(clinic: Clinic, key: str) -> Awaitable[SlackResponse]:
    return clinic.slack.slash_command(FRONT_DESK, Command.CQ, f"log {key}")


def intake(clinic: Clinic, key: str) -> Awaitable[SlackResponse]:
    return clinic.slack.slash_command(FRONT_DESK, Command.INTAKE)


OPENERS: dict[str, Callable[[Clinic, str], Awaitable[SlackResponse]]] = {
    "Log call on a card": log_call_on_the_card,
    "/cq log": cq_log,
    "/intake": intake,
}


@pytest.mark.parametrize("refusal", list(REFUSALS))
@pytest.mark.parametrize("opener", list(OPENERS))
async def test_a_form_slack_will_not_open_is_answered_at_once_and_explained_to_the_person(
    clinic: Clinic, opener: str, refusal: str
) -> None:
    key = await claimed_card_item(clinic)
    status, error, times = REFUSALS[refusal]
    clinic.stub.fail_next("views.open", status=status, error=error, retry_after=1, times=times)
    ephemerals_before = len(clinic.stub.ephemerals())
    views_before = clinic.stub.open_views(FRONT_DESK)
    posted_before = len(clinic.stub.calls_to("chat.postEphemeral"))

    started = time.monotonic()
    response = await OPENERS[opener](clinic, key)
    answered_in = time.monotonic() - started
    await clinic.stub.wait_for_call("chat.postEphemeral", count=posted_before + 1, timeout=10)

    assert response.status == 200
    assert answered_in < PROMPT_SECONDS
    told = clinic.stub.ephemerals()[ephemerals_before:]
    assert [e.user for e in told] == [FRONT_DESK]
    assert "could not open" in told[0].text and "try again" in told[0].text
    assert clinic.stub.open_views(FRONT_DESK) == views_before
