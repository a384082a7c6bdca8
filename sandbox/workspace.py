"""`carequeue sandbox`: the real app in HTTP mode, and a local Slack workspace in a browser.

The workspace is the stub Web API the tests use, plus a page (sandbox/static/) and
JSON routes the page calls. A click in the page becomes exactly what Slack would send —
a signed request from SlackSide to the app's /slack/events — and what the app writes
back lands in the stub, which the page renders. It listens on 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import secrets
import signal
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from aiohttp import web

from bot.app import build_app
from bot.clock import OffsetClock
from bot.config import Practice, Settings, settings_from_env
from bot.deps import Deps, build_deps
from bot.domain import sla
from bot.jobs import MORNING, Jobs
from bot.roles import group_ids, is_group
from bot.server import JOBS_KEY, build_web_app
from sandbox.demo import DEMO_INTEGRATION, seed_demo
from sandbox.side.interactions import SlackSide
from sandbox.side.wire import SlackResponse
from sandbox.stub.records import StoredMessage
from sandbox.stub.server import SlackStub
from storage.db import create_engine, is_sqlite
from storage.migrate import upgrade

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
MANIFEST = Path(__file__).resolve().parents[1] / "app-manifest.yml"
LOOPBACK = "127.0.0.1"
PHONE_CHANNEL = "#phone-voicemails"
# Invented names for the people the practice file names by Slack id only.
CAST_NAMES = ["Luis Ortega", "Maria Lopez", "Nina Patel", "Omar Reyes", "Grace Kim", "Tess Ward"]


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    real_name: str
    title: str
    groups: tuple[str, ...] = ()  # the user groups (S…) the person stands in for


def people_for(practice: Practice) -> list[Person]:
    """The cast: two front-desk staff and an assistant, plus everyone the practice file names,
    and for each user group it names one invented member (U… for S…)."""
    cast = [
        Person("UFRONT01", "ana", "Ana Ruiz", "Front desk"),
        Person("UASSIST01", "bo", "Bo Chen", "Virtual assistant"),
    ]
    seen = {p.id for p in cast}

    def add(slack_id: str, title: str) -> None:
        groups = (slack_id,) if is_group(slack_id) else ()
        user_id = f"U{slack_id[1:]}" if groups else slack_id
        if user_id in seen or not user_id.startswith(("U", "W")):
            return
        seen.add(user_id)
        real_name = CAST_NAMES[(len(cast) - 2) % len(CAST_NAMES)]
        cast.append(Person(user_id, real_name.split()[0].lower(), real_name, title, groups))

    for language, members in practice.roles.bilingual.items():
        for member in members:
            add(member, f"Front desk ({language})")
    for title, by_lane in (
        ("Front desk", practice.roles.staff or {}),
        ("Assistant", practice.roles.assistants),
    ):
        for members in by_lane.values():
            for member in members:
                add(member, title)
    for manager in sorted(practice.roles.managers):
        add(manager, "Practice manager")
    for level in practice.roles.clinical:
        for member in level.members:
            add(member, level.level.replace("_", " ").capitalize())
    for team, members in practice.roles.teams.items():
        for member in members:
            add(member, f"{team.replace('_', ' ').capitalize()} team")
    return cast


def opening_this_morning(practice: Practice, now: datetime) -> datetime:
    """The start of the practice's working day: today's opening if open today, else the next."""
    local = now.astimezone(practice.timezone)
    midnight = datetime.combine(local.date(), time.min, tzinfo=practice.timezone)
    return sla.next_opening(midnight, practice.calendar)


def closing_time(practice: Practice, now: datetime) -> datetime:
    """The next moment the practice closes (end of the current or next open period)."""
    opening = sla.next_opening(now, practice.calendar)
    local = opening.astimezone(practice.timezone)
    hours = practice.calendar.hours[local.weekday()]
    closes = datetime.combine(local.date(), hours.closes, tzinfo=practice.timezone)
    return max(closes, now)


def next_opening_time(practice: Practice, now: datetime) -> datetime:
    """The next time the practice opens after the current open period (or now, if closed)."""
    after = now if not sla.is_open(now, practice.calendar) else closing_time(practice, now)
    return sla.next_opening(after, practice.calendar)


def tomorrow_at_eight(practice: Practice, now: datetime) -> datetime:
    local = now.astimezone(practice.timezone)
    return datetime.combine(local.date() + timedelta(days=1), time(8), tzinfo=practice.timezone)


class Workspace:
    """The page's JSON routes over the stub, acting through SlackSide as each person."""

    def __init__(
        self, stub: SlackStub, practice: Practice, clock: OffsetClock, people: list[Person]
    ) -> None:
        self.stub = stub
        self.practice = practice
        self.clock = clock
        self.people = people
        self.side: SlackSide | None = None
        self.deps: Deps | None = None
        self.jobs: Jobs | None = None
        self._local_changes = 0
        self.channels: list[str] = []
        manifest = yaml.safe_load(MANIFEST.read_text()) if MANIFEST.exists() else {}
        features = (manifest or {}).get("features", {})
        self.commands = features.get("slash_commands", [])
        self.shortcuts = features.get("shortcuts", [])

    def set_up(self) -> None:
        """Create the people and channels before the app starts talking."""
        for person in self.people:
            self.stub.add_user(person.id, person.name, real_name=person.real_name)
        for group in group_ids(self.practice):
            members = [person.id for person in self.people if group in person.groups]
            self.stub.add_usergroup(group, group.lower(), members)
        names = [lane.channel for lane in self.practice.lanes.values()]
        names += [self.practice.managers_channel, self.practice.clinical_channel, PHONE_CHANNEL]
        for name in names:
            if name not in self.channels:
                self.stub.channel_id(name)
                self.channels.append(name)
        for person in self.people:
            self.stub.channel_id(person.id)  # the app's DM with each person

    def attach(self, web_app: web.Application) -> None:
        web_app.router.add_get("/", self._index)
        web_app.router.add_static("/static/", STATIC)
        web_app.router.add_get("/sandbox/state", self._state)
        for name, handler in {
            "command": self._command,
            "post": self._post,
            "click": self._click,
            "select": self._select,
            "view_submit": self._view_submit,
            "view_close": self._view_close,
            "view_action": self._view_action,
            "shortcut": self._shortcut,
            "message_shortcut": self._message_shortcut,
            "home_opened": self._home_opened,
            "clock": self._clock,
            "slack": self._slack,
        }.items():
            web_app.router.add_post(f"/sandbox/{name}", self._guarded(handler))

    # -- reading ---------------------------------------------------------------------------

    @property
    def version(self) -> int:
        return len(self.stub.calls) + self._local_changes

    def _person(self, user_id: str) -> Person | None:
        return next((p for p in self.people if p.id == user_id), None)

    def _message_json(self, message: StoredMessage, replies: bool = True) -> dict[str, Any]:
        person = self._person(message.user or "")
        thread = (
            [
                self._message_json(m, replies=False)
                for m in self.stub.thread(message.channel, message.ts)
                if m.ts != message.ts
            ]
            if replies
            else []
        )
        return {
            "ts": message.ts,
            "user": message.user,
            "user_name": "CareQueue" if message.bot_id else (person.real_name if person else ""),
            "is_bot": bool(message.bot_id),
            "text": message.text,
            "blocks": message.blocks,
            "files": message.files,
            "edited": bool(message.edited),
            "thread_ts": message.thread_ts,
            "replies": thread,
        }

    def _channel_json(self, name_or_id: str, kind: str, label: str) -> dict[str, Any]:
        cid = self.stub.channel_id(name_or_id)
        return {
            "id": cid,
            "name": label,
            "kind": kind,
            "message_count": len(self.stub.messages(cid)),
        }

    def state(self, user: str, channel: str | None) -> dict[str, Any]:
        now = self.clock.now()
        local = now.astimezone(self.practice.timezone)
        channels = [
            self._channel_json(name, "channel", name.removeprefix("#")) for name in self.channels
        ]
        dms = [self._channel_json(user, "im", "CareQueue")]
        current = None
        ephemerals: list[dict[str, Any]] = []
        if channel:
            known = next((c for c in channels + dms if c["id"] == channel), None)
            if known is not None:
                current = {
                    **known,
                    "messages": [self._message_json(m) for m in self.stub.messages(channel)],
                }
                ephemerals = [
                    {**asdict(e), "user_name": "CareQueue", "is_bot": True, "replies": []}
                    for e in self.stub.ephemerals(user)
                    if e.channel == channel
                ]
        return {
            "practice": {"name": self.practice.name, "timezone": str(self.practice.timezone)},
            "clock": {"now": now.isoformat(), "label": local.strftime("%a %b %-d, %-I:%M %p %Z")},
            "me": user,
            "users": [asdict(p) for p in self.people],
            "channels": channels,
            "dms": dms,
            "channel": current,
            "ephemerals": ephemerals,
            "views": self.stub.open_views(user),
            "home": self.stub.home_view(user),
            "commands": self.commands,
            "shortcuts": self.shortcuts,
            "version": self.version,
        }

    # -- routes ----------------------------------------------------------------------------

    async def _index(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "index.html")

    async def _state(self, request: web.Request) -> web.Response:
        user = request.query.get("user") or self.people[0].id
        state = self.state(user, request.query.get("channel"))
        return web.json_response({**state, "slack": await self.slack_state()})

    async def slack_state(self) -> dict[str, Any]:
        """Whether the imitation plays a Slack outage, what the app makes of Slack, and the
        Slack writes still waiting in its outbox (they go once Slack is back)."""
        state: dict[str, Any] = {"down": self.stub.faults.down}
        if self.deps is not None:
            async with self.deps.uow.read() as tx:
                counts = await tx.outbox.counts()
            state.update(
                health=str(self.deps.slack.health),
                waiting=counts.get("pending", 0),
                dead=counts.get("dead", 0),
            )
        return state

    def _guarded(self, handler: Any) -> Any:
        async def guarded(request: web.Request) -> web.Response:
            try:
                body = await request.json()
                answer = await handler(body)
            except (LookupError, ValueError, TypeError) as err:
                return web.json_response({"ok": False, "error": str(err)}, status=400)
            self._local_changes += 1
            return web.json_response({"ok": True, "response": answer})

        return guarded

    @property
    def _side(self) -> SlackSide:
        if self.side is None:
            raise ValueError("the app is not running yet")
        return self.side

    @staticmethod
    def _answer(response: SlackResponse) -> Any:
        if response.status >= 400:
            raise ValueError(f"the app answered HTTP {response.status}")
        return response.json

    async def _command(self, body: dict[str, Any]) -> Any:
        user, channel = body["user"], body["channel"]
        response = await self._side.slash_command(
            user, body["command"], text=body.get("text", ""), channel=channel
        )
        answer = self._answer(response)
        if isinstance(answer, dict) and (answer.get("text") or answer.get("blocks")):
            # Slack shows a command's immediate answer to the person who typed it.
            url = self.stub.new_response_url(channel=channel, user=user)
            async with aiohttp.ClientSession() as session:
                await session.post(url, json={"response_type": "ephemeral", **answer})
        return answer

    async def _post(self, body: dict[str, Any]) -> Any:
        text = str(body["text"]).strip()
        if not text:
            raise ValueError("an empty message")
        # Slack escapes what people type: a typed <!channel> or <https://x|y> stays text.
        text = html.escape(text, quote=False)
        message = self.stub.add_message(
            body["channel"], text, user=body["user"], thread_ts=body.get("thread_ts")
        )
        return {"ts": message.ts}

    async def _click(self, body: dict[str, Any]) -> Any:
        response = await self._side.click_button(
            body["user"],
            body["channel"],
            body["ts"],
            body["action_id"],
            body.get("value"),
            block_id=body.get("block_id"),
            as_last_seen=True,
        )
        return self._answer(response)

    async def _select(self, body: dict[str, Any]) -> Any:
        args = (body["user"], body["channel"], body["ts"], body["action_id"], body["value"])
        if body.get("kind") == "users_select":
            response = await self._side.select_user(*args, block_id=body.get("block_id"))
        else:
            response = await self._side.select_option(*args, block_id=body.get("block_id"))
        return self._answer(response)

    async def _view_submit(self, body: dict[str, Any]) -> Any:
        values = body.get("values") or {}
        return self._answer(await self._side.submit_view(body["user"], body["view_id"], values))

    async def _view_close(self, body: dict[str, Any]) -> Any:
        response = await self._side.close_view(body["user"], body["view_id"])
        if response is None:
            self.stub.close_view(body["view_id"])
            return None
        return self._answer(response)

    async def _view_action(self, body: dict[str, Any]) -> Any:
        response = await self._side.act_in_view(
            body["user"],
            body["view_id"],
            body["action_id"],
            body.get("value"),
            kind=body.get("kind") or "button",
            block_id=body.get("block_id"),
            values=body.get("values"),
        )
        return self._answer(response)

    async def _shortcut(self, body: dict[str, Any]) -> Any:
        return self._answer(await self._side.global_shortcut(body["user"], body["callback_id"]))

    async def _message_shortcut(self, body: dict[str, Any]) -> Any:
        response = await self._side.message_shortcut(
            body["user"], body["callback_id"], body["channel"], body["ts"]
        )
        return self._answer(response)

    async def _home_opened(self, body: dict[str, Any]) -> Any:
        response = await self._side.app_home_opened(body["user"])
        # An app without a Home tab has no listener for the event: Bolt answers 404, and
        # Slack shrugs. The page then says no Home tab was published.
        return None if response.status == 404 else self._answer(response)

    async def _clock(self, body: dict[str, Any]) -> Any:
        now = self.clock.now()
        action = body.get("action")
        if action == "advance":
            minutes = int(body.get("minutes", 0))
            if not 0 < minutes <= 7 * 24 * 60:
                raise ValueError("advance by 1 minute to 7 days")
            self.clock.advance(timedelta(minutes=minutes))
        elif action == "closing":
            self.clock.advance(closing_time(self.practice, now) - now)
        elif action == "opening":
            self.clock.advance(next_opening_time(self.practice, now) - now)
        elif action == "tomorrow_8":
            self.clock.advance(tomorrow_at_eight(self.practice, now) - now)
        else:
            raise ValueError(f"unknown clock action {action!r}")
        if self.deps is not None:
            self.deps.outbox.wake()
        if self.jobs is not None:
            self.jobs.run_soon()  # what came due at the new time happens now, not in a minute
        return {"now": self.clock.now().isoformat()}

    async def _slack(self, body: dict[str, Any]) -> Any:
        """Play a Slack outage, or end it: requests are still stored and acknowledged
        meanwhile, and the cards follow within seconds of Slack's return."""
        action = body.get("action")
        if action not in ("down", "up"):
            raise ValueError(f"unknown Slack action {action!r}")
        self.stub.set_outage(action == "down")
        if self.deps is not None:
            self.deps.outbox.wake()
        return {"down": self.stub.faults.down}


async def run_sandbox(
    settings: Settings,
    practice: Practice,
    *,
    demo: bool,
    on_ready: Callable[[str, Workspace], None] = lambda url, workspace: None,
    stop: asyncio.Event | None = None,
) -> None:
    """Run the workspace page on `settings.port` and the app beside it until `stop` is set
    (or SIGINT/SIGTERM); `on_ready` gets the page's URL and the workspace once all is up."""
    clock = OffsetClock()
    if demo:
        clock.set(opening_this_morning(practice, clock.now()) + timedelta(minutes=5))
    people = people_for(practice)
    # Messages are stamped by the sandbox clock, so cards and the clock control agree.
    stub = SlackStub(port=settings.port, time_source=lambda: clock.now().timestamp())
    workspace = Workspace(stub, practice, clock, people)
    workspace.attach(stub.app)
    await stub.start()
    workspace.set_up()

    with tempfile.TemporaryDirectory(prefix="carequeue-sandbox-") as folder:
        database_url = settings.database_url
        if settings.is_default_sqlite:
            database_url = f"sqlite+aiosqlite:///{Path(folder) / 'sandbox.db'}"
        secret = secrets.token_hex(16)
        app_settings = settings_from_env(
            {"SLACK_BOT_TOKEN": "xoxb-sandbox", "SLACK_SIGNING_SECRET": secret},
            database_url=database_url,
            slack_api_url=stub.base_url,
            practice_file=settings.practice_file,
        )
        if is_sqlite(database_url):
            engine = create_engine(database_url)
            await upgrade(engine)
            await engine.dispose()
        deps = build_deps(app_settings, practice=practice, clock=clock)
        workspace.deps = deps
        web_app = build_web_app(deps, build_app(deps), http_events=True)
        workspace.jobs = web_app[JOBS_KEY]
        if demo:
            # The morning summary waits for the demo's night to arrive, so that it shows it.
            workspace.jobs.scheduler.pause_job(MORNING)
        runner = web.AppRunner(web_app)
        await runner.setup()
        site = web.TCPSite(runner, LOOPBACK, 0)
        await site.start()
        app_port = runner.addresses[0][1]
        workspace.side = SlackSide(
            app_url=f"http://{LOOPBACK}:{app_port}/slack/events", signing_secret=secret, stub=stub
        )
        if demo:
            _, token = await deps.intake_api.create_token(DEMO_INTEGRATION)
            keys = await seed_demo(f"http://{LOOPBACK}:{app_port}", token, practice, clock.now())
            log.info(
                "demo: %d requests posted to the intake API (%s … %s)",
                len(keys),
                keys[0],
                keys[-1],
            )
            workspace.jobs.scheduler.resume_job(MORNING)
            workspace.jobs.run_soon()
        stop = stop or asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signum, stop.set)
        on_ready(f"{stub.root_url.rstrip('/')}/", workspace)
        try:
            await stop.wait()
        finally:
            await workspace.side.close()
            await runner.cleanup()
            await deps.close()
            await stub.stop()
