"""The card's "More" overflow menu: one listener, and a small table of what each choice
opens, filled by each feature's register(app) (waiting, promises, moves, language)."""

from __future__ import annotations

import logging
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from blocks.ids import ActionId, More, parse_more_value
from bot.deps import ListenerDeps
from handlers.forms import FormTrigger

log = logging.getLogger(__name__)

# (client, deps, what asked for the form, item key) -> opens that choice's form
OpenForm = Callable[[AsyncWebClient, ListenerDeps, FormTrigger, str], Awaitable[None]]


class CardMenu:
    """What each "More" choice opens; one per Bolt app."""

    def __init__(self) -> None:
        self._forms: dict[More, OpenForm] = {}

    def add(self, what: More, open_form: OpenForm) -> None:
        if what in self._forms:
            raise ValueError(f"the More menu already has {what.value!r}")
        self._forms[what] = open_form

    async def on_chosen(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        deps: ListenerDeps,
    ) -> None:
        await ack()
        option = action.get("selected_option") or {}
        chosen = parse_more_value(str(option.get("value", "")))
        open_form = self._forms.get(chosen[0]) if chosen is not None else None
        if chosen is None or open_form is None:
            log.warning("more menu: unknown option on %s", action.get("block_id", "?"))
            return
        await open_form(client, deps, FormTrigger.of(body), chosen[1])


_MENUS: weakref.WeakKeyDictionary[AsyncApp, CardMenu] = weakref.WeakKeyDictionary()


def card_menu(app: AsyncApp) -> CardMenu:
    """The app's "More" menu, its listener registered the first time a feature asks."""
    menu = _MENUS.get(app)
    if menu is None:
        menu = _MENUS[app] = CardMenu()
        app.action(ActionId.MORE)(menu.on_chosen)
    return menu
