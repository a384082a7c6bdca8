"""What a card's buttons do besides Claim and Close: Release, Reassign, Reopen, Details; the
same from the card's "More" menu (Reassign there opens a small form with a user picker)."""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from blocks.ids import ActionId, FieldId, More, ViewId, item_key_from_block_id
from blocks.modals.details import details_modal
from blocks.modals.form import item_metadata, metadata_key
from blocks.modals.reassign import reassign_from_view, reassign_modal
from blocks.modals.status import message_modal
from bot.deps import ListenerDeps
from bot.domain.items import Action, Refusal
from handlers.deadline import answer_card_action, answer_submission
from handlers.forms import FormTrigger, open_item_form, open_modal
from handlers.menu import card_menu


def register(app: AsyncApp) -> None:
    app.action(ActionId.RELEASE)(on_release_clicked)
    app.action(ActionId.REASSIGN)(on_reassign_chosen)
    app.action(ActionId.REOPEN)(on_reopen_clicked)
    app.action(ActionId.DETAILS)(on_details_clicked)
    menu = card_menu(app)
    menu.add_action(More.RELEASE, release)
    menu.add(More.REASSIGN, open_reassign_form)
    menu.add(More.DETAILS, open_details)
    menu.add_action(More.REOPEN, reopen)
    app.view(ViewId.REASSIGN)(on_reassign_submitted)


async def on_release_clicked(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    deps: ListenerDeps,
) -> None:
    await release(ack, body, client, deps, action["value"])


async def release(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, deps: ListenerDeps, key: str
) -> None:
    work = deps.services.release(item_key=key, actor=body["user"]["id"])
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


async def open_reassign_form(
    client: AsyncWebClient, deps: ListenerDeps, trigger: FormTrigger, key: str
) -> None:
    """Who may reassign (the owner or a manager) is said at the choice, before the form."""
    form = lambda item: reassign_modal(item, item_metadata(key))  # noqa: E731
    await open_item_form(client, deps, trigger, key, Action.REASSIGN, form)


async def on_reassign_submitted(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    deps: ListenerDeps,
) -> None:
    new_owner = reassign_from_view(view)
    if not new_owner:
        await ack(response_action="errors", errors={FieldId.REASSIGN_TO: "Choose a person."})
        return
    work = partial(
        deps.services.reassign,
        item_key=metadata_key(view),
        actor=body["user"]["id"],
        new_owner=new_owner,
    )
    await answer_submission(ack, body, client, deps, work, refused_under=FieldId.REASSIGN_TO)


async def on_reopen_clicked(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    deps: ListenerDeps,
) -> None:
    await reopen(ack, body, client, deps, action["value"])


async def reopen(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, deps: ListenerDeps, key: str
) -> None:
    work = deps.services.reopen(item_key=key, actor=body["user"]["id"])
    await answer_card_action(ack, body, client, deps, work)


async def on_details_clicked(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    deps: ListenerDeps,
) -> None:
    await ack()
    await open_details(client, deps, FormTrigger.of(body), action["value"])


async def open_details(
    client: AsyncWebClient, deps: ListenerDeps, trigger: FormTrigger, key: str
) -> None:
    """Patient details live here, one click away, never on the card; each view is an event."""

    async def view() -> View:
        result = await deps.services.view_details(item_key=key, actor=trigger.user)
        if isinstance(result, Refusal):
            return message_modal(key, deps.renderer.refusal(result))
        return details_modal(result, deps.practice.lane(result.lane), deps.practice.timezone)

    await open_modal(client, deps, trigger, key, view)
