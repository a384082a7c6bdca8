"""Failures a test asks the stub for: errors and rate limits on chosen calls, answers
withheld or dropped after the call was applied, Slack's per-channel post limit and its
per-workspace method limits (chat.update's Tier 3)."""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from sandbox.stub.records import Answer


@dataclass
class _Fault:
    status: int
    retry_after: int
    error: str


class Faults:
    """The faults queued per method; the server asks before and after applying each call."""

    def __init__(self) -> None:
        self._queued: dict[str, deque[_Fault]] = {}
        self._holds: dict[str, asyncio.Event] = {}
        self._drops: dict[str, int] = {}
        self._post_limit: float | None = None
        self._last_post_at: dict[str, float] = {}
        self._method_limits: dict[str, tuple[int, float]] = {}
        self._accepted_at: dict[str, deque[float]] = {}
        self.down = False

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
        queue = self._queued.setdefault(method, deque())
        queue.extend(_Fault(status, retry_after, error) for _ in range(times))

    def clear(self) -> None:
        """Forget every fault still queued by ``fail_next`` and ``drop_after_apply``."""
        self._queued.clear()
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

    def limit_calls(self, method: str, calls: int | None, seconds: float = 60.0) -> None:
        """Answer ``method`` 429 (Retry-After, whole seconds) when ``calls`` calls to it were
        already accepted within the last ``seconds`` by the wall clock, as Slack's method
        tiers limit a workspace (chat.update is Tier 3: about 50 a minute); None lifts it."""
        if calls is None:
            self._method_limits.pop(method, None)
        else:
            self._method_limits[method] = (calls, seconds)
        self._accepted_at.pop(method, None)

    def hold(self, method: str) -> None:
        """Apply and record calls to ``method`` but withhold the HTTP answer until release."""
        self._holds.setdefault(method, asyncio.Event())

    def release(self, method: str) -> None:
        """Send the withheld answers to ``method`` and stop withholding."""
        event = self._holds.pop(method, None)
        if event is not None:
            event.set()

    def release_all(self) -> None:
        """Send every withheld answer (the stub is stopping)."""
        for event in self._holds.values():
            event.set()
        self._holds.clear()

    def held(self, method: str) -> asyncio.Event | None:
        """The event the answers to ``method`` wait for, while they are withheld."""
        return self._holds.get(method)

    def take_drop(self, method: str) -> bool:
        """True (once per ``drop_after_apply``) when this applied call goes unanswered."""
        if self._drops.get(method, 0) > 0:
            self._drops[method] -= 1
            return True
        return False

    def set_outage(self, down: bool) -> None:
        """While down, every Web API method answers 503 without being applied, as in a
        Slack outage; queued faults wait until it is over."""
        self.down = down

    def take(self, method: str) -> Answer | None:
        """The answer of the next fault queued for ``method``, if any."""
        if self.down:
            return 503, {"ok": False, "error": "Service Unavailable"}, {}
        queue = self._queued.get(method)
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

    def rate_limited(self, method: str, args: dict[str, Any]) -> Answer | None:
        """A 429 when this call comes too soon: a post after the last one to its channel,
        or a call over its method's limit; a call let through counts against both."""
        now = time.monotonic()
        wait = max(self._post_wait(method, args, now), self._method_wait(method, now))
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)}
        if method == "chat.postMessage" and self._post_limit is not None:
            self._last_post_at[str(args.get("channel", ""))] = now
        if method in self._method_limits:
            self._accepted_at.setdefault(method, deque()).append(now)
        return None

    def _post_wait(self, method: str, args: dict[str, Any], now: float) -> float:
        if method != "chat.postMessage" or self._post_limit is None:
            return 0.0
        last = self._last_post_at.get(str(args.get("channel", "")))
        return 0.0 if last is None else self._post_limit - (now - last)

    def _method_wait(self, method: str, now: float) -> float:
        limit = self._method_limits.get(method)
        if limit is None:
            return 0.0
        calls, seconds = limit
        accepted = self._accepted_at.setdefault(method, deque())
        while accepted and now - accepted[0] >= seconds:
            accepted.popleft()
        return seconds - (now - accepted[0]) if len(accepted) >= calls else 0.0
