"""How what Slack sends reaches the app: a POST signed as Slack signs it
(``v0:{timestamp}:{body}``, HMAC-SHA256), or a Socket Mode envelope through the stub."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

from sandbox.stub.server import SlackStub

logger = logging.getLogger(__name__)

FORM = "application/x-www-form-urlencoded"

Transport = Literal["http", "socket"]
"""How SlackSide reaches the app: signed HTTP POSTs, or Socket Mode envelopes via the stub."""
TRANSPORTS: tuple[Transport, ...] = ("http", "socket")


@dataclass(frozen=True)
class SlackResponse:
    """The app's answer to one request from Slack.

    Over Socket Mode it is the ack: status 200, ``json`` the ack's payload (None without
    one) and ``body`` that payload as JSON, or empty, as Bolt answers a bare ``ack()``.
    """

    status: int
    body: str
    json: dict[str, Any] | None


class Wire:
    """One app's request URL (or its Socket Mode connection to ``stub``), and the HTTP
    session to it."""

    def __init__(
        self,
        *,
        app_url: str,
        signing_secret: str,
        stub: SlackStub,
        transport: Transport,
        ack_timeout: float,
        clock: Callable[[], float],
    ) -> None:
        self._app_url = app_url
        self._stub = stub
        self._transport = transport
        self._ack_timeout = ack_timeout
        self._verifier = SignatureVerifier(signing_secret) if signing_secret else None
        self._clock = clock
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    def sign(self, body: str, timestamp: int | None = None) -> dict[str, str]:
        """Headers Slack signs a request with (``timestamp`` defaults to now)."""
        if self._verifier is None:
            raise ValueError("no signing_secret was given, so there is nothing to sign with")
        ts = str(int(self._clock()) if timestamp is None else timestamp)
        signature = self._verifier.generate_signature(timestamp=ts, body=body)
        if signature is None:  # only when the body is None
            raise ValueError("cannot sign an empty request")
        return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}

    async def post(
        self,
        body: str,
        *,
        content_type: str = FORM,
        headers: Mapping[str, str] | None = None,
        sign: bool = True,
    ) -> SlackResponse:
        """POST a raw body to the app, signed unless ``sign`` is False or headers say so.

        HTTP only: over Socket Mode there is no request to forge; RuntimeError then.
        """
        if self._transport != "http":
            raise RuntimeError("post() sends raw HTTP; this SlackSide uses Socket Mode")
        sent = {
            "Content-Type": content_type,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        }
        if sign:
            sent.update(self.sign(body))
        sent.update(headers or {})
        if self._session is None:
            self._session = aiohttp.ClientSession()
        async with self._session.post(self._app_url, data=body.encode(), headers=sent) as resp:
            text = await resp.text()
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = None
        logger.debug("app answered %s (%d bytes)", resp.status, len(text))
        return SlackResponse(resp.status, text, parsed if isinstance(parsed, dict) else None)

    async def post_payload(self, payload: Mapping[str, Any]) -> SlackResponse:
        """Deliver an interactivity payload as Slack does.

        Over HTTP: form field ``payload`` holding JSON. Over Socket Mode: an
        ``interactive`` envelope carrying the payload object.
        """
        if self._transport == "socket":
            return await self.send_envelope("interactive", payload)
        return await self.post(urlencode({"payload": json.dumps(payload)}))

    async def send_envelope(
        self,
        type: str,
        payload: Mapping[str, Any],
        *,
        accepts_response_payload: bool = True,
        retry_attempt: int | None = None,
        retry_reason: str | None = None,
    ) -> SlackResponse:
        """Send a Socket Mode envelope through the stub; the app's ack is the answer."""
        ack = await self._stub.send_envelope(
            type,
            payload,
            accepts_response_payload,
            retry_attempt=retry_attempt,
            retry_reason=retry_reason,
            timeout=self._ack_timeout,
        )
        answer = ack.get("payload")
        parsed = answer if isinstance(answer, dict) else None
        logger.debug("app acked %s envelope (%s)", type, "payload" if parsed else "empty")
        return SlackResponse(200, json.dumps(answer) if answer else "", parsed)
