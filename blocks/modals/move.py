"""The Move modal: send an item to another lane, where it starts unowned under that lane's
response target."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject, Option, SectionBlock
from slack_sdk.models.views import View

from blocks.ids import FieldId, ViewId
from blocks.limits import (
    OPTION_TEXT_MAX,
    SELECT_OPTIONS_MAX,
)
from blocks.modals.form import (
    ERROR_MAX,
    form_modal,
    input_text,
    select_input,
    selected_value,
    submitted_values,
    text_input,
)
from blocks.text import escape_within, truncate
from bot.domain.clinical import is_clinical_matter
from bot.domain.items import Item
from bot.domain.lanes import BusinessDuration, Lane, Unit, retired_lane

NOT_CLINICAL_NOTE_MAX = 1000

_UNITS = {Unit.MINUTES: "business min", Unit.HOURS: "business hour", Unit.DAYS: "business day"}


def target_text(target: BusinessDuration) -> str:
    """A response target as staff say it: `4 business hours`, `1 business day`."""
    unit = _UNITS[target.unit]
    plural = "s" if target.amount != 1 and target.unit is not Unit.MINUTES else ""
    return f"{target.amount} {unit}{plural}"


def _lane_option(lane: Lane) -> Option:
    suffix = f" · {target_text(lane.response_target)}"
    name = truncate(lane.name, OPTION_TEXT_MAX - len(suffix))
    return Option(text=f"{name}{suffix}", value=lane.key)


def move_modal(item: Item, lanes: Iterable[Lane], private_metadata: str) -> View:
    """The form that moves `item` to one of the other lanes (each shown with its target).

    `private_metadata` is the caller's (item key and current lane; never patient data).
    A clinical item also gets the "Not clinical" note: moving it to a non-clinical lane is
    a clinician's decision, and needs their reason.
    """
    lanes = list(lanes)
    current = [lane for lane in lanes if lane.key == item.lane]
    others = [lane for lane in lanes if lane.key != item.lane]
    here = escape_within(current[0].name if current else item.lane, 100)
    owned = " It stops being owned by anyone; someone in that lane claims it." if item.owner else ""
    blocks: list[Block] = [
        SectionBlock(
            text=MarkdownTextObject(
                text=f"Move *{escape_within(item.key, 100)}* out of *{here}* to the lane "
                f"that can answer it.{owned}",
                verbatim=True,
            )
        ),
        select_input(
            FieldId.MOVE_LANE,
            "Move to",
            "Choose a lane",
            [_lane_option(lane) for lane in others[:SELECT_OPTIONS_MAX]],
        ),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text="Its response target restarts under the new lane's. The card here "
                    "is edited to point to the new card in that lane's channel."
                )
            ]
        ),
    ]
    if is_clinical_matter(item, current[0] if current else retired_lane(item.lane)):
        blocks.append(
            text_input(
                FieldId.MOVE_NOT_CLINICAL,
                "Not clinical: why (clinicians only)",
                max_length=NOT_CLINICAL_NOTE_MAX,
                multiline=True,
                optional=True,
                hint="Needed to move this clinical item to a non-clinical lane. Only clinical "
                "staff may decide it is not clinical; moving it to another clinical lane "
                "needs no note.",
            )
        )
    return form_modal(ViewId.MOVE, f"Move {item.key}", "Move", blocks, private_metadata)


def move_lane_from_view(view: Mapping[str, Any]) -> str:
    """Read the submitted Move modal: the chosen lane key, unchecked ("" when none)."""
    return selected_value(submitted_values(view), FieldId.MOVE_LANE)


def move_note_from_view(view: Mapping[str, Any]) -> str:
    """The submitted "Not clinical" note ("" when the form has none or it was left empty)."""
    return input_text(submitted_values(view), FieldId.MOVE_NOT_CLINICAL)


def has_note_field(view: Mapping[str, Any]) -> bool:
    """Whether the submitted Move modal asked for the "Not clinical" note."""
    return any(b.get("block_id") == FieldId.MOVE_NOT_CLINICAL for b in view.get("blocks", []))


def move_errors(lane_key: str, lanes: Mapping[str, Lane], current_lane: str) -> dict[str, str]:
    """What is wrong with a Move submission; empty when the item can go to `lane_key`.

    Refuses no lane, a lane the practice does not have, and the lane the item is in.
    """
    if not lane_key:
        return {FieldId.MOVE_LANE: "Choose the lane to move it to."}
    if lane_key not in lanes:
        return {FieldId.MOVE_LANE: "That lane no longer exists: choose another."}
    if lane_key == current_lane:
        name = truncate(lanes[lane_key].name, ERROR_MAX - 40)
        return {FieldId.MOVE_LANE: f"It is already in {name}: choose another lane."}
    return {}
