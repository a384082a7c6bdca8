"""What the app knows of Slack off the request path: its bot identity, and whether Slack answers.

Saving a request needs no Slack call, so no request waits for one: the identity comes from
the configuration or from a background `auth.test` check, retried with a backoff while Slack
fails, and `/healthz` reports what that check (and failures seen since) found.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings

log = logging.getLogger(__name__)

FIRST_RETRY_SECONDS = 1.0
MAX_RETRY_SECONDS = 60.0
# Once Slack answered, look again now and then, so health does not report old news.
RECHECK_SECONDS = 300.0


class SlackHealth(StrEnum):
    """Whether Slack's Web API answered the app lately, as /healthz says it."""

    OK = "ok"
    UNREACHABLE = "unreachable"
    UNKNOWN = "unknown"  # not asked yet


@dataclass(frozen=True)
class BotIdentity:
    """The bot user and bot ids Bolt uses to recognise the app's own events."""

    user_id: str
    bot_id: str | None = None
    team_id: str | None = None
    workspace_url: str | None = None  # `https://team.slack.com/`, as auth.test says it


def configured_identity(settings: Settings) -> BotIdentity | None:
    """The identity SLACK_BOT_USER_ID (and SLACK_BOT_ID) give, or None when not configured."""
    if not settings.slack_bot_user_id:
        return None
    return BotIdentity(user_id=settings.slack_bot_user_id, bot_id=settings.slack_bot_id)


class SlackStatus:
    """The bot identity and Slack's health, learned by a background check (see `run`)."""

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        configured: BotIdentity | None = None,
        on_recovered: Callable[[], None] | None = None,
        first_retry: float = FIRST_RETRY_SECONDS,
        max_retry: float = MAX_RETRY_SECONDS,
        recheck: float = RECHECK_SECONDS,
    ) -> None:
        self._client = client
        self._configured = configured
        self._learned: BotIdentity | None = None
        self._health = SlackHealth.UNKNOWN
        self._on_recovered = on_recovered
        self._first_retry = first_retry
        self._max_retry = max_retry
        self._recheck = recheck
        self._retry_after = 0.0
        self._changed = asyncio.Condition()
        self._wake = asyncio.Event()

    @property
    def identity(self) -> BotIdentity | None:
        """The configured identity, else the one auth.test gave; None before either."""
        return self._configured or self._learned

    @property
    def workspace_url(self) -> str | None:
        """The workspace's address (to link an item key to its card); None until Slack
        answered auth.test."""
        return self._learned.workspace_url if self._learned else None

    @property
    def health(self) -> SlackHealth:
        return self._health

    async def check(self) -> SlackHealth:
        """Ask Slack once (`auth.test`) who the bot is; remember the answer and the health."""
        self._retry_after = 0.0
        try:
            answer = await self._client.auth_test()
        except SlackApiError as err:
            status = err.response.status_code
            if status == 429:
                self._retry_after = float(err.response.headers.get("Retry-After", 0) or 0)
            data = err.response.data
            reason = data.get("error") if isinstance(data, dict) else None
            log.warning("slack check: auth.test failed (HTTP %s, %s)", status, reason or "no body")
            await self._set(SlackHealth.UNREACHABLE)
        except (aiohttp.ClientError, TimeoutError, OSError) as err:
            log.warning("slack check: Slack unreachable (%s)", type(err).__name__)
            await self._set(SlackHealth.UNREACHABLE)
        else:
            self._learned = BotIdentity(
                user_id=str(answer.get("user_id")),
                bot_id=answer.get("bot_id"),
                team_id=answer.get("team_id"),
                workspace_url=answer.get("url"),
            )
            if self._configured and self._configured.user_id != self._learned.user_id:
                log.warning(
                    "SLACK_BOT_USER_ID %s is not the token's bot user %s; using the configured one",
                    self._configured.user_id,
                    self._learned.user_id,
                )
            await self._set(SlackHealth.OK)
        return self._health

    async def run(self) -> None:
        """Check now, then again with a doubling backoff while Slack fails (honouring a
        429's Retry-After), and every `recheck` seconds once it answers. Runs until
        cancelled; never on the request path."""
        delay = self._first_retry
        while True:
            self._wake.clear()
            if await self.check() is SlackHealth.OK:
                delay, wait = self._first_retry, self._recheck
            else:
                wait = max(delay, self._retry_after)
                delay = min(delay * 2, self._max_retry)
            # Woken early by a failure seen on the request path (saw_failure).
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=wait)

    async def saw_failure(self) -> None:
        """A direct call to Slack failed on Slack's side (5xx, 429, unreachable): report it
        until a check shows Slack answering again, and check soon."""
        if self._health is not SlackHealth.UNREACHABLE:
            await self._set(SlackHealth.UNREACHABLE)
            self._wake.set()

    async def wait_until(self, *wanted: SlackHealth) -> SlackHealth:
        """Wait until the health is one of `wanted` (bound it with a timeout)."""
        async with self._changed:
            await self._changed.wait_for(lambda: self._health in wanted)
            return self._health

    async def _set(self, health: SlackHealth) -> None:
        recovered = health is SlackHealth.OK and self._health is SlackHealth.UNREACHABLE
        async with self._changed:
            self._health = health
            self._changed.notify_all()
        if recovered:
            log.info("slack check: Slack answers again")
            if self._on_recovered is not None:
                self._on_recovered()
