"""Handoff notes: the card's Handoff button, the "Handoff note" message shortcut and
`/cq handoff KEY` open the modal; its submission hands the item on; a thread entry's View
button shows the whole note."""

from __future__ import annotations

import re
from collections.abc import Awaitable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from blocks.ephemeral import notice, refusal_message
from blocks.ids import Action, Command, Field, Shortcut, View, item_key_from_block_id
from blocks.message import Message
from blocks.modals.handoff import (
    handoff_errors,
    handoff_modal,
    handoff_note_from_view,
    handoff_note_modal,
)
from blocks.modals.promise import item_metadata, message_modal, metadata_key
from blocks.modals.status import loading_modal, notice_modal
from bot.deps import Deps
from bot.domain.handoff import handoff_problems
from bot.domain.items import Action as ItemAction
from bot.domain.items import Item, Refusal, RefusalCode, decide
from bot.roles import actor_for
from bot.services.base import Done
from bot.services.work import NoteIncomplete
from handlers.deadline import within_ack_budget

NOT_A_CARD = (
    "Use Handoff note on a request's card in its lane channel (the message with the "
    f"Claim/Close buttons), or type `{Command.CQ} handoff` with the item key."
)


NOT_HANDED_OFF = "Not handed off: check the deadline and who is next, then try again."


def register(app: AsyncApp) -> None:
    app.action(Action.HANDOFF)(on_handoff_clicked)
    app.shortcut(Shortcut.HANDOFF)(on_handoff_shortcut)
    app.view(View.HANDOFF)(on_handoff_submitted)
    app.action(Action.VIEW_HANDOFF)(on_view_handoff_clicked)


def refusal_before_form(
    deps: Deps, item: Item | None, item_key: str, user: str, action: ItemAction
) -> Message | None:
    """Why `user` could not submit this form for the item, said before they write it; None if
    they can. The service decides again on submit: this only spares them a wasted note."""
    if item is None:
        refusal = Refusal(RefusalCode.NOT_FOUND, item_key=item_key)
        return refusal_message(refusal, deps.practice.timezone)
    lane = deps.practice.lanes.get(item.lane)
    decision = decide(
        item, action, actor_for(user, deps.practice), clinical_lane=bool(lane and lane.clinical)
    )
    if isinstance(decision, Refusal):
        return refusal_message(decision, deps.practice.timezone)
    return None


async def open_handoff_modal(
    client: AsyncWebClient, deps: Deps, trigger_id: str, item_key: str, user: str
) -> None:
    """Open the Handoff modal for `item_key` (the card button, the shortcut and `/cq handoff`).

    A loading modal takes the trigger id first; the form replaces it once the item is read,
    or a notice says why there is nothing this person can hand off.
    """
    opened = await client.views_open(trigger_id=trigger_id, view=loading_modal(item_key))
    view_id = opened["view"]["id"]
    item = await deps.services.get(item_key)
    why_not = refusal_before_form(deps, item, item_key, user, ItemAction.HANDOFF)
    if why_not is not None:
        await client.views_update(view_id=view_id, view=message_modal(item_key, why_not))
        return
    assert item is not None
    view = handoff_modal(
        item, list(deps.practice.lanes.values()), item_metadata(item.key), deps.practice.timezone
    )
    await client.views_update(view_id=view_id, view=view)


async def on_handoff_clicked(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, deps: Deps
) -> None:
    await ack()
    await open_handoff_modal(client, deps, body["trigger_id"], action["value"], body["user"]["id"])


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
    ack: AsyncAck, shortcut: dict[str, Any], client: AsyncWebClient, deps: Deps
) -> None:
    await ack()
    key = card_key(shortcut.get("message") or {}, deps.practice.item_key_prefix)
    if key is None:
        await client.views_open(
            trigger_id=shortcut["trigger_id"], view=notice_modal("Handoff note", NOT_A_CARD)
        )
        return
    await open_handoff_modal(client, deps, shortcut["trigger_id"], key, shortcut["user"]["id"])


async def _incomplete_as_none(work: Awaitable[Done | Refusal]) -> Done | Refusal | None:
    try:
        return await work
    except NoteIncomplete:
        return None


async def answer_submission(
    ack: AsyncAck,
    body: dict[str, Any],
    client: AsyncWebClient,
    deps: Deps,
    work: Awaitable[Done | Refusal],
    *,
    refused_under: Field,
    incomplete: str,
) -> Done | Refusal | None:
    """Commit within the ack budget, then close the modal, or keep it open with the refusal
    under `refused_under`. The form was checked before `work` started; if the service still
    finds it incomplete (a deadline passed meanwhile), `incomplete` says so there. When the
    database is slower than the budget the modal closes first and a refusal arrives as a
    direct message."""
    future, in_time = await within_ack_budget(_incomplete_as_none(work))
    if not in_time:
        await ack()
    result = await future
    problem: str | None = None
    if isinstance(result, Refusal):
        problem = refusal_message(result, deps.practice.timezone).text
    elif result is None:
        problem = incomplete
    if in_time and problem is not None:
        await ack(response_action="errors", errors={refused_under: problem})
    elif in_time:
        await ack()
    elif problem is not None:
        await client.chat_postMessage(channel=body["user"]["id"], **notice(problem).to_payload())
    return result


async def on_handoff_submitted(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient, deps: Deps
) -> None:
    key = metadata_key(view)
    item = await deps.services.get(key)
    if item is None:
        await ack(response_action="errors", errors={Field.ASKED: f"There is no item {key}."})
        return
    note = handoff_note_from_view(view, deps.practice.timezone)
    problems = handoff_problems(
        note,
        deps.clock.now(),
        lanes=frozenset(deps.practice.lanes),
        current_lane=item.lane,
    )
    errors = handoff_errors(view, note, problems)
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    work = deps.work.handoff(item_key=key, actor=body["user"]["id"], note=note)
    await answer_submission(
        ack, body, client, deps, work, refused_under=Field.ASKED, incomplete=NOT_HANDED_OFF
    )


def parse_entry_value(value: str) -> tuple[str, int] | None:
    """`KEY|number` from a thread entry's button (the key and a handoff id or attempt number)."""
    key, separator, number = value.rpartition("|")
    if not separator or not key or not number.isdigit():
        return None
    return key, int(number)


async def on_view_handoff_clicked(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, deps: Deps
) -> None:
    """The whole note, one click from the thread entry; each view is an audited event."""
    await ack()
    parsed = parse_entry_value(str(action.get("value", "")))
    title = parsed[0] if parsed else "Handoff note"
    opened = await client.views_open(trigger_id=body["trigger_id"], view=loading_modal(title))
    view_id = opened["view"]["id"]
    found = await deps.work.handoff_note(parsed[1]) if parsed else None
    if parsed is None or found is None:
        await client.views_update(
            view_id=view_id, view=notice_modal(title, "That handoff note no longer exists.")
        )
        return
    key = parsed[0]
    seen = await deps.services.view_details(item_key=key, actor=body["user"]["id"])
    if isinstance(seen, Refusal):
        message = refusal_message(seen, deps.practice.timezone)
        await client.views_update(view_id=view_id, view=message_modal(key, message))
        return
    note, by, at = found
    lane = deps.practice.lanes.get(note.next_lane) if note.next_lane else None
    view = handoff_note_modal(
        key, note, by, at, lane.name if lane else None, deps.practice.timezone
    )
    await client.views_update(view_id=view_id, view=view)
