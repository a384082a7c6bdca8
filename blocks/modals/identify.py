"""The Identify caller modal: who a missed call (logged with only a phone number) was from."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject
from slack_sdk.models.views import View

from blocks.ids import FieldId, ViewId
from blocks.modals.form import (
    ERROR_MAX,
    form_modal,
    input_text,
    item_heading,
    submitted_values,
    text_input,
)
from blocks.text import truncate
from bot.domain.intake import NAME_MAX, REFERENCE_MAX, FieldProblem, IntakeField
from bot.domain.items import Item

# Where each problem `check_caller` finds is shown.
_FIELD_OF: Mapping[IntakeField, FieldId] = {
    IntakeField.PATIENT_REF: FieldId.CALLER_REF,
    IntakeField.PATIENT_NAME: FieldId.CALLER_NAME,
}


def identify_caller_modal(item: Item, private_metadata: str) -> View:
    """The form that says who called: patient reference and name, each prefilled with what
    is already known. No phone number here: it is in Details, whose opening is audited.

    `private_metadata` is the caller's (the item key; never patient data).
    """
    blocks: list[Block] = [
        item_heading("Who called about", item),
        text_input(
            FieldId.CALLER_REF,
            "Patient reference number",
            initial=item.patient.reference,
            max_length=REFERENCE_MAX,
            placeholder="e.g. MRN-20431",
        ),
        text_input(
            FieldId.CALLER_NAME, "Patient name", initial=item.patient.name, max_length=NAME_MAX
        ),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text="Fill this in once you have reached the caller and checked who they "
                    "are. The number is in *Details*."
                )
            ]
        ),
    ]
    return form_modal(
        ViewId.IDENTIFY_CALLER, f"Identify: {item.key}", "Save", blocks, private_metadata
    )


def caller_from_view(view: Mapping[str, Any]) -> tuple[str, str]:
    """Read the submitted modal: (patient reference, name) as typed, unchecked."""
    values = submitted_values(view)
    return input_text(values, FieldId.CALLER_REF), input_text(values, FieldId.CALLER_NAME)


def caller_errors(problems: Sequence[FieldProblem]) -> dict[str, str]:
    """The `response_action="errors"` map for what `check_caller` found."""
    errors: dict[str, str] = {}
    for problem in problems:
        block_id = str(_FIELD_OF.get(problem.field, FieldId.CALLER_REF))
        errors[block_id] = truncate(
            f"{errors[block_id]} {problem.message}" if block_id in errors else problem.message,
            ERROR_MAX,
        )
    return errors
