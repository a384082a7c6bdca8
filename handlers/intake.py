"""Logging a patient request: /intake, the global shortcut, the message shortcut, the modal."""

from __future__ import annotations

import contextlib
import html
import logging
from dataclasses import replace
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from blocks.ids import Command, FieldId, Shortcut, ViewId
from blocks.modals.intake import (
    contacted_at_from_view,
    intake_draft_from_view,
    intake_errors,
    intake_metadata,
    intake_modal,
)
from blocks.modals.status import logged_modal, saving_modal
from bot.deps import ListenerDeps
from bot.domain.intake import FieldProblem, IntakeDraft, received_time, validate_intake
from handlers.deadline import within_ack_budget
from handlers.forms import SLACK_FAILURES, FormTrigger, open_view
from handlers.queue import lane_from_text

log = logging.getLogger(__name__)


def register(app: AsyncApp) -> None:
    app.command(Command.INTAKE)(on_intake_command)
    app.shortcut(Shortcut.NEW_REQUEST)(on_new_request_shortcut)
    app.shortcut(Shortcut.LOG_MESSAGE)(on_log_message_shortcut)
    app.view(ViewId.INTAKE)(on_intake_submitted)
    app.action(FieldId.LANE)(on_lane_chosen)


def _lane_named(deps: ListenerDeps, text: str, channel_id: str = "", channel_name: str = "") -> str:
    """`/intake scheduling` (a lane's key or name, as `/queue` reads it: `new patient`) or
    /intake typed in a lane's channel preselects that lane; a lane typed wins over the
    channel's."""
    if text.strip():
        named = lane_from_text(text, deps.practice)
        if named is not None:
            return named
    for lane in deps.practice.lanes.values():
        if lane.channel in (channel_id, f"#{channel_name}"):
            return lane.key
    return ""


async def _open_form(
    client: AsyncWebClient, deps: ListenerDeps, trigger: FormTrigger, prefill: IntakeDraft
) -> None:
    view = intake_modal(
        list(deps.practice.lanes.values()),
        deps.practice.languages,
        prefill,
        private_metadata=intake_metadata(prefill.source_link),
        now=deps.clock.now(),
        tz=deps.practice.timezone,
    )
    await open_view(client, deps, trigger, view)


async def on_intake_command(
    ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient, deps: ListenerDeps
) -> None:
    await ack()
    lane = _lane_named(
        deps,
        command.get("text", ""),
        command.get("channel_id", ""),
        command.get("channel_name", ""),
    )
    await _open_form(client, deps, FormTrigger.of(command), IntakeDraft(lane=lane))


async def on_new_request_shortcut(
    ack: AsyncAck, shortcut: dict[str, Any], client: AsyncWebClient, deps: ListenerDeps
) -> None:
    await ack()
    await _open_form(client, deps, FormTrigger.of(shortcut), IntakeDraft())


def message_link(team_domain: str, channel_id: str, ts: str) -> str:
    """The message's permalink, built locally: no API call may delay opening the modal."""
    return f"https://{team_domain}.slack.com/archives/{channel_id}/p{ts.replace('.', '')}"


async def on_log_message_shortcut(
    ack: AsyncAck, shortcut: dict[str, Any], client: AsyncWebClient, deps: ListenerDeps
) -> None:
    await ack()
    message = shortcut.get("message") or {}
    # Message text arrives escaped by Slack: store what the person wrote.
    text = html.unescape(message.get("text", ""))
    link = message_link(
        (shortcut.get("team") or {}).get("domain", "slack"),
        (shortcut.get("channel") or {}).get("id", ""),
        message.get("ts", ""),
    )
    await _open_form(
        client, deps, FormTrigger.of(shortcut), IntakeDraft(summary=text, source_link=link)
    )


async def on_lane_chosen(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, deps: ListenerDeps
) -> None:
    """A lane was chosen in the open intake form: rebuild it with that lane's request types,
    keeping everything typed so far (a type from another lane is dropped)."""
    await ack()
    view = body.get("view") or {}
    if view.get("callback_id") != ViewId.INTAKE:
        return
    draft = intake_draft_from_view(view)
    lane = deps.practice.lanes.get(draft.lane)
    if lane is None:
        return
    if draft.request_type not in lane.request_types:
        draft = replace(draft, request_type="")
    form = intake_modal(
        list(deps.practice.lanes.values()),
        deps.practice.languages,
        draft,
        private_metadata=view.get("private_metadata", ""),
        now=deps.clock.now(),
        tz=deps.practice.timezone,
    )
    # The hash makes Slack refuse the update if the form changed meanwhile (a later choice
    # wins); nothing to do then.
    with contextlib.suppress(SlackApiError):
        await client.views_update(view_id=view["id"], hash=view.get("hash"), view=form)


async def on_intake_submitted(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    deps: ListenerDeps,
) -> None:
    user = body["user"]["id"]
    draft = intake_draft_from_view(view)
    checked = validate_intake(draft, deps.practice.lanes, deps.practice.languages)
    # When the patient contacted us is the item's received time: its target counts from then.
    received = contacted_at_from_view(view, deps.practice.timezone)
    if not isinstance(received, FieldProblem):
        received = received_time(received, deps.clock.now())
    if isinstance(checked, list) or isinstance(received, FieldProblem):
        problems = checked if isinstance(checked, list) else []
        if isinstance(received, FieldProblem):
            problems = [*problems, received]
        await ack(response_action="errors", errors=intake_errors(problems))
        return
    # Once per view: a replayed submission answers the item the first one made.
    future, in_time = await within_ack_budget(
        deps.redeliveries.log_submitted_intake(
            checked,
            actor=user,
            received_at=received,
            view_id=str(view.get("id", "")),
            view_hash=str(view.get("hash", "")),
        ),
        in_flight=deps.after_ack,
    )
    if in_time:
        done = future.result()
        lane = deps.practice.lane(done.item.lane)
        await ack(response_action="update", view=logged_modal(done.item, lane))
    else:
        await ack(response_action="update", view=saving_modal())
        done = await future
        # A courtesy: the item is stored and its card queued whatever Slack says now.
        try:
            await client.chat_postMessage(
                channel=user,
                text=f"Logged {done.item.key} in {deps.practice.lane(done.item.lane).name}.",
            )
        except SLACK_FAILURES:
            log.warning(
                "could not tell the person %s was logged; its card is queued", done.item.key
            )
