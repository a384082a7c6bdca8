"""Logging a callback attempt: Log call (card button or `/cq log KEY`) opens the modal, its
submission records the call; a thread entry's View button opens one call note in full."""

from __future__ import annotations

import contextlib
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from blocks.ids import ActionId, FieldId, More, ViewId, parse_entry_value
from blocks.modals.attempt import (
    AttemptFormIncomplete,
    attempt_draft_from_view,
    attempt_errors,
    attempt_note_from_view,
    attempt_note_modal,
)
from blocks.modals.form import item_metadata, metadata_key
from blocks.modals.status import message_modal, notice_modal
from bot.deps import ListenerDeps
from bot.domain.callbacks import attempt_problems
from bot.domain.items import Action, Item, Refusal
from handlers.deadline import answer_submission
from handlers.forms import FormTrigger, open_item_form, open_modal
from handlers.menu import card_menu


def register(app: AsyncApp) -> None:
    app.action(ActionId.LOG_CALL)(on_log_call_clicked)
    app.view(ViewId.ATTEMPT)(on_attempt_submitted)
    app.action(FieldId.OUTCOME)(on_outcome_chosen)
    app.action(ActionId.VIEW_ATTEMPT)(on_view_attempt_clicked)
    card_menu(app).add(More.LOG_CALL, open_attempt_modal)


async def on_log_call_clicked(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    deps: ListenerDeps,
) -> None:
    await ack()
    await open_attempt_modal(client, deps, FormTrigger.of(body), action["value"])


async def open_attempt_modal(
    client: AsyncWebClient, deps: ListenerDeps, trigger: FormTrigger, item_key: str
) -> None:
    """Open the Log call modal for `item_key` with the trigger (a card button, `/cq log`).

    A loading modal opens at once (the trigger lives 3 s); it becomes the form, or says why
    the person cannot log a call on this item (not theirs, not claimed, closed, no such item).
    The form shows the callback phone, so opening it is recorded like Details.
    """

    async def form(item: Item) -> View:
        seen = await deps.services.view_details(item_key=item_key, actor=trigger.user)
        if isinstance(seen, Refusal):
            return message_modal(item_key, deps.renderer.refusal(seen))
        return deps.renderer.attempt_modal(item, private_metadata=item_metadata(item_key))

    await open_item_form(client, deps, trigger, item_key, Action.LOG_ATTEMPT, form)


async def on_outcome_chosen(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, deps: ListenerDeps
) -> None:
    """An outcome was chosen in the open Log call form: rebuild it with the scripts for that
    outcome, keeping everything filled in so far. The person already opened this form (and
    that view was recorded), so this reads the item and records nothing."""
    await ack()
    view = body.get("view") or {}
    if view.get("callback_id") != ViewId.ATTEMPT:
        return
    item = await deps.services.get(metadata_key(view))
    if item is None:
        return
    form = deps.renderer.attempt_modal(
        item, private_metadata=view.get("private_metadata", ""), draft=attempt_draft_from_view(view)
    )
    # The hash makes Slack refuse the update if the form changed meanwhile (a later choice
    # wins); nothing to do then.
    with contextlib.suppress(SlackApiError):
        await client.views_update(view_id=view["id"], hash=view.get("hash"), view=form)


async def on_attempt_submitted(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    deps: ListenerDeps,
) -> None:
    key = metadata_key(view)
    user = body["user"]["id"]
    tz = deps.practice.timezone
    now = deps.clock.now()
    try:
        note = attempt_note_from_view(view, tz, today=now.astimezone(tz).date())
    except AttemptFormIncomplete as incomplete:
        await ack(response_action="errors", errors=incomplete.errors())
        return
    problems = attempt_problems(note, now, deps.practice.calendar)
    if problems:
        await ack(response_action="errors", errors=attempt_errors(problems))
        return

    def still_incomplete() -> dict[str, str]:
        # The clock moved past the chosen next-due time between the check and the save.
        errors = attempt_errors(attempt_problems(note, deps.clock.now(), deps.practice.calendar))
        return errors or {FieldId.NEXT_DATE: "Try again."}

    work = partial(deps.work.log_attempt, item_key=key, actor=user, note=note)
    await answer_submission(
        ack, body, client, deps, work, refused_under=FieldId.OUTCOME, incomplete=still_incomplete
    )


async def on_view_attempt_clicked(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    deps: ListenerDeps,
) -> None:
    """The note's free text lives here, one click from the thread; each view is an event."""
    await ack()
    parsed = parse_entry_value(action.get("value", ""))
    key, number = parsed if parsed else ("", 0)
    title = key or "Call note"

    async def view() -> View:
        attempt = next((a for a in await deps.work.attempts(key) if a.number == number), None)
        if attempt is None:
            text = f"There is no call {number} on {key}." if key else "That call note is not there."
            return notice_modal(title, text)
        item = await deps.services.view_details(item_key=key, actor=body["user"]["id"])
        if isinstance(item, Refusal):
            return message_modal(key, deps.renderer.refusal(item))
        of = deps.practice.lane(item.lane).cadence.attempts
        return attempt_note_modal(key, attempt, deps.practice.timezone, of)

    await open_modal(client, deps, FormTrigger.of(body), title, view)
