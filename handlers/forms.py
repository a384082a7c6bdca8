"""Opening a modal from a button, a menu or a command.

The trigger id lives 3 seconds, so a loading modal takes it at once and the real view
replaces it once the data is read. A form for an item is offered only to someone the
life-cycle table would let do it: the others see, in the modal, why not. When Slack will
not open it (an expired trigger, an outage), the person is told so in an ephemeral: the
click was answered already, and a listener that raised now would make Slack show an error.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.models.views import View as ModalView
from slack_sdk.web.async_client import AsyncWebClient

from blocks.message import Message
from blocks.modals.status import loading_modal, message_modal
from bot.deps import ListenerDeps
from bot.domain.items import Action as ItemAction
from bot.domain.items import Item, Refusal, RefusalCode

log = logging.getLogger(__name__)

# What a Web API call raises when Slack refuses it or cannot be reached.
SLACK_FAILURES = (SlackApiError, aiohttp.ClientError, TimeoutError)


@dataclass(frozen=True)
class FormTrigger:
    """What asked for a form: its trigger id, the person, and the channel they were in
    (None for a global shortcut or a button inside a modal)."""

    trigger_id: str
    user: str
    channel: str | None

    @classmethod
    def of(cls, body: Mapping[str, Any]) -> FormTrigger:
        """From a click's, shortcut's or slash command's payload."""
        user = (body.get("user") or {}).get("id") or body.get("user_id")
        channel = (body.get("channel") or {}).get("id") or body.get("channel_id")
        return cls(trigger_id=body["trigger_id"], user=str(user), channel=channel or None)


async def open_view(
    client: AsyncWebClient, deps: ListenerDeps, trigger: FormTrigger, view: ModalView
) -> str | None:
    """Open `view` with the trigger; its view id, or None when Slack would not open it (the
    person has been told)."""
    try:
        opened = await client.views_open(trigger_id=trigger.trigger_id, view=view)
    except SLACK_FAILURES as err:
        await _tell_form_not_opened(client, deps, trigger, "views.open", err)
        return None
    return str(opened["view"]["id"])


async def open_modal(
    client: AsyncWebClient,
    deps: ListenerDeps,
    trigger: FormTrigger,
    title: str,
    view: Callable[[], Awaitable[ModalView]],
) -> None:
    """Open a loading modal titled `title` with the trigger, then replace it with `view()`."""
    view_id = await open_view(client, deps, trigger, loading_modal(title))
    if view_id is None:
        return
    built = await view()
    try:
        await client.views_update(view_id=view_id, view=built)
    except SLACK_FAILURES as err:
        # The loading modal stays open with nothing in it: say why.
        await _tell_form_not_opened(client, deps, trigger, "views.update", err)


async def _tell_form_not_opened(
    client: AsyncWebClient, deps: ListenerDeps, trigger: FormTrigger, method: str, err: Exception
) -> None:
    reason = _reason(err)
    log.warning("%s failed (%s); telling the person the form did not open", method, reason)
    if _slack_side(err):
        await deps.slack.saw_failure()
    message = deps.renderer.form_not_opened().to_payload()
    try:
        if trigger.channel is not None:
            await client.chat_postEphemeral(channel=trigger.channel, user=trigger.user, **message)
        else:
            await client.chat_postMessage(channel=trigger.user, **message)
    except SLACK_FAILURES as again:
        log.warning("could not tell the person either (%s)", _reason(again))


def _reason(err: Exception) -> str:
    if isinstance(err, SlackApiError):
        data = err.response.data
        error = data.get("error") if isinstance(data, dict) else None
        return f"HTTP {err.response.status_code}, {error or 'no body'}"
    return type(err).__name__


def _slack_side(err: Exception) -> bool:
    """Slack down or overloaded, as opposed to a refusal of this one call (expired_trigger_id)."""
    if isinstance(err, SlackApiError):
        return err.response.status_code >= 500 or err.response.status_code == 429
    return True


async def refusal_before_form(
    deps: ListenerDeps, item: Item | None, item_key: str, user: str, action: ItemAction
) -> Message | None:
    """Why `user` could not submit this form for the item, said before they write it; None if
    they can. The service decides again on submit: this only spares them a wasted note (and
    records a refusal for want of a role, as every such refusal is)."""
    if item is None:
        refusal: Refusal | None = Refusal(RefusalCode.NOT_FOUND, item_key=item_key)
    else:
        refusal = await deps.services.refusal_for(item_key=item_key, actor=user, action=action)
    return deps.renderer.refusal(refusal) if refusal is not None else None


async def open_item_form(
    client: AsyncWebClient,
    deps: ListenerDeps,
    trigger: FormTrigger,
    item_key: str,
    action: ItemAction,
    form: Callable[[Item], ModalView | Awaitable[ModalView]],
) -> None:
    """Open the form for doing `action` to `item_key`: a loading modal first, then `form(item)`
    once the item is read, or the refusal `refusal_before_form` finds (no such item, not
    theirs, a state that does not allow it)."""

    async def view() -> ModalView:
        item = await deps.services.get(item_key)
        why_not = await refusal_before_form(deps, item, item_key, trigger.user, action)
        if why_not is not None:
            return message_modal(item_key, why_not)
        assert item is not None  # a missing item is refused above
        built = form(item)
        return await built if inspect.isawaitable(built) else built

    await open_modal(client, deps, trigger, item_key, view)
