"""Waiting on an outside party: "More ▸ Waiting on…" opens the form, its submission parks
the item until a check-back time, and the card's Resume button brings it back."""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from blocks.ids import ActionId, FieldId, More, ViewId
from blocks.modals.form import item_metadata, metadata_key
from blocks.modals.wait import wait_errors, wait_form_from_view, wait_modal
from bot.deps import ListenerDeps
from bot.domain.items import Action
from handlers.deadline import answer_card_action, answer_submission
from handlers.forms import FormTrigger, open_item_form
from handlers.menu import card_menu

NOT_WAITING = "Not saved: the check-back time has passed meanwhile. Pick a later time."


def register(app: AsyncApp) -> None:
    card_menu(app).add(More.WAIT, open_wait_form)
    app.action(ActionId.RESUME)(on_resume_clicked)
    app.view(ViewId.WAIT)(on_wait_submitted)


async def open_wait_form(
    client: AsyncWebClient, deps: ListenerDeps, trigger: FormTrigger, key: str
) -> None:
    await open_item_form(
        client,
        deps,
        trigger,
        key,
        Action.WAIT,
        lambda item: wait_modal(item, deps.practice.calendar, deps.clock.now(), item_metadata(key)),
    )


async def on_resume_clicked(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    deps: ListenerDeps,
) -> None:
    work = deps.work.resume(item_key=action["value"], actor=body["user"]["id"])
    await answer_card_action(ack, body, client, deps, work)


async def on_wait_submitted(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    deps: ListenerDeps,
) -> None:
    form = wait_form_from_view(view)
    errors = wait_errors(form, deps.clock.now(), deps.practice.calendar)
    check_back_at = form.check_back_at(deps.practice.calendar)
    if errors or check_back_at is None or form.waiting_for is None:
        await ack(response_action="errors", errors=errors)
        return
    work = partial(
        deps.work.wait_on,
        item_key=metadata_key(view),
        actor=body["user"]["id"],
        waiting_for=form.waiting_for,
        waiting_on=form.waiting_on,
        check_back_at=check_back_at,
    )
    await answer_submission(
        ack, body, client, deps, work, refused_under=FieldId.WAITING_FOR, incomplete=NOT_WAITING
    )
