"""The stub's in-memory workspace: channels and DMs, messages and threads, ephemerals,
members and user groups, and the message timestamps Slack would issue."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from typing import Any

from sandbox.stub.records import (
    APP_ID,
    BOT_USER_ID,
    CHANNEL_ID,
    DEFAULT_TZ,
    TEAM_ID,
    USER_ID,
    SlackError,
    StoredChannel,
    StoredEphemeral,
    StoredMessage,
    fill_block_ids,
    json_copy,
    short_hash,
)


class Workspace:
    """What Slack holds for one team; the Web API methods and tests read and change it.

    ``time_source`` (epoch seconds) dates channels and messages. With ``strict_channels``
    an unknown channel answers ``channel_not_found`` instead of being created on first use.
    ``add_problem`` records what Slack would have rejected.
    """

    def __init__(
        self,
        *,
        time_source: Callable[[], float],
        strict_channels: bool,
        add_problem: Callable[[str], None],
    ) -> None:
        self.now = time_source
        self.add_problem = add_problem
        self.serials = itertools.count(1)
        """One counter for every id the workspace issues (views, triggers, response_urls)."""
        self.channels: dict[str, StoredChannel] = {}
        self.channel_by_name: dict[str, str] = {}
        self.posted: dict[str, list[StoredMessage]] = {}
        """Each channel's messages and replies, in the order they were posted."""
        self.by_ts: dict[tuple[str, str], StoredMessage] = {}
        self.ephemeral_messages: list[StoredEphemeral] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.usergroups: dict[str, dict[str, Any]] = {}
        self._strict_channels = strict_channels
        self._last_ts_us = 0
        self.add_user(BOT_USER_ID, "carequeue", real_name="CareQueue", is_bot=True)

    # ------------------------------------------------------------------ set-up

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
        self.users[user_id] = {
            "id": user_id,
            "name": name,
            "real_name": real_name or name,
            "tz": tz,
            "email": email,
            "is_bot": is_bot,
        }

    def ensure_user(self, user_id: str) -> dict[str, Any]:
        """The user's record, adding a plain one if the user is new to the stub."""
        if user_id not in self.users:
            self.add_user(user_id, user_id.lower())
        return self.users[user_id]

    def add_usergroup(
        self, usergroup_id: str, handle: str, users: Iterable[str], *, disabled: bool = False
    ) -> None:
        """Add (or replace) a user group; ``usergroups.users.list`` answers its members,
        and for a disabled group only when asked with ``include_disabled``."""
        self.usergroups[usergroup_id] = {
            "id": usergroup_id,
            "handle": handle,
            "users": [*users],
            "disabled": disabled,
        }

    def set_usergroup_users(self, usergroup_id: str, users: Iterable[str]) -> None:
        """Replace a user group's members, as someone editing it in Slack would."""
        self.usergroups[usergroup_id]["users"] = [*users]

    def add_channel(
        self, name: str, channel_id: str | None = None, *, is_private: bool = False
    ) -> str:
        """Create a channel (id derived from the name unless given); return its id."""
        name = name.lstrip("#")
        if name in self.channel_by_name:
            return self.channel_by_name[name]
        cid = channel_id or f"{'G' if is_private else 'C'}{short_hash('channel', name)}"
        self.channels[cid] = StoredChannel(
            id=cid, name=name, created=int(self.now()), is_private=is_private
        )
        self.channel_by_name[name] = cid
        self.posted.setdefault(cid, [])
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
            ts=self.next_ts(),
            text=text,
            blocks=blocks or [],
            thread_ts=thread_ts,
            user=user,
            bot_id=None,
        )
        self.store(message)
        return message

    # ------------------------------------------------------------------ reading, for tests

    def channel_id(self, name_or_id: str) -> str:
        """The id for ``#name``/``name``/an id; a user id gives the app's DM with that user."""
        value = name_or_id.strip()
        if USER_ID.match(value):
            return self.dm_channel(value)
        if CHANNEL_ID.match(value):
            if value not in self.channels:
                self._register_channel_id(value)
            return value
        return self.add_channel(value)

    def _known_channel(self, name_or_id: str) -> str | None:
        """Like channel_id() but never creates a channel (so reading has no side effects)."""
        value = name_or_id.strip()
        if USER_ID.match(value):
            cid: str | None = f"D{value[1:]}"
        elif CHANNEL_ID.match(value):
            cid = value
        else:
            cid = self.channel_by_name.get(value.lstrip("#"))
        return cid if cid in self.channels else None

    def channel_name(self, channel_id: str) -> str:
        """The name Slack shows in payloads (``directmessage`` for DMs)."""
        channel = self.channels.get(channel_id)
        if channel is None:
            return channel_id.lower()
        if channel.is_im:
            return "directmessage"
        return channel.name

    def messages(
        self, channel: str, *, include_thread_replies: bool = False
    ) -> list[StoredMessage]:
        """Messages in a channel in the order they were posted (top level only by default)."""
        stored = self.posted.get(self._known_channel(channel) or "", [])
        return [m for m in stored if include_thread_replies or not m.is_reply]

    def message(self, channel: str, ts: str) -> StoredMessage | None:
        """The message with this ts in this channel (top level or reply), if any."""
        return self.by_ts.get((self._known_channel(channel) or "", ts))

    def thread(self, channel: str, ts: str) -> list[StoredMessage]:
        """A thread's parent followed by its replies, oldest first."""
        cid = self._known_channel(channel) or ""
        parent = self.by_ts.get((cid, ts))
        if parent is None:
            return []
        replies = [m for m in self.posted.get(cid, []) if m.is_reply and m.thread_ts == ts]
        return [parent, *replies]

    def ephemerals(self, user: str | None = None) -> list[StoredEphemeral]:
        """Ephemeral messages, all or only those shown to ``user``."""
        return [e for e in self.ephemeral_messages if user is None or e.user == user]

    def ephemeral(self, channel: str, ts: str) -> StoredEphemeral | None:
        """The ephemeral message with this ts in this channel, if any."""
        cid = self._known_channel(channel)
        return next((e for e in self.ephemeral_messages if e.channel == cid and e.ts == ts), None)

    def message_payload(self, channel: str, ts: str) -> dict[str, Any]:
        """A stored message shaped as Slack shows it in payloads and history."""
        message = self.message(channel, ts)
        if message is None:
            raise KeyError(f"no message {ts} in {channel}")
        return self.message_json(message, include_metadata=True)

    # ------------------------------------------------------------------ for the Web API methods

    def next_ts(self) -> str:
        """A message ts from the clock, always later than the last one issued."""
        now_us = int(self.now() * 1_000_000)
        ts_us = max(now_us - now_us % 100, self._last_ts_us + 100)
        self._last_ts_us = ts_us
        return f"{ts_us // 1_000_000}.{ts_us % 1_000_000:06d}"

    def _register_channel_id(self, cid: str) -> StoredChannel:
        channel = StoredChannel(id=cid, name=cid.lower(), created=int(self.now()))
        self.channels[cid] = channel
        self.channel_by_name.setdefault(channel.name, cid)
        self.posted.setdefault(cid, [])
        return channel

    def dm_channel(self, user: str) -> str:
        """The id of the app's DM with ``user``, opened on first use."""
        cid = f"D{user[1:]}"
        if cid not in self.channels:
            self.channels[cid] = StoredChannel(
                id=cid,
                name=cid,
                created=int(self.now()),
                is_im=True,
                is_private=True,
                user=user,
                members={user, BOT_USER_ID},
            )
            self.posted.setdefault(cid, [])
        return cid

    def resolve_channel(self, value: object, *, allow_names: bool = True) -> str:
        """The channel id a ``channel`` argument names, or SlackError as Slack answers."""
        if not isinstance(value, str) or not value.strip():
            raise SlackError("channel_not_found")
        value = value.strip()
        if USER_ID.match(value):
            return self.dm_channel(value)
        if CHANNEL_ID.match(value):
            if value not in self.channels:
                if self._strict_channels:
                    raise SlackError("channel_not_found")
                self._register_channel_id(value)
            return value
        if not allow_names:
            raise SlackError("channel_not_found")
        name = value.lstrip("#")
        if self._strict_channels and name not in self.channel_by_name:
            raise SlackError("channel_not_found")
        return self.add_channel(name)

    def store(self, message: StoredMessage) -> None:
        """Post ``message``; a reply makes its parent a thread."""
        if message.thread_ts is not None:
            parent = self.by_ts.get((message.channel, message.thread_ts))
            if parent is not None and parent.thread_ts not in (None, parent.ts):
                message.thread_ts = parent.thread_ts  # a reply to a reply joins the thread
            if parent is not None and parent.thread_ts is None:
                parent.thread_ts = parent.ts
        self.posted.setdefault(message.channel, []).append(message)
        self.by_ts[(message.channel, message.ts)] = message

    def replies(self, parent: StoredMessage) -> list[StoredMessage]:
        """The replies in ``parent``'s thread, oldest first."""
        return [
            m
            for m in self.posted.get(parent.channel, [])
            if m.is_reply and m.thread_ts == parent.ts
        ]

    def message_json(self, message: StoredMessage, *, include_metadata: bool) -> dict[str, Any]:
        """``message`` as the Web API answers it."""
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
                parent = self.by_ts.get((message.channel, message.thread_ts))
                if parent is not None:
                    out["parent_user_id"] = parent.user
            else:
                replies = self.replies(message)
                out["reply_count"] = len(replies)
                out["reply_users"] = sorted({r.user for r in replies})
                out["reply_users_count"] = len(out["reply_users"])
                if replies:
                    out["latest_reply"] = replies[-1].ts
        if message.edited:
            out["edited"] = {"user": message.user, "ts": message.edited_ts}
        if include_metadata and message.metadata is not None:
            out["metadata"] = json_copy(message.metadata)
        return out
