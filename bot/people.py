"""People's names as Slack shows them, for text Slack cannot turn into a mention.

A form's error under an input is plain text: `<@U123>` would show as that, not as a person.
`PeopleNames.name` asks `users.info` once per person, with a short timeout so a form is
answered within Slack's three seconds even when Slack is slow, and remembers the answer for
the process's life (a name changed since shows on the next restart; nothing else uses it).
Names are staff names, never patient data; they are not logged.
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)

LOOKUP_TIMEOUT_SECONDS = 0.5
KNOWN_MAX = 5_000  # a practice's staff, many times over


class PeopleNames:
    def __init__(self, client: AsyncWebClient, *, timeout: float = LOOKUP_TIMEOUT_SECONDS) -> None:
        self._client = client
        self._timeout = timeout
        self._known: dict[str, str] = {}

    async def name(self, user_id: str) -> str | None:
        """The person's display name (else real name), or None when Slack did not say in
        time; never raises."""
        if user_id in self._known:
            return self._known[user_id]
        try:
            answer = await asyncio.wait_for(
                self._client.users_info(user=user_id), timeout=self._timeout
            )
        except (SlackApiError, aiohttp.ClientError, TimeoutError, OSError) as error:
            log.info(
                "users.info for a name failed (%s); the text says who without it",
                type(error).__name__,
            )
            return None
        user = answer.get("user") or {}
        profile = user.get("profile") or {}
        found = (
            profile.get("display_name")
            or profile.get("real_name")
            or user.get("real_name")
            or user.get("name")
        )
        if not isinstance(found, str) or not found.strip():
            return None
        if len(self._known) >= KNOWN_MAX:
            self._known.clear()
        self._known[user_id] = found.strip()
        return self._known[user_id]
