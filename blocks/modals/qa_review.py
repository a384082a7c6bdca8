"""The QA review form a manager opens from the weekly sample: five scores from 1 to 5, the
privacy check, and a coaching note. The item key travels in private_metadata."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    MarkdownTextObject,
    Option,
    RadioButtonsElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from blocks.ids import FieldId, ViewId
from blocks.modals.form import (
    form_modal,
    input_block,
    input_state,
    input_text,
    item_metadata,
    option,
    select_input,
    selected_value,
    submitted_values,
    text_input,
)
from blocks.text import escape_within
from bot.domain.event_details import QaReviewed
from bot.domain.qa import SCORE_MAX, SCORE_MIN

NOTE_MAX = 1_000
YES, NO = "yes", "no"
SCORES: tuple[tuple[FieldId, str], ...] = (
    (FieldId.QA_GREETING, "Greeting"),
    (FieldId.QA_EMPATHY, "Empathy"),
    (FieldId.QA_ACCURACY, "Accuracy"),
    (FieldId.QA_ESCALATION, "Escalation handling"),
    (FieldId.QA_CLOSING, "Closing"),
)
_LABELS = {1: "1 · poor", 2: "2", 3: "3 · as expected", 4: "4", 5: "5 · excellent"}


def qa_review_modal(item_key: str) -> View:
    """The scoring form for one sampled item (its key only: the reviewer opens the card and
    its thread for what happened)."""
    options = [option(_LABELS[n], str(n)) for n in range(SCORE_MIN, SCORE_MAX + 1)]
    blocks: list[Block] = [
        SectionBlock(
            text=MarkdownTextObject(
                text=f"Review how *{escape_within(item_key, 40)}* was handled, from its card"
                " and thread.",
                verbatim=True,
            )
        ),
        *(select_input(field, label, "Score 1 to 5", options) for field, label in SCORES),
        input_block(
            FieldId.QA_PRIVACY,
            "Privacy check passed?",
            RadioButtonsElement(
                action_id=FieldId.QA_PRIVACY,
                options=[Option(text="Yes", value=YES), Option(text="No", value=NO)],
            ),
            hint="No patient detail where it should not be: channel text, notes, voicemails.",
        ),
        text_input(
            FieldId.QA_NOTE,
            "Coaching note",
            max_length=NOTE_MAX,
            multiline=True,
            optional=True,
        ),
    ]
    return form_modal(
        ViewId.QA_REVIEW, f"QA review: {item_key}", "Save", blocks, item_metadata(item_key)
    )


def qa_review_from_view(view: Mapping[str, Any]) -> tuple[dict[str, int | None], bool | None, str]:
    """The submitted scores by criterion (None when not chosen), the privacy answer (None
    when not given) and the note."""
    values = submitted_values(view)
    scores: dict[str, int | None] = {}
    for field, _ in SCORES:
        picked = selected_value(values, field)
        scores[field.removeprefix("qa.")] = int(picked) if picked.isdigit() else None
    answer = (input_state(values, FieldId.QA_PRIVACY).get("selected_option") or {}).get("value")
    privacy = {YES: True, NO: False}.get(str(answer)) if answer else None
    return scores, privacy, input_text(values, FieldId.QA_NOTE)


def qa_review_errors(scores: Mapping[str, int | None], privacy: bool | None) -> dict[str, str]:
    """What a reviewer must still answer; empty when the review is complete."""
    errors = {
        str(field): "Give a score from 1 to 5."
        for field, _ in SCORES
        if not SCORE_MIN <= (scores.get(field.removeprefix("qa.")) or 0) <= SCORE_MAX
    }
    if privacy is None:
        errors[FieldId.QA_PRIVACY] = "Say whether the privacy check passed."
    return errors


def qa_review(scores: Mapping[str, int | None], privacy: bool, note: str) -> QaReviewed:
    """The review as its event's details."""
    return QaReviewed(
        greeting=scores.get("greeting"),
        empathy=scores.get("empathy"),
        accuracy=scores.get("accuracy"),
        escalation_handling=scores.get("escalation_handling"),
        closing=scores.get("closing"),
        privacy_ok=privacy,
        coaching_note=note.strip(),
    )
