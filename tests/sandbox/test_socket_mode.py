"""The stub plays Slack's Socket Mode for a real Bolt AsyncSocketModeHandler.

Bolt's handler calls ``apps.connections.open`` on its app's Web API client (so on
``stub.base_url``), opens the WebSocket URL the stub answers, and acks each envelope.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.side.interactions import SlackSide
from sandbox.stub.records import APP_ID
from sandbox.stub.server import SlackStub

BOT_TOKEN = "xoxb-socket-test"
APP_TOKEN = "xapp-1-A0CAREQ-1-socket-test"
FRONT_DESK = "U0FRONT"

PHONE_MODAL: dict[str, Any] = {
    "type": "modal",
    "callback_id": "view.phone",
    "title": {"type": "plain_text", "text": "Callback"},
    "submit": {"type": "plain_text", "text": "Save"},
    "blocks": [
        {
            "type": "input",
            "block_id": "intake.phone",
            "label": {"type": "plain_text", "text": "Callback number"},
            "element": {"type": "plain_text_input", "action_id": "phone"},
        }
    ],
}


@dataclass
class Connected:
    """A Bolt app connected to the stub over Socket Mode, and what its listeners saw."""

    stub: SlackStub
    handler: AsyncSocketModeHandler
    slack: SlackSide
    hello: asyncio.Future[dict[str, Any]]
    seen: dict[str, dict[str, Any]] = field(default_factory=dict)


def build_bolt_app(stub: SlackStub, seen: dict[str, dict[str, Any]]) -> AsyncApp:
    """A tiny Bolt app: one command, one modal, one event; no signing secret needed."""
    bolt = AsyncApp(client=AsyncWebClient(base_url=stub.base_url, token=BOT_TOKEN))

    @bolt.command("/carequeue")
    async def on_command(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        seen["command"] = body
        await ack(text=f"Opening the form for {body['user_id']}")
        await client.views_open(trigger_id=body["trigger_id"], view=PHONE_MODAL)

    @bolt.view("view.phone")
    async def on_phone(ack: AsyncAck, view: dict[str, Any]) -> None:
        phone = view["state"]["values"]["intake.phone"]["phone"]["value"]
        if not phone or not phone.replace("-", "").isdigit():
            await ack(response_action="errors", errors={"intake.phone": "Enter a phone number"})
            return
        await ack()

    @bolt.event("app_home_opened")
    async def on_home(event: dict[str, Any], client: AsyncWebClient) -> None:
        seen["home"] = event
        await client.views_publish(
            user_id=event["user"], view={"type": "home", "blocks": [{"type": "divider"}]}
        )

    return bolt


@pytest.fixture
async def stub() -> AsyncIterator[SlackStub]:
    async with SlackStub() as running:
        running.add_user(FRONT_DESK, "ana")
        yield running
        running.assert_no_problems()


@pytest.fixture
async def connected(stub: SlackStub) -> AsyncIterator[Connected]:
    seen: dict[str, dict[str, Any]] = {}
    handler = AsyncSocketModeHandler(build_bolt_app(stub, seen), APP_TOKEN)
    hello: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()

    async def watch_for_hello(
        client: AsyncBaseSocketModeClient, message: dict[str, Any], raw: str | None
    ) -> None:
        if message.get("type") == "hello" and not hello.done():
            hello.set_result(message)

    handler.client.message_listeners.append(watch_for_hello)
    await handler.connect_async()
    try:
        await stub.socket_connected(timeout=5)
        async with SlackSide(stub=stub, transport="socket") as slack:
            yield Connected(stub=stub, handler=handler, slack=slack, hello=hello, seen=seen)
    finally:
        await handler.close_async()


# --------------------------------------------------------------------------- connecting


async def test_the_handler_opens_a_connection_with_its_app_token_and_is_greeted(
    connected: Connected,
) -> None:
    hello = await asyncio.wait_for(connected.hello, timeout=5)

    assert hello["num_connections"] == 1
    assert hello["connection_info"] == {"app_id": APP_ID}
    assert "host" in hello["debug_info"]
    [opened] = connected.stub.calls_to("apps.connections.open")
    assert opened.response["ok"] is True
    assert opened.response["url"].startswith(connected.stub.socket_url)
    assert connected.stub.socket_count == 1


async def test_apps_connections_open_refuses_a_bot_token(stub: SlackStub) -> None:
    client = AsyncWebClient(base_url=stub.base_url, token=BOT_TOKEN)

    with pytest.raises(SlackApiError) as caught:
        await client.apps_connections_open(app_token=BOT_TOKEN)

    assert caught.value.response["error"] == "not_allowed_token_type"


async def test_an_app_token_cannot_call_bot_methods(stub: SlackStub) -> None:
    client = AsyncWebClient(base_url=stub.base_url, token=APP_TOKEN)

    with pytest.raises(SlackApiError) as caught:
        await client.chat_postMessage(channel="#scheduling", text="x")

    assert caught.value.response["error"] == "not_allowed_token_type"
    assert stub.messages("#scheduling") == []


async def test_sending_an_envelope_needs_a_connected_app(stub: SlackStub) -> None:
    with pytest.raises(RuntimeError, match="no Socket Mode connection"):
        await stub.send_envelope("events_api", {"type": "event_callback"}, False)


# --------------------------------------------------------------------------- envelopes


async def test_a_slash_command_envelope_reaches_the_listener_and_its_ack_payload_returns(
    connected: Connected,
) -> None:
    answer = await connected.slack.slash_command(FRONT_DESK, "/carequeue", "new", "#front-desk")

    assert answer.status == 200
    assert answer.json == {"text": f"Opening the form for {FRONT_DESK}"}
    body = connected.seen["command"]
    assert (body["command"], body["text"], body["user_id"]) == ("/carequeue", "new", FRONT_DESK)
    assert body["channel_id"] == connected.stub.channel_id("#front-desk")
    [envelope] = connected.stub.envelopes
    assert envelope.type == "slash_commands"
    assert envelope.ack is not None and envelope.ack["envelope_id"] == envelope.envelope_id
    # The trigger_id in the envelope is live: the listener opened its modal with it.
    await connected.stub.wait_for_call("views.open")
    assert [v["callback_id"] for v in connected.stub.open_views(FRONT_DESK)] == ["view.phone"]


async def test_send_envelope_returns_the_raw_ack_matched_by_envelope_id(
    connected: Connected,
) -> None:
    def command() -> dict[str, Any]:
        return {
            "command": "/carequeue",
            "text": "",
            "user_id": FRONT_DESK,
            "channel_id": connected.stub.channel_id("#front-desk"),
            "team_id": "T0CAREQ",
            "trigger_id": connected.stub.new_trigger_id(FRONT_DESK),
        }

    # Two envelopes in flight at once: each ack must find its own sender.
    first, second = await asyncio.gather(
        connected.stub.send_envelope("slash_commands", command()),
        connected.stub.send_envelope("slash_commands", command()),
    )

    sent = [e.envelope_id for e in connected.stub.envelopes]
    assert [first["envelope_id"], second["envelope_id"]] == sent
    assert first["payload"] == second["payload"] == {"text": f"Opening the form for {FRONT_DESK}"}
    await connected.stub.wait_for_call("views.open", count=2)


async def test_view_submission_errors_come_back_in_the_ack_and_keep_the_modal_open(
    connected: Connected,
) -> None:
    await connected.slack.slash_command(FRONT_DESK, "/carequeue")
    await connected.stub.wait_for_call("views.open")
    [modal] = connected.stub.open_views(FRONT_DESK)

    answer = await connected.slack.submit_view(FRONT_DESK, modal["id"], {"intake.phone": "soon"})

    assert answer.status == 200
    assert answer.json == {
        "response_action": "errors",
        "errors": {"intake.phone": "Enter a phone number"},
    }
    assert [v["id"] for v in connected.stub.open_views(FRONT_DESK)] == [modal["id"]]


async def test_an_empty_ack_to_a_view_submission_closes_the_modal(connected: Connected) -> None:
    await connected.slack.slash_command(FRONT_DESK, "/carequeue")
    await connected.stub.wait_for_call("views.open")
    [modal] = connected.stub.open_views(FRONT_DESK)

    answer = await connected.slack.submit_view(
        FRONT_DESK, modal["id"], {"intake.phone": "555-0100"}
    )

    assert (answer.status, answer.body, answer.json) == (200, "", None)
    assert connected.stub.open_views(FRONT_DESK) == []


async def test_an_events_api_envelope_reaches_the_event_listener(connected: Connected) -> None:
    answer = await connected.slack.app_home_opened(FRONT_DESK)

    assert (answer.status, answer.json) == (200, None)
    [envelope] = connected.stub.envelopes
    assert (envelope.type, envelope.accepts_response_payload) == ("events_api", False)
    assert envelope.payload["event"]["type"] == "app_home_opened"
    await connected.stub.wait_for_call("views.publish")
    assert connected.seen["home"]["user"] == FRONT_DESK


async def test_an_envelope_nobody_acks_times_out(connected: Connected) -> None:
    # Bolt sends no ack when no listener matches; Slack would show the person an error.
    with pytest.raises(TimeoutError, match="no ack for interactive envelope"):
        await connected.stub.send_envelope(
            "interactive",
            {"type": "shortcut", "callback_id": "nobody.listens", "user": {"id": FRONT_DESK}},
            timeout=0.5,
        )


async def test_the_http_only_post_is_refused_over_socket_mode(connected: Connected) -> None:
    with pytest.raises(RuntimeError, match="Socket Mode"):
        await connected.slack.post("command=%2Fcarequeue")


def test_the_http_transport_still_needs_an_url_and_a_secret() -> None:
    with pytest.raises(ValueError, match="app_url and signing_secret"):
        SlackSide(stub=SlackStub())


# --------------------------------------------------------------------------- stopping


async def test_stopping_the_stub_closes_the_connection() -> None:
    async with SlackStub() as stub:
        handler = AsyncSocketModeHandler(
            AsyncApp(client=AsyncWebClient(base_url=stub.base_url, token=BOT_TOKEN)), APP_TOKEN
        )
        closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        async def on_close(message: object) -> None:
            if not closed.done():
                closed.set_result(None)

        handler.client.on_close_listeners.append(on_close)
        handler.client.default_auto_reconnect_enabled = False  # a closed stub stays closed
        try:
            await handler.connect_async()
            await stub.socket_connected(timeout=5)
            await stub.stop()
            await asyncio.wait_for(closed, timeout=5)
            assert stub.socket_count == 0
        finally:
            await handler.close_async()
