"""A local stand-in for the Slack Web API that records, checks and answers calls like Slack.

Point ``AsyncWebClient(base_url=stub.base_url)`` at it (tests, and later the local sandbox
page). It keeps channels, messages, ephemerals and views in memory; checks every payload
against Block Kit limits (``blocks.validate``, which the builders' tests use too) and the
arguments Slack's Web API spec requires (a table committed in ``sandbox/conformance/``); and
can inject rate limits, server errors and withheld responses. It binds 127.0.0.1 only.

It also plays Slack's side of Socket Mode: ``apps.connections.open`` (app-level ``xapp-``
token) answers a ``ws://`` URL on the same server, the stub greets each connection with
``hello``, and ``send_envelope`` delivers an envelope and awaits the app's ack.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import itertools
import json
import logging
import math
import re
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from http import HTTPStatus
from pathlib import Path
from typing import Any, Self
from zoneinfo import ZoneInfo

from aiohttp import WSCloseCode, WSMsgType, web
from slack_sdk.web.async_client import AsyncWebClient

from blocks.validate import message_problems, view_problems

logger = logging.getLogger(__name__)

WEB_API_REQUIRED_PARAMS = Path(__file__).parent / "conformance" / "web_api_required_params.json"
"""Every method in Slack's Web API spec with the arguments it requires (see its README)."""

TEAM_ID = "T0CAREQ"
TEAM_DOMAIN = "carequeue"
BOT_USER_ID = "UBOT"
BOT_ID = "B0CAREQ"
APP_ID = "A0CAREQ"
DEFAULT_TZ = "America/New_York"

TRIGGER_TTL_SECONDS = 3.0
RESPONSE_URL_TTL_SECONDS = 30 * 60
RESPONSE_URL_MAX_USES = 5
MAX_MODAL_STACK = 3

TEXT_REQUIRED_WITH_BLOCKS = frozenset(
    {"chat.postMessage", "chat.update", "chat.postEphemeral", "chat.scheduleMessage"}
)

APP_TOKEN_METHODS = frozenset({"apps.connections.open"})
"""Methods that take the app-level token (``xapp-``) and refuse every other kind."""
SOCKET_ACK_TIMEOUT_SECONDS = 5.0
"""How long ``send_envelope`` waits for an ack by default (Slack itself allows 3 s)."""
SOCKET_CLOSE_TIMEOUT_SECONDS = 2.0
ENVELOPE_TYPES = frozenset({"slash_commands", "interactive", "events_api"})

_CHANNEL_ID = re.compile(r"^[CDG][A-Z0-9]+$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]+$")
_JSON_ARGS = ("blocks", "view", "metadata", "attachments")


# --------------------------------------------------------------------------- records


@dataclass
class Call:
    """One Web API call the stub received, with what it answered."""

    method: str
    args: dict[str, Any]
    at: float
    response: dict[str, Any]
    status: int


@dataclass
class SocketEnvelope:
    """One Socket Mode envelope the stub sent, and the ack the app answered it with."""

    envelope_id: str
    type: str
    payload: dict[str, Any]
    accepts_response_payload: bool
    sent_at: float
    ack: dict[str, Any] | None = None


@dataclass
class StoredMessage:
    """A message as the stub holds it; ``history`` keeps the versions before each update."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None = None
    metadata: dict[str, Any] | None = None
    user: str = BOT_USER_ID
    edited: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    bot_id: str | None = BOT_ID
    edited_ts: str | None = None
    reply_broadcast: bool = False

    @property
    def is_reply(self) -> bool:
        """True for a message in a thread other than the thread's parent."""
        return self.thread_ts is not None and self.thread_ts != self.ts


@dataclass
class StoredEphemeral:
    """An ephemeral message: visible only to ``user``; ``via`` says how it was sent."""

    channel: str
    user: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None = None
    via: str = "chat.postEphemeral"
    edited: int = 0


@dataclass
class StoredChannel:
    """A conversation: public or private channel, DM (``is_im``) or group DM."""

    id: str
    name: str
    created: int
    is_im: bool = False
    is_mpim: bool = False
    is_private: bool = False
    user: str | None = None
    members: set[str] = field(default_factory=set)


@dataclass
class _Fault:
    status: int
    retry_after: int
    error: str


@dataclass
class _ResponseUrl:
    channel: str
    user: str
    issued_at: float
    message_ts: str | None = None
    uses: int = 0


class _SlackError(Exception):
    """Raised inside a method handler: becomes ``{"ok": false, "error": ...}``."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


# --------------------------------------------------------------------------- spec conformance


@lru_cache(maxsize=1)
def _load_required_params() -> dict[str, tuple[str, ...]]:
    """Method name -> arguments Slack's spec marks required (token aside)."""
    table = json.loads(WEB_API_REQUIRED_PARAMS.read_text(encoding="utf-8"))
    return {method: tuple(names) for method, names in table.items()}


@lru_cache(maxsize=1)
def _slack_sdk_methods() -> frozenset[str]:
    """Every Web API method AsyncWebClient can call (covers methods newer than the spec)."""
    try:
        source = inspect.getsource(AsyncWebClient)
    except (OSError, TypeError):
        source = ""
    names = set(re.findall(r'api_call\(\s*"([A-Za-z0-9_.]+)"', source))
    if not names:  # no source available: derive from the method names instead
        names = {
            name.replace("_", ".")
            for name, _ in inspect.getmembers(AsyncWebClient, inspect.iscoroutinefunction)
            if not name.startswith("_")
        }
    return frozenset(names)


# --------------------------------------------------------------------------- small helpers


def _flag(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


def _int(value: object, default: int) -> int:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return default


def _ts_key(ts: object) -> Decimal:
    try:
        return Decimal(str(ts))
    except InvalidOperation as exc:
        raise _SlackError("invalid_ts_oldest") from exc


def _short_hash(*parts: str, length: int = 10) -> str:
    digest = hashlib.sha1(":".join(parts).encode(), usedforsecurity=False).hexdigest()
    return digest[:length].upper()


def fill_block_ids(blocks: list[dict[str, Any]], seed: str) -> list[dict[str, Any]]:
    """Copy of blocks with a block_id on each, as Slack fills in missing ones."""
    out = []
    for index, block in enumerate(blocks):
        copy = json.loads(json.dumps(block))
        if isinstance(copy, dict) and not copy.get("block_id"):
            copy["block_id"] = _short_hash(seed, str(index), length=5)
        out.append(copy)
    return out


def _copy(value: Any) -> Any:
    return json.loads(json.dumps(value))


def _channel_kind(channel: StoredChannel) -> str:
    """The ``types`` value conversations.list filters this conversation by."""
    if channel.is_im:
        return "im"
    if channel.is_mpim:
        return "mpim"
    return "private_channel" if channel.is_private else "public_channel"


# --------------------------------------------------------------------------- the stub


class SlackStub:
    """An in-memory Slack workspace behind a local Web API endpoint.

    Use ``async with SlackStub() as stub`` (or ``await stub.start()`` / ``await stub.stop()``)
    and give ``stub.base_url`` to ``AsyncWebClient``. ``time_source`` (epoch seconds) drives
    message timestamps and trigger/response_url ages, so tests can age a ``trigger_id``.
    ``strict_channels`` makes unknown channel ids answer ``channel_not_found`` instead of
    being created on first use.
    """

    def __init__(
        self,
        *,
        port: int = 0,
        time_source: Callable[[], float] = time.time,
        strict_channels: bool = False,
    ) -> None:
        self.calls: list[Call] = []
        self.problems: list[str] = []
        self.app = web.Application()
        """The aiohttp app; a sandbox page may add its own routes before ``start()``."""
        self.app.router.add_route("*", "/api/{method}", self._handle_api)
        self.app.router.add_post("/response_url/{rid}", self._handle_response_url)
        self.app.router.add_get("/socket/{ticket}", self._handle_socket)
        self.envelopes: list[SocketEnvelope] = []
        """Socket Mode envelopes sent so far, each with the ack the app answered."""

        self._port = port
        self._now = time_source
        self._strict_channels = strict_channels
        self._required = _load_required_params()
        self._runner: web.AppRunner | None = None
        self._root_url: str | None = None
        self._changed = asyncio.Condition()
        self._faults: dict[str, deque[_Fault]] = {}
        self._holds: dict[str, asyncio.Event] = {}
        self._drops: dict[str, int] = {}
        self._post_limit: float | None = None
        self._last_post_at: dict[str, float] = {}
        self._stopping = False
        self._socket_tickets: set[str] = set()
        self._sockets: list[web.WebSocketResponse] = []
        self._pending_acks: dict[
            str, tuple[web.WebSocketResponse, asyncio.Future[dict[str, Any]], SocketEnvelope]
        ] = {}

        self._channels: dict[str, StoredChannel] = {}
        self._channel_by_name: dict[str, str] = {}
        self._messages: dict[str, list[StoredMessage]] = {}
        self._by_ts: dict[tuple[str, str], StoredMessage] = {}
        self._ephemerals: list[StoredEphemeral] = []
        self._users: dict[str, dict[str, Any]] = {}
        self._usergroups: dict[str, dict[str, Any]] = {}
        self._views: dict[str, dict[str, Any]] = {}
        self._view_user: dict[str, str] = {}
        self._modal_stacks: dict[str, list[str]] = {}
        self._home: dict[str, str] = {}
        self._external_ids: dict[str, str] = {}
        self._triggers: dict[str, tuple[float, str | None]] = {}
        self._used_triggers: set[str] = set()
        self._response_urls: dict[str, _ResponseUrl] = {}
        self._last_ts_us = 0
        self._ids = itertools.count(1)

        self.add_user(BOT_USER_ID, "carequeue", real_name="CareQueue", is_bot=True)
        self._handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "apps.connections.open": self._apps_connections_open,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.getPermalink": self._chat_get_permalink,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "conversations.join": self._conversations_join,
            "conversations.open": self._conversations_open,
            "conversations.info": self._conversations_info,
            "conversations.list": self._conversations_list,
            "conversations.members": self._conversations_members,
            "users.info": self._users_info,
            "users.list": self._users_list,
            "users.lookupByEmail": self._users_lookup_by_email,
            "usergroups.list": self._usergroups_list,
            "usergroups.users.list": self._usergroups_users_list,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
        }

    # ------------------------------------------------------------------ life cycle

    async def start(self) -> None:
        """Serve on 127.0.0.1 (the port given, or a free one)."""
        self._stopping = False
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self._port)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self._root_url = f"http://{host}:{port}"
        logger.info("slack stub listening on %s", self._root_url)

    async def stop(self) -> None:
        """Release withheld responses, close Socket Mode connections, shut the server down.

        Sockets are closed with 1001 (going away) and new ones refused meanwhile, so a
        client that reconnects on close does not slip in before the server is gone.
        Envelopes still awaiting an ack fail with ConnectionError.
        """
        self._stopping = True
        for event in self._holds.values():
            event.set()
        self._holds.clear()
        for socket in list(self._sockets):
            await socket.close(code=WSCloseCode.GOING_AWAY, message=b"stub stopping")
        self._fail_pending_acks(None, "the stub stopped")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def root_url(self) -> str:
        """``http://127.0.0.1:PORT`` of the running stub."""
        if self._root_url is None:
            raise RuntimeError("SlackStub is not started")
        return self._root_url

    @property
    def base_url(self) -> str:
        """The Web API base URL to give ``AsyncWebClient(base_url=...)``."""
        return f"{self.root_url}/api/"

    # ------------------------------------------------------------------ recorded calls and problems

    def calls_to(self, method: str) -> list[Call]:
        """Every recorded call to ``method`` (``"response_url"`` for response_url posts)."""
        return [c for c in self.calls if c.method == method]

    def add_problem(self, problem: str) -> None:
        """Record something Slack would have rejected or that a test should fail on."""
        logger.warning("slack stub problem: %s", problem)
        self.problems.append(problem)

    def take_problems(self) -> list[str]:
        """Return and forget the problems so far (for tests that provoke them on purpose)."""
        taken, self.problems = self.problems, []
        return taken

    def assert_no_problems(self) -> None:
        """Raise AssertionError listing every invalid call the stub saw."""
        if self.problems:
            listing = "\n".join(f"- {p}" for p in self.problems)
            raise AssertionError(f"the Slack stub saw {len(self.problems)} problem(s):\n{listing}")

    # A built-in bounded wait keeps a forgotten call from hanging a test run.
    async def wait_for_call(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[Call]:
        """Wait until ``count`` calls to ``method`` were recorded; return those calls."""
        await self.wait_until(lambda: len(self.calls_to(method)) >= count, timeout=timeout)
        return self.calls_to(method)

    async def wait_until(
        self,
        predicate: Callable[[], bool],
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> None:
        """Wait until ``predicate()`` holds; it is re-checked whenever a call is recorded."""
        try:
            async with asyncio.timeout(timeout), self._changed:
                await self._changed.wait_for(predicate)
        except TimeoutError:
            seen = ", ".join(c.method for c in self.calls[-10:]) or "none"
            raise TimeoutError(f"condition not met within {timeout}s; last calls: {seen}") from None

    # ------------------------------------------------------------------ fault injection

    def fail_next(
        self,
        method: str,
        *,
        times: int = 1,
        status: int = 429,
        retry_after: int = 2,
        error: str = "ratelimited",
    ) -> None:
        """Make the next ``times`` calls to ``method`` fail without being applied.

        429 answers ``Retry-After: retry_after`` and ``{"ok": false, "error": error}``;
        5xx answers a plain-text body; any other status a JSON error body.
        """
        queue = self._faults.setdefault(method, deque())
        queue.extend(_Fault(status, retry_after, error) for _ in range(times))

    def clear_faults(self) -> None:
        """Forget every fault still queued by ``fail_next`` and ``drop_after_apply``."""
        self._faults.clear()
        self._drops.clear()

    def drop_after_apply(self, method: str, *, times: int = 1) -> None:
        """Apply and record the next ``times`` calls to ``method``, then drop the connection
        without answering: Slack processed it, the caller never hears so."""
        self._drops[method] = self._drops.get(method, 0) + times

    def limit_posts_per_channel(self, seconds: float | None) -> None:
        """Answer ``chat.postMessage`` 429 (Retry-After, whole seconds as Slack sends it)
        when the previous accepted post to the same channel was less than ``seconds`` ago
        by the wall clock; None lifts the limit. Slack's own limit is about one a second."""
        self._post_limit = seconds
        self._last_post_at.clear()

    def hold(self, method: str) -> None:
        """Apply and record calls to ``method`` but withhold the HTTP answer until release."""
        self._holds.setdefault(method, asyncio.Event())

    def release(self, method: str) -> None:
        """Send the withheld answers to ``method`` and stop withholding."""
        event = self._holds.pop(method, None)
        if event is not None:
            event.set()

    # ------------------------------------------------------------------ Socket Mode

    @property
    def socket_url(self) -> str:
        """``ws://127.0.0.1:PORT/socket/`` (``apps.connections.open`` adds a ticket)."""
        return f"ws{self.root_url.removeprefix('http')}/socket/"

    @property
    def socket_count(self) -> int:
        """How many Socket Mode connections are open now."""
        return len(self._live_sockets())

    async def socket_connected(
        self,
        timeout: float = SOCKET_ACK_TIMEOUT_SECONDS,  # noqa: ASYNC109
        count: int = 1,
    ) -> None:
        """Wait until at least ``count`` Socket Mode connections are open (hello sent)."""
        await self.wait_until(lambda: self.socket_count >= count, timeout=timeout)

    async def send_envelope(
        self,
        type: str,
        payload: Mapping[str, Any],
        accepts_response_payload: bool = True,
        *,
        retry_attempt: int | None = None,
        retry_reason: str | None = None,
        timeout: float = SOCKET_ACK_TIMEOUT_SECONDS,  # noqa: ASYNC109
    ) -> dict[str, Any]:
        """Send an envelope to the newest open connection; return the app's ack message.

        ``type`` is ``slash_commands``, ``interactive`` or ``events_api``. The ack is the
        JSON the app sent back, ``{"envelope_id": ..., "payload": {...}?}``. Raises
        RuntimeError when no app is connected, TimeoutError when no ack arrives within
        ``timeout`` (Bolt sends none when its listener fails or is missing), and
        ConnectionError when the connection closes first.
        """
        if type not in ENVELOPE_TYPES:
            raise ValueError(f"unknown envelope type {type!r}; use one of {sorted(ENVELOPE_TYPES)}")
        sockets = self._live_sockets()
        if not sockets:
            raise RuntimeError("no Socket Mode connection is open: is the app connected?")
        socket = sockets[-1]
        envelope = SocketEnvelope(
            envelope_id=str(uuid.uuid4()),
            type=type,
            payload=_copy(dict(payload)),
            accepts_response_payload=accepts_response_payload,
            sent_at=self._now(),
        )
        message: dict[str, Any] = {
            "envelope_id": envelope.envelope_id,
            "type": type,
            "payload": envelope.payload,
            "accepts_response_payload": accepts_response_payload,
        }
        if retry_attempt is not None:
            message["retry_attempt"] = retry_attempt
            message["retry_reason"] = retry_reason or ""
        ack: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending_acks[envelope.envelope_id] = (socket, ack, envelope)
        self.envelopes.append(envelope)
        try:
            await socket.send_json(message)
            async with asyncio.timeout(timeout):
                return await ack
        except TimeoutError:
            raise TimeoutError(
                f"no ack for {type} envelope {envelope.envelope_id} within {timeout}s"
            ) from None
        finally:
            self._pending_acks.pop(envelope.envelope_id, None)

    def _live_sockets(self) -> list[web.WebSocketResponse]:
        return [s for s in self._sockets if not s.closed]

    def _fail_pending_acks(self, socket: web.WebSocketResponse | None, reason: str) -> None:
        """Fail the acks awaited on ``socket`` (on every socket when None)."""
        for sent_on, ack, envelope in list(self._pending_acks.values()):
            if (socket is None or sent_on is socket) and not ack.done():
                ack.set_exception(
                    ConnectionError(f"{reason} before {envelope.type} envelope was acked")
                )

    # ------------------------------------------------------------------ workspace set-up

    def add_user(
        self,
        user_id: str,
        name: str,
        real_name: str | None = None,
        *,
        tz: str = DEFAULT_TZ,
        email: str | None = None,
        is_bot: bool = False,
    ) -> None:
        """Add (or replace) a member of the workspace."""
        self._users[user_id] = {
            "id": user_id,
            "name": name,
            "real_name": real_name or name,
            "tz": tz,
            "email": email,
            "is_bot": is_bot,
        }

    def ensure_user(self, user_id: str) -> dict[str, Any]:
        """The user's record, adding a plain one if the user is new to the stub."""
        if user_id not in self._users:
            self.add_user(user_id, user_id.lower())
        return self._users[user_id]

    def add_usergroup(self, usergroup_id: str, handle: str, users: Iterable[str]) -> None:
        """Add a user group (``usergroups.users.list`` answers its members)."""
        self._usergroups[usergroup_id] = {"id": usergroup_id, "handle": handle, "users": [*users]}

    def add_channel(
        self, name: str, channel_id: str | None = None, *, is_private: bool = False
    ) -> str:
        """Create a channel (id derived from the name unless given); return its id."""
        name = name.lstrip("#")
        if name in self._channel_by_name:
            return self._channel_by_name[name]
        cid = channel_id or f"{'G' if is_private else 'C'}{_short_hash('channel', name)}"
        self._channels[cid] = StoredChannel(
            id=cid, name=name, created=int(self._now()), is_private=is_private
        )
        self._channel_by_name[name] = cid
        self._messages.setdefault(cid, [])
        return cid

    def add_message(
        self,
        channel: str,
        text: str,
        *,
        user: str,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
    ) -> StoredMessage:
        """Store a message a person wrote (e.g. one a message shortcut is used on)."""
        cid = self.channel_id(channel)
        self.ensure_user(user)
        message = StoredMessage(
            channel=cid,
            ts=self._next_ts(),
            text=text,
            blocks=blocks or [],
            thread_ts=thread_ts,
            user=user,
            bot_id=None,
        )
        self._store(message)
        return message

    # ------------------------------------------------------------------ state for tests

    def channel_id(self, name_or_id: str) -> str:
        """The id for ``#name``/``name``/an id; a user id gives the app's DM with that user."""
        value = name_or_id.strip()
        if _USER_ID.match(value):
            return self._dm_channel(value)
        if _CHANNEL_ID.match(value):
            if value not in self._channels:
                self._register_channel_id(value)
            return value
        return self.add_channel(value)

    def _known_channel(self, name_or_id: str) -> str | None:
        """Like channel_id() but never creates a channel (so reading has no side effects)."""
        value = name_or_id.strip()
        if _USER_ID.match(value):
            cid: str | None = f"D{value[1:]}"
        elif _CHANNEL_ID.match(value):
            cid = value
        else:
            cid = self._channel_by_name.get(value.lstrip("#"))
        return cid if cid in self._channels else None

    def channel_name(self, channel_id: str) -> str:
        """The name Slack shows in payloads (``directmessage`` for DMs)."""
        channel = self._channels.get(channel_id)
        if channel is None:
            return channel_id.lower()
        if channel.is_im:
            return "directmessage"
        return channel.name

    def messages(
        self, channel: str, *, include_thread_replies: bool = False
    ) -> list[StoredMessage]:
        """Messages in a channel in the order they were posted (top level only by default)."""
        stored = self._messages.get(self._known_channel(channel) or "", [])
        return [m for m in stored if include_thread_replies or not m.is_reply]

    def message(self, channel: str, ts: str) -> StoredMessage | None:
        """The message with this ts in this channel (top level or reply), if any."""
        return self._by_ts.get((self._known_channel(channel) or "", ts))

    def thread(self, channel: str, ts: str) -> list[StoredMessage]:
        """A thread's parent followed by its replies, oldest first."""
        cid = self._known_channel(channel) or ""
        parent = self._by_ts.get((cid, ts))
        if parent is None:
            return []
        replies = [m for m in self._messages.get(cid, []) if m.is_reply and m.thread_ts == ts]
        return [parent, *replies]

    def ephemerals(self, user: str | None = None) -> list[StoredEphemeral]:
        """Ephemeral messages, all or only those shown to ``user``."""
        return [e for e in self._ephemerals if user is None or e.user == user]

    def ephemeral(self, channel: str, ts: str) -> StoredEphemeral | None:
        """The ephemeral message with this ts in this channel, if any."""
        cid = self._known_channel(channel)
        return next((e for e in self._ephemerals if e.channel == cid and e.ts == ts), None)

    def open_views(self, user: str | None = None) -> list[dict[str, Any]]:
        """Modals currently open (root first), for one user or everyone."""
        users = [user] if user is not None else list(self._modal_stacks)
        return [_copy(self._views[v]) for u in users for v in self._modal_stacks.get(u, [])]

    def view(self, view_id: str) -> dict[str, Any]:
        """The full view (modal or home) as Slack holds it; KeyError if unknown."""
        return _copy(self._views[view_id])

    def view_owner(self, view_id: str) -> str:
        """The user a view was opened for."""
        return self._view_user[view_id]

    def home_view(self, user: str) -> dict[str, Any] | None:
        """The App Home view last published for ``user``."""
        view_id = self._home.get(user)
        return None if view_id is None else self.view(view_id)

    def message_payload(self, channel: str, ts: str) -> dict[str, Any]:
        """A stored message shaped as Slack shows it in payloads and history."""
        message = self.message(channel, ts)
        if message is None:
            raise KeyError(f"no message {ts} in {channel}")
        return self._message_json(message, include_metadata=True)

    # ------------------------------------------------------------------ what Slack issues

    def new_trigger_id(self, user: str | None = None) -> str:
        """Issue a trigger_id (valid 3 s, once) as Slack does with each interaction."""
        serial = next(self._ids)
        secret = _short_hash("trigger", str(serial), length=32).lower()
        trigger_id = f"{int(self._now())}{serial:03d}.{serial}.{secret}"
        self._triggers[trigger_id] = (self._now(), user)
        return trigger_id

    def new_response_url(self, *, channel: str, user: str, message_ts: str | None = None) -> str:
        """Issue a response_url (30 min, 5 uses) pointing back at the stub."""
        serial = next(self._ids)
        rid = f"{serial}-{_short_hash('response_url', str(serial), length=16).lower()}"
        self._response_urls[rid] = _ResponseUrl(
            channel=self.channel_id(channel),
            user=user,
            issued_at=self._now(),
            message_ts=message_ts,
        )
        return f"{self.root_url}/response_url/{rid}"

    # ------------------------------------------------------------------ view changes a user causes

    def close_view(self, view_id: str) -> None:
        """Close one modal (the user pressed Close, or a submission answered empty)."""
        user = self._view_user.get(view_id)
        stack = self._modal_stacks.get(user or "", [])
        if view_id in stack:
            del stack[stack.index(view_id) :]

    def clear_views(self, user: str) -> None:
        """Close every modal the user has open."""
        self._modal_stacks.pop(user, None)

    def replace_view(self, view_id: str, view: Mapping[str, Any]) -> dict[str, Any] | None:
        """Apply ``response_action: update``: the view keeps its id; None if it is invalid."""
        problems = view_problems(dict(view), expected_type=self._views[view_id]["type"])
        if problems:
            for p in problems:
                self.add_problem(f"response_action update: {p}")
            return None
        return _copy(self._replace_view(view_id, dict(view)))

    def push_view(self, user: str, view: Mapping[str, Any]) -> dict[str, Any] | None:
        """Apply ``response_action: push`` on the user's open modal; None if refused."""
        problems = view_problems(dict(view), expected_type="modal")
        if problems:
            for p in problems:
                self.add_problem(f"response_action push: {p}")
            return None
        try:
            return _copy(self._push_modal(user, dict(view)))
        except _SlackError as exc:
            self.add_problem(f"response_action push: {exc.error}")
            return None

    # ------------------------------------------------------------------ HTTP handling

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        try:
            args, token = await self._read_args(request)
        except _SlackError as exc:
            args, token = {}, None
            status, body, headers = 200, {"ok": False, "error": exc.error}, {}
        else:
            status, body, headers = self._answer(method, args, token)
        if status == 200 and body.get("ok") and self._drops.get(method, 0) > 0:
            self._drops[method] -= 1
            self.calls.append(Call(method, args, self._now(), body, status))
            async with self._changed:
                self._changed.notify_all()
            if request.transport is not None:
                request.transport.abort()  # applied, never answered
            return web.Response(status=200)
        return await self._finish(method, args, status, body, headers)

    async def _handle_socket(self, request: web.Request) -> web.StreamResponse:
        """One Socket Mode connection: greet it with ``hello``, then read acks until it closes."""
        if self._stopping:
            return web.Response(status=503, text="the stub is stopping")
        if request.match_info["ticket"] not in self._socket_tickets:
            return web.Response(status=404, text="unknown Socket Mode ticket")
        socket = web.WebSocketResponse(timeout=SOCKET_CLOSE_TIMEOUT_SECONDS)  # pongs pings
        await socket.prepare(request)
        self._sockets.append(socket)
        try:
            await socket.send_json(
                {
                    "type": "hello",
                    "num_connections": self.socket_count,
                    "debug_info": {
                        "host": "applink-stub",
                        "build_number": 1,
                        "approximate_connection_time": 18060,
                    },
                    "connection_info": {"app_id": APP_ID},
                }
            )
            await self._notify()
            async for frame in socket:
                if frame.type == WSMsgType.TEXT:
                    self._take_ack(frame.data)
                elif frame.type == WSMsgType.BINARY:
                    self.add_problem("socket mode: the app sent a binary frame, not JSON text")
        finally:
            self._sockets.remove(socket)
            self._fail_pending_acks(socket, "the connection closed")
            await self._notify()
        return socket

    def _take_ack(self, data: str) -> None:
        """Match an ack the app sent to the envelope awaiting it."""
        try:
            message = json.loads(data)
        except ValueError:
            message = None
        if not isinstance(message, dict) or not isinstance(message.get("envelope_id"), str):
            self.add_problem(f"socket mode: the app sent something that is not an ack: {data!r}")
            return
        envelope_id = message["envelope_id"]
        pending = self._pending_acks.get(envelope_id)
        if pending is None:
            self.add_problem(f"socket mode: ack for unknown or expired envelope {envelope_id}")
            return
        _, ack, envelope = pending
        payload = message.get("payload")
        if payload is not None and not isinstance(payload, dict):
            self.add_problem(f"socket mode: ack payload for {envelope.type} is not an object")
        if payload is not None and not envelope.accepts_response_payload:
            self.add_problem(
                f"socket mode: ack for {envelope.type} carries a payload, "
                "but the envelope does not accept one"
            )
        envelope.ack = _copy(message)
        if not ack.done():
            ack.set_result(message)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _handle_response_url(self, request: web.Request) -> web.StreamResponse:
        rid = request.match_info["rid"]
        try:
            payload = await request.json()
        except ValueError:
            payload = None
        args = payload if isinstance(payload, dict) else {}
        if payload is None or not isinstance(payload, dict):
            status, body, headers = 400, {"ok": False, "error": "invalid_payload"}, {}
        elif (fault := self._take_fault("response_url")) is not None:
            status, body, headers = fault
        else:
            try:
                status, body, headers = 200, self._apply_response_url(rid, args), {}
            except _SlackError as exc:
                status, body, headers = 200, {"ok": False, "error": exc.error, **exc.extra}, {}
        return await self._finish(
            "response_url", {**args, "response_url_id": rid}, status, body, headers
        )

    async def _finish(
        self,
        method: str,
        args: dict[str, Any],
        status: int,
        body: dict[str, Any],
        headers: dict[str, str],
    ) -> web.StreamResponse:
        self.calls.append(Call(method, args, self._now(), body, status))
        logger.debug("slack stub %s -> %s %s", method, status, body.get("error", "ok"))
        async with self._changed:
            self._changed.notify_all()
        held = self._holds.get(method)
        if held is not None:
            await held.wait()
        if status >= 500:
            return web.Response(status=status, text=body["error"], headers=headers)
        return web.json_response(body, status=status, headers=headers)

    async def _read_args(self, request: web.Request) -> tuple[dict[str, Any], str | None]:
        args: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError as exc:
                    raise _SlackError("invalid_json") from exc
                if not isinstance(body, dict):
                    raise _SlackError("invalid_json")
                args.update(body)
            elif request.content_type in (
                "application/x-www-form-urlencoded",
                "multipart/form-data",
            ):
                form = await request.post()
                for key, value in form.items():
                    args[key] = value if isinstance(value, str) else "(file)"
        token = args.pop("token", None)
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            token = auth.removeprefix("Bearer ").strip()
        for key in _JSON_ARGS:
            value = args.get(key)
            if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
                try:
                    args[key] = json.loads(value)
                except ValueError as exc:
                    raise _SlackError(f"invalid_{key}_format") from exc
        return args, token

    def _answer(
        self, method: str, args: dict[str, Any], token: str | None
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        if not token:
            return 200, {"ok": False, "error": "not_authed"}, {}
        if method in APP_TOKEN_METHODS:
            if not token.startswith("xapp-"):
                return 200, {"ok": False, "error": "not_allowed_token_type"}, {}
        elif token.startswith("xapp-"):
            return 200, {"ok": False, "error": "not_allowed_token_type"}, {}
        elif not token.startswith("xox"):
            return 200, {"ok": False, "error": "invalid_auth"}, {}
        fault = self._take_fault(method)
        if fault is not None:
            return fault
        limited = self._post_rate_limited(method, args)
        if limited is not None:
            return limited
        problems, error = self._conformance(method, args)
        if not problems:
            problems, error = self._payload_problems(method, args), "invalid_blocks"
        if problems:
            for p in problems:
                self.add_problem(f"{method}: {p}")
            return (
                200,
                {"ok": False, "error": error, "response_metadata": {"messages": problems}},
                {},
            )
        handler = self._handlers.get(method)
        if handler is None:
            return 200, {"ok": True}, {}
        try:
            return 200, handler(args), {}
        except _SlackError as exc:
            return 200, {"ok": False, "error": exc.error, **exc.extra}, {}

    def _post_rate_limited(
        self, method: str, args: dict[str, Any]
    ) -> tuple[int, dict[str, Any], dict[str, str]] | None:
        if method != "chat.postMessage" or self._post_limit is None:
            return None
        channel = str(args.get("channel", ""))
        now = time.monotonic()
        last = self._last_post_at.get(channel)
        if last is not None and now - last < self._post_limit:
            wait = max(1, math.ceil(self._post_limit - (now - last)))
            return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(wait)}
        self._last_post_at[channel] = now
        return None

    def _take_fault(self, method: str) -> tuple[int, dict[str, Any], dict[str, str]] | None:
        queue = self._faults.get(method)
        if not queue:
            return None
        fault = queue.popleft()
        if fault.status == 429:
            body = {"ok": False, "error": fault.error}
            return 429, body, {"Retry-After": str(fault.retry_after)}
        if fault.status >= 500:
            text = fault.error
            if text == "ratelimited":
                text = HTTPStatus(fault.status).phrase
            return fault.status, {"ok": False, "error": text}, {}
        return fault.status, {"ok": False, "error": fault.error}, {}

    def _conformance(self, method: str, args: dict[str, Any]) -> tuple[list[str], str]:
        required = self._required.get(method)
        if required is None:
            if method in _slack_sdk_methods():
                return [], ""
            return [
                f"unknown method {method!r} (not in Slack's spec or slack_sdk)"
            ], "unknown_method"
        missing = [name for name in required if args.get(name) in (None, "")]
        return [f"missing required argument {name!r}" for name in missing], "invalid_arguments"

    def _payload_problems(self, method: str, args: dict[str, Any]) -> list[str]:
        problems = message_problems(
            args.get("blocks"),
            args.get("text"),
            text_required=method in TEXT_REQUIRED_WITH_BLOCKS,
        )
        if args.get("view") is not None:
            expected = {"views.publish": "home", "views.open": "modal", "views.push": "modal"}
            problems.extend(view_problems(args["view"], expected_type=expected.get(method)))
        return problems

    # ------------------------------------------------------------------ storage internals

    def _next_ts(self) -> str:
        now_us = int(self._now() * 1_000_000)
        ts_us = max(now_us - now_us % 100, self._last_ts_us + 100)
        self._last_ts_us = ts_us
        return f"{ts_us // 1_000_000}.{ts_us % 1_000_000:06d}"

    def _register_channel_id(self, cid: str) -> StoredChannel:
        channel = StoredChannel(id=cid, name=cid.lower(), created=int(self._now()))
        self._channels[cid] = channel
        self._channel_by_name.setdefault(channel.name, cid)
        self._messages.setdefault(cid, [])
        return channel

    def _dm_channel(self, user: str) -> str:
        cid = f"D{user[1:]}"
        if cid not in self._channels:
            self._channels[cid] = StoredChannel(
                id=cid,
                name=cid,
                created=int(self._now()),
                is_im=True,
                is_private=True,
                user=user,
                members={user, BOT_USER_ID},
            )
            self._messages.setdefault(cid, [])
        return cid

    def _resolve_channel(self, value: object, *, allow_names: bool = True) -> str:
        if not isinstance(value, str) or not value.strip():
            raise _SlackError("channel_not_found")
        value = value.strip()
        if _USER_ID.match(value):
            return self._dm_channel(value)
        if _CHANNEL_ID.match(value):
            if value not in self._channels:
                if self._strict_channels:
                    raise _SlackError("channel_not_found")
                self._register_channel_id(value)
            return value
        if not allow_names:
            raise _SlackError("channel_not_found")
        name = value.lstrip("#")
        if self._strict_channels and name not in self._channel_by_name:
            raise _SlackError("channel_not_found")
        return self.add_channel(name)

    def _store(self, message: StoredMessage) -> None:
        if message.thread_ts is not None:
            parent = self._by_ts.get((message.channel, message.thread_ts))
            if parent is not None and parent.thread_ts not in (None, parent.ts):
                message.thread_ts = parent.thread_ts  # a reply to a reply joins the thread
            if parent is not None and parent.thread_ts is None:
                parent.thread_ts = parent.ts
        self._messages.setdefault(message.channel, []).append(message)
        self._by_ts[(message.channel, message.ts)] = message

    def _replies(self, parent: StoredMessage) -> list[StoredMessage]:
        return [
            m
            for m in self._messages.get(parent.channel, [])
            if m.is_reply and m.thread_ts == parent.ts
        ]

    def _message_json(self, message: StoredMessage, *, include_metadata: bool) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": "message",
            "user": message.user,
            "text": message.text,
            "ts": message.ts,
            "team": TEAM_ID,
        }
        if message.bot_id:
            out["bot_id"] = message.bot_id
            out["app_id"] = APP_ID
        if message.blocks:
            out["blocks"] = fill_block_ids(message.blocks, f"{message.channel}:{message.ts}")
        if message.thread_ts is not None:
            out["thread_ts"] = message.thread_ts
            if message.is_reply:
                parent = self._by_ts.get((message.channel, message.thread_ts))
                if parent is not None:
                    out["parent_user_id"] = parent.user
            else:
                replies = self._replies(message)
                out["reply_count"] = len(replies)
                out["reply_users"] = sorted({r.user for r in replies})
                out["reply_users_count"] = len(out["reply_users"])
                if replies:
                    out["latest_reply"] = replies[-1].ts
        if message.edited:
            out["edited"] = {"user": message.user, "ts": message.edited_ts}
        if include_metadata and message.metadata is not None:
            out["metadata"] = _copy(message.metadata)
        return out

    def _channel_json(self, channel: StoredChannel) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": channel.id,
            "created": channel.created,
            "is_archived": False,
            "is_im": channel.is_im,
            "is_mpim": channel.is_mpim,
            "is_private": channel.is_private,
            "is_org_shared": False,
        }
        if channel.is_im:
            out["user"] = channel.user
            out["is_open"] = True
            return out
        out.update(
            {
                "name": channel.name,
                "name_normalized": channel.name,
                "is_channel": not channel.is_private and not channel.is_mpim,
                "is_group": channel.is_private and not channel.is_mpim,
                "is_general": channel.name == "general",
                "is_member": BOT_USER_ID in channel.members,
                "num_members": len(channel.members),
            }
        )
        return out

    def _user_json(self, user: dict[str, Any]) -> dict[str, Any]:
        now = datetime.fromtimestamp(self._now(), ZoneInfo(user["tz"]))
        offset = now.utcoffset()
        label = now.tzname() or user["tz"]
        if user["tz"] == "America/New_York":
            label = "Eastern Daylight Time" if now.dst() else "Eastern Standard Time"
        profile: dict[str, Any] = {
            "real_name": user["real_name"],
            "real_name_normalized": user["real_name"],
            "display_name": user["name"],
            "display_name_normalized": user["name"],
            "team": TEAM_ID,
        }
        if user["email"]:
            profile["email"] = user["email"]
        return {
            "id": user["id"],
            "team_id": TEAM_ID,
            "name": user["name"],
            "deleted": False,
            "real_name": user["real_name"],
            "tz": user["tz"],
            "tz_label": label,
            "tz_offset": int(offset.total_seconds()) if offset else 0,
            "is_admin": False,
            "is_owner": False,
            "is_bot": user["is_bot"],
            "is_app_user": False,
            "profile": profile,
        }

    # ------------------------------------------------------------------ methods: auth, chat

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": "CareQueue Practice",
            "user": self._users[BOT_USER_ID]["name"],
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        ticket = uuid.uuid4().hex
        self._socket_tickets.add(ticket)
        return {"ok": True, "url": f"{self.socket_url}{ticket}"}

    def _chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        cid = self._resolve_channel(args.get("channel"))
        text, blocks = args.get("text") or "", args.get("blocks") or []
        if not text and not blocks and not args.get("attachments"):
            raise _SlackError("no_text")
        metadata = self._checked_metadata(args.get("metadata"))
        message = StoredMessage(
            channel=cid,
            ts=self._next_ts(),
            text=text,
            blocks=_copy(blocks),
            thread_ts=args.get("thread_ts") or None,
            metadata=metadata,
            reply_broadcast=_flag(args.get("reply_broadcast")),
        )
        self._store(message)
        return {
            "ok": True,
            "channel": cid,
            "ts": message.ts,
            "message": self._message_json(message, include_metadata=True),
        }

    def _checked_metadata(self, metadata: object) -> dict[str, Any] | None:
        if metadata in (None, ""):
            return None
        if (
            not isinstance(metadata, dict)
            or not isinstance(metadata.get("event_type"), str)
            or not isinstance(metadata.get("event_payload"), dict)
        ):
            self.add_problem("metadata needs a string event_type and an object event_payload")
            raise _SlackError("invalid_metadata_format")
        return _copy(metadata)

    def _find_message(self, args: dict[str, Any], ts_arg: str = "ts") -> StoredMessage:
        cid = self._resolve_channel(args.get("channel"), allow_names=False)
        message = self._by_ts.get((cid, str(args.get(ts_arg))))
        if message is None:
            raise _SlackError("message_not_found")
        return message

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        message = self._find_message(args)
        if not any(k in args for k in ("text", "blocks", "attachments", "metadata")):
            raise _SlackError("no_text")
        metadata = (
            self._checked_metadata(args["metadata"]) if "metadata" in args else message.metadata
        )
        message.history.append(
            {
                "text": message.text,
                "blocks": message.blocks,
                "metadata": message.metadata,
                "edited_ts": message.edited_ts,
            }
        )
        if "text" in args:
            message.text = args["text"] or ""
        if "blocks" in args:
            message.blocks = _copy(args["blocks"] or [])
        message.metadata = metadata
        message.edited += 1
        message.edited_ts = self._next_ts()
        return {
            "ok": True,
            "channel": message.channel,
            "ts": message.ts,
            "text": message.text,
            "message": self._message_json(message, include_metadata=True),
        }

    def _chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        message = self._find_message(args)
        self._messages[message.channel].remove(message)
        del self._by_ts[(message.channel, message.ts)]
        return {"ok": True, "channel": message.channel, "ts": message.ts}

    def _chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        cid = self._resolve_channel(args.get("channel"))
        user = str(args.get("user") or "")
        if not _USER_ID.match(user):
            raise _SlackError("user_not_found")
        text, blocks = args.get("text") or "", args.get("blocks") or []
        if not text and not blocks and not args.get("attachments"):
            raise _SlackError("no_text")
        ephemeral = StoredEphemeral(
            channel=cid,
            user=user,
            ts=self._next_ts(),
            text=text,
            blocks=_copy(blocks),
            thread_ts=args.get("thread_ts") or None,
        )
        self._ephemerals.append(ephemeral)
        return {"ok": True, "message_ts": ephemeral.ts}

    def _chat_get_permalink(self, args: dict[str, Any]) -> dict[str, Any]:
        message = self._find_message(args, ts_arg="message_ts")
        link = (
            f"https://{TEAM_DOMAIN}.slack.com/archives/{message.channel}/"
            f"p{message.ts.replace('.', '')}"
        )
        if message.is_reply:
            link += f"?thread_ts={message.thread_ts}&cid={message.channel}"
        return {"ok": True, "channel": message.channel, "permalink": link}

    # ------------------------------------------------------------------ methods: conversations

    def _page(
        self, items: list[Any], args: dict[str, Any], default_limit: int
    ) -> tuple[list[Any], str]:
        limit = max(1, _int(args.get("limit"), default_limit) or default_limit)
        start = _int(args.get("cursor"), 0)
        page = items[start : start + limit]
        next_cursor = str(start + limit) if start + limit < len(items) else ""
        return page, next_cursor

    def _window(self, messages: list[StoredMessage], args: dict[str, Any]) -> list[StoredMessage]:
        inclusive = _flag(args.get("inclusive"))
        oldest = args.get("oldest")
        latest = args.get("latest")
        out = []
        for m in messages:
            key = _ts_key(m.ts)
            if oldest not in (None, "") and (
                key < _ts_key(oldest) or (key == _ts_key(oldest) and not inclusive)
            ):
                continue
            if latest not in (None, "") and (
                key > _ts_key(latest) or (key == _ts_key(latest) and not inclusive)
            ):
                continue
            out.append(m)
        return out

    def _conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        cid = self._resolve_channel(args.get("channel"), allow_names=False)
        visible = [m for m in self._messages.get(cid, []) if not m.is_reply or m.reply_broadcast]
        newest_first = sorted(
            self._window(visible, args), key=lambda m: _ts_key(m.ts), reverse=True
        )
        page, cursor = self._page(newest_first, args, default_limit=100)
        with_metadata = _flag(args.get("include_all_metadata"))
        return {
            "ok": True,
            "messages": [self._message_json(m, include_metadata=with_metadata) for m in page],
            "has_more": bool(cursor),
            "pin_count": 0,
            "response_metadata": {"next_cursor": cursor},
        }

    def _conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        cid = self._resolve_channel(args.get("channel"), allow_names=False)
        parent = self._by_ts.get((cid, str(args.get("ts"))))
        if parent is None:
            raise _SlackError("thread_not_found")
        if parent.is_reply:
            parent = self._by_ts[(cid, str(parent.thread_ts))]
        # Slack answers the parent first, then the replies oldest first.
        thread = [parent, *self._replies(parent)]
        page, cursor = self._page(self._window(thread, args), args, default_limit=1000)
        with_metadata = _flag(args.get("include_all_metadata"))
        return {
            "ok": True,
            "messages": [self._message_json(m, include_metadata=with_metadata) for m in page],
            "has_more": bool(cursor),
            "response_metadata": {"next_cursor": cursor},
        }

    def _conversations_join(self, args: dict[str, Any]) -> dict[str, Any]:
        cid = self._resolve_channel(args.get("channel"), allow_names=False)
        channel = self._channels[cid]
        if channel.is_im or channel.is_mpim:
            raise _SlackError("method_not_supported_for_channel_type")
        already = BOT_USER_ID in channel.members
        channel.members.add(BOT_USER_ID)
        answer: dict[str, Any] = {"ok": True, "channel": self._channel_json(channel)}
        if already:
            answer["warning"] = "already_in_channel"
        return answer

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("channel"):
            cid = self._resolve_channel(args["channel"], allow_names=False)
            return {"ok": True, "channel": {"id": cid}}
        users = args.get("users")
        if isinstance(users, str):
            users = [u.strip() for u in users.split(",") if u.strip()]
        if not users:
            raise _SlackError("users_list_not_supplied")
        if any(not _USER_ID.match(str(u)) for u in users):
            raise _SlackError("user_not_found")
        if len(users) == 1:
            cid = self._dm_channel(users[0])
        else:
            members = sorted({*users, BOT_USER_ID})
            cid = f"G{_short_hash('mpim', *members)}"
            if cid not in self._channels:
                self._channels[cid] = StoredChannel(
                    id=cid,
                    name=f"mpdm-{'--'.join(members)}-1",
                    created=int(self._now()),
                    is_mpim=True,
                    is_private=True,
                    members=set(members),
                )
                self._messages.setdefault(cid, [])
        if _flag(args.get("return_im")):
            return {"ok": True, "channel": self._channel_json(self._channels[cid])}
        return {"ok": True, "channel": {"id": cid}}

    def _conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        cid = self._resolve_channel(args.get("channel"), allow_names=False)
        return {"ok": True, "channel": self._channel_json(self._channels[cid])}

    def _conversations_list(self, args: dict[str, Any]) -> dict[str, Any]:
        types = str(args.get("types") or "public_channel").split(",")
        wanted = [
            self._channel_json(channel)
            for channel in self._channels.values()
            if _channel_kind(channel) in types
        ]
        page, cursor = self._page(wanted, args, default_limit=100)
        return {"ok": True, "channels": page, "response_metadata": {"next_cursor": cursor}}

    def _conversations_members(self, args: dict[str, Any]) -> dict[str, Any]:
        cid = self._resolve_channel(args.get("channel"), allow_names=False)
        members = sorted(self._channels[cid].members)
        page, cursor = self._page(members, args, default_limit=100)
        return {"ok": True, "members": page, "response_metadata": {"next_cursor": cursor}}

    # ------------------------------------------------------------------ methods: users

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self._users.get(str(args.get("user")))
        if user is None:
            raise _SlackError("user_not_found")
        return {"ok": True, "user": self._user_json(user)}

    def _users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        members = [self._user_json(u) for u in self._users.values()]
        page, cursor = self._page(members, args, default_limit=200)
        return {"ok": True, "members": page, "response_metadata": {"next_cursor": cursor}}

    def _users_lookup_by_email(self, args: dict[str, Any]) -> dict[str, Any]:
        email = str(args.get("email", "")).lower()
        for user in self._users.values():
            if user["email"] and user["email"].lower() == email:
                return {"ok": True, "user": self._user_json(user)}
        raise _SlackError("users_not_found")

    def _usergroups_list(self, args: dict[str, Any]) -> dict[str, Any]:
        groups = []
        for group in self._usergroups.values():
            entry = {"id": group["id"], "team_id": TEAM_ID, "handle": group["handle"]}
            entry["user_count"] = len(group["users"])
            if _flag(args.get("include_users")):
                entry["users"] = list(group["users"])
            groups.append(entry)
        return {"ok": True, "usergroups": groups}

    def _usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        group = self._usergroups.get(str(args.get("usergroup")))
        if group is None:
            raise _SlackError("no_such_subteam")
        return {"ok": True, "users": list(group["users"])}

    # ------------------------------------------------------------------ methods: views

    def _use_trigger(self, trigger_id: object) -> str:
        key = str(trigger_id)
        issued = self._triggers.get(key)
        if issued is None or key in self._used_triggers:
            raise _SlackError("invalid_trigger_id")
        issued_at, user = issued
        if self._now() - issued_at > TRIGGER_TTL_SECONDS:
            raise _SlackError("expired_trigger_id")
        self._used_triggers.add(key)
        return user or "U0UNKNOWN"

    def _new_view(
        self,
        view: dict[str, Any],
        user: str,
        *,
        previous_view_id: str | None = None,
        root_view_id: str | None = None,
    ) -> dict[str, Any]:
        external_id = view.get("external_id") or ""
        if external_id and external_id in self._external_ids:
            raise _SlackError("duplicate_external_id")
        view_id = f"V{_short_hash('view', str(next(self._ids)))}"
        full = self._view_json(
            view,
            view_id=view_id,
            previous_view_id=previous_view_id,
            root_view_id=root_view_id or view_id,
            state={"values": {}},
        )
        self._views[view_id] = full
        self._view_user[view_id] = user
        if external_id:
            self._external_ids[external_id] = view_id
        return full

    def _view_json(
        self,
        view: dict[str, Any],
        *,
        view_id: str,
        previous_view_id: str | None,
        root_view_id: str,
        state: dict[str, Any],
    ) -> dict[str, Any]:
        return {
            "id": view_id,
            "team_id": TEAM_ID,
            "type": view["type"],
            "blocks": fill_block_ids(_copy(view.get("blocks") or []), view_id),
            "private_metadata": view.get("private_metadata") or "",
            "callback_id": view.get("callback_id") or "",
            "state": state,
            "hash": f"{int(self._now())}.{_short_hash('hash', str(next(self._ids)), length=8)}",
            "title": _copy(view.get("title")),
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "close": _copy(view.get("close")),
            "submit": _copy(view.get("submit")),
            "previous_view_id": previous_view_id,
            "root_view_id": root_view_id,
            "app_id": APP_ID,
            "external_id": view.get("external_id") or "",
            "app_installed_team_id": TEAM_ID,
            "bot_id": BOT_ID,
        }

    def _replace_view(self, view_id: str, view: dict[str, Any]) -> dict[str, Any]:
        old = self._views[view_id]
        new_ids = {b.get("block_id") for b in view.get("blocks") or [] if isinstance(b, dict)}
        kept = {k: v for k, v in old["state"]["values"].items() if k in new_ids}
        full = self._view_json(
            view,
            view_id=view_id,
            previous_view_id=old["previous_view_id"],
            root_view_id=old["root_view_id"],
            state={"values": kept},
        )
        if old["external_id"] and old["external_id"] != full["external_id"]:
            self._external_ids.pop(old["external_id"], None)
        if full["external_id"]:
            self._external_ids[full["external_id"]] = view_id
        self._views[view_id] = full
        return full

    def _push_modal(self, user: str, view: dict[str, Any]) -> dict[str, Any]:
        stack = self._modal_stacks.get(user)
        if not stack:
            raise _SlackError("not_found")
        if len(stack) >= MAX_MODAL_STACK:
            raise _SlackError("push_limit_reached")
        full = self._new_view(view, user, previous_view_id=stack[-1], root_view_id=stack[0])
        stack.append(full["id"])
        return full

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self._use_trigger(args.get("trigger_id"))
        full = self._new_view(args["view"], user)
        self._modal_stacks[user] = [full["id"]]
        return {"ok": True, "view": _copy(full)}

    def _views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self._use_trigger(args.get("trigger_id"))
        return {"ok": True, "view": _copy(self._push_modal(user, args["view"]))}

    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id = args.get("view_id") or self._external_ids.get(str(args.get("external_id")))
        if not args.get("view_id") and not args.get("external_id"):
            raise _SlackError("invalid_arguments")
        if not isinstance(args.get("view"), dict):
            raise _SlackError("invalid_arguments")
        if view_id not in self._views:
            raise _SlackError("not_found")
        old = self._views[view_id]
        user = self._view_user[view_id]
        is_open = view_id in self._modal_stacks.get(user, []) or self._home.get(user) == view_id
        if not is_open:
            raise _SlackError("not_found")
        if args.get("hash") and args["hash"] != old["hash"]:
            raise _SlackError("hash_conflict")
        if args["view"].get("type") != old["type"]:
            raise _SlackError("invalid_arguments")
        return {"ok": True, "view": _copy(self._replace_view(view_id, args["view"]))}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        user = str(args.get("user_id"))
        if not _USER_ID.match(user):
            raise _SlackError("user_not_found")
        self.ensure_user(user)
        view_id = self._home.get(user)
        if view_id is None:
            full = self._new_view(args["view"], user)
            self._home[user] = full["id"]
        else:
            if args.get("hash") and args["hash"] != self._views[view_id]["hash"]:
                raise _SlackError("hash_conflict")
            full = self._replace_view(view_id, args["view"])
        return {"ok": True, "view": _copy(full)}

    # ------------------------------------------------------------------ response_url

    def _apply_response_url(self, rid: str, payload: dict[str, Any]) -> dict[str, Any]:
        target = self._response_urls.get(rid)
        if target is None:
            raise _SlackError("invalid_url")
        if self._now() - target.issued_at > RESPONSE_URL_TTL_SECONDS:
            self.add_problem(f"response_url used after {RESPONSE_URL_TTL_SECONDS}s")
            raise _SlackError("expired_url")
        if target.uses >= RESPONSE_URL_MAX_USES:
            self.add_problem(f"response_url used more than {RESPONSE_URL_MAX_USES} times")
            raise _SlackError("used_url")
        target.uses += 1
        problems = self._payload_problems("chat.postMessage", payload)
        if problems:
            for p in problems:
                self.add_problem(f"response_url: {p}")
            raise _SlackError("invalid_blocks", response_metadata={"messages": problems})
        text, blocks = payload.get("text") or "", _copy(payload.get("blocks") or [])
        original = target.message_ts
        if _flag(payload.get("delete_original")) and original:
            message = self._by_ts.pop((target.channel, original), None)
            if message is not None:
                self._messages[target.channel].remove(message)
            self._ephemerals = [
                e for e in self._ephemerals if (e.channel, e.ts) != (target.channel, original)
            ]
        elif _flag(payload.get("replace_original")) and original:
            self._replace_original(target, original, text, blocks)
        elif payload.get("response_type") == "in_channel":
            message = StoredMessage(
                channel=target.channel,
                ts=self._next_ts(),
                text=text,
                blocks=blocks,
                thread_ts=payload.get("thread_ts") or None,
            )
            self._store(message)
        else:
            self._ephemerals.append(
                StoredEphemeral(
                    channel=target.channel,
                    user=target.user,
                    ts=self._next_ts(),
                    text=text,
                    blocks=blocks,
                    thread_ts=payload.get("thread_ts") or None,
                    via="response_url",
                )
            )
        return {"ok": True}

    def _replace_original(
        self, target: _ResponseUrl, original: str, text: str, blocks: list[dict[str, Any]]
    ) -> None:
        message = self._by_ts.get((target.channel, original))
        if message is not None:
            message.history.append(
                {"text": message.text, "blocks": message.blocks, "metadata": message.metadata}
            )
            message.text, message.blocks = text, blocks
            message.edited += 1
            message.edited_ts = self._next_ts()
            return
        for ephemeral in self._ephemerals:
            if (ephemeral.channel, ephemeral.ts) == (target.channel, original):
                ephemeral.text, ephemeral.blocks = text, blocks
                ephemeral.edited += 1
                return
        raise _SlackError("message_not_found")
