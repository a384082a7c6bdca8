"""Closing an item: the Close button opens the modal; its submission closes the item."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from blocks.ephemeral import refusal_message
from blocks.ids import Action, Field, View
from blocks.modals.close import close_errors, close_form_from_view, close_modal
from blocks.modals.status import loading_modal, notice_modal
from bot.deps import Deps
from bot.domain.items import Refusal, Status
from handlers.deadline import within_ack_budget


def register(app: AsyncApp) -> None:
    app.action(Action.CLOSE)(on_close_clicked)
    app.view(View.CLOSE)(on_close_submitted)


async def on_close_clicked(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, deps: Deps
) -> None:
    await ack()
    key = action["value"]
    opened = await client.views_open(trigger_id=body["trigger_id"], view=loading_modal(key))
    item = await deps.services.get(key)
    if item is None or item.status is Status.RESOLVED:
        text = f"{key} is already closed." if item else f"There is no item {key}."
        await client.views_update(view_id=opened["view"]["id"], view=notice_modal(key, text))
        return
    metadata = json.dumps({"key": key})
    view = close_modal(item, deps.practice.lane(item.lane), metadata)
    await client.views_update(view_id=opened["view"]["id"], view=view)


async def on_close_submitted(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient, deps: Deps
) -> None:
    key = json.loads(view.get("private_metadata") or "{}").get("key", "")
    item = await deps.services.get(key)
    if item is None:
        await ack(response_action="errors", errors={Field.RESOLUTION: f"There is no item {key}."})
        return
    resolution, told = close_form_from_view(view)
    errors = close_errors(resolution, told, deps.practice.lane(item.lane))
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    future, in_time = await within_ack_budget(
        deps.services.close(
            item_key=key, actor=body["user"]["id"], resolution=resolution, told_patient=told
        )
    )
    if not in_time:
        await ack()
    result = await future
    refusal = result if isinstance(result, Refusal) else None
    if in_time and refusal is not None:
        text = refusal_message(refusal, deps.practice.timezone).text
        await ack(response_action="errors", errors={Field.RESOLUTION: text})
    elif in_time:
        await ack()
    elif refusal is not None:
        message = refusal_message(refusal, deps.practice.timezone)
        await client.chat_postMessage(channel=body["user"]["id"], **message.to_payload())
