"""Requests this version of CareQueue has no listener for: a click on a card or form from
before an upgrade (a retired action id), a retired shortcut or command, an event the app
no longer subscribes to. Registered last, so Bolt tries them only after every real
listener: each is acknowledged (200, never a 404 Slack shows as an error) and the person
who acted is told, in the practice's words, that nothing was changed."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from blocks.ids import DISPATCHED_FIELDS, ActionId, Command, Shortcut, ViewId
from blocks.modals.status import message_modal
from bot.deps import ListenerDeps
from handlers.errors import user_and_channel
from handlers.forms import SLACK_FAILURES

log = logging.getLogger(__name__)

# Matches any id: Bolt picks the first listener registered that matches, so these answer
# only what no feature listens to (bot/app.py registers this module last).
ANY_ID = re.compile(r".*", re.DOTALL)

# Ids this version does know. Bolt also falls through to these catch-alls when the real
# listener did not ack within its 3 seconds (a loaded machine; the save goes on and its
# handler follows up): such a request is acknowledged plainly, never called outdated,
# which would say "nothing was saved" of a save still under way.
KNOWN_IDS = frozenset(
    str(member)
    for kind in (ActionId, DISPATCHED_FIELDS, ViewId, Shortcut, Command)
    for member in kind
)


def slow_listener(body: dict[str, Any], kind: str) -> bool:
    """True (and logged) when `body`'s id has a listener in this version: it was only late."""
    view = body.get("view")
    actions = body.get("actions")
    if kind == "form":
        found = view.get("callback_id") if isinstance(view, dict) else None
    elif kind == "button":
        first = actions[0] if isinstance(actions, list) and actions else None
        found = first.get("action_id") if isinstance(first, dict) else None
    elif kind == "command":
        found = body.get("command")
    else:
        found = body.get("callback_id")
    if not isinstance(found, str) or found not in KNOWN_IDS:
        return False
    log.warning("the %s listener did not answer Slack within 3 s; acknowledged", found[:40])
    return True


def register(app: AsyncApp) -> None:
    app.action(ANY_ID)(on_outdated_action)
    app.view(ANY_ID)(on_outdated_form)
    app.view_closed(ANY_ID)(on_closed_form)
    app.shortcut(ANY_ID)(on_outdated_shortcut)
    app.command(ANY_ID)(on_outdated_command)
    app.options(ANY_ID)(on_outdated_options)
    app.event(ANY_ID)(on_unsubscribed_event)


async def on_outdated_action(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, deps: ListenerDeps
) -> None:
    await ack()
    if slow_listener(body, "button"):
        return
    log.info("a click on an action id this version does not know")
    await _tell(client, deps, body, "button")


async def on_outdated_form(ack: AsyncAck, body: dict[str, Any], deps: ListenerDeps) -> None:
    if slow_listener(body, "form"):
        await ack()  # the modal closes; a late save tells the person by DM if it fails
        return
    log.info("a submission of a form this version does not know")
    await ack(
        response_action="update",
        view=message_modal("CareQueue", deps.renderer.outdated("form")),
    )


async def on_closed_form(ack: AsyncAck) -> None:
    await ack()


async def on_outdated_shortcut(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, deps: ListenerDeps
) -> None:
    await ack()
    if slow_listener(body, "shortcut"):
        return
    log.info("a shortcut this version does not know")
    await _tell(client, deps, body, "shortcut")


async def on_outdated_command(ack: AsyncAck, body: dict[str, Any], deps: ListenerDeps) -> None:
    if slow_listener(body, "command"):
        await ack()
        return
    # A slash command's ack is shown to the person who typed it, and only to them.
    await ack(**deps.renderer.outdated("command").to_payload())


async def on_outdated_options(ack: AsyncAck) -> None:
    await ack(options=[])


async def on_unsubscribed_event(body: dict[str, Any]) -> None:
    """Nobody is waiting on an event: acknowledged (Bolt answers events at once), no more."""
    event = body.get("event")
    kind = event.get("type") if isinstance(event, dict) else None
    log.info("an event this version does not handle: type=%s", str(kind)[:40])


async def _tell(
    client: AsyncWebClient, deps: ListenerDeps, body: dict[str, Any], what: str
) -> None:
    """An ephemeral where the person acted, or a DM when that was not a channel (a form,
    the Home tab). A payload without a person tells nobody."""
    user, channel = user_and_channel(body)
    if not isinstance(user, str) or not user:
        return
    message = deps.renderer.outdated(what).to_payload()
    try:
        if isinstance(channel, str) and channel:
            await client.chat_postEphemeral(channel=channel, user=user, **message)
        else:
            await client.chat_postMessage(channel=user, **message)
    except SLACK_FAILURES:
        log.warning("could not tell a person their %s is outdated", what)
