"""Closing an item: the Close button opens the modal; its submission closes the item."""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from blocks.ids import ActionId, FieldId, More, ViewId
from blocks.modals.close import close_errors, close_form_from_view, close_modal
from blocks.modals.form import item_metadata, metadata_key, metadata_value
from bot.deps import ListenerDeps
from bot.domain.items import Action, Item
from handlers.deadline import answer_submission
from handlers.forms import FormTrigger, open_item_form
from handlers.menu import card_menu


def register(app: AsyncApp) -> None:
    app.action(ActionId.CLOSE)(on_close_clicked)
    app.view(ViewId.CLOSE)(on_close_submitted)
    card_menu(app).add(More.CLOSE, open_close_form)


async def on_close_clicked(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    deps: ListenerDeps,
) -> None:
    await ack()
    await open_close_form(client, deps, FormTrigger.of(body), action["value"])


async def open_close_form(
    client: AsyncWebClient, deps: ListenerDeps, trigger: FormTrigger, key: str
) -> None:
    def form(item: Item) -> View:
        # The lane it was opened in: its resolutions are the ones the form lists.
        return close_modal(item, deps.practice.lane(item.lane), item_metadata(key, lane=item.lane))

    # Who may close (the owner or a manager; in a clinical lane a clinician or a clinician's
    # acknowledgment first; nobody but a clinician while it is escalated) is said at the
    # click, before anyone fills in the form; the service decides again on submit.
    await open_item_form(client, deps, trigger, key, Action.CLOSE, form)


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
    opened_in = metadata_value(view, "lane")
    if opened_in and opened_in != item.lane:
        # Its resolutions were another lane's: a form error about the list would be unmeetable.
        lane = deps.practice.lane(item.lane).name
        moved = f"{key} was moved to {lane} since this form opened: close it from its card there."
        await ack(response_action="errors", errors={FieldId.RESOLUTION: moved})
        return
    resolution, told = close_form_from_view(view)
    errors = close_errors(item, resolution, told, deps.practice.lane(item.lane))
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    work = partial(
        deps.services.close,
        item_key=key,
        actor=body["user"]["id"],
        resolution=resolution,
        told_patient=told,
    )
    await answer_submission(ack, body, client, deps, work, refused_under=FieldId.RESOLUTION)
