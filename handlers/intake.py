"""Logging a patient request: /intake, the global shortcut, the message shortcut, the modal."""

from __future__ import annotations

import html
import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from blocks.escalation import red_flag_prompt
from blocks.ids import Command, Shortcut, ViewId
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
from handlers.forms import FormTrigger, open_view

log = logging.getLogger(__name__)


def register(app: AsyncApp) -> None:
    app.command(Command.INTAKE)(on_intake_command)
    app.shortcut(Shortcut.NEW_REQUEST)(on_new_request_shortcut)
    app.shortcut(Shortcut.LOG_MESSAGE)(on_log_message_shortcut)
    app.view(ViewId.INTAKE)(on_intake_submitted)


def _lane_named(deps: ListenerDeps, text: str, channel_id: str = "", channel_name: str = "") -> str:
    """`/intake scheduling` or /intake typed in a lane's channel preselects that lane."""
    wanted = text.strip().lower()
    for lane in deps.practice.lanes.values():
        if wanted and wanted in (lane.key, lane.name.lower()):
            return lane.key
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
    future, in_time = await within_ack_budget(
        deps.services.log_request(checked, actor=user, received_at=received)
    )
    if in_time:
        done = future.result()
        lane = deps.practice.lane(done.item.lane)
        await ack(response_action="update", view=logged_modal(done.item, lane))
    else:
        await ack(response_action="update", view=saving_modal())
        done = await future
        await client.chat_postMessage(
            channel=user,
            text=f"Logged {done.item.key} in {deps.practice.lane(done.item.lane).name}.",
        )
    if done.item.red_flags:
        # Only the person who logged it: a DM, since a form has no channel to answer in.
        await client.chat_postMessage(channel=user, **red_flag_prompt(done.item).to_payload())
