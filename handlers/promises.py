"""Promises to patients: the Promise modal (opened from the card's More menu) tracks one by
its deadline; the card's "Promise kept" button marks it fulfilled."""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from blocks.ephemeral import notice
from blocks.ids import ActionId, FieldId, More, ViewId, parse_entry_value
from blocks.modals.form import item_metadata, metadata_key
from blocks.modals.promise import promise_errors, promise_from_view, promise_modal
from bot.deps import ListenerDeps
from bot.domain.items import Action, Item, Refusal
from bot.services.base import Done, Invalid
from handlers.deadline import answer_card_action, answer_submission
from handlers.forms import FormTrigger, open_item_form
from handlers.menu import card_menu

NOT_TRACKED = "Not tracked: a promise needs words and a deadline in the future."
ALREADY_KEPT = "That promise is already marked kept, or it is not on this item any more."


def register(app: AsyncApp) -> None:
    card_menu(app).add(More.PROMISE, open_promise_modal)
    app.view(ViewId.PROMISE)(on_promise_submitted)
    app.action(ActionId.FULFIL_PROMISE)(on_promise_kept)


async def open_promise_modal(
    client: AsyncWebClient, deps: ListenerDeps, trigger: FormTrigger, item_key: str
) -> None:
    """Open the Promise modal for `item_key` (the card's More menu calls this).

    A loading modal takes the trigger id first; the form (listing the item's open promises)
    replaces it, or a notice says why this person cannot add a promise now.
    """

    async def form(item: Item) -> View:
        open_promises = await deps.work.open_promises(item.key)
        return promise_modal(item, open_promises, item_metadata(item.key), deps.practice.timezone)

    await open_item_form(client, deps, trigger, item_key, Action.PROMISE, form)


async def on_promise_submitted(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    deps: ListenerDeps,
) -> None:
    draft = promise_from_view(view, deps.practice.timezone)
    errors = promise_errors(view, draft, deps.clock.now())
    if errors or draft.due_at is None:
        await ack(response_action="errors", errors=errors)
        return
    key, user = metadata_key(view), body["user"]["id"]
    work = partial(
        deps.work.add_promise, item_key=key, actor=user, text=draft.text, due_at=draft.due_at
    )
    await answer_submission(
        ack, body, client, deps, work, refused_under=FieldId.PROMISE_TEXT, incomplete=NOT_TRACKED
    )


async def _fulfil(
    deps: ListenerDeps, client: AsyncWebClient, body: dict[str, Any], item_key: str, promise_id: int
) -> Done | Refusal | None:
    """Mark the promise kept; when it is not open on the item (kept already, a double click,
    or an old card) tell the clicker so and return None."""
    user = body["user"]["id"]
    result = await deps.work.fulfil_promise(item_key=item_key, actor=user, promise_id=promise_id)
    if isinstance(result, Invalid):
        await client.chat_postEphemeral(
            channel=body["channel"]["id"], user=user, **notice(ALREADY_KEPT).to_payload()
        )
        return None
    return result


async def on_promise_kept(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    deps: ListenerDeps,
) -> None:
    parsed = parse_entry_value(str(action.get("value", "")))
    if parsed is None:
        await ack()
        return
    key, promise_id = parsed
    await answer_card_action(ack, body, client, deps, _fulfil(deps, client, body, key, promise_id))
