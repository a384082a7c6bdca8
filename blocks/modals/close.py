"""The Close modal: how the request was resolved and what the patient was told.

The lane's definition of done is shown at the top so staff know what closing promises.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    MarkdownTextObject,
    PlainTextObject,
)
from slack_sdk.models.views import View

from blocks.ids import FieldId, ViewId
from blocks.limits import SELECT_OPTIONS_MAX
from blocks.modals.form import (
    ERROR_MAX,
    form_modal,
    input_text,
    item_heading,
    option,
    select_input,
    selected_value,
    submitted_values,
    text_input,
)
from blocks.text import escape_within, truncate
from bot.domain.closing import RESOLUTION, TOLD_PATIENT, close_problems
from bot.domain.items import Item
from bot.domain.lanes import Lane

TOLD_PATIENT_MAX = 1000


def close_modal(item: Item, lane: Lane, private_metadata: str) -> View:
    """The form that closes `item`: a resolution from the lane's list and what the patient was told.

    `private_metadata` is the caller's (item key and card location; never patient data).
    A resolution already on the item (closed before, then reopened) is preselected.
    """
    options = [
        option(resolution, resolution) for resolution in lane.resolutions[:SELECT_OPTIONS_MAX]
    ]
    blocks: list[Block] = [item_heading("Closing", item)]
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
        select_input(
            FieldId.RESOLUTION,
            "How was it resolved?",
            "Choose a resolution",
            options,
            initial_value=item.resolution,
        ),
        text_input(
            FieldId.TOLD_PATIENT,
            "What the patient was told",
            max_length=TOLD_PATIENT_MAX,
            multiline=True,
            placeholder="e.g. Booked for Tue 9:30 AM with Dr. Rivera; reminder text sent.",
            hint="Kept on the item's record. Administrative information only, no clinical advice.",
        ),
    ]
    return form_modal(ViewId.CLOSE, f"Close {item.key}", "Close request", blocks, private_metadata)


def close_form_from_view(view: Mapping[str, Any]) -> tuple[str, str]:
    """Read the submitted Close modal: (resolution, what the patient was told), unchecked."""
    values = submitted_values(view)
    return selected_value(values, FieldId.RESOLUTION), input_text(values, FieldId.TOLD_PATIENT)


def close_errors(item: Item, resolution: str, told: str, lane: Lane) -> dict[str, str]:
    """What is wrong with a Close submission, by input block_id; empty when it can be closed.

    Refuses what bot/domain/closing.py refuses (a resolution not in the lane's list, one
    that claims more calls than were logged, words to the patient that say nothing) and an
    over-long account of what the patient was told.
    """
    problems = close_problems(item, lane, resolution, told)
    errors: dict[str, str] = {}
    if RESOLUTION in problems:
        errors[FieldId.RESOLUTION] = problems[RESOLUTION]
    told = told.strip()
    if TOLD_PATIENT in problems:
        errors[FieldId.TOLD_PATIENT] = problems[TOLD_PATIENT]
    elif len(told) > TOLD_PATIENT_MAX:
        errors[FieldId.TOLD_PATIENT] = (
            f"Keep it under {TOLD_PATIENT_MAX:,} characters ({len(told):,} now)."
        )
    return {block_id: truncate(message, ERROR_MAX) for block_id, message in errors.items()}
