"""What the stub's workspace is made of: its fixed ids, the records it keeps, and the small
conversions every part applies to Web API arguments."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

TEAM_ID = "T0CAREQ"
TEAM_DOMAIN = "carequeue"
BOT_USER_ID = "UBOT"
BOT_ID = "B0CAREQ"
APP_ID = "A0CAREQ"
DEFAULT_TZ = "America/New_York"

CHANNEL_ID = re.compile(r"^[CDG][A-Z0-9]+$")
USER_ID = re.compile(r"^[UW][A-Z0-9]+$")

Answer = tuple[int, dict[str, Any], dict[str, str]]
"""An HTTP answer before it is sent: status, JSON body, headers."""


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
    files: list[dict[str, Any]] = field(default_factory=list)  # shared with the message

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


class SlackError(Exception):
    """Raised inside a method handler: becomes ``{"ok": false, "error": ...}``."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


# --------------------------------------------------------------------------- argument conversions


def flag(value: object) -> bool:
    """A boolean argument as Slack reads it (form fields arrive as strings)."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


def to_int(value: object, default: int) -> int:
    """An integer argument, or ``default`` when it is missing or not a number."""
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return default


def ts_key(ts: object) -> Decimal:
    """A message ts as a number, for ordering and windows."""
    try:
        return Decimal(str(ts))
    except InvalidOperation as exc:
        raise SlackError("invalid_ts_oldest") from exc


def short_hash(*parts: str, length: int = 10) -> str:
    """A stable id-like suffix derived from ``parts``."""
    digest = hashlib.sha1(":".join(parts).encode(), usedforsecurity=False).hexdigest()
    return digest[:length].upper()


def fill_block_ids(blocks: list[dict[str, Any]], seed: str) -> list[dict[str, Any]]:
    """Copy of blocks with a block_id on each, as Slack fills in missing ones."""
    out = []
    for index, block in enumerate(blocks):
        copy = json.loads(json.dumps(block))
        if isinstance(copy, dict) and not copy.get("block_id"):
            copy["block_id"] = short_hash(seed, str(index), length=5)
        out.append(copy)
    return out


def json_copy(value: Any) -> Any:
    """A deep copy through JSON, so what the stub stores and answers never aliases."""
    return json.loads(json.dumps(value))


def page(items: list[Any], args: dict[str, Any], default_limit: int) -> tuple[list[Any], str]:
    """One page of ``items`` by the ``limit`` and ``cursor`` arguments, and the next cursor."""
    limit = max(1, to_int(args.get("limit"), default_limit) or default_limit)
    start = to_int(args.get("cursor"), 0)
    taken = items[start : start + limit]
    next_cursor = str(start + limit) if start + limit < len(items) else ""
    return taken, next_cursor
