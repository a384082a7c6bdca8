"""The Close modal: how the request was resolved and what the patient was told.

The lane's definition of done is shown at the top so staff know what closing promises.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View as ModalView

from blocks.ids import Field, View
from blocks.text import escape_within, truncate
from bot.domain.items import Item
from bot.domain.lanes import Lane

TITLE_MAX = 24
OPTION_TEXT_MAX = 75
OPTIONS_MAX = 100
TOLD_PATIENT_MAX = 1000


def close_modal(item: Item, lane: Lane, private_metadata: str) -> ModalView:
    """The form that closes `item`: a resolution from the lane's list and what the patient was told.

    `private_metadata` is the caller's (item key and card location; never patient data).
    A resolution already on the item (closed before, then reopened) is preselected.
    """
    options = [
        Option(text=truncate(resolution, OPTION_TEXT_MAX), value=resolution)
        for resolution in lane.resolutions[:OPTIONS_MAX]
    ]
    initial = next((o for o in options if o.value == item.resolution), None)
    heading = escape_within(f"{item.key} · {item.request_type}", 300)
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=f"Closing *{heading}*", verbatim=True)),
    ]
    if lane.definition_of_done.strip():
        done = escape_within(lane.definition_of_done.strip(), 1800)
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text=f"*Done in {escape_within(lane.name, 100)} means:* {done}",
                        verbatim=True,
                    )
                ]
            )
        )
    if lane.clinical and item.clinical_ack_by is None:
        blocks.append(
            ContextBlock(
                elements=[
                    PlainTextObject(
                        text="Clinical lane: a clinician must acknowledge this item before "
                        "it can be closed.",
                        emoji=False,
                    )
                ]
            )
        )
    blocks += [
        InputBlock(
            block_id=Field.RESOLUTION,
            label="How was it resolved?",
            element=StaticSelectElement(
                action_id=Field.RESOLUTION,
                placeholder="Choose a resolution",
                options=options,
                initial_option=initial,
            ),
        ),
        InputBlock(
            block_id=Field.TOLD_PATIENT,
            label="What the patient was told",
            element=PlainTextInputElement(
                action_id=Field.TOLD_PATIENT,
                multiline=True,
                max_length=TOLD_PATIENT_MAX,
                placeholder="e.g. Booked for Tue 9:30 AM with Dr. Rivera; reminder text sent.",
            ),
            hint="Kept on the item's record. Administrative information only, no clinical advice.",
        ),
    ]
    return ModalView(
        type="modal",
        callback_id=View.CLOSE,
        title=truncate(f"Close {item.key}", TITLE_MAX),
        submit="Close request",
        close="Cancel",
        blocks=blocks,
        private_metadata=private_metadata,
    )


def _state(values: Mapping[str, Any], field: Field) -> Mapping[str, Any]:
    block = values.get(field)
    state = block.get(field) if isinstance(block, Mapping) else None
    return state if isinstance(state, Mapping) else {}


def close_form_from_view(view: Mapping[str, Any]) -> tuple[str, str]:
    """Read the submitted Close modal: (resolution, what the patient was told), unchecked."""
    state = view.get("state")
    values = state.get("values") if isinstance(state, Mapping) else None
    if not isinstance(values, Mapping):
        values = {}
    option = _state(values, Field.RESOLUTION).get("selected_option")
    resolution = option.get("value") if isinstance(option, Mapping) else None
    told = _state(values, Field.TOLD_PATIENT).get("value")
    return (
        resolution if isinstance(resolution, str) else "",
        told.strip() if isinstance(told, str) else "",
    )


def close_errors(resolution: str, told: str, lane: Lane) -> dict[str, str]:
    """What is wrong with a Close submission, by input block_id; empty when it can be closed.

    Refuses a resolution that is not in the lane's list and an empty or over-long
    account of what the patient was told.
    """
    errors: dict[str, str] = {}
    if resolution not in lane.resolutions:
        errors[Field.RESOLUTION] = f"Choose a resolution from the {lane.name} list."
    told = told.strip()
    if not told:
        errors[Field.TOLD_PATIENT] = "Write what the patient was told."
    elif len(told) > TOLD_PATIENT_MAX:
        errors[Field.TOLD_PATIENT] = (
            f"Keep it under {TOLD_PATIENT_MAX:,} characters ({len(told):,} now)."
        )
    return {block_id: truncate(message, 2000) for block_id, message in errors.items()}
