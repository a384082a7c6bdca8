"""Opening a modal from a button, a menu or a command.

The trigger id lives 3 seconds, so a loading modal takes it at once and the real view
replaces it once the data is read. A form for an item is offered only to someone the
life-cycle table would let do it: the others see, in the modal, why not.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable

from slack_sdk.models.views import View as ModalView
from slack_sdk.web.async_client import AsyncWebClient

from blocks.ephemeral import refusal_message
from blocks.message import Message
from blocks.modals.status import loading_modal, message_modal
from bot.deps import Deps
from bot.domain.items import Action as ItemAction
from bot.domain.items import Item, Refusal, RefusalCode, decide
from bot.roles import actor_for


async def open_modal(
    client: AsyncWebClient,
    trigger_id: str,
    title: str,
    view: Callable[[], Awaitable[ModalView]],
) -> None:
    """Open a loading modal titled `title` with `trigger_id`, then replace it with `view()`."""
    opened = await client.views_open(trigger_id=trigger_id, view=loading_modal(title))
    await client.views_update(view_id=opened["view"]["id"], view=await view())


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


async def open_item_form(
    client: AsyncWebClient,
    deps: Deps,
    trigger_id: str,
    item_key: str,
    user: str,
    action: ItemAction,
    form: Callable[[Item], ModalView | Awaitable[ModalView]],
) -> None:
    """Open the form for doing `action` to `item_key`: a loading modal first, then `form(item)`
    once the item is read, or the refusal `refusal_before_form` finds (no such item, not
    theirs, a state that does not allow it)."""

    async def view() -> ModalView:
        item = await deps.services.get(item_key)
        why_not = refusal_before_form(deps, item, item_key, user, action)
        if why_not is not None:
            return message_modal(item_key, why_not)
        assert item is not None  # a missing item is refused above
        built = form(item)
        return await built if inspect.isawaitable(built) else built

    await open_modal(client, trigger_id, item_key, view)
