"""Handoff notes: the card's Handoff button, the "Handoff note" message shortcut and
`/cq handoff KEY` open the modal; its submission hands the item on; a thread entry's View
button shows the whole note."""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from blocks.ids import (
    ActionId,
    Command,
    FieldId,
    More,
    Shortcut,
    ViewId,
    item_key_from_block_id,
    parse_entry_value,
)
from blocks.modals.form import item_metadata, metadata_key
from blocks.modals.handoff import (
    handoff_errors,
    handoff_modal,
    handoff_note_from_view,
    handoff_note_modal,
)
from blocks.modals.status import message_modal, notice_modal
from bot.deps import ListenerDeps
from bot.domain.handoff import handoff_problems
from bot.domain.items import Action, Item, Refusal
from handlers.deadline import answer_submission
from handlers.forms import FormTrigger, open_item_form, open_modal, open_view
from handlers.menu import card_menu

NOT_A_CARD = (
    "Use Handoff note on a request's card in its lane channel (the message with the "
    f"Claim/Close buttons), or type `{Command.CQ} handoff` with the item key."
)


NOT_HANDED_OFF = "Not handed off: check the deadline and who is next, then try again."


def register(app: AsyncApp) -> None:
    app.action(ActionId.HANDOFF)(on_handoff_clicked)
    app.shortcut(Shortcut.HANDOFF)(on_handoff_shortcut)
    app.view(ViewId.HANDOFF)(on_handoff_submitted)
    app.action(ActionId.VIEW_HANDOFF)(on_view_handoff_clicked)
    card_menu(app).add(More.HANDOFF, open_handoff_modal)


async def open_handoff_modal(
    client: AsyncWebClient, deps: ListenerDeps, trigger: FormTrigger, item_key: str
) -> None:
    """Open the Handoff modal for `item_key` (the card button, the shortcut and `/cq handoff`).

    A loading modal takes the trigger id first; the form replaces it once the item is read,
    or a notice says why there is nothing this person can hand off.
    """

    def form(item: Item) -> View:
        lanes = list(deps.practice.lanes.values())
        return handoff_modal(item, lanes, item_metadata(item.key), deps.practice.timezone)

    await open_item_form(client, deps, trigger, item_key, Action.HANDOFF, form)


async def on_handoff_clicked(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    deps: ListenerDeps,
) -> None:
    await ack()
    await open_handoff_modal(client, deps, FormTrigger.of(body), action["value"])


def card_key(message: dict[str, Any], key_prefix: str) -> str | None:
    """The item key of a card message: from its actions block, or (a card that no longer has
    buttons) from the app's own text, which starts with the key."""
    for block in message.get("blocks") or []:
        key = item_key_from_block_id(str(block.get("block_id", "")))
        if key:
            return key
    if not message.get("bot_id"):
        return None
    found = re.match(rf"({re.escape(key_prefix)}-\d+)\b", str(message.get("text", "")))
    return found.group(1) if found else None


async def on_handoff_shortcut(
    ack: AsyncAck, shortcut: dict[str, Any], client: AsyncWebClient, deps: ListenerDeps
) -> None:
    await ack()
    key = card_key(shortcut.get("message") or {}, deps.practice.item_key_prefix)
    trigger = FormTrigger.of(shortcut)
    if key is None:
        await open_view(client, deps, trigger, notice_modal("Handoff note", NOT_A_CARD))
        return
    await open_handoff_modal(client, deps, trigger, key)


async def on_handoff_submitted(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    deps: ListenerDeps,
) -> None:
    key = metadata_key(view)
    item = await deps.services.get(key)
    if item is None:
        await ack(response_action="errors", errors={FieldId.ASKED: f"There is no item {key}."})
        return
    note = handoff_note_from_view(view, deps.practice.timezone)
    problems = handoff_problems(
        note,
        deps.clock.now(),
        lanes=frozenset(deps.practice.lanes),
        current_lane=item.lane,
        current_owner=item.owner,
    )
    errors = handoff_errors(view, note, problems)
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    work = partial(deps.work.handoff, item_key=key, actor=body["user"]["id"], note=note)
    await answer_submission(
        ack, body, client, deps, work, refused_under=FieldId.ASKED, incomplete=NOT_HANDED_OFF
    )


async def on_view_handoff_clicked(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    deps: ListenerDeps,
) -> None:
    """The whole note, one click from the thread entry; each view is an audited event."""
    await ack()
    parsed = parse_entry_value(str(action.get("value", "")))
    title = parsed[0] if parsed else "Handoff note"

    async def view() -> View:
        found = await deps.work.handoff_note(parsed[1]) if parsed else None
        if parsed is None or found is None:
            return notice_modal(title, "That handoff note no longer exists.")
        key = parsed[0]
        seen = await deps.services.view_details(item_key=key, actor=body["user"]["id"])
        if isinstance(seen, Refusal):
            return message_modal(key, deps.renderer.refusal(seen))
        note, by, at = found
        lane = deps.practice.lanes.get(note.next_lane) if note.next_lane else None
        return handoff_note_modal(
            key, note, by, at, lane.name if lane else None, deps.practice.timezone
        )

    await open_modal(client, deps, FormTrigger.of(body), title, view)
