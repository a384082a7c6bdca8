"""Moving an item between lanes: "More ▸ Move to another lane…" and its submission, and the
Merge button that folds a repeat request into the patient's open item."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from blocks.ids import ActionId, FieldId, More, ViewId, parse_merge_value
from blocks.modals.form import item_metadata, metadata_key, metadata_value
from blocks.modals.move import (
    has_note_field,
    move_errors,
    move_lane_from_view,
    move_modal,
    move_note_from_view,
)
from blocks.modals.status import notice_modal
from bot.deps import ListenerDeps
from bot.domain.items import Action, Item
from bot.services.base import Done, Result
from bot.services.work import NOT_CLINICAL_NOTE_NEEDED
from handlers.deadline import answer_card_action, answer_submission
from handlers.forms import FormTrigger, open_item_form
from handlers.menu import card_menu

log = logging.getLogger(__name__)


def register(app: AsyncApp) -> None:
    card_menu(app).add(More.MOVE, open_move_form)
    app.view(ViewId.MOVE)(on_move_submitted)
    app.action(ActionId.MERGE)(on_merge_clicked)


async def open_move_form(
    client: AsyncWebClient, deps: ListenerDeps, trigger: FormTrigger, key: str
) -> None:
    def form(item: Item) -> View:
        if not any(other != item.lane for other in deps.practice.lanes):
            return notice_modal(key, "The practice has no other lane to move it to.")
        return move_modal(item, deps.practice.lanes.values(), item_metadata(key, lane=item.lane))

    await open_item_form(client, deps, trigger, key, Action.MOVE, form)


async def on_move_submitted(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    deps: ListenerDeps,
) -> None:
    lane = move_lane_from_view(view)
    # The item's lane when the modal opened, kept in its metadata beside the key.
    errors = move_errors(lane, deps.practice.lanes, metadata_value(view, "lane"))
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    work = partial(
        deps.work.move,
        item_key=metadata_key(view),
        actor=body["user"]["id"],
        lane=lane,
        note=move_note_from_view(view),
    )
    # The one thing the form cannot check: a clinician's "Not clinical" needs its note.
    where = FieldId.MOVE_NOT_CLINICAL if has_note_field(view) else FieldId.MOVE_LANE
    await answer_submission(
        ack,
        body,
        client,
        deps,
        work,
        refused_under=FieldId.MOVE_LANE,
        incomplete=lambda: {where: NOT_CLINICAL_NOTE_NEEDED},
    )


async def on_merge_clicked(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    deps: ListenerDeps,
) -> None:
    parsed = parse_merge_value(str(action.get("value", "")))
    if parsed is None:
        await ack()
        log.warning("merge button without KEY|INTO on %s", action.get("block_id", "?"))
        return
    key, into = parsed
    user = body["user"]["id"]

    async def merge() -> Result:
        result = await deps.work.merge(item_key=key, actor=user, into=into)
        if isinstance(result, Done) and result.item.key != key:
            # The clicked item is clinical: the other one was folded into it instead.
            said = deps.renderer.merged_into_clinical(kept=key, folded=result.item.key)
            await client.chat_postEphemeral(
                channel=body["channel"]["id"], user=user, **said.to_payload()
            )
        return result

    await answer_card_action(ack, body, client, deps, merge())
