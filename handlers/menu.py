"""The card's "More" menu: one listener, and a small table of what each choice does, filled
by each feature's register(app): a form to open (waiting, promises, moves, language, log
call, handoff, close, reassign, details), or an action done at once (release). Both the
overflow of older cards and the static select of compact cards send `selected_option`."""

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
# (ack, body, client, deps, item key) -> does it and acks, as the same button would
DoNow = Callable[[AsyncAck, dict[str, Any], AsyncWebClient, ListenerDeps, str], Awaitable[None]]


class CardMenu:
    """What each "More" choice opens; one per Bolt app."""

    def __init__(self) -> None:
        self._forms: dict[More, OpenForm] = {}
        self._now: dict[More, DoNow] = {}

    def add(self, what: More, open_form: OpenForm) -> None:
        self._check_new(what)
        self._forms[what] = open_form

    def add_action(self, what: More, do_now: DoNow) -> None:
        """A choice that acts at once (Release): `do_now` acks, as its button's listener does."""
        self._check_new(what)
        self._now[what] = do_now

    def _check_new(self, what: More) -> None:
        if what in self._forms or what in self._now:
            raise ValueError(f"the More menu already has {what.value!r}")

    async def on_chosen(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        deps: ListenerDeps,
    ) -> None:
        option = action.get("selected_option") or {}
        chosen = parse_more_value(str(option.get("value", "")))
        do_now = self._now.get(chosen[0]) if chosen is not None else None
        if chosen is not None and do_now is not None:
            await do_now(ack, body, client, deps, chosen[1])
            return
        await ack()
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
