"""A running clinic for scenario tests: the real app over HTTP, the stub Web API, signed requests.

Nothing is patched: the app is built as `carequeue run` builds it, its Web API base URL
points at the stub, and the outbox is drained explicitly with the manual clock, so a
Retry-After is honoured by moving time, not by sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
from collections.abc import AsyncIterator, Awaitable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

import pytest
from aiohttp import web

from blocks.ids import ActionId, Command, FieldId, More, more_value
from bot.app import build_app
from bot.clock import ManualClock
from bot.config import Practice, settings_from_env
from bot.deps import Deps, build_deps
from bot.domain.lanes import Privacy
from bot.domain.practice import ALL_LANES
from bot.outbox import DrainReport
from bot.server import build_web_app
from sandbox.side.elements import state_values
from sandbox.side.interactions import SlackSide
from sandbox.side.payloads import Payloads
from sandbox.side.wire import SlackResponse
from sandbox.stub.records import APP_ID, TEAM_DOMAIN, TEAM_ID, StoredMessage
from sandbox.stub.server import SlackStub

T = TypeVar("T")

SIGNING_SECRET = "scenario-signing-secret"
FRONT_DESK = "UFRONT01"
ASSISTANT = "UASSIST01"
MANAGER = "U0MANAGER1"


@dataclass
class Clinic:
    """One practice's Slack workspace and CareQueue, as staff and tests see them."""

    stub: SlackStub
    slack: SlackSide
    deps: Deps
    clock: ManualClock
    app_url: str
    patients: int = 0

    @property
    def practice(self) -> Practice:
        return self.deps.practice

    async def deliver(self) -> DrainReport:
        """Let the outbox send everything it can, moving the clock past any wait (after the
        clicks already answered have committed)."""
        await self.settled()
        return await self.deps.outbox.drain_until_idle(advance=self.clock.advance)

    async def settled(self) -> None:
        """Wait until button clicks the app answered at once have committed."""
        async with asyncio.timeout(10):
            await self.deps.after_ack.idle()

    def channel(self, lane: str) -> str:
        return self.stub.channel_id(self.practice.lane(lane).channel)

    def cards(self, lane: str) -> list[StoredMessage]:
        return self.stub.messages(self.channel(lane))

    def card_of(self, lane: str, key: str) -> StoredMessage:
        found = [m for m in self.cards(lane) if m.text.startswith(f"{key} ")]
        assert len(found) == 1, f"expected one card for {key}, found {len(found)}"
        return found[0]

    async def then_wait_for(self, method: str, request: Awaitable[T], count: int = 1) -> T:
        """Send `request`, then wait until the app has made `count` more calls to `method`.

        The app answers Slack at ack(); what it does next (an ephemeral, a views.update)
        happens after the HTTP response, so tests await it instead of assuming it.
        """
        before = len(self.stub.calls_to(method))
        result = await request
        await self.stub.wait_for_call(method, count=before + count, timeout=10)
        return result

    async def open_from_card(
        self, user: str, key: str, action: str, lane: str = "scheduling"
    ) -> dict[str, Any]:
        """`user` clicks the `action` button on the item's card; returns the modal it opened,
        once filled in (the loading modal is replaced by views.update)."""
        card = self.card_of(lane, key)
        await self.then_wait_for(
            "views.update", self.slack.click_button(user, card.channel, card.ts, action, key)
        )
        return self.stub.open_views(user)[-1]

    async def open_from_menu(
        self, user: str, key: str, what: More, lane: str = "scheduling"
    ) -> dict[str, Any]:
        """`user` picks `what` in the card's More menu (the ⋯ beside a closed card's line);
        returns the modal it opened, once filled in."""
        card = self.card_of(lane, key)
        chosen = more_value(what, key)
        await self.then_wait_for(
            "views.update",
            self.slack.select_option(user, card.channel, card.ts, ActionId.MORE, chosen),
        )
        return self.stub.open_views(user)[-1]

    def replies(self, card: StoredMessage) -> list[StoredMessage]:
        """The card's thread entries, without the card itself."""
        return [m for m in self.stub.thread(card.channel, card.ts) if m.ts != card.ts]

    def captured_submission(
        self, user: str, view_id: str, values: Mapping[str, Any] | None = None
    ) -> str:
        """The raw body Slack sends when `user` submits the open modal `view_id` filled in
        with `values` (block_id -> value): what someone who captured it could replay."""
        payloads = Payloads(
            self.stub,
            team_id=TEAM_ID,
            team_domain=TEAM_DOMAIN,
            api_app_id=APP_ID,
            clock=lambda: 0.0,  # a view submission carries no action time
        )
        view = payloads.open_view_of(user, view_id)
        view["state"] = {"values": state_values(view, dict(values or {}))}
        payload = {
            **payloads.envelope("view_submission", user),
            "trigger_id": self.stub.new_trigger_id(user),
            "view": view,
            "response_urls": [],
        }
        return urlencode({"payload": json.dumps(payload)})

    async def open_intake(self, user: str = FRONT_DESK, text: str = "") -> str:
        """Type /intake; return the id of the modal it opened."""
        response = await self.then_wait_for(
            "views.open", self.slack.slash_command(user, Command.INTAKE, text=text)
        )
        assert response.status == 200
        views = self.stub.open_views(user)
        assert views, "/intake opened no modal"
        return views[-1]["id"]

    async def submit_intake(self, user: str = FRONT_DESK, **fields: Any) -> SlackResponse:
        """Submit the intake modal; each call is a different patient unless `fields` say."""
        self.patients += 1
        values = {**DEFAULT_REQUEST, FieldId.PATIENT_REF: f"MRN-{20430 + self.patients}"}
        values.update(fields)
        view_id = await self.open_intake(user)
        return await self.slack.submit_view(
            user, view_id, {k: v for k, v in values.items() if v is not None}
        )

    async def log_request(self, user: str = FRONT_DESK, **fields: Any) -> str:
        """Log a valid request through the modal; return its item key."""
        before = await self._latest_key()
        response = await self.submit_intake(user, **fields)
        assert response.status == 200 and "errors" not in (response.json or {}), response.body
        await self.settled()  # a save slower than the ack budget commits after the answer
        key = await self._latest_key()
        assert key != before
        return key

    async def _latest_key(self) -> str | None:
        async with self.deps.uow() as tx:
            from sqlalchemy import select

            from storage.models import ItemRow

            return await tx.session.scalar(select(ItemRow.key).order_by(ItemRow.id.desc()))


DEFAULT_REQUEST: dict[str, Any] = {
    FieldId.PATIENT_REF: "MRN-20431",
    FieldId.PATIENT_NAME: "Jane Q. Doe",
    FieldId.PHONE: "(555) 201-4477",
    FieldId.ORIGIN: "voicemail",
    FieldId.LANE: "scheduling",
    FieldId.REQUEST_TYPE: "scheduling|reschedule",
    FieldId.SUMMARY: "Needs to move Tuesday's appointment to later in the week",
    FieldId.LANGUAGE: "English",
}


async def start_clinic(
    database_url: str,
    practice: Practice,
    clock: ManualClock,
    stub: SlackStub,
    env: Mapping[str, str] | None = None,
) -> tuple[Clinic, web.AppRunner]:
    settings = settings_from_env(
        {
            "SLACK_BOT_TOKEN": "xoxb-scenario",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            **(env or {}),
        },
        database_url=database_url,
        slack_api_url=stub.base_url,
        port=0,
    )
    deps = build_deps(settings, practice=practice, clock=clock)
    web_app = build_web_app(deps, build_app(deps), http_events=True, run_outbox=False)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    app_url = f"http://127.0.0.1:{port}/slack/events"
    slack = SlackSide(app_url=app_url, signing_secret=SIGNING_SECRET, stub=stub)
    return Clinic(stub=stub, slack=slack, deps=deps, clock=clock, app_url=app_url), runner


async def stop_clinic(clinic: Clinic, runner: web.AppRunner) -> None:
    await clinic.slack.close()
    await runner.cleanup()
    await clinic.deps.close()


@pytest.fixture
async def stub() -> AsyncIterator[SlackStub]:
    async with SlackStub() as running:
        for user, name in [
            (FRONT_DESK, "ana"),
            (ASSISTANT, "bo"),
            (MANAGER, "maria"),
            ("U0NURSE01", "nina"),
        ]:
            running.add_user(user, name)
        yield running
        running.assert_no_problems()


@pytest.fixture
async def clinic(
    database_url: str, example_practice: Practice, clock: ManualClock, stub: SlackStub
) -> AsyncIterator[Clinic]:
    running, runner = await start_clinic(database_url, example_practice, clock, stub)
    yield running
    await stop_clinic(running, runner)


def with_privacy(practice: Practice, level: Privacy) -> Practice:
    return dataclasses.replace(practice, privacy=level)


def with_staff(practice: Practice, *people: str) -> Practice:
    """`practice` with `people` among the staff of every lane (the practice file's `all`)."""
    staff = dict(practice.roles.staff or {})
    staff[ALL_LANES] = (*staff.get(ALL_LANES, ()), *people)
    return dataclasses.replace(practice, roles=dataclasses.replace(practice.roles, staff=staff))


@contextlib.asynccontextmanager
async def running(
    database_url: str, practice: Practice, clock: ManualClock, stub: SlackStub
) -> AsyncIterator[Clinic]:
    """A clinic on `practice` (the example with a change of the test's) for one test."""
    clinic, runner = await start_clinic(database_url, practice, clock, stub)
    try:
        yield clinic
    finally:
        await stop_clinic(clinic, runner)
