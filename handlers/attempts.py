"""Logging a callback attempt: Log call (card button or `/cq log KEY`) opens the modal, its
submission records the call; a thread entry's View button opens one call note in full."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from blocks.ephemeral import refusal_message
from blocks.ids import Action, Field, View
from blocks.modals.attempt import (
    AttemptFormIncomplete,
    attempt_errors,
    attempt_modal,
    attempt_note_from_view,
    attempt_note_modal,
)
from blocks.modals.status import loading_modal, notice_modal
from blocks.scripts import practice_environment
from bot.deps import Deps
from bot.domain.callbacks import attempt_problems
from bot.domain.items import Action as ItemAction
from bot.domain.items import Item, Refusal, RefusalCode, decide
from bot.roles import actor_for
from bot.services.work import NoteIncomplete
from handlers.deadline import within_ack_budget


def register(app: AsyncApp) -> None:
    app.action(Action.LOG_CALL)(on_log_call_clicked)
    app.view(View.ATTEMPT)(on_attempt_submitted)
    app.action(Action.VIEW_ATTEMPT)(on_view_attempt_clicked)


async def on_log_call_clicked(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, deps: Deps
) -> None:
    await ack()
    await open_attempt_modal(client, deps, body["trigger_id"], action["value"], body["user"]["id"])


async def open_attempt_modal(
    client: AsyncWebClient, deps: Deps, trigger_id: str, item_key: str, user: str
) -> None:
    """Open the Log call modal for `item_key` with `trigger_id` (a card button, `/cq log`).

    A loading modal opens at once (the trigger lives 3 s); it becomes the form, or says why
    `user` cannot log a call on this item (not theirs, not claimed, closed, no such item).
    The form shows the callback phone, so opening it is recorded like Details.
    """
    opened = await client.views_open(trigger_id=trigger_id, view=loading_modal(item_key))
    view_id = opened["view"]["id"]
    item = await deps.services.get(item_key)
    refusal = _refusal_to_log(item, item_key, user, deps)
    if refusal is None:
        seen = await deps.services.view_details(item_key=item_key, actor=user)
        refusal = seen if isinstance(seen, Refusal) else None
    if refusal is not None or item is None:
        text = refusal_message(refusal or _not_found(item_key), deps.practice.timezone).text
        await client.views_update(view_id=view_id, view=notice_modal(item_key, text))
        return
    view = attempt_modal(
        item,
        deps.practice.lane(item.lane),
        practice_name=deps.practice.name,
        default_language=deps.practice.default_language,
        env=practice_environment(deps.practice.templates_dir),
        private_metadata=json.dumps({"key": item_key}),
    )
    await client.views_update(view_id=view_id, view=view)


def _not_found(item_key: str) -> Refusal:
    return Refusal(RefusalCode.NOT_FOUND, item_key=item_key)


def _refusal_to_log(item: Item | None, item_key: str, user: str, deps: Deps) -> Refusal | None:
    """Why `user` may not log a call on the item now: no such item, not theirs (and not a
    manager), not claimed yet, closed. Asked before the form shows the patient's phone."""
    if item is None:
        return _not_found(item_key)
    decision = decide(item, ItemAction.LOG_ATTEMPT, actor_for(user, deps.practice))
    return decision if isinstance(decision, Refusal) else None


async def on_attempt_submitted(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient, deps: Deps
) -> None:
    key = json.loads(view.get("private_metadata") or "{}").get("key", "")
    user = body["user"]["id"]
    tz = deps.practice.timezone
    now = deps.clock.now()
    try:
        note = attempt_note_from_view(view, tz, today=now.astimezone(tz).date())
    except AttemptFormIncomplete as incomplete:
        await ack(response_action="errors", errors=incomplete.errors())
        return
    problems = attempt_problems(note, now)
    if problems:
        await ack(response_action="errors", errors=attempt_errors(problems))
        return
    future, in_time = await within_ack_budget(
        deps.work.log_attempt(item_key=key, actor=user, note=note)
    )
    if not in_time:
        await ack()
    try:
        result = await future
    except NoteIncomplete:
        # The clock moved past the chosen next-due time between the check and the save.
        errors = attempt_errors(attempt_problems(note, deps.clock.now()))
        if in_time:
            await ack(response_action="errors", errors=errors or {Field.NEXT_DATE: "Try again."})
            return
        raise
    refusal = result if isinstance(result, Refusal) else None
    if in_time and refusal is not None:
        text = refusal_message(refusal, tz).text
        await ack(response_action="errors", errors={Field.OUTCOME: text})
    elif in_time:
        await ack()
    elif refusal is not None:
        message = refusal_message(refusal, tz)
        await client.chat_postMessage(channel=user, **message.to_payload())


def parse_attempt_value(value: str) -> tuple[str, int] | None:
    """`CQ-1042|2` -> ("CQ-1042", 2); None for anything else."""
    key, _, number = value.rpartition("|")
    if not key or not number.isdigit():
        return None
    return key, int(number)


async def on_view_attempt_clicked(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, deps: Deps
) -> None:
    """The note's free text lives here, one click from the thread; each view is an event."""
    await ack()
    parsed = parse_attempt_value(action.get("value", ""))
    key, number = parsed if parsed else ("", 0)
    title = key or "Call note"
    opened = await client.views_open(trigger_id=body["trigger_id"], view=loading_modal(title))
    view_id = opened["view"]["id"]
    attempt = next((a for a in await deps.work.attempts(key) if a.number == number), None)
    if attempt is None:
        text = f"There is no call {number} on {key}." if key else "That call note is not there."
        await client.views_update(view_id=view_id, view=notice_modal(title, text))
        return
    item = await deps.services.view_details(item_key=key, actor=body["user"]["id"])
    if isinstance(item, Refusal):
        text = refusal_message(item, deps.practice.timezone).text
        await client.views_update(view_id=view_id, view=notice_modal(key, text))
        return
    of = deps.practice.lane(item.lane).cadence.attempts
    view = attempt_note_modal(key, attempt, deps.practice.timezone, of)
    await client.views_update(view_id=view_id, view=view)
