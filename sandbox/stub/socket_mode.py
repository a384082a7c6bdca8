"""Slack's side of Socket Mode: connection tickets from ``apps.connections.open``, the
``hello`` greeting, envelopes sent to the app, and the acks it answers them with."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from sandbox.stub.records import APP_ID, SocketEnvelope, json_copy

APP_TOKEN_METHODS = frozenset({"apps.connections.open"})
"""Methods that take the app-level token (``xapp-``) and refuse every other kind."""
SOCKET_ACK_TIMEOUT_SECONDS = 5.0
"""How long ``send_envelope`` waits for an ack by default (Slack itself allows 3 s)."""
SOCKET_CLOSE_TIMEOUT_SECONDS = 2.0
ENVELOPE_TYPES = frozenset({"slash_commands", "interactive", "events_api"})


class SocketMode:
    """The open connections and the envelopes awaiting an ack on them.

    ``notify`` wakes the stub's waiters when a connection opens or closes; ``add_problem``
    records an app that answers what Slack would not accept.
    """

    def __init__(
        self,
        *,
        now: Callable[[], float],
        add_problem: Callable[[str], None],
        notify: Callable[[], Awaitable[None]],
    ) -> None:
        self.envelopes: list[SocketEnvelope] = []
        """Socket Mode envelopes sent so far, each with the ack the app answered."""
        self.stopping = False
        """Set while the stub stops, so a client that reconnects on close is refused."""
        self._now = now
        self._add_problem = add_problem
        self._notify = notify
        self._tickets: set[str] = set()
        self._sockets: list[web.WebSocketResponse] = []
        self._pending_acks: dict[
            str, tuple[web.WebSocketResponse, asyncio.Future[dict[str, Any]], SocketEnvelope]
        ] = {}

    @property
    def count(self) -> int:
        """How many Socket Mode connections are open now."""
        return len(self._live_sockets())

    def open_connection(self, socket_url: str) -> dict[str, Any]:
        """``apps.connections.open``: a one-connection URL under ``socket_url``."""
        ticket = uuid.uuid4().hex
        self._tickets.add(ticket)
        return {"ok": True, "url": f"{socket_url}{ticket}"}

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
            payload=json_copy(dict(payload)),
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

    async def close_all(self) -> None:
        """Close every connection with 1001 (going away) and refuse new ones meanwhile.

        Envelopes still awaiting an ack fail with ConnectionError.
        """
        self.stopping = True
        for socket in list(self._sockets):
            await socket.close(code=WSCloseCode.GOING_AWAY, message=b"stub stopping")
        self._fail_pending_acks(None, "the stub stopped")

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """One Socket Mode connection: greet it with ``hello``, then read acks until it closes."""
        if self.stopping:
            return web.Response(status=503, text="the stub is stopping")
        if request.match_info["ticket"] not in self._tickets:
            return web.Response(status=404, text="unknown Socket Mode ticket")
        socket = web.WebSocketResponse(timeout=SOCKET_CLOSE_TIMEOUT_SECONDS)  # pongs pings
        await socket.prepare(request)
        self._sockets.append(socket)
        try:
            await socket.send_json(
                {
                    "type": "hello",
                    "num_connections": self.count,
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
                    self._add_problem("socket mode: the app sent a binary frame, not JSON text")
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
            self._add_problem(f"socket mode: the app sent something that is not an ack: {data!r}")
            return
        envelope_id = message["envelope_id"]
        pending = self._pending_acks.get(envelope_id)
        if pending is None:
            self._add_problem(f"socket mode: ack for unknown or expired envelope {envelope_id}")
            return
        _, ack, envelope = pending
        payload = message.get("payload")
        if payload is not None and not isinstance(payload, dict):
            self._add_problem(f"socket mode: ack payload for {envelope.type} is not an object")
        if payload is not None and not envelope.accepts_response_payload:
            self._add_problem(
                f"socket mode: ack for {envelope.type} carries a payload, "
                "but the envelope does not accept one"
            )
        envelope.ack = json_copy(message)
        if not ack.done():
            ack.set_result(message)

    def _live_sockets(self) -> list[web.WebSocketResponse]:
        return [s for s in self._sockets if not s.closed]

    def _fail_pending_acks(self, socket: web.WebSocketResponse | None, reason: str) -> None:
        """Fail the acks awaited on ``socket`` (on every socket when None)."""
        for sent_on, ack, envelope in list(self._pending_acks.values()):
            if (socket is None or sent_on is socket) and not ack.done():
                ack.set_exception(
                    ConnectionError(f"{reason} before {envelope.type} envelope was acked")
                )
