"""The sandbox's server side: the real app behind a local workspace, driven over its JSON routes."""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import func, select

from bot.clock import OffsetClock
from bot.config import EXAMPLE_PRACTICE, Practice, load_practice, settings_from_env
from bot.domain import sla
from bot.domain.items import Origin
from bot.domain.waiting import WaitingParty
from sandbox.demo import DEMO_INTEGRATION, REQUESTS
from sandbox.stub.records import StoredMessage
from sandbox.stub.server import SlackStub
from sandbox.workspace import (
    Workspace,
    closing_time,
    opening_this_morning,
    people_for,
    run_sandbox,
    tomorrow_at_eight,
)
from storage.models import ApiDeliveryRow, ItemRow

FRONT_DESK = "UFRONT01"
ASSISTANT = "UASSIST01"


@dataclass
class Sandbox:
    url: str
    session: aiohttp.ClientSession
    workspace: Workspace

    async def state(self, user: str = FRONT_DESK, channel: str | None = None) -> dict[str, Any]:
        params = {"user": user, **({"channel": channel} if channel else {})}
        async with self.session.get(self.url + "sandbox/state", params=params) as response:
            assert response.status == 200
            return await response.json()

    async def act(self, route: str, **body: Any) -> tuple[int, dict[str, Any]]:
        async with self.session.post(self.url + f"sandbox/{route}", json=body) as response:
            return response.status, await response.json()

    def channel(self, state: dict[str, Any], name: str) -> str:
        return next(c["id"] for c in state["channels"] if c["name"] == name)


async def start(demo: bool) -> tuple[Sandbox, asyncio.Event, asyncio.Task[None]]:
    practice = load_practice(EXAMPLE_PRACTICE)
    settings = settings_from_env({}, port=0)
    ready: asyncio.Queue[tuple[str, Workspace]] = asyncio.Queue()
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_sandbox(
            settings,
            practice,
            demo=demo,
            on_ready=lambda url, workspace: ready.put_nowait((url, workspace)),
            stop=stop,
        )
    )
    url, workspace = await asyncio.wait_for(ready.get(), timeout=30)
    return Sandbox(url, aiohttp.ClientSession(), workspace), stop, task


async def running(demo: bool) -> AsyncIterator[Sandbox]:
    started, stop, task = await start(demo=demo)
    yield started
    await started.session.close()
    stop.set()
    await asyncio.wait_for(task, timeout=30)


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async for started in running(demo=False):
        yield started


@pytest.fixture
async def demo_sandbox() -> AsyncIterator[Sandbox]:
    async for started in running(demo=True):
        yield started


async def test_sandbox_serves_the_page_and_listens_only_on_loopback(sandbox: Sandbox) -> None:
    assert urlsplit(sandbox.url).hostname == "127.0.0.1"
    assert sandbox.workspace.side is not None
    assert urlsplit(sandbox.workspace.side.app_url).hostname == "127.0.0.1"
    async with sandbox.session.get(sandbox.url) as response:
        assert response.status == 200
        assert "text/html" in response.headers["Content-Type"]


async def test_state_lists_every_lane_channel_the_people_and_the_commands(
    sandbox: Sandbox,
) -> None:
    state = await sandbox.state()
    names = {c["name"] for c in state["channels"]}
    practice = sandbox.workspace.practice
    assert {lane.channel.removeprefix("#") for lane in practice.lanes.values()} <= names
    assert {"cq-managers", "cq-clinical"} <= names
    titles = {u["title"] for u in state["users"]}
    assert {"Front desk", "Virtual assistant", "Practice manager"} <= titles
    assert {c["command"] for c in state["commands"]} == {"/intake", "/claim", "/queue", "/cq"}
    assert state["dms"] and state["dms"][0]["name"] == "CareQueue"


async def test_intake_typed_in_the_page_opens_the_modal_only_for_that_person(
    sandbox: Sandbox,
) -> None:
    state = await sandbox.state()
    channel = sandbox.channel(state, "cq-scheduling")
    status, answer = await sandbox.act(
        "command", user=FRONT_DESK, channel=channel, command="/intake", text=""
    )
    assert status == 200 and answer["ok"]
    await sandbox.workspace.stub.wait_for_call("views.open")
    mine = await sandbox.state(FRONT_DESK)
    theirs = await sandbox.state(ASSISTANT)
    assert [v["callback_id"] for v in mine["views"]] == ["view.intake"]
    assert theirs["views"] == []


async def test_a_request_logged_in_the_page_becomes_a_card_that_another_person_sees(
    sandbox: Sandbox,
) -> None:
    state = await sandbox.state()
    channel = sandbox.channel(state, "cq-scheduling")
    await sandbox.act("command", user=FRONT_DESK, channel=channel, command="/intake", text="")
    await sandbox.workspace.stub.wait_for_call("views.open")
    view_id = (await sandbox.state())["views"][0]["id"]
    status, answer = await sandbox.act(
        "view_submit",
        user=FRONT_DESK,
        view_id=view_id,
        values={
            "intake.patient_ref": "MRN-1",
            "intake.patient_name": "Sam Lee",
            "intake.phone": "555-201-4477",
            "intake.origin": "voicemail",
            "intake.lane": "scheduling",
            "intake.request_type": "scheduling|reschedule",
            "intake.summary": "Move Tuesday's visit",
        },
    )
    assert status == 200 and answer["response"]["response_action"] == "update"
    stub = sandbox.workspace.stub
    await stub.wait_until(lambda: len(stub.messages(channel)) == 1, timeout=10)
    seen = await sandbox.state(ASSISTANT, channel)
    assert seen["channel"]["messages"][0]["text"].startswith("CQ-1001 ")


async def test_a_played_slack_outage_stores_the_request_and_the_card_follows_slacks_return(
    sandbox: Sandbox,
) -> None:
    state = await sandbox.state()
    channel = sandbox.channel(state, "cq-scheduling")
    await sandbox.act("command", user=FRONT_DESK, channel=channel, command="/intake", text="")
    await sandbox.workspace.stub.wait_for_call("views.open")
    view_id = (await sandbox.state())["views"][0]["id"]

    status, _ = await sandbox.act("slack", action="down")
    assert status == 200 and (await sandbox.state())["slack"]["down"] is True
    status, answer = await sandbox.act(
        "view_submit",
        user=FRONT_DESK,
        view_id=view_id,
        values={
            "intake.patient_ref": "MRN-1",
            "intake.patient_name": "Sam Lee",
            "intake.phone": "555-201-4477",
            "intake.origin": "voicemail",
            "intake.lane": "scheduling",
            "intake.request_type": "scheduling|reschedule",
            "intake.summary": "Move Tuesday's visit",
        },
    )
    assert status == 200 and answer["response"]["response_action"] == "update"
    stub = sandbox.workspace.stub
    await stub.wait_until(lambda: len(stub.calls_to("chat.postMessage")) >= 1, timeout=10)
    # The app learns Slack is down from the outbox's failed post and a check that follows.
    down = await sandbox.state()
    for _ in range(50):
        if down["slack"]["health"] == "unreachable":
            break
        await asyncio.sleep(0.1)
        down = await sandbox.state()
    assert stub.messages(channel) == []
    assert down["slack"]["waiting"] >= 1
    assert down["slack"]["health"] == "unreachable"

    await sandbox.act("slack", action="up")
    await stub.wait_until(lambda: len(stub.messages(channel)) == 1, timeout=15)
    assert stub.messages(channel)[0].text.startswith("CQ-1001 ")


async def test_claim_answer_is_shown_only_to_the_person_who_typed_it(sandbox: Sandbox) -> None:
    state = await sandbox.state()
    channel = sandbox.channel(state, "cq-billing")
    status, answer = await sandbox.act(
        "command", user=FRONT_DESK, channel=channel, command="/claim", text="CQ-4242"
    )
    assert status == 200 and "CQ-4242" in answer["response"]["text"]
    mine = await sandbox.state(FRONT_DESK, channel)
    theirs = await sandbox.state(ASSISTANT, channel)
    assert any("CQ-4242" in e["text"] for e in mine["ephemerals"])
    assert theirs["ephemerals"] == []


async def test_clock_control_moves_the_apps_clock_forward(sandbox: Sandbox) -> None:
    before = datetime.fromisoformat((await sandbox.state())["clock"]["now"])
    status, _ = await sandbox.act("clock", action="advance", minutes=60)
    assert status == 200
    after = datetime.fromisoformat((await sandbox.state())["clock"]["now"])
    assert timedelta(minutes=60) <= after - before < timedelta(minutes=61)
    assert sandbox.workspace.deps is not None
    assert sandbox.workspace.deps.clock.now() - after < timedelta(seconds=5)


async def test_moving_the_clock_brings_waiting_items_back_at_once(demo_sandbox: Sandbox) -> None:
    """Check-backs tick every minute; the clock control makes them look now instead."""
    workspace = demo_sandbox.workspace
    deps = workspace.deps
    assert deps is not None
    async with deps.uow() as tx:
        # Not the red-flagged chest pain: unanswered, that one is escalated at the jump.
        key = await tx.session.scalar(
            select(ItemRow.key).where(ItemRow.red_flags == "").order_by(ItemRow.id).limit(1)
        )
    assert key is not None
    await deps.services.claim(item_key=key, actor=FRONT_DESK)
    check_back = tomorrow_at_eight(workspace.practice, deps.clock.now())
    await deps.work.wait_on(
        item_key=key, actor=FRONT_DESK, waiting_for=WaitingParty.PAYER, check_back_at=check_back
    )
    dm = workspace.stub.channel_id(FRONT_DESK)

    status, _ = await demo_sandbox.act("clock", action="tomorrow_8")

    assert status == 200
    # Well inside the minute between ticks: the DM that the item is back arrives.
    await workspace.stub.wait_until(
        lambda: any(key in m.text for m in workspace.stub.messages(dm)), timeout=20
    )
    item = await deps.services.get(key)
    assert item is not None and item.status.value == "claimed" and item.owner == FRONT_DESK


async def test_bad_requests_from_the_page_are_answered_400(sandbox: Sandbox) -> None:
    status, answer = await sandbox.act("clock", action="backwards")
    assert status == 400 and not answer["ok"]
    status, answer = await sandbox.act("click", user=FRONT_DESK)
    assert status == 400 and "channel" in answer["error"]


async def test_demo_posts_forty_requests_through_the_intake_api(
    demo_sandbox: Sandbox,
) -> None:
    deps = demo_sandbox.workspace.deps
    assert deps is not None
    async with deps.uow() as tx:
        count = await tx.session.scalar(select(func.count()).select_from(ItemRow))
        creators = set(await tx.session.scalars(select(ItemRow.created_by)))
        lanes = set(await tx.session.scalars(select(ItemRow.lane)))
        languages = set(await tx.session.scalars(select(ItemRow.language)))
        deliveries = await tx.session.scalar(select(func.count()).select_from(ApiDeliveryRow))
        missed = list(
            await tx.session.scalars(
                select(ItemRow.patient_name).where(ItemRow.origin == "missed_call")
            )
        )
    [token] = await deps.intake_api.tokens()
    assert token.name == DEMO_INTEGRATION
    assert count == REQUESTS
    assert creators == {f"api:{token.id}"}
    assert lanes == set(demo_sandbox.workspace.practice.lanes)
    assert "Spanish" in languages
    assert deliveries == REQUESTS
    # Most missed calls arrive with only a phone number, for staff to identify.
    assert missed.count("") >= 2
    now = deps.clock.now().astimezone(demo_sandbox.workspace.practice.timezone)
    assert (now.hour, now.minute) >= (8, 5) and now.hour < 9


def practice() -> Practice:
    return load_practice(EXAMPLE_PRACTICE)


def test_closing_time_is_today_at_five_during_the_day() -> None:
    monday_ten = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    closes = closing_time(practice(), monday_ten).astimezone(practice().timezone)
    assert (closes.date().isoformat(), closes.hour) == ("2026-11-23", 17)


def test_closing_time_after_hours_is_the_next_working_days() -> None:
    # The example practice closes for Thanksgiving and the Friday after it.
    wednesday_night = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
    closes = closing_time(practice(), wednesday_night).astimezone(practice().timezone)
    assert closes.isoformat() == "2026-11-30T17:00:00-05:00"


def test_tomorrow_at_eight_is_local_eight_the_next_day() -> None:
    at = tomorrow_at_eight(practice(), datetime(2026, 11, 23, 22, 0, tzinfo=UTC))
    assert at.astimezone(practice().timezone).isoformat() == "2026-11-24T08:00:00-05:00"


def test_opening_this_morning_on_a_saturday_is_mondays() -> None:
    saturday = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)
    opens = opening_this_morning(practice(), saturday).astimezone(practice().timezone)
    assert opens.isoformat() == "2026-11-30T08:00:00-05:00"


def test_the_cast_includes_everyone_the_practice_file_names() -> None:
    cast = {p.id: p.title for p in people_for(practice())}
    assert cast["U0MANAGER1"] == "Practice manager"
    assert cast["U0NURSE01"] == "Nurse"
    assert cast["U0FRONT02"] == "Front desk (Spanish)"
    assert cast["U0RECORDS1"] == "Records team"
    assert cast["UFRONT01"] == "Front desk" and cast["UASSIST01"] == "Virtual assistant"


def test_a_lanes_staff_group_gets_an_invented_front_desk_member() -> None:
    example = practice()
    roles = dataclasses.replace(example.roles, staff={"scheduling": ("S0SCHEDULERS",)})
    cast = {p.id: p.title for p in people_for(dataclasses.replace(example, roles=roles))}

    assert cast["U0SCHEDULERS"] == "Front desk"


async def test_a_user_group_in_the_practice_file_gets_an_invented_member_in_the_stub() -> None:
    example = practice()
    nurse, *others = example.roles.clinical
    roles = dataclasses.replace(
        example.roles, clinical=(dataclasses.replace(nurse, members=("S0NURSES",)), *others)
    )
    with_group = dataclasses.replace(example, roles=roles)
    cast = people_for(with_group)
    async with SlackStub() as stub:
        Workspace(stub, with_group, OffsetClock(), cast).set_up()
        client = AsyncWebClient(token="xoxb-test", base_url=stub.base_url)
        members = (await client.usergroups_users_list(usergroup="S0NURSES"))["users"]

    assert members == ["U0NURSES"]
    assert {p.id: p.title for p in cast}["U0NURSES"] == "Nurse"
    assert "S0NURSES" not in {p.id for p in cast}


async def test_a_message_typed_in_the_page_is_escaped_as_slack_does(sandbox: Sandbox) -> None:
    state = await sandbox.state()
    channel = sandbox.channel(state, "phone-voicemails")
    status, _ = await sandbox.act(
        "post", user=FRONT_DESK, channel=channel, text="<!channel> call <https://x.example|me> & co"
    )
    assert status == 200
    message = (await sandbox.state(FRONT_DESK, channel))["channel"]["messages"][-1]
    assert message["text"] == "&lt;!channel&gt; call &lt;https://x.example|me&gt; &amp; co"


async def test_messages_are_stamped_by_the_sandbox_clock(sandbox: Sandbox) -> None:
    await sandbox.act("clock", action="advance", minutes=180)
    state = await sandbox.state()
    channel = sandbox.channel(state, "phone-voicemails")
    await sandbox.act("post", user=FRONT_DESK, channel=channel, text="hello")
    message = (await sandbox.state(FRONT_DESK, channel))["channel"]["messages"][-1]
    now = datetime.fromisoformat((await sandbox.state())["clock"]["now"]).timestamp()
    assert abs(float(message["ts"]) - now) < 5


async def test_opening_home_before_the_app_has_one_is_not_an_error(sandbox: Sandbox) -> None:
    status, answer = await sandbox.act("home_opened", user=FRONT_DESK)
    assert status == 200 and answer["ok"]


async def test_demo_requests_carry_when_each_patient_called_overnight(
    demo_sandbox: Sandbox,
) -> None:
    deps = demo_sandbox.workspace.deps
    assert deps is not None
    practice, now = demo_sandbox.workspace.practice, deps.clock.now()
    async with deps.uow() as tx:
        rows = (
            await tx.session.execute(
                select(ItemRow.lane, ItemRow.origin, ItemRow.received_at, ItemRow.due_at)
            )
        ).all()
    scheduling = practice.lane("scheduling")
    todays_close = sla.due_at(now, scheduling.target_for(Origin.VOICEMAIL), practice.calendar)

    assert len(rows) == REQUESTS
    assert all(now - timedelta(hours=14) <= row.received_at < now for row in rows)
    same_day = [r for r in rows if r.lane == "scheduling" and r.origin == Origin.VOICEMAIL]
    assert same_day
    # Voicemails left overnight in a same-day lane are due at today's close.
    assert {row.due_at for row in same_day} == {todays_close}
    tz = practice.timezone
    assert todays_close.astimezone(tz).date() == now.astimezone(tz).date()
    assert not sla.is_open(todays_close, practice.calendar)
    assert sla.is_open(todays_close - timedelta(minutes=1), practice.calendar)


async def test_to_closing_time_posts_the_digest_in_the_managers_channel(
    demo_sandbox: Sandbox,
) -> None:
    workspace = demo_sandbox.workspace
    stub = workspace.stub
    managers = stub.channel_id(workspace.practice.managers_channel)

    status, _ = await demo_sandbox.act("clock", action="closing")

    assert status == 200

    def digests() -> list[Any]:
        # The aging job's alerts share the channel (twice the target): pick the digest.
        return [m for m in stub.messages(managers) if m.text.startswith("End-of-day digest")]

    await stub.wait_until(lambda: len(digests()) >= 1, timeout=30)
    (digest,) = digests()
    assert digest.text.startswith(f"End-of-day digest: {REQUESTS} open")
    assert "End of day" in str(digest.blocks)


async def test_to_opening_time_posts_the_next_mornings_summary_in_the_managers_channel(
    demo_sandbox: Sandbox,
) -> None:
    workspace = demo_sandbox.workspace
    stub = workspace.stub
    managers = stub.channel_id(workspace.practice.managers_channel)
    tz = workspace.practice.timezone
    today = workspace.clock.now().astimezone(tz).date()

    # The demo's own morning is summarised once its night has arrived. (The demo's day is
    # today's: on a Monday the weekly metrics are posted beside it.)
    def summaries() -> list[StoredMessage]:
        return [m for m in stub.messages(managers) if m.text.startswith("Morning summary")]

    await stub.wait_until(lambda: len(summaries()) >= 1, timeout=30)
    (first,) = summaries()
    # However many came before the close (Wednesday closes late), the chest pain is there.
    assert re.fullmatch(
        r"Morning summary: \d+ arrived since close, 1 red flags open, 0 escalations open",
        first.text,
    )
    assert "🚩 red flag" in str(first.blocks)
    assert f"Good morning · {today:%a %b} {today.day}" in str(first.blocks)

    status, answer = await demo_sandbox.act("clock", action="opening")

    assert status == 200
    opened = datetime.fromisoformat(answer["response"]["now"]).astimezone(tz)
    assert opened.date() > today and sla.is_open(opened, workspace.practice.calendar)
    assert (opened.hour, opened.minute) == (8, 0)
    header = f"Good morning · {opened:%a %b} {opened.day}"
    await stub.wait_until(
        lambda: any(header in str(m.blocks) for m in stub.messages(managers)), timeout=30
    )
    (summary,) = [m for m in stub.messages(managers) if header in str(m.blocks)]
    assert summary.text.startswith("Morning summary: 0 arrived since close")
    # The close the jump passed posted that day's digest.
    assert any(m.text.startswith("End-of-day digest") for m in stub.messages(managers))


async def test_to_closing_time_re_renders_the_cards_that_are_overdue_now(
    demo_sandbox: Sandbox,
) -> None:
    """The overnight voicemails are due by today's close: the aging job, run at once by the
    clock control, edits their cards to say overdue."""
    stub = demo_sandbox.workspace.stub
    scheduling = stub.channel_id(demo_sandbox.workspace.practice.lane("scheduling").channel)

    def overdue_cards() -> list[Any]:
        cards = [m for m in stub.messages(scheduling) if not m.is_reply]
        return [card for card in cards if "overdue" in str(card.blocks) and card.edited]

    await stub.wait_until(lambda: len(stub.messages(scheduling)) >= 1, timeout=30)
    assert overdue_cards() == []
    status, _ = await demo_sandbox.act("clock", action="closing")

    assert status == 200
    await stub.wait_until(lambda: len(overdue_cards()) >= 1, timeout=30)
