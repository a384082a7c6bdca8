"""The patient's language preference: "More ▸ Language…" and its submission (it follows the
patient to every open item)."""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from blocks.ids import FieldId, More, ViewId
from blocks.modals.form import item_metadata, metadata_key
from blocks.modals.language import language_errors, language_from_view, language_modal
from bot.deps import ListenerDeps
from bot.domain.items import Action
from handlers.deadline import answer_submission
from handlers.forms import FormTrigger, open_item_form
from handlers.menu import card_menu

NOT_SET = "Not set: choose one of the languages the practice offers."


def register(app: AsyncApp) -> None:
    card_menu(app).add(More.LANGUAGE, open_language_form)
    app.view(ViewId.LANGUAGE)(on_language_submitted)


async def open_language_form(
    client: AsyncWebClient, deps: ListenerDeps, trigger: FormTrigger, key: str
) -> None:
    await open_item_form(
        client,
        deps,
        trigger,
        key,
        Action.SET_LANGUAGE,
        lambda item: language_modal(item, deps.practice.languages, item_metadata(key)),
    )


async def on_language_submitted(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    deps: ListenerDeps,
) -> None:
    language = language_from_view(view)
    errors = language_errors(language, deps.practice.languages)
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    work = partial(
        deps.work.set_language,
        item_key=metadata_key(view),
        actor=body["user"]["id"],
        language=language,
    )
    await answer_submission(
        ack, body, client, deps, work, refused_under=FieldId.LANGUAGE_CHOICE, incomplete=NOT_SET
    )
