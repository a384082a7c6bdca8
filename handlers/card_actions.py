"""What a card's buttons do besides Claim and Close: Release, Reassign, Reopen, Details."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from blocks.ids import ActionId, item_key_from_block_id
from blocks.modals.details import details_modal
from blocks.modals.status import message_modal
from bot.deps import ListenerDeps
from bot.domain.items import Refusal
from handlers.deadline import answer_card_action
from handlers.forms import FormTrigger, open_modal


def register(app: AsyncApp) -> None:
    app.action(ActionId.RELEASE)(on_release_clicked)
    app.action(ActionId.REASSIGN)(on_reassign_chosen)
    app.action(ActionId.REOPEN)(on_reopen_clicked)
    app.action(ActionId.DETAILS)(on_details_clicked)


async def on_release_clicked(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    deps: ListenerDeps,
) -> None:
    work = deps.services.release(item_key=action["value"], actor=body["user"]["id"])
    await answer_card_action(ack, body, client, deps, work)


async def on_reassign_chosen(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    deps: ListenerDeps,
) -> None:
    key = item_key_from_block_id(action.get("block_id", ""))
    new_owner = action.get("selected_user")
    if key is None or not new_owner:
        await ack()
        return
    work = deps.services.reassign(item_key=key, actor=body["user"]["id"], new_owner=new_owner)
    await answer_card_action(ack, body, client, deps, work)


async def on_reopen_clicked(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    deps: ListenerDeps,
) -> None:
    work = deps.services.reopen(item_key=action["value"], actor=body["user"]["id"])
    await answer_card_action(ack, body, client, deps, work)


async def on_details_clicked(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    deps: ListenerDeps,
) -> None:
    """Patient details live here, one click away, never on the card; each view is an event."""
    await ack()
    key = action["value"]

    async def view() -> View:
        result = await deps.services.view_details(item_key=key, actor=body["user"]["id"])
        if isinstance(result, Refusal):
            return message_modal(key, deps.renderer.refusal(result))
        return details_modal(result, deps.practice.lane(result.lane), deps.practice.timezone)

    await open_modal(client, deps, FormTrigger.of(body), key, view)
