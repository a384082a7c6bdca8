"""Slack's response_urls: issued with each interaction (30 minutes, 5 uses) and answered
as Slack does, with an ephemeral, an in-channel message, or the original replaced or deleted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sandbox.stub.conformance import payload_problems
from sandbox.stub.records import (
    SlackError,
    StoredEphemeral,
    StoredMessage,
    flag,
    json_copy,
    short_hash,
)
from sandbox.stub.state import Workspace

RESPONSE_URL_TTL_SECONDS = 30 * 60
RESPONSE_URL_MAX_USES = 5


@dataclass
class _ResponseUrl:
    channel: str
    user: str
    issued_at: float
    message_ts: str | None = None
    uses: int = 0


class ResponseUrls:
    """The response_urls issued so far, by their id in the URL."""

    def __init__(self, workspace: Workspace) -> None:
        self._ws = workspace
        self._issued: dict[str, _ResponseUrl] = {}

    def issue(
        self, root_url: str, *, channel: str, user: str, message_ts: str | None = None
    ) -> str:
        """Issue a response_url (30 min, 5 uses) pointing back at the stub at ``root_url``."""
        serial = next(self._ws.serials)
        rid = f"{serial}-{short_hash('response_url', str(serial), length=16).lower()}"
        self._issued[rid] = _ResponseUrl(
            channel=self._ws.channel_id(channel),
            user=user,
            issued_at=self._ws.now(),
            message_ts=message_ts,
        )
        return f"{root_url}/response_url/{rid}"

    def apply(self, rid: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Do what the app posted to response_url ``rid``; SlackError as Slack refuses it."""
        ws = self._ws
        target = self._issued.get(rid)
        if target is None:
            raise SlackError("invalid_url")
        if ws.now() - target.issued_at > RESPONSE_URL_TTL_SECONDS:
            ws.add_problem(f"response_url used after {RESPONSE_URL_TTL_SECONDS}s")
            raise SlackError("expired_url")
        if target.uses >= RESPONSE_URL_MAX_USES:
            ws.add_problem(f"response_url used more than {RESPONSE_URL_MAX_USES} times")
            raise SlackError("used_url")
        target.uses += 1
        problems = payload_problems("chat.postMessage", payload)
        if problems:
            for p in problems:
                ws.add_problem(f"response_url: {p}")
            raise SlackError("invalid_blocks", response_metadata={"messages": problems})
        text, blocks = payload.get("text") or "", json_copy(payload.get("blocks") or [])
        original = target.message_ts
        if flag(payload.get("delete_original")) and original:
            message = ws.by_ts.pop((target.channel, original), None)
            if message is not None:
                ws.posted[target.channel].remove(message)
            ws.ephemeral_messages = [
                e for e in ws.ephemeral_messages if (e.channel, e.ts) != (target.channel, original)
            ]
        elif flag(payload.get("replace_original")) and original:
            self._replace_original(target, original, text, blocks)
        elif payload.get("response_type") == "in_channel":
            message = StoredMessage(
                channel=target.channel,
                ts=ws.next_ts(),
                text=text,
                blocks=blocks,
                thread_ts=payload.get("thread_ts") or None,
            )
            ws.store(message)
        else:
            ws.ephemeral_messages.append(
                StoredEphemeral(
                    channel=target.channel,
                    user=target.user,
                    ts=ws.next_ts(),
                    text=text,
                    blocks=blocks,
                    thread_ts=payload.get("thread_ts") or None,
                    via="response_url",
                )
            )
        return {"ok": True}

    def _replace_original(
        self, target: _ResponseUrl, original: str, text: str, blocks: list[dict[str, Any]]
    ) -> None:
        message = self._ws.by_ts.get((target.channel, original))
        if message is not None:
            message.history.append(
                {"text": message.text, "blocks": message.blocks, "metadata": message.metadata}
            )
            message.text, message.blocks = text, blocks
            message.edited += 1
            message.edited_ts = self._ws.next_ts()
            return
        for ephemeral in self._ws.ephemeral_messages:
            if (ephemeral.channel, ephemeral.ts) == (target.channel, original):
                ephemeral.text, ephemeral.blocks = text, blocks
                ephemeral.edited += 1
                return
        raise SlackError("message_not_found")
