"""Was it posted already? A post whose answer was lost (a crash, a dropped connection) is
looked for in Slack by the message metadata it was posted with, before it is posted again."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.outbox.kinds import CARD_METADATA, ENTRY_METADATA
from storage.repositories import Card, OutboxEntry

log = logging.getLogger(__name__)

RECONCILE_PAGES = 5


def carries(message: dict[str, Any], event_type: str, key: str, value: object) -> bool:
    """Whether a Slack message's metadata says it is ours, for this card or outbox row."""
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    return metadata.get("event_type") == event_type and payload.get(key) == value


class Reconciler:
    """Looks in Slack for what CareQueue may already have posted."""

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client
        self._channel_ids: dict[str, str] = {}

    async def posted_card(self, card: Card) -> tuple[str, str] | None:
        """The channel id and ts of this card if it is in the channel's recent history.

        No `oldest` bound: Slack's clock and ours may disagree; the most recent
        RECONCILE_PAGES pages are searched instead.
        """
        channel_id = card.channel_id or await self.channel_id(card.channel)
        if channel_id is None:
            return None
        cursor: str | None = None
        for _ in range(RECONCILE_PAGES):
            page = await self._client.conversations_history(
                channel=channel_id, include_all_metadata=True, limit=200, cursor=cursor
            )
            for message in page.get("messages", []):
                if carries(message, CARD_METADATA, "card", card.id):
                    return channel_id, str(message["ts"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                break
        return None

    async def thread_entry_exists(self, entry: OutboxEntry) -> bool:
        page = await self._client.conversations_replies(
            channel=entry.card_channel_id or entry.channel,
            ts=entry.card_ts or "",
            include_all_metadata=True,
            limit=1000,
        )
        return any(
            carries(message, ENTRY_METADATA, "outbox", entry.id)
            for message in page.get("messages", [])
        )

    async def message_exists(self, entry: OutboxEntry) -> bool:
        """A channel post or DM of this row, in the conversation's recent history."""
        channel = await self.channel_id(entry.channel)
        if channel is None:
            return False
        page = await self._client.conversations_history(
            channel=channel, include_all_metadata=True, limit=200
        )
        return any(
            carries(message, ENTRY_METADATA, "outbox", entry.id)
            for message in page.get("messages", [])
        )

    async def channel_id(self, channel: str) -> str | None:
        """A channel's id from `#name`, a DM's from a user id; ids pass through."""
        if channel in self._channel_ids:
            return self._channel_ids[channel]
        if channel.startswith(("U", "W")):
            opened = await self._client.conversations_open(users=channel)
            found = str((opened.get("channel") or {}).get("id") or "") or None
            if found is not None:
                self._channel_ids[channel] = found
            return found
        if not channel.startswith("#"):
            return channel
        cursor: str | None = None
        while True:
            page = await self._client.conversations_list(
                limit=1000,
                cursor=cursor,
                exclude_archived=True,
                types="public_channel,private_channel",
            )
            for found in page.get("channels", []):
                self._channel_ids[f"#{found['name']}"] = found["id"]
            if channel in self._channel_ids:
                return self._channel_ids[channel]
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                log.warning("channel %s not found in this workspace", channel)
                return None
