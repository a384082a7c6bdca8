"""The Slack Web API stub answers, records and checks calls the way Slack does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

import sandbox
from sandbox.stub.conformance import WEB_API_REQUIRED_PARAMS
from sandbox.stub.server import SlackStub

TOKEN = "xoxb-test"


class FakeTime:
    """A time source the test moves by hand (epoch seconds)."""

    def __init__(self, start: float = 1_732_350_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
async def stub(fake_time: FakeTime) -> AsyncIterator[SlackStub]:
    async with SlackStub(time_source=fake_time) as running:
        yield running
        running.assert_no_problems()


@pytest.fixture
def client(stub: SlackStub) -> AsyncWebClient:
    return AsyncWebClient(token=TOKEN, base_url=stub.base_url)


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def claim_button(label: str = "Claim", value: str = "CQ-1042") -> dict[str, Any]:
    return {
        "type": "actions",
        "block_id": "card.actions",
        "elements": [
            {
                "type": "button",
                "action_id": "card.claim",
                "text": {"type": "plain_text", "text": label},
                "value": value,
            }
        ],
    }


MODAL = {
    "type": "modal",
    "callback_id": "view.intake",
    "title": {"type": "plain_text", "text": "New request"},
    "submit": {"type": "plain_text", "text": "Log it"},
    "private_metadata": "CQ-1042",
    "blocks": [
        {
            "type": "input",
            "block_id": "intake.summary",
            "label": {"type": "plain_text", "text": "What was asked"},
            "element": {"type": "plain_text_input", "action_id": "summary"},
        }
    ],
}


# --------------------------------------------------------------------------- messages


async def test_post_then_update_keeps_one_message_with_the_new_blocks(
    stub: SlackStub, client: AsyncWebClient
) -> None:
    posted = await client.chat_postMessage(
        channel="#scheduling", text="CQ-1042 new", blocks=[section("*CQ-1042* new"), claim_button()]
    )
    await client.chat_update(
        channel=posted["channel"],
        ts=posted["ts"],
        text="CQ-1042 claimed",
        blocks=[section("*CQ-1042* claimed by <@U1>")],
    )

    [card] = stub.messages("#scheduling")
    assert card.ts == posted["ts"]
    assert card.text == "CQ-1042 claimed"
    assert card.blocks == [section("*CQ-1042* claimed by <@U1>")]
    assert card.edited == 1
    assert card.history[0]["blocks"][1]["block_id"] == "card.actions"


async def test_channel_names_resolve_to_one_stable_id(
    stub: SlackStub, client: AsyncWebClient
) -> None:
    first = await client.chat_postMessage(channel="#scheduling", text="one")
    second = await client.chat_postMessage(channel="scheduling", text="two")

    assert first["channel"] == second["channel"] == stub.channel_id("#scheduling")
    assert first["channel"].startswith("C")
    assert [m.text for m in stub.messages(first["channel"])] == ["one", "two"]
    assert float(second["ts"]) > float(first["ts"])


async def test_update_of_a_message_that_does_not_exist_is_message_not_found(
    client: AsyncWebClient,
) -> None:
    posted = await client.chat_postMessage(channel="#scheduling", text="one")

    with pytest.raises(SlackApiError) as caught:
        await client.chat_update(channel=posted["channel"], ts="1.000100", text="x")

    assert caught.value.response["error"] == "message_not_found"


async def test_thread_replies_stay_out_of_the_top_level_and_come_back_in_replies(
    stub: SlackStub, client: AsyncWebClient
) -> None:
    card = await client.chat_postMessage(channel="#scheduling", text="card")
    await client.chat_postMessage(channel=card["channel"], thread_ts=card["ts"], text="claimed")
    await client.chat_postMessage(channel=card["channel"], thread_ts=card["ts"], text="called")

    replies = await client.conversations_replies(channel=card["channel"], ts=card["ts"])

    assert [m.text for m in stub.messages("#scheduling")] == ["card"]
    assert [m.text for m in stub.thread("#scheduling", card["ts"])] == ["card", "claimed", "called"]
    assert [m["text"] for m in replies["messages"]] == ["card", "claimed", "called"]
    assert replies["messages"][0]["reply_count"] == 2


async def test_history_is_newest_first_and_carries_metadata_only_when_asked(
    stub: SlackStub, client: AsyncWebClient, fake_time: FakeTime
) -> None:
    metadata = {"event_type": "carequeue_card", "event_payload": {"item_key": "CQ-1"}}
    old = await client.chat_postMessage(channel="#scheduling", text="old", metadata=metadata)
    fake_time.now += 60
    await client.chat_postMessage(channel="#scheduling", text="new")
    cid = old["channel"]

    plain = await client.conversations_history(channel=cid)
    with_metadata = await client.conversations_history(channel=cid, include_all_metadata=True)
    newer = await client.conversations_history(channel=cid, oldest=old["ts"])
    one = await client.conversations_history(channel=cid, limit=1)

    assert [m["text"] for m in plain["messages"]] == ["new", "old"]
    assert "metadata" not in plain["messages"][1]
    assert with_metadata["messages"][1]["metadata"] == metadata
    assert [m["text"] for m in newer["messages"]] == ["new"]
    assert [m["text"] for m in one["messages"]] == ["new"]
    assert one["has_more"] is True


async def test_posting_to_a_user_id_lands_in_the_apps_dm_with_that_user(
    stub: SlackStub, client: AsyncWebClient
) -> None:
    opened = await client.conversations_open(users="U0NURSE")
    posted = await client.chat_postMessage(channel="U0NURSE", text="Escalation CQ-7")

    dm = opened["channel"]["id"]
    assert dm.startswith("D")
    assert posted["channel"] == dm
    assert [m.text for m in stub.messages(dm)] == ["Escalation CQ-7"]
    info = await client.conversations_info(channel=dm)
    assert info["channel"]["is_im"] is True
    assert info["channel"]["user"] == "U0NURSE"


async def test_ephemeral_is_stored_apart_and_visible_only_to_its_user(
    stub: SlackStub, client: AsyncWebClient
) -> None:
    await client.chat_postEphemeral(channel="#scheduling", user="U1", text="Already claimed")

    assert stub.messages("#scheduling") == []
    assert [e.text for e in stub.ephemerals("U1")] == ["Already claimed"]
    assert stub.ephemerals("U2") == []


async def test_permalink_points_at_the_message(client: AsyncWebClient) -> None:
    posted = await client.chat_postMessage(channel="#scheduling", text="card")

    link = await client.chat_getPermalink(channel=posted["channel"], message_ts=posted["ts"])

    assert link["permalink"].endswith(
        f"/archives/{posted['channel']}/p{posted['ts'].replace('.', '')}"
    )


async def test_users_info_knows_added_users_and_refuses_strangers(
    stub: SlackStub, client: AsyncWebClient
) -> None:
    stub.add_user("U0FRONT", "dana", real_name="Dana Front")

    known = await client.users_info(user="U0FRONT")
    with pytest.raises(SlackApiError) as caught:
        await client.users_info(user="U0NOBODY")

    assert known["user"]["real_name"] == "Dana Front"
    assert known["user"]["tz"] == "America/New_York"
    assert caught.value.response["error"] == "user_not_found"


async def test_usergroups_users_list_answers_the_members_as_they_are_set(
    stub: SlackStub, client: AsyncWebClient
) -> None:
    stub.add_usergroup("S0NURSES", "nurses", ["U0NURSE01", "U0NURSE02"])
    before = await client.usergroups_users_list(usergroup="S0NURSES")
    stub.set_usergroup_users("S0NURSES", ["U0NURSE02"])
    after = await client.usergroups_users_list(usergroup="S0NURSES")
    with pytest.raises(SlackApiError) as caught:
        await client.usergroups_users_list(usergroup="S0NOGROUP")

    assert before.data == {"ok": True, "users": ["U0NURSE01", "U0NURSE02"]}
    assert after["users"] == ["U0NURSE02"]
    assert caught.value.response["error"] == "no_such_subteam"


async def test_a_disabled_usergroup_answers_only_with_include_disabled(
    stub: SlackStub, client: AsyncWebClient
) -> None:
    stub.add_usergroup("S0OLD", "old-nurses", ["U0NURSE01"], disabled=True)

    with pytest.raises(SlackApiError) as caught:
        await client.usergroups_users_list(usergroup="S0OLD")
    included = await client.usergroups_users_list(usergroup="S0OLD", include_disabled=True)
    listed = await client.usergroups_list()

    assert caught.value.response["error"] == "no_such_subteam"
    assert included["users"] == ["U0NURSE01"]
    assert listed["usergroups"] == []


async def test_auth_test_names_the_bot(client: AsyncWebClient) -> None:
    answer = await client.auth_test()

    assert (answer["user_id"], answer["team_id"]) == ("UBOT", "T0CAREQ")
    assert answer["bot_id"]


async def test_a_call_without_a_token_is_not_authed(stub: SlackStub) -> None:
    anonymous = AsyncWebClient(base_url=stub.base_url)

    with pytest.raises(SlackApiError) as caught:
        await anonymous.chat_postMessage(channel="#scheduling", text="x")

    assert caught.value.response["error"] == "not_authed"
    assert stub.messages("#scheduling") == []


async def test_form_encoded_blocks_are_decoded_and_checked(stub: SlackStub) -> None:
    form = {"channel": "#scheduling", "text": "card", "blocks": '[{"type": "divider"}]'}
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{stub.base_url}chat.postMessage", data=form, headers=headers) as resp,
    ):
        answer = await resp.json()

    assert answer["ok"] is True
    assert stub.messages("#scheduling")[0].blocks == [{"type": "divider"}]


# --------------------------------------------------------------------------- payload checks


LONG = "x" * 76

# what the app sends -> a fragment of the problem the stub records
INVALID_MESSAGES: dict[str, tuple[list[dict[str, Any]], str]] = {
    "section with 11 fields": (
        [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}],
        "cannot exceed 10 items",
    ),
    "button text over 75 chars": ([claim_button(label=LONG)], "cannot exceed 75 characters"),
    "header over 150 chars": (
        [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
        "cannot exceed 150 characters",
    ),
    # The builders' tests refused these; the stub let them through before blocks.validate.
    "context text over 3000 chars": (
        [{"type": "context", "elements": [{"type": "mrkdwn", "text": "c" * 3001}]}],
        "more than 3000",
    ),
    "empty text object": ([section("")], "empty mrkdwn text"),
    "empty actions block": ([{"type": "actions", "elements": []}], "at least one element"),
    "section field over 2000 chars": (
        [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]}],
        "more than 2000",
    ),
    "plain_text_input max_length over 3000": (
        [
            {
                "type": "input",
                "label": {"type": "plain_text", "text": "Note"},
                "element": {"type": "plain_text_input", "action_id": "note", "max_length": 3001},
            }
        ],
        "max_length is 3001",
    ),
    "option text over 75 chars": (
        [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": "Lane"},
                "accessory": {
                    "type": "static_select",
                    "action_id": "card.lane",
                    "options": [{"text": {"type": "plain_text", "text": LONG}, "value": "a"}],
                },
            }
        ],
        "more than 75",
    ),
    "more than 50 blocks": ([{"type": "divider"}] * 51, "more than 50"),
    "blocks JSON over 12000 chars": (
        [section("s" * 2900) for _ in range(5)],
        "more than 12000",
    ),
    "unknown block type": ([{"type": "hologram"}], "unknown block type"),
    "duplicate block_id": (
        [{"type": "divider", "block_id": "same"}, {"type": "divider", "block_id": "same"}],
        "duplicate block_id",
    ),
}


@pytest.mark.parametrize(
    ("blocks", "problem"), INVALID_MESSAGES.values(), ids=INVALID_MESSAGES.keys()
)
async def test_invalid_blocks_are_refused_and_recorded(
    stub: SlackStub, client: AsyncWebClient, blocks: list[dict[str, Any]], problem: str
) -> None:
    with pytest.raises(SlackApiError) as caught:
        await client.chat_postMessage(channel="#scheduling", text="card", blocks=blocks)

    assert caught.value.response.status_code == 200
    assert caught.value.response["error"] == "invalid_blocks"
    assert stub.messages("#scheduling") == []
    recorded = stub.take_problems()
    assert any(problem in p for p in recorded), recorded


async def test_blocks_without_notification_text_are_refused(
    stub: SlackStub, client: AsyncWebClient
) -> None:
    with (
        pytest.warns(UserWarning, match="text"),  # slack_sdk warns too
        pytest.raises(SlackApiError) as caught,
    ):
        await client.chat_postMessage(channel="#scheduling", blocks=[section("card")])

    assert caught.value.response["error"] == "invalid_blocks"
    [problem] = stub.take_problems()
    assert "text is required" in problem


async def test_assert_no_problems_lists_what_went_wrong(
    stub: SlackStub, client: AsyncWebClient
) -> None:
    with pytest.raises(SlackApiError):
        await client.chat_postMessage(channel="#x", text="t", blocks=[claim_button(label=LONG)])

    with pytest.raises(AssertionError, match="75 characters"):
        stub.assert_no_problems()
    stub.take_problems()


async def test_a_modal_with_a_long_title_big_metadata_and_no_submit_is_refused_and_recorded(
    stub: SlackStub, client: AsyncWebClient
) -> None:
    view = {
        **MODAL,
        "title": {"type": "plain_text", "text": "t" * 25},
        "private_metadata": "m" * 3001,
    }
    view.pop("submit")

    with pytest.raises(SlackApiError) as caught:
        await client.views_open(trigger_id=stub.new_trigger_id("U1"), view=view)

    assert caught.value.response["error"] == "invalid_blocks"
    problems = "\n".join(stub.take_problems())
    assert "title" in problems
    assert "private_metadata" in problems
    assert "submit" in problems


# --------------------------------------------------------------------------- conformance


async def test_a_call_missing_an_argument_the_spec_requires_is_recorded(
    stub: SlackStub, client: AsyncWebClient
) -> None:
    with pytest.raises(SlackApiError) as caught:
        await client.api_call(
            "chat.postEphemeral", json={"channel": "#scheduling", "text": "no user"}
        )

    assert caught.value.response["error"] == "invalid_arguments"
    [problem] = stub.take_problems()
    assert "chat.postEphemeral" in problem
    assert "'user'" in problem
    assert stub.ephemerals() == []


async def test_an_unknown_method_is_recorded(stub: SlackStub, client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as caught:
        await client.api_call("chat.postMesage", json={"channel": "#x", "text": "typo"})

    assert caught.value.response["error"] == "unknown_method"
    assert "chat.postMesage" in stub.take_problems()[0]


async def test_a_method_newer_than_the_spec_is_accepted_when_slack_sdk_has_it(
    client: AsyncWebClient,
) -> None:
    answer = await client.api_call("assistant.threads.setStatus", json={"status": "thinking"})

    assert answer["ok"] is True


def test_the_table_of_required_arguments_ships_inside_the_sandbox_package() -> None:
    sandbox_package = Path(sandbox.__file__).resolve().parent

    assert WEB_API_REQUIRED_PARAMS.resolve().is_relative_to(sandbox_package)
    assert WEB_API_REQUIRED_PARAMS.is_file()


# --------------------------------------------------------------------------- faults


async def test_rate_limited_call_raises_with_429_and_retry_after_and_is_not_applied(
    stub: SlackStub, client: AsyncWebClient
) -> None:
    stub.fail_next("chat.postMessage", status=429, retry_after=7)

    with pytest.raises(SlackApiError) as caught:
        await client.chat_postMessage(channel="#scheduling", text="card")
    retried = await client.chat_postMessage(channel="#scheduling", text="card")

    assert caught.value.response.status_code == 429
    assert caught.value.response.headers["Retry-After"] == "7"
    assert caught.value.response["error"] == "ratelimited"
    assert [c.status for c in stub.calls_to("chat.postMessage")] == [429, 200]
    assert [m.ts for m in stub.messages("#scheduling")] == [retried["ts"]]


async def test_a_method_over_its_workspace_limit_is_answered_429_until_the_limit_is_lifted(
    stub: SlackStub, client: AsyncWebClient
) -> None:
    posted = await client.chat_postMessage(channel="#scheduling", text="v1")
    stub.limit_calls("chat.update", 2, seconds=60)

    for n in (2, 3):
        await client.chat_update(channel=posted["channel"], ts=posted["ts"], text=f"v{n}")
    with pytest.raises(SlackApiError) as caught:
        await client.chat_update(channel=posted["channel"], ts=posted["ts"], text="v4")
    await client.chat_postMessage(channel="#scheduling", text="another method is not limited")
    stub.limit_calls("chat.update", None)
    await client.chat_update(channel=posted["channel"], ts=posted["ts"], text="v5")

    assert caught.value.response.status_code == 429
    assert 59 <= int(caught.value.response.headers["Retry-After"]) <= 60
    assert [c.status for c in stub.calls_to("chat.update")] == [200, 200, 429, 200]
    card = stub.message("#scheduling", posted["ts"])
    assert card is not None
    assert [version["text"] for version in card.history] == ["v1", "v2", "v3"]
    assert card.text == "v5"


async def test_server_error_raises_with_500_and_is_not_applied(
    stub: SlackStub, client: AsyncWebClient
) -> None:
    stub.fail_next("chat.update", status=500, times=2)
    posted = await client.chat_postMessage(channel="#scheduling", text="v1")

    for _ in range(2):
        with pytest.raises(SlackApiError) as caught:
            await client.chat_update(channel=posted["channel"], ts=posted["ts"], text="v2")
        assert caught.value.response.status_code == 500

    assert stub.messages("#scheduling")[0].text == "v1"
    assert len(stub.calls_to("chat.update")) == 2


async def test_held_post_is_applied_before_the_app_learns_its_ts(
    stub: SlackStub, client: AsyncWebClient
) -> None:
    stub.hold("chat.postMessage")
    sending = asyncio.create_task(client.chat_postMessage(channel="#scheduling", text="card"))

    await stub.wait_for_call("chat.postMessage")
    [stored] = stub.messages("#scheduling")
    assert not sending.done()

    stub.release("chat.postMessage")
    answer = await sending
    assert answer["ts"] == stored.ts


async def test_a_post_held_when_the_app_gives_up_is_still_in_the_channel(
    stub: SlackStub, client: AsyncWebClient
) -> None:
    stub.hold("chat.postMessage")
    sending = asyncio.create_task(client.chat_postMessage(channel="#scheduling", text="card"))
    await stub.wait_for_call("chat.postMessage")

    sending.cancel()  # the process died before it learned the ts
    with pytest.raises(asyncio.CancelledError):
        await sending

    assert [m.text for m in stub.messages("#scheduling")] == ["card"]
    history = await client.conversations_history(channel=stub.channel_id("#scheduling"))
    assert [m["text"] for m in history["messages"]] == ["card"]


async def test_wait_for_call_gives_up_after_its_timeout(stub: SlackStub) -> None:
    with pytest.raises(TimeoutError, match="condition not met"):
        await stub.wait_for_call("chat.postMessage", timeout=0.05)


# --------------------------------------------------------------------------- views


async def test_views_open_answers_the_full_view_and_tracks_it(
    stub: SlackStub, client: AsyncWebClient
) -> None:
    opened = await client.views_open(trigger_id=stub.new_trigger_id("U1"), view=MODAL)

    view = opened["view"]
    assert view["id"].startswith("V")
    assert view["hash"]
    assert view["state"] == {"values": {}}
    assert view["callback_id"] == "view.intake"
    assert [v["id"] for v in stub.open_views("U1")] == [view["id"]]
    assert stub.open_views("U2") == []


async def test_views_open_with_a_stale_trigger_is_expired(
    stub: SlackStub, client: AsyncWebClient, fake_time: FakeTime
) -> None:
    trigger = stub.new_trigger_id("U1")
    fake_time.now += 3.5

    with pytest.raises(SlackApiError) as caught:
        await client.views_open(trigger_id=trigger, view=MODAL)

    assert caught.value.response["error"] == "expired_trigger_id"
    assert stub.open_views() == []


async def test_views_open_with_a_used_or_unknown_trigger_is_invalid(
    stub: SlackStub, client: AsyncWebClient
) -> None:
    trigger = stub.new_trigger_id("U1")
    await client.views_open(trigger_id=trigger, view=MODAL)

    for bad in (trigger, "123.456.abc"):
        with pytest.raises(SlackApiError) as caught:
            await client.views_open(trigger_id=bad, view=MODAL)
        assert caught.value.response["error"] == "invalid_trigger_id"


async def test_views_update_honours_the_hash(stub: SlackStub, client: AsyncWebClient) -> None:
    opened = await client.views_open(trigger_id=stub.new_trigger_id("U1"), view=MODAL)
    view_id, first_hash = opened["view"]["id"], opened["view"]["hash"]
    changed = {**MODAL, "private_metadata": "CQ-2000"}

    updated = await client.views_update(view_id=view_id, hash=first_hash, view=changed)
    with pytest.raises(SlackApiError) as caught:
        await client.views_update(view_id=view_id, hash=first_hash, view=MODAL)

    assert updated["view"]["id"] == view_id
    assert stub.view(view_id)["private_metadata"] == "CQ-2000"
    assert caught.value.response["error"] == "hash_conflict"


async def test_views_push_stacks_on_the_open_modal(stub: SlackStub, client: AsyncWebClient) -> None:
    root = await client.views_open(trigger_id=stub.new_trigger_id("U1"), view=MODAL)
    pushed = await client.views_push(trigger_id=stub.new_trigger_id("U1"), view=MODAL)

    assert pushed["view"]["previous_view_id"] == root["view"]["id"]
    assert [v["id"] for v in stub.open_views("U1")] == [root["view"]["id"], pushed["view"]["id"]]


async def test_an_invalid_modal_is_refused_and_recorded(
    stub: SlackStub, client: AsyncWebClient
) -> None:
    too_long = {**MODAL, "title": {"type": "plain_text", "text": "A title far over the limit"}}

    with pytest.raises(SlackApiError) as caught:
        await client.views_open(trigger_id=stub.new_trigger_id("U1"), view=too_long)

    assert caught.value.response["error"] == "invalid_blocks"
    assert any("title" in p for p in stub.take_problems())


async def test_views_publish_keeps_one_home_per_user(
    stub: SlackStub, client: AsyncWebClient
) -> None:
    stub.add_user("U1", "dana")
    home = {"type": "home", "blocks": [section("Your queue: 3")]}

    first = await client.views_publish(user_id="U1", view=home)
    second = await client.views_publish(
        user_id="U1", view={"type": "home", "blocks": [section("Your queue: 2")]}
    )

    assert first["view"]["id"] == second["view"]["id"]
    published = stub.home_view("U1")
    assert published is not None
    assert published["blocks"][0]["text"]["text"] == "Your queue: 2"
