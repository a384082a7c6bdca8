"""Claiming an item: the card's Claim button and `/claim CQ-1042`."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from blocks.ephemeral import notice
from blocks.ids import ActionId, Command
from bot.deps import ListenerDeps
from bot.domain.items import Refusal
from handlers.deadline import answer_card_action, within_ack_budget

_KEY = re.compile(r"^\s*(?:(?P<prefix>[A-Za-z]{1,5})-)?(?P<number>\d{1,9})\s*$")


def register(app: AsyncApp) -> None:
    app.action(ActionId.CLAIM)(on_claim_clicked)
    app.command(Command.CLAIM)(on_claim_command)


def item_key_from_text(text: str, prefix: str) -> str | None:
    """`CQ-1042`, `cq-1042` and `1042` all name item CQ-1042; anything else names nothing."""
    match = _KEY.match(text)
    if match is None:
        return None
    if match.group("prefix") and match.group("prefix").upper() != prefix:
        return None
    return f"{prefix}-{int(match.group('number'))}"


async def on_claim_clicked(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    deps: ListenerDeps,
) -> None:
    work = deps.services.claim(item_key=action["value"], actor=body["user"]["id"])
    await answer_card_action(ack, body, client, deps, work)


async def on_claim_command(
    ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond, deps: ListenerDeps
) -> None:
    key = item_key_from_text(command.get("text", ""), deps.practice.item_key_prefix)
    if key is None:
        usage = f"Usage: `/claim {deps.practice.item_key_prefix}-1042` (the key on the card)."
        await ack(**notice(usage).to_payload())
        return
    future, in_time = await within_ack_budget(
        deps.services.claim(item_key=key, actor=command["user_id"]), in_flight=deps.after_ack
    )
    if not in_time:
        await ack(text=f"Claiming {key}…")
    result = await future
    if isinstance(result, Refusal):
        reply = deps.renderer.refusal(result)
    else:
        reply = notice(f"You own {key} now. Its card shows you as the owner.")
    if in_time:
        await ack(**reply.to_payload())
    else:
        await respond(response_type="ephemeral", **reply.to_payload())
