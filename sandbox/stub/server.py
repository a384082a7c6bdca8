"""A local stand-in for the Slack Web API that records, checks and answers calls like Slack.

``SlackStub`` serves the Web API, response_urls and Socket Mode on 127.0.0.1 and hands each
call to the part that owns it: ``Workspace`` (channels, messages, users), ``Surfaces``
(views, modals, App Home), ``ResponseUrls``, ``Faults`` and ``SocketMode``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from typing import Any, Self

from aiohttp import web

from sandbox.stub.conformance import load_required_params, payload_problems, spec_problems
from sandbox.stub.faults import Faults
from sandbox.stub.methods import Handler, bind, chat, conversations, files, users, views
from sandbox.stub.records import Answer, Call, SlackError
from sandbox.stub.response_urls import ResponseUrls
from sandbox.stub.socket_mode import APP_TOKEN_METHODS, SOCKET_ACK_TIMEOUT_SECONDS, SocketMode
from sandbox.stub.state import Workspace
from sandbox.stub.surfaces import Surfaces

logger = logging.getLogger(__name__)

_JSON_ARGS = ("blocks", "view", "metadata", "attachments")


class SlackStub:
    """An in-memory Slack workspace behind a local Web API endpoint.

    Use ``async with SlackStub() as stub`` (or ``await stub.start()`` / ``await stub.stop()``)
    and give ``stub.base_url`` to ``AsyncWebClient``. ``time_source`` (epoch seconds) drives
    message timestamps and trigger/response_url ages, so tests can age a ``trigger_id``.
    ``strict_channels`` makes unknown channel ids answer ``channel_not_found`` instead of
    being created on first use.

    Every call is checked against the arguments Slack's spec requires and Block Kit's
    limits; what Slack would refuse is answered as Slack does and kept in ``problems``.
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
        self._port = port
        self._now = time_source
        self._required = load_required_params()
        self._runner: web.AppRunner | None = None
        self._root_url: str | None = None
        self._changed = asyncio.Condition()

        self.workspace = Workspace(
            time_source=time_source, strict_channels=strict_channels, add_problem=self.add_problem
        )
        self.surfaces = Surfaces(self.workspace)
        self.files = files.Files(self.workspace, lambda fid: f"{self.root_url}/upload/{fid}")
        self.response_urls = ResponseUrls(self.workspace)
        self.faults = Faults()
        self.socket_mode = SocketMode(
            now=time_source, add_problem=self.add_problem, notify=self._notify
        )
        self.app.router.add_route("*", "/api/{method}", self._handle_api)
        self.app.router.add_post("/response_url/{rid}", self._handle_response_url)
        self.app.router.add_get("/socket/{ticket}", self.socket_mode.handle)
        self.app.router.add_route("*", "/upload/{file_id}", self._handle_upload)
        self.app.router.add_get("/files/{file_id}", self.files.handle_download)
        self._handlers: dict[str, Handler] = {
            "apps.connections.open": lambda _: self.socket_mode.open_connection(self.socket_url),
            **bind(chat.METHODS, self.workspace),
            **bind(conversations.METHODS, self.workspace),
            **bind(users.METHODS, self.workspace),
            **bind(views.METHODS, self.surfaces),
            **bind(files.METHODS, self.files),
        }

        # The stub's own API for tests and the sandbox, answered by the part that owns it.
        self.add_user = self.workspace.add_user
        self.ensure_user = self.workspace.ensure_user
        self.add_usergroup = self.workspace.add_usergroup
        self.set_usergroup_users = self.workspace.set_usergroup_users
        self.add_channel = self.workspace.add_channel
        self.add_message = self.workspace.add_message
        self.channel_id = self.workspace.channel_id
        self.channel_name = self.workspace.channel_name
        self.messages = self.workspace.messages
        self.message = self.workspace.message
        self.thread = self.workspace.thread
        self.ephemerals = self.workspace.ephemerals
        self.ephemeral = self.workspace.ephemeral
        self.message_payload = self.workspace.message_payload
        self.files_in = self.files.shared_in
        self.open_views = self.surfaces.open_views
        self.view = self.surfaces.view
        self.view_owner = self.surfaces.view_owner
        self.home_view = self.surfaces.home_view
        self.new_trigger_id = self.surfaces.new_trigger_id
        self.close_view = self.surfaces.close_view
        self.clear_views = self.surfaces.clear_views
        self.replace_view = self.surfaces.replace_view
        self.push_view = self.surfaces.push_view
        self.fail_next = self.faults.fail_next
        self.clear_faults = self.faults.clear
        self.drop_after_apply = self.faults.drop_after_apply
        self.limit_posts_per_channel = self.faults.limit_posts_per_channel
        self.limit_calls = self.faults.limit_calls
        self.set_outage = self.faults.set_outage
        self.hold = self.faults.hold
        self.release = self.faults.release
        self.send_envelope = self.socket_mode.send_envelope
        self.envelopes = self.socket_mode.envelopes
        """Socket Mode envelopes sent so far, each with the ack the app answered."""

    # ------------------------------------------------------------------ life cycle

    async def start(self) -> None:
        """Serve on 127.0.0.1 (the port given, or a free one)."""
        self.socket_mode.stopping = False
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
        self.socket_mode.stopping = True
        self.faults.release_all()
        await self.socket_mode.close_all()
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

    @property
    def socket_url(self) -> str:
        """``ws://127.0.0.1:PORT/socket/`` (``apps.connections.open`` adds a ticket)."""
        return f"ws{self.root_url.removeprefix('http')}/socket/"

    @property
    def socket_count(self) -> int:
        """How many Socket Mode connections are open now."""
        return self.socket_mode.count

    def new_response_url(self, *, channel: str, user: str, message_ts: str | None = None) -> str:
        """Issue a response_url (30 min, 5 uses) pointing back at the stub."""
        return self.response_urls.issue(
            self.root_url, channel=channel, user=user, message_ts=message_ts
        )

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

    async def socket_connected(
        self,
        timeout: float = SOCKET_ACK_TIMEOUT_SECONDS,  # noqa: ASYNC109
        count: int = 1,
    ) -> None:
        """Wait until at least ``count`` Socket Mode connections are open (hello sent)."""
        await self.wait_until(lambda: self.socket_count >= count, timeout=timeout)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # ------------------------------------------------------------------ HTTP handling

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        try:
            args, token = await self._read_args(request)
        except SlackError as exc:
            args, token = {}, None
            status, body, headers = 200, {"ok": False, "error": exc.error}, {}
        else:
            status, body, headers = self._answer(method, args, token)
        if status == 200 and body.get("ok") and self.faults.take_drop(method):
            self.calls.append(Call(method, args, self._now(), body, status))
            await self._notify()
            if request.transport is not None:
                request.transport.abort()  # applied, never answered
            return web.Response(status=200)
        return await self._finish(method, args, status, body, headers)

    async def _handle_upload(self, request: web.Request) -> web.StreamResponse:
        """An upload URL files.getUploadURLExternal gave out: recorded as a call to "upload"
        and refused while an outage is on, like the rest of Slack."""
        fault = self.faults.take("upload")
        if fault is not None:
            status, body, _ = fault
            response: web.StreamResponse = web.Response(status=status, text=str(body))
        else:
            response = await self.files.handle_upload(request)
        self.calls.append(
            Call("upload", {"file_id": request.match_info["file_id"]}, self._now(), {}, 200)
        )
        await self._notify()
        return response

    async def _handle_response_url(self, request: web.Request) -> web.StreamResponse:
        rid = request.match_info["rid"]
        try:
            payload = await request.json()
        except ValueError:
            payload = None
        args = payload if isinstance(payload, dict) else {}
        if payload is None or not isinstance(payload, dict):
            status, body, headers = 400, {"ok": False, "error": "invalid_payload"}, {}
        elif (fault := self.faults.take("response_url")) is not None:
            status, body, headers = fault
        else:
            try:
                status, body, headers = 200, self.response_urls.apply(rid, args), {}
            except SlackError as exc:
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
        await self._notify()
        held = self.faults.held(method)
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
                    raise SlackError("invalid_json") from exc
                if not isinstance(body, dict):
                    raise SlackError("invalid_json")
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
                    raise SlackError(f"invalid_{key}_format") from exc
        return args, token

    def _answer(self, method: str, args: dict[str, Any], token: str | None) -> Answer:
        if not token:
            return 200, {"ok": False, "error": "not_authed"}, {}
        if method in APP_TOKEN_METHODS:
            if not token.startswith("xapp-"):
                return 200, {"ok": False, "error": "not_allowed_token_type"}, {}
        elif token.startswith("xapp-"):
            return 200, {"ok": False, "error": "not_allowed_token_type"}, {}
        elif not token.startswith("xox"):
            return 200, {"ok": False, "error": "invalid_auth"}, {}
        fault = self.faults.take(method)
        if fault is not None:
            return fault
        limited = self.faults.rate_limited(method, args)
        if limited is not None:
            return limited
        problems, error = spec_problems(method, args, self._required)
        if not problems:
            problems, error = payload_problems(method, args), "invalid_blocks"
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
        except SlackError as exc:
            return 200, {"ok": False, "error": exc.error, **exc.extra}, {}
