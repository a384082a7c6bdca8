"""SlackSide's signed payloads reach the right Bolt listeners with the fields they read."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.side.interactions import SlackSide
from sandbox.stub.server import SlackStub
from tests.bolt_server import serving

SIGNING_SECRET = "sandbox-signing-secret"
TOKEN = "xoxb-test"
NURSE = "U0NURSE"
FRONT_DESK = "U0FRONT"

INTAKE_MODAL: dict[str, Any] = {
    "type": "modal",
    "callback_id": "view.intake",
    "title": {"type": "plain_text", "text": "New request"},
    "submit": {"type": "plain_text", "text": "Log it"},
    "private_metadata": "lane=scheduling",
    "notify_on_close": True,
    "blocks": [
        {
            "type": "input",
            "block_id": "intake.phone",
            "label": {"type": "plain_text", "text": "Callback number"},
            "element": {"type": "plain_text_input", "action_id": "phone"},
        },
        {
            "type": "input",
            "block_id": "intake.lane",
            "label": {"type": "plain_text", "text": "Lane"},
            "element": {
                "type": "static_select",
                "action_id": "lane",
                "option_groups": [
                    {
                        "label": {"type": "plain_text", "text": "Front desk"},
                        "options": [
                            {
                                "text": {"type": "plain_text", "text": "Scheduling"},
                                "value": "sched",
                            },
                            {"text": {"type": "plain_text", "text": "Billing"}, "value": "billing"},
                        ],
                    }
                ],
            },
        },
        {
            "type": "input",
            "block_id": "intake.owner",
            "optional": True,
            "label": {"type": "plain_text", "text": "Owner"},
            "element": {"type": "users_select", "action_id": "owner"},
        },
        {
            "type": "input",
            "block_id": "intake.due",
            "optional": True,
            "label": {"type": "plain_text", "text": "Due"},
            "element": {"type": "datepicker", "action_id": "due", "initial_date": "2024-11-25"},
        },
    ],
}

CARD_BLOCKS: list[dict[str, Any]] = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "*CQ-1042* voicemail"}},
    {
        "type": "actions",
        "block_id": "card.actions",
        "elements": [
            {
                "type": "button",
                "action_id": "card.claim",
                "text": {"type": "plain_text", "text": "Claim"},
                "value": "CQ-1042",
            },
            {
                "type": "users_select",
                "action_id": "card.assign",
                "placeholder": {"type": "plain_text", "text": "Assign"},
            },
            {
                "type": "static_select",
                "action_id": "card.lane",
                "placeholder": {"type": "plain_text", "text": "Move"},
                "options": [
                    {"text": {"type": "plain_text", "text": "Billing"}, "value": "billing"},
                    {"text": {"type": "plain_text", "text": "Referrals"}, "value": "referrals"},
                ],
            },
        ],
    },
]


def step_modal(private_metadata: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "view.step",
        "title": {"type": "plain_text", "text": "Step"},
        "submit": {"type": "plain_text", "text": "Next"},
        "private_metadata": private_metadata,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": private_metadata}}],
    }


@dataclass
class Harness:
    """A tiny Bolt app behind aiohttp, the stub it calls, and SlackSide pointed at it."""

    slack: SlackSide
    stub: SlackStub
    client: AsyncWebClient
    seen: dict[str, dict[str, Any]] = field(default_factory=dict)


def build_bolt_app(stub: SlackStub, seen: dict[str, dict[str, Any]]) -> AsyncApp:
    # The client carries the token; passing token= as well only makes Bolt warn.
    bolt = AsyncApp(
        signing_secret=SIGNING_SECRET,
        client=AsyncWebClient(base_url=stub.base_url, token=TOKEN),
    )

    # Each listener records the body before ack(), so it is there when Slack's request returns.
    @bolt.command("/carequeue")
    async def on_command(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        seen["command"] = body
        await ack()
        await client.views_open(trigger_id=body["trigger_id"], view=INTAKE_MODAL)

    @bolt.action("card.claim")
    async def on_claim(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        seen["claim"] = body
        await ack()
        await respond(text=f"You claimed {body['actions'][0]['value']}")

    @bolt.action("home.refresh")
    async def on_home_refresh(ack: AsyncAck, body: dict[str, Any]) -> None:
        seen["home_refresh"] = body
        await ack()

    @bolt.action("card.assign")
    async def on_assign(ack: AsyncAck, body: dict[str, Any]) -> None:
        seen["assign"] = body
        await ack()

    @bolt.action("card.lane")
    async def on_lane(ack: AsyncAck, body: dict[str, Any]) -> None:
        seen["lane"] = body
        await ack()

    @bolt.action("intake.more")
    async def on_modal_more(ack: AsyncAck, body: dict[str, Any]) -> None:
        seen["modal_more"] = body
        await ack()

    @bolt.action("home.filter")
    async def on_home_filter(ack: AsyncAck, body: dict[str, Any]) -> None:
        seen["home_filter"] = body
        await ack()

    @bolt.view("view.intake")
    async def on_intake(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        seen["intake"] = body
        phone = view["state"]["values"]["intake.phone"]["phone"]["value"]
        if not phone or not phone.replace("-", "").isdigit():
            await ack(response_action="errors", errors={"intake.phone": "Enter a phone number"})
            return
        await ack()

    @bolt.view("view.step")
    async def on_step(ack: AsyncAck, view: dict[str, Any]) -> None:
        action = view["private_metadata"]  # the test says which response_action to answer
        if action == "clear":
            await ack(response_action="clear")
        else:
            await ack(response_action=action, view=step_modal("done"))

    @bolt.view_closed("view.intake")
    async def on_intake_closed(ack: AsyncAck, body: dict[str, Any]) -> None:
        seen["intake_closed"] = body
        await ack()

    @bolt.global_shortcut("shortcut.new_request")
    async def on_new_request(ack: AsyncAck, body: dict[str, Any]) -> None:
        seen["global_shortcut"] = body
        await ack()

    @bolt.message_shortcut("shortcut.log_message")
    async def on_log_message(ack: AsyncAck, body: dict[str, Any]) -> None:
        seen["message_shortcut"] = body
        await ack()

    @bolt.event("app_home_opened")
    async def on_home(event: dict[str, Any], client: AsyncWebClient) -> None:
        seen["home"] = event
        home = {"type": "home", "blocks": [{"type": "divider"}]}
        await client.views_publish(user_id=event["user"], view=home)

    return bolt


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    seen: dict[str, dict[str, Any]] = {}
    async with SlackStub() as stub:
        bolt = build_bolt_app(stub, seen)
        async with (
            serving(bolt) as app_url,
            SlackSide(app_url, SIGNING_SECRET, stub) as slack,
        ):
            client = AsyncWebClient(base_url=stub.base_url, token=TOKEN)
            yield Harness(slack=slack, stub=stub, client=client, seen=seen)
        stub.assert_no_problems()


async def post_card(h: Harness) -> tuple[str, str]:
    posted = await h.client.chat_postMessage(
        channel="#scheduling", text="CQ-1042 voicemail", blocks=CARD_BLOCKS
    )
    return posted["channel"], posted["ts"]


async def open_intake(h: Harness, user: str = FRONT_DESK) -> str:
    opened = await h.client.views_open(trigger_id=h.stub.new_trigger_id(user), view=INTAKE_MODAL)
    return opened["view"]["id"]


# --------------------------------------------------------------------------- commands


async def test_slash_command_reaches_the_command_listener_and_its_trigger_opens_a_modal(
    harness: Harness,
) -> None:
    answer = await harness.slack.slash_command(
        FRONT_DESK, "/carequeue", "new", channel="#front-desk"
    )

    assert answer.status == 200
    body = harness.seen["command"]
    assert body["command"] == "/carequeue"
    assert body["text"] == "new"
    assert body["user_id"] == FRONT_DESK
    assert body["channel_id"] == harness.stub.channel_id("#front-desk")
    assert body["channel_name"] == "front-desk"
    assert body["team_id"] == "T0CAREQ"
    assert body["response_url"].startswith(harness.stub.root_url)
    await harness.stub.wait_for_call("views.open")
    [modal] = harness.stub.open_views(FRONT_DESK)
    assert modal["callback_id"] == "view.intake"


# --------------------------------------------------------------------------- block actions


async def test_button_click_reaches_the_action_listener_with_value_container_and_message(
    harness: Harness,
) -> None:
    channel, ts = await post_card(harness)

    answer = await harness.slack.click_button(FRONT_DESK, channel, ts, "card.claim", "CQ-1042")

    assert answer.status == 200
    body = harness.seen["claim"]
    [action] = body["actions"]
    assert (action["type"], action["value"], action["block_id"]) == (
        "button",
        "CQ-1042",
        "card.actions",
    )
    assert body["container"] == {
        "type": "message",
        "message_ts": ts,
        "channel_id": channel,
        "is_ephemeral": False,
    }
    assert body["message"]["ts"] == ts
    assert body["message"]["blocks"][1]["elements"][0]["action_id"] == "card.claim"
    assert body["user"]["id"] == FRONT_DESK
    assert body["channel"]["id"] == channel
    assert body["trigger_id"]


async def test_respond_to_a_click_lands_as_an_ephemeral_for_the_clicker(harness: Harness) -> None:
    channel, ts = await post_card(harness)

    await harness.slack.click_button(FRONT_DESK, channel, ts, "card.claim")
    await harness.stub.wait_for_call("response_url")

    [note] = harness.stub.ephemerals(FRONT_DESK)
    assert note.text == "You claimed CQ-1042"
    assert note.via == "response_url"


async def test_clicking_a_button_the_message_does_not_have_is_refused(harness: Harness) -> None:
    channel, ts = await post_card(harness)

    with pytest.raises(ValueError, match=r"card\.close"):
        await harness.slack.click_button(FRONT_DESK, channel, ts, "card.close")
    with pytest.raises(ValueError, match="value='CQ-9'"):
        await harness.slack.click_button(FRONT_DESK, channel, ts, "card.claim", "CQ-9")


async def test_user_and_option_selects_reach_their_listeners(harness: Harness) -> None:
    channel, ts = await post_card(harness)

    await harness.slack.select_user(FRONT_DESK, channel, ts, "card.assign", NURSE)
    await harness.slack.select_option(FRONT_DESK, channel, ts, "card.lane", "referrals")

    assign = harness.seen["assign"]["actions"][0]
    lane = harness.seen["lane"]["actions"][0]
    assert (assign["type"], assign["selected_user"]) == ("users_select", NURSE)
    assert lane["type"] == "static_select"
    assert lane["selected_option"] == {
        "text": {"type": "plain_text", "text": "Referrals"},
        "value": "referrals",
    }
    with pytest.raises(ValueError, match="no option"):
        await harness.slack.select_option(FRONT_DESK, channel, ts, "card.lane", "oncology")


# --------------------------------------------------------------------------- views


async def test_view_submission_carries_state_values_shaped_by_element_type(
    harness: Harness,
) -> None:
    view_id = await open_intake(harness)

    answer = await harness.slack.submit_view(
        FRONT_DESK,
        view_id,
        {"intake.phone": "555-0100", "intake.lane": "billing", "intake.owner": NURSE},
    )

    assert answer.status == 200
    body = harness.seen["intake"]
    values = body["view"]["state"]["values"]
    assert values["intake.phone"] == {"phone": {"type": "plain_text_input", "value": "555-0100"}}
    assert values["intake.lane"]["lane"]["selected_option"]["value"] == "billing"
    assert values["intake.owner"] == {"owner": {"type": "users_select", "selected_user": NURSE}}
    assert values["intake.due"] == {"due": {"type": "datepicker", "selected_date": "2024-11-25"}}
    assert body["view"]["id"] == view_id
    assert body["view"]["private_metadata"] == "lane=scheduling"
    assert body["view"]["callback_id"] == "view.intake"
    assert body["view"]["hash"]
    assert body["response_urls"] == []
    assert body["trigger_id"]
    assert harness.stub.open_views(FRONT_DESK) == []


async def test_view_submission_errors_come_back_and_the_modal_stays_open(
    harness: Harness,
) -> None:
    view_id = await open_intake(harness)

    answer = await harness.slack.submit_view(FRONT_DESK, view_id, {"intake.lane": "sched"})

    assert answer.json == {
        "response_action": "errors",
        "errors": {"intake.phone": "Enter a phone number"},
    }
    assert harness.seen["intake"]["view"]["state"]["values"]["intake.phone"]["phone"] == {
        "type": "plain_text_input",
        "value": None,
    }
    assert [v["id"] for v in harness.stub.open_views(FRONT_DESK)] == [view_id]


async def test_submitting_a_value_the_modal_cannot_hold_is_refused(harness: Harness) -> None:
    view_id = await open_intake(harness)

    with pytest.raises(ValueError, match="no option"):
        await harness.slack.submit_view(FRONT_DESK, view_id, {"intake.lane": "oncology"})
    with pytest.raises(ValueError, match=r"intake\.fax"):
        await harness.slack.submit_view(FRONT_DESK, view_id, {"intake.fax": "555"})


async def test_a_modal_that_is_not_open_cannot_be_submitted(harness: Harness) -> None:
    view_id = await open_intake(harness, user=FRONT_DESK)

    with pytest.raises(ValueError, match="not open"):
        await harness.slack.submit_view(NURSE, view_id, {"intake.phone": "555"})


@pytest.mark.parametrize(
    ("action", "open_after"),
    [("update", ["done"]), ("push", ["push", "done"]), ("clear", [])],
)
async def test_response_actions_change_the_open_modals_as_slack_does(
    harness: Harness, action: str, open_after: list[str]
) -> None:
    opened = await harness.client.views_open(
        trigger_id=harness.stub.new_trigger_id(FRONT_DESK), view=step_modal(action)
    )

    answer = await harness.slack.submit_view(FRONT_DESK, opened["view"]["id"])

    assert answer.json is not None
    assert answer.json["response_action"] == action
    modals = harness.stub.open_views(FRONT_DESK)
    assert [m["private_metadata"] for m in modals] == open_after
    if action == "update":
        assert modals[0]["id"] == opened["view"]["id"]


async def test_closing_a_modal_with_notify_on_close_sends_view_closed(harness: Harness) -> None:
    view_id = await open_intake(harness)

    answer = await harness.slack.close_view(FRONT_DESK, view_id)

    assert answer is not None
    assert answer.status == 200
    body = harness.seen["intake_closed"]
    assert body["type"] == "view_closed"
    assert body["view"]["id"] == view_id
    assert body["is_cleared"] is False
    assert harness.stub.open_views(FRONT_DESK) == []


# --------------------------------------------------------------------------- shortcuts


async def test_global_shortcut_reaches_its_listener(harness: Harness) -> None:
    answer = await harness.slack.global_shortcut(NURSE, "shortcut.new_request")

    assert answer.status == 200
    body = harness.seen["global_shortcut"]
    assert body["type"] == "shortcut"
    assert body["callback_id"] == "shortcut.new_request"
    assert body["user"]["id"] == NURSE
    assert body["trigger_id"]


async def test_message_shortcut_carries_the_message_and_channel(harness: Harness) -> None:
    said = harness.stub.add_message("#front-desk", "Mrs. B called about her refill", user=NURSE)

    answer = await harness.slack.message_shortcut(
        FRONT_DESK, "shortcut.log_message", "#front-desk", said.ts
    )

    assert answer.status == 200
    body = harness.seen["message_shortcut"]
    assert body["type"] == "message_action"
    assert body["message"]["text"] == "Mrs. B called about her refill"
    assert body["message"]["user"] == NURSE
    assert body["message_ts"] == said.ts
    assert body["channel"] == {"id": said.channel, "name": "front-desk"}
    assert body["response_url"]


# --------------------------------------------------------------------------- events


async def test_app_home_opened_event_reaches_the_event_listener(harness: Harness) -> None:
    answer = await harness.slack.app_home_opened(NURSE)

    assert answer.status == 200
    await harness.stub.wait_for_call("views.publish")
    assert harness.seen["home"]["user"] == NURSE
    assert harness.stub.home_view(NURSE) is not None


async def test_a_click_on_the_app_home_carries_the_view(harness: Harness) -> None:
    refresh = {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "action_id": "home.refresh",
                "text": {"type": "plain_text", "text": "Refresh"},
                "value": "mine",
            }
        ],
    }
    published = await harness.client.views_publish(
        user_id=NURSE, view={"type": "home", "blocks": [refresh]}
    )

    await harness.slack.click_view_button(NURSE, published["view"]["id"], "home.refresh")

    body = harness.seen["home_refresh"]
    assert body["container"] == {"type": "view", "view_id": published["view"]["id"]}
    assert body["view"]["type"] == "home"
    assert body["actions"][0]["value"] == "mine"


async def test_a_select_on_the_app_home_sends_the_option_picked(harness: Harness) -> None:
    lanes = {
        "type": "section",
        "text": {"type": "mrkdwn", "text": "Show"},
        "accessory": {
            "type": "static_select",
            "action_id": "home.filter",
            "placeholder": {"type": "plain_text", "text": "Lane"},
            "options": [
                {"text": {"type": "plain_text", "text": "Billing"}, "value": "billing"},
                {"text": {"type": "plain_text", "text": "Refills"}, "value": "refills"},
            ],
        },
    }
    published = await harness.client.views_publish(
        user_id=NURSE, view={"type": "home", "blocks": [lanes]}
    )
    view_id = published["view"]["id"]

    await harness.slack.act_in_view(NURSE, view_id, "home.filter", "refills", kind="static_select")

    action = harness.seen["home_filter"]["actions"][0]
    assert action["type"] == "static_select"
    assert action["selected_option"]["value"] == "refills"
    assert harness.seen["home_filter"]["container"] == {"type": "view", "view_id": view_id}
    with pytest.raises(ValueError, match="no option"):
        await harness.slack.act_in_view(NURSE, view_id, "home.filter", "x", kind="static_select")
    with pytest.raises(ValueError, match="no button"):
        await harness.slack.act_in_view(NURSE, view_id, "home.filter", "refills")


async def test_an_overflow_in_a_modal_carries_what_is_entered_so_far(harness: Harness) -> None:
    more = {
        "type": "actions",
        "block_id": "intake.actions",
        "elements": [
            {
                "type": "overflow",
                "action_id": "intake.more",
                "options": [
                    {"text": {"type": "plain_text", "text": "Use last caller"}, "value": "last"},
                    {"text": {"type": "plain_text", "text": "Clear the form"}, "value": "clear"},
                ],
            }
        ],
    }
    with_more = {**INTAKE_MODAL, "blocks": [*INTAKE_MODAL["blocks"], more]}
    opened = await harness.client.views_open(
        trigger_id=harness.stub.new_trigger_id(FRONT_DESK), view=with_more
    )
    view_id = opened["view"]["id"]

    await harness.slack.act_in_view(
        FRONT_DESK,
        view_id,
        "intake.more",
        "last",
        kind="overflow",
        values={"intake.phone": "555-0100"},
    )

    body = harness.seen["modal_more"]
    assert body["actions"][0]["type"] == "overflow"
    assert body["actions"][0]["selected_option"]["value"] == "last"
    state = body["view"]["state"]["values"]
    assert state["intake.phone"]["phone"]["value"] == "555-0100"
    assert state["intake.lane"]["lane"]["selected_option"] is None


# --------------------------------------------------------------------------- signatures


async def test_a_forged_signature_gets_401(harness: Harness) -> None:
    body = urlencode({"command": "/carequeue", "user_id": FRONT_DESK, "text": ""})
    forged = harness.slack.sign(body)
    forged["X-Slack-Signature"] = "v0=" + "0" * 64

    answer = await harness.slack.post(body, headers=forged, sign=False)

    assert answer.status == 401
    assert "command" not in harness.seen


async def test_a_stale_signature_gets_401(harness: Harness) -> None:
    body = urlencode({"command": "/carequeue", "user_id": FRONT_DESK, "text": ""})
    ten_minutes_ago = harness.slack.sign(body, timestamp=int(time.time()) - 600)

    answer = await harness.slack.post(body, headers=ten_minutes_ago, sign=False)

    assert answer.status == 401
