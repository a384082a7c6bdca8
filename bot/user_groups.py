"""The members of the user groups the practice file names, asked of Slack off the request path.

Roles are decided from memory (bot/roles.py). This keeps that memory: `usergroups.users.list`
for each group at start, every five minutes, and sooner (with a doubling backoff) while a
refresh fails. A failed refresh keeps the members Slack last gave; a group that never
loaded grants nothing, and /healthz and the log say so. Someone taken out of a group loses
the role at the next refresh. Logs name group ids and counts, never people's details.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from enum import StrEnum

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)

REFRESH_SECONDS = 300.0
FIRST_RETRY_SECONDS = 2.0
MAX_RETRY_SECONDS = 60.0
# Slack's answers that the group has no members to give: deleted or disabled (a disabled
# group is not asked for with include_disabled), or a plan without user groups. Unlike an
# outage these are news about the group, so it stops granting its roles.
GONE = frozenset({"no_such_subteam", "plan_upgrade_required"})


class GroupsHealth(StrEnum):
    """What the app knows of the practice's user groups, as /healthz says it."""

    NONE = "none"  # the practice file names no user group
    OK = "ok"  # every group loaded, and the last refresh succeeded
    STALE = "stale"  # every group loaded once; the last refresh failed, the last members hold
    NOT_LOADED = "not_loaded"  # some group never loaded: it grants no role yet


class RefreshFailed(Exception):
    """Slack did not say who is in a group this time (outage, rate limit, missing scope)."""


class UserGroups:
    """Each named group's members as Slack last reported them (see `run`)."""

    def __init__(
        self,
        client: AsyncWebClient,
        group_ids: Iterable[str],
        *,
        refresh_every: float = REFRESH_SECONDS,
        first_retry: float = FIRST_RETRY_SECONDS,
        max_retry: float = MAX_RETRY_SECONDS,
    ) -> None:
        self._client = client
        self.group_ids = tuple(dict.fromkeys(group_ids))
        self._members: dict[str, frozenset[str]] = {}
        self._failed: set[str] = set()  # groups the last refresh did not load
        self._refresh_every = refresh_every
        self._first_retry = first_retry
        self._max_retry = max_retry
        self._retry_after = 0.0
        self._refreshing = asyncio.Lock()
        self._refreshed = asyncio.Condition()
        self._wake = asyncio.Event()

    def members_of(self, group_id: str) -> frozenset[str]:
        """The group's members as last loaded; empty if it never loaded. Never asks Slack."""
        return self._members.get(group_id, frozenset())

    def not_loaded(self) -> tuple[str, ...]:
        """The groups that never loaded: they grant no role yet."""
        return tuple(g for g in self.group_ids if g not in self._members)

    @property
    def health(self) -> GroupsHealth:
        if not self.group_ids:
            return GroupsHealth.NONE
        if self.not_loaded():
            return GroupsHealth.NOT_LOADED
        return GroupsHealth.STALE if self._failed else GroupsHealth.OK

    async def refresh(self) -> bool:
        """Ask Slack once for every group's members; True if all answered. On a failure the
        round stops (Slack is down or refusing the app: the other calls would fail alike)
        and every group not asked keeps its last members."""
        async with self._refreshing:
            self._retry_after = 0.0
            self._failed = set()
            for index, group_id in enumerate(self.group_ids):
                try:
                    self._set(group_id, await self._ask(group_id))
                except RefreshFailed:
                    self._failed = set(self.group_ids[index:])
                    break
            if self.not_loaded():
                log.warning(
                    "user groups not loaded yet, granting no role until Slack answers: %s",
                    " ".join(self.not_loaded()),
                )
            async with self._refreshed:
                self._refreshed.notify_all()
            return not self._failed

    async def wait_until(self, wanted: Callable[[], bool]) -> None:
        """Wait until `wanted()` holds, looking after each refresh (bound it with a timeout)."""
        async with self._refreshed:
            await self._refreshed.wait_for(wanted)

    async def run(self) -> None:
        """Refresh now, then every `refresh_every` seconds, or sooner with a doubling
        backoff (honouring a 429's Retry-After) while refreshes fail. Runs until cancelled;
        does nothing when the practice names no group."""
        if not self.group_ids:
            return
        delay = self._first_retry
        while True:
            self._wake.clear()
            if await self.refresh():
                delay, wait = self._first_retry, self._refresh_every
            else:
                wait = max(delay, self._retry_after)
                delay = min(delay * 2, self._max_retry)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=wait)

    def refresh_soon(self) -> None:
        """Refresh now rather than at the next turn of `run` (e.g. Slack answers again)."""
        if self.group_ids:
            self._wake.set()

    async def _ask(self, group_id: str) -> frozenset[str]:
        try:
            answer = await self._client.usergroups_users_list(usergroup=group_id)
        except SlackApiError as err:
            data = err.response.data
            error = data.get("error") if isinstance(data, dict) else None
            if error in GONE:
                log.warning("user group %s: Slack says %s; it grants no role", group_id, error)
                return frozenset()
            if err.response.status_code == 429:
                self._retry_after = float(err.response.headers.get("Retry-After", 0) or 0)
            hint = " (the app needs the usergroups:read scope)" if error == "missing_scope" else ""
            log.warning(
                "user group %s: usergroups.users.list failed (HTTP %s, %s)%s; keeping what "
                "was known",
                group_id,
                err.response.status_code,
                error or "no body",
                hint,
            )
            raise RefreshFailed(group_id) from None
        except (aiohttp.ClientError, TimeoutError, OSError) as err:
            log.warning("user group %s: Slack unreachable (%s)", group_id, type(err).__name__)
            raise RefreshFailed(group_id) from None
        users = answer.get("users")
        return frozenset(str(user) for user in users) if isinstance(users, list) else frozenset()

    def _set(self, group_id: str, members: frozenset[str]) -> None:
        before = self._members.get(group_id)
        self._members[group_id] = members
        if before is None:
            log.info("user group %s loaded: %d member(s)", group_id, len(members))
        elif before != members:
            log.info(
                "user group %s changed: %d member(s), %d left, %d joined",
                group_id,
                len(members),
                len(before - members),
                len(members - before),
            )
