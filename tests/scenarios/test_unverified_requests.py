"""A request the app cannot verify gets 401 and nothing else: no listener, no message to anyone.

Anyone who can reach the request URL can send any body; only Slack can sign it. A body
naming a staff member must not make the bot message them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from urllib.parse import urlencode

import pytest
from slack_bolt.request.async_request import AsyncBoltRequest

from blocks.ids import ActionId, Command
from bot.app import build_app
from tests.scenarios.conftest import ASSISTANT, FRONT_DESK, MANAGER, Clinic

GENERAL = "C0GENERAL1"


def command_naming_the_manager() -> str:
    return urlencode(
        {
            "team_id": "T0CAREQ",
            "channel_id": GENERAL,
            "user_id": MANAGER,
            "command": Command.CQ,
            "text": "log CQ-1",
            "response_url": "http://127.0.0.1:9/none",
            "trigger_id": "1.2.3",
        }
    )


def click_naming_the_manager() -> str:
    payload = {
        "type": "block_actions",
        "team": {"id": "T0CAREQ"},
        "user": {"id": MANAGER},
        "channel": {"id": GENERAL},
        "trigger_id": "1.2.3",
        "actions": [{"action_id": ActionId.CLAIM, "value": "CQ-1", "type": "button"}],
    }
    return urlencode({"payload": json.dumps(payload)})


def not_a_number(clinic: Clinic, body: str) -> dict[str, str]:
    return {**clinic.slack.sign(body), "X-Slack-Request-Timestamp": "yesterday"}


def no_headers(clinic: Clinic, body: str) -> dict[str, str]:
    return {}


def wrong_signature(clinic: Clinic, body: str) -> dict[str, str]:
    return {**clinic.slack.sign(body), "X-Slack-Signature": "v0=" + "0" * 64}


def signed_for_another_body(clinic: Clinic, body: str) -> dict[str, str]:
    return clinic.slack.sign(body + "&text=other")


def stale(clinic: Clinic, body: str) -> dict[str, str]:
    return clinic.slack.sign(body, timestamp=int(time.time()) - 6 * 60)


HEADERS: dict[str, Callable[[Clinic, str], dict[str, str]]] = {
    "non-numeric timestamp": not_a_number,
    "missing headers": no_headers,
    "wrong signature": wrong_signature,
    "signature of another body": signed_for_another_body,
    "stale timestamp": stale,
}
BODIES: dict[str, Callable[[], str]] = {
    "slash command": command_naming_the_manager,
    "button click": click_naming_the_manager,
}


def slack_calls_besides_the_startup_check(clinic: Clinic) -> list[str]:
    return [call.method for call in clinic.stub.calls if call.method != "auth.test"]


@pytest.mark.parametrize("body_kind", list(BODIES))
@pytest.mark.parametrize("fault", list(HEADERS))
async def test_an_unverifiable_request_naming_a_user_gets_401_and_no_message(
    clinic: Clinic, fault: str, body_kind: str
) -> None:
    body = BODIES[body_kind]()
    response = await clinic.slack.post(body, headers=HEADERS[fault](clinic, body), sign=False)

    assert response.status == 401
    assert slack_calls_besides_the_startup_check(clinic) == []
    assert clinic.stub.ephemerals() == []


async def test_past_the_http_route_the_error_handler_still_says_nothing_to_an_unverified_request(
    clinic: Clinic,
) -> None:
    """Defence in depth: Bolt's own verification fails on the timestamp; nobody is told."""
    body = command_naming_the_manager()
    bolt = build_app(clinic.deps)
    request = AsyncBoltRequest(
        body=body,
        headers={**clinic.slack.sign(body), "X-Slack-Request-Timestamp": "yesterday"},
    )

    answer = await bolt.async_dispatch(request)

    assert answer.status in (401, 500)
    assert slack_calls_besides_the_startup_check(clinic) == []


async def test_a_verified_request_that_fails_still_gives_its_person_a_reference(
    clinic: Clinic,
) -> None:
    """The contrast: Slack signed it, so the person who clicked hears of the failure."""
    key = await clinic.log_request()
    await clinic.deliver()
    card = clinic.card_of("scheduling", key)
    await clinic.deps.services.claim(item_key=key, actor=FRONT_DESK)
    # The refusal's ephemeral fails once: an unexpected error, after the click was answered.
    clinic.stub.fail_next("chat.postEphemeral", status=500)

    response = await clinic.then_wait_for(
        "chat.postEphemeral",
        clinic.slack.click_button(ASSISTANT, card.channel, card.ts, ActionId.CLAIM, key),
        count=2,
    )

    assert response.status == 200
    told = clinic.stub.ephemerals()
    assert [e.user for e in told] == [ASSISTANT]
    assert "Something went wrong — ref" in told[0].text
