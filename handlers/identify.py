"""Identify caller: the card button on a missed call (logged with only a phone number) and its
modal, where whoever reached the caller says who it was."""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from blocks.ids import ActionId, FieldId, ViewId
from blocks.modals.form import item_metadata, metadata_key
from blocks.modals.identify import caller_errors, caller_from_view, identify_caller_modal
from bot.deps import ListenerDeps
from bot.domain.intake import check_caller
from bot.domain.items import Action
from handlers.deadline import answer_submission
from handlers.forms import FormTrigger, open_item_form


def register(app: AsyncApp) -> None:
    app.action(ActionId.IDENTIFY_CALLER)(on_identify_clicked)
    app.view(ViewId.IDENTIFY_CALLER)(on_identify_submitted)


async def on_identify_clicked(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    deps: ListenerDeps,
) -> None:
    await ack()
    key = str(action.get("value", ""))
    await open_item_form(
        client,
        deps,
        FormTrigger.of(body),
        key,
        Action.IDENTIFY_CALLER,
        lambda item: identify_caller_modal(item, item_metadata(key)),
    )


async def on_identify_submitted(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    deps: ListenerDeps,
) -> None:
    reference, name = caller_from_view(view)
    _, _, problems = check_caller(reference, name)
    if problems:
        await ack(response_action="errors", errors=caller_errors(problems))
        return
    work = partial(
        deps.services.identify_caller,
        item_key=metadata_key(view),
        actor=body["user"]["id"],
        patient_ref=reference,
        patient_name=name,
    )
    await answer_submission(ack, body, client, deps, work, refused_under=FieldId.CALLER_REF)
