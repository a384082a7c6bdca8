"""The card's "More" menu (waiting, promise, move, language) and its Resume and Merge buttons.

Each menu choice opens its modal with the trigger at once, then fills it in; each modal's
submission lives here too, so "what happens on Move" is in this one file.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from blocks.ids import ActionId, FieldId, More, ViewId, parse_merge_value, parse_more_value
from blocks.modals.form import item_metadata, metadata_key, metadata_value
from blocks.modals.language import language_errors, language_from_view, language_modal
from blocks.modals.move import move_errors, move_lane_from_view, move_modal
from blocks.modals.status import notice_modal
from blocks.modals.wait import wait_errors, wait_form_from_view, wait_modal
from bot.deps import Deps
from bot.domain.items import Action, Item
from handlers.deadline import answer_card_action, answer_submission
from handlers.forms import FormTrigger, open_item_form

log = logging.getLogger(__name__)


# What each menu form leads to, so the form is not offered to someone it would refuse.
_FORM_ACTIONS = {
    More.WAIT: Action.WAIT,
    More.MOVE: Action.MOVE,
    More.LANGUAGE: Action.SET_LANGUAGE,
}

NOT_WAITING = "Not saved: the check-back time has passed meanwhile. Pick a later time."
NOT_MOVED = "Not moved: choose another lane."
NOT_SET = "Not set: choose one of the languages the practice offers."


def register(app: AsyncApp) -> None:
    app.action(ActionId.MORE)(on_more_chosen)
    app.action(ActionId.RESUME)(on_resume_clicked)
    app.action(ActionId.MERGE)(on_merge_clicked)
    app.view(ViewId.WAIT)(on_wait_submitted)
    app.view(ViewId.MOVE)(on_move_submitted)
    app.view(ViewId.LANGUAGE)(on_language_submitted)


# -- the menu and the buttons ------------------------------------------------------------


async def on_more_chosen(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, deps: Deps
) -> None:
    await ack()
    option = action.get("selected_option") or {}
    chosen = parse_more_value(str(option.get("value", "")))
    if chosen is None:
        log.warning("more menu: unknown option on %s", action.get("block_id", "?"))
        return
    what, key = chosen
    trigger = FormTrigger.of(body)
    if what is More.PROMISE:
        # Promises live with their own feature; imported here so this module does not
        # depend on that one at import time.
        from handlers.promises import open_promise_modal

        await open_promise_modal(client, deps, trigger, key)
        return
    await open_item_form(
        client,
        deps,
        trigger,
        key,
        _FORM_ACTIONS[what],
        lambda item: _form(what, key, item, deps),
    )


def _form(what: More, key: str, item: Item, deps: Deps) -> View:
    """The modal for a menu choice on `item` (read for `key`), which this person may do."""
    if what is More.WAIT:
        return wait_modal(item, deps.practice.calendar, deps.clock.now(), item_metadata(key))
    if what is More.MOVE:
        if not any(other != item.lane for other in deps.practice.lanes):
            return notice_modal(key, "The practice has no other lane to move it to.")
        metadata = item_metadata(key, lane=item.lane)
        return move_modal(item, deps.practice.lanes.values(), metadata)
    return language_modal(item, deps.practice.languages, item_metadata(key))


async def on_resume_clicked(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, deps: Deps
) -> None:
    work = deps.work.resume(item_key=action["value"], actor=body["user"]["id"])
    await answer_card_action(ack, body, client, deps, work)


async def on_merge_clicked(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, deps: Deps
) -> None:
    parsed = parse_merge_value(str(action.get("value", "")))
    if parsed is None:
        await ack()
        log.warning("merge button without KEY|INTO on %s", action.get("block_id", "?"))
        return
    key, into = parsed
    work = deps.work.merge(item_key=key, actor=body["user"]["id"], into=into)
    await answer_card_action(ack, body, client, deps, work)


# -- the modals' submissions -------------------------------------------------------------


async def on_wait_submitted(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient, deps: Deps
) -> None:
    form = wait_form_from_view(view)
    errors = wait_errors(form, deps.clock.now(), deps.practice.calendar)
    check_back_at = form.check_back_at(deps.practice.calendar)
    if errors or check_back_at is None:
        await ack(response_action="errors", errors=errors)
        return
    work = deps.work.wait_on(
        item_key=metadata_key(view),
        actor=body["user"]["id"],
        waiting_on=form.waiting_on,
        check_back_at=check_back_at,
    )
    await answer_submission(
        ack, body, client, deps, work, refused_under=FieldId.WAITING_ON, incomplete=NOT_WAITING
    )


async def on_move_submitted(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient, deps: Deps
) -> None:
    lane = move_lane_from_view(view)
    # The item's lane when the modal opened, kept in its metadata beside the key.
    errors = move_errors(lane, deps.practice.lanes, metadata_value(view, "lane"))
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    work = deps.work.move(item_key=metadata_key(view), actor=body["user"]["id"], lane=lane)
    await answer_submission(
        ack, body, client, deps, work, refused_under=FieldId.MOVE_LANE, incomplete=NOT_MOVED
    )


async def on_language_submitted(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient, deps: Deps
) -> None:
    language = language_from_view(view)
    errors = language_errors(language, deps.practice.languages)
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    work = deps.work.set_language(
        item_key=metadata_key(view), actor=body["user"]["id"], language=language
    )
    await answer_submission(
        ack, body, client, deps, work, refused_under=FieldId.LANGUAGE_CHOICE, incomplete=NOT_SET
    )
