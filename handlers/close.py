"""Closing an item: the Close button opens the modal; its submission closes the item."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from blocks.ids import ActionId, FieldId, ViewId
from blocks.modals.close import close_errors, close_form_from_view, close_modal
from blocks.modals.form import item_metadata, metadata_key
from blocks.modals.status import notice_modal
from bot.deps import ListenerDeps
from bot.domain.items import Status
from handlers.deadline import answer_submission
from handlers.forms import FormTrigger, open_modal


def register(app: AsyncApp) -> None:
    app.action(ActionId.CLOSE)(on_close_clicked)
    app.view(ViewId.CLOSE)(on_close_submitted)


async def on_close_clicked(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    deps: ListenerDeps,
) -> None:
    await ack()
    key = action["value"]

    async def view() -> View:
        # Only a closed or missing item is turned away here: who may close it (the owner, a
        # manager; a clinician's acknowledgment first in a clinical lane) is said on submit.
        item = await deps.services.get(key)
        if item is None or item.status is Status.RESOLVED:
            return notice_modal(
                key, f"{key} is already closed." if item else f"There is no item {key}."
            )
        return close_modal(item, deps.practice.lane(item.lane), item_metadata(key))

    await open_modal(client, deps, FormTrigger.of(body), key, view)


async def on_close_submitted(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    deps: ListenerDeps,
) -> None:
    key = metadata_key(view)
    item = await deps.services.get(key)
    if item is None:
        await ack(response_action="errors", errors={FieldId.RESOLUTION: f"There is no item {key}."})
        return
    resolution, told = close_form_from_view(view)
    errors = close_errors(resolution, told, deps.practice.lane(item.lane))
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    work = deps.services.close(
        item_key=key, actor=body["user"]["id"], resolution=resolution, told_patient=told
    )
    await answer_submission(ack, body, client, deps, work, refused_under=FieldId.RESOLUTION)
