"""What a card's buttons do besides Claim and Close: Release, Reassign, Reopen, Details."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from blocks.ephemeral import refusal_message
from blocks.ids import Action, item_key_from_block_id
from blocks.modals.details import details_modal
from blocks.modals.status import loading_modal, notice_modal
from bot.deps import Deps
from bot.domain.items import Refusal
from bot.services.items import Done
from handlers.deadline import within_ack_budget


def register(app: AsyncApp) -> None:
    app.action(Action.RELEASE)(on_release_clicked)
    app.action(Action.REASSIGN)(on_reassign_chosen)
    app.action(Action.REOPEN)(on_reopen_clicked)
    app.action(Action.DETAILS)(on_details_clicked)


async def answer_card_action(
    ack: AsyncAck,
    body: dict[str, Any],
    client: AsyncWebClient,
    deps: Deps,
    work: Awaitable[Done | Refusal],
) -> Done | Refusal:
    """Commit (within the ack budget), ack, and show a refusal only to the person who clicked.

    The card itself is edited by the outbox: nothing else to send from here.
    """
    future, _ = await within_ack_budget(work)
    await ack()
    result = await future
    if isinstance(result, Refusal):
        message = refusal_message(result, deps.practice.timezone)
        await client.chat_postEphemeral(
            channel=body["channel"]["id"], user=body["user"]["id"], **message.to_payload()
        )
    return result


async def on_release_clicked(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, deps: Deps
) -> None:
    work = deps.services.release(item_key=action["value"], actor=body["user"]["id"])
    await answer_card_action(ack, body, client, deps, work)


async def on_reassign_chosen(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, deps: Deps
) -> None:
    key = item_key_from_block_id(action.get("block_id", ""))
    new_owner = action.get("selected_user")
    if key is None or not new_owner:
        await ack()
        return
    work = deps.services.reassign(item_key=key, actor=body["user"]["id"], new_owner=new_owner)
    await answer_card_action(ack, body, client, deps, work)


async def on_reopen_clicked(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, deps: Deps
) -> None:
    work = deps.services.reopen(item_key=action["value"], actor=body["user"]["id"])
    await answer_card_action(ack, body, client, deps, work)


async def on_details_clicked(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, deps: Deps
) -> None:
    """Patient details live here, one click away, never on the card; each view is an event."""
    await ack()
    key = action["value"]
    opened = await client.views_open(trigger_id=body["trigger_id"], view=loading_modal(key))
    result = await deps.services.view_details(item_key=key, actor=body["user"]["id"])
    if isinstance(result, Refusal):
        message = refusal_message(result, deps.practice.timezone)
        await client.views_update(
            view_id=opened["view"]["id"], view=notice_modal(key, message.text)
        )
        return
    view = details_modal(result, deps.practice.lane(result.lane), deps.practice.timezone)
    await client.views_update(view_id=opened["view"]["id"], view=view)
