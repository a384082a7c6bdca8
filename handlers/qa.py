"""The weekly QA sample's Review button and the scoring form's submission."""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from blocks.ids import ActionId, FieldId, ViewId
from blocks.modals.form import metadata_key
from blocks.modals.qa_review import (
    qa_review,
    qa_review_errors,
    qa_review_from_view,
    qa_review_modal,
)
from bot.deps import ListenerDeps
from bot.domain.items import Action
from handlers.deadline import answer_submission
from handlers.forms import FormTrigger, open_item_form


def register(app: AsyncApp) -> None:
    app.action(ActionId.QA_REVIEW)(on_review_clicked)
    app.view(ViewId.QA_REVIEW)(on_review_submitted)


async def on_review_clicked(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    deps: ListenerDeps,
) -> None:
    """Open the scoring form; anyone but a manager, or an item no longer closed, is told
    why in the modal instead."""
    await ack()
    key = str(action.get("value", ""))
    await open_item_form(
        client, deps, FormTrigger.of(body), key, Action.QA_REVIEW, lambda _: qa_review_modal(key)
    )


async def on_review_submitted(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    deps: ListenerDeps,
) -> None:
    scores, privacy, note = qa_review_from_view(view)
    errors = qa_review_errors(scores, privacy)
    if errors or privacy is None:
        await ack(response_action="errors", errors=errors)
        return
    work = partial(
        deps.metrics.record_qa_review,
        metadata_key(view),
        body["user"]["id"],
        qa_review(scores, privacy, note),
    )
    await answer_submission(ack, body, client, deps, work, refused_under=FieldId.QA_NOTE)
