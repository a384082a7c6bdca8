"""The Log call modal (who to call, what to say, what happened) and the read-only call note.

Both are views for the person working the item: the callback phone, window and the note's
free text appear here as plain_text, never in a channel.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment
from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    ContextBlock,
    DatePickerElement,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    SectionBlock,
    TimePickerElement,
)
from slack_sdk.models.views import View

from blocks.ids import FieldId, ViewId
from blocks.limits import (
    HEADER_TEXT_MAX,
    SECTION_FIELD_TEXT_MAX,
)
from blocks.modals.call_scripts import call_script_blocks
from blocks.modals.form import (
    ERROR_MAX,
    form_modal,
    input_block,
    input_state,
    input_text,
    item_heading,
    labelled_field,
    option,
    patient_field,
    picked_date,
    picked_time,
    plain,
    read_only_modal,
    select_input,
    selected_value,
    submitted_values,
    text_input,
    utc_moment,
)
from blocks.text import escape_within, mention, slack_date, truncate
from bot.domain.callbacks import (
    CONFIRMED_MAX,
    NEXT_STEP_MAX,
    Attempt,
    AttemptField,
    AttemptNote,
    AttemptProblem,
    Outcome,
)
from bot.domain.items import Item
from bot.domain.lanes import Lane

IDENTITY_VERIFIED = "verified"
IDENTITY_LABEL = "Name and date of birth verified"

# Where each problem the domain finds is shown: a next-due problem sits under the date.
FIELD_OF_PROBLEM: Mapping[AttemptField, FieldId] = {
    AttemptField.OUTCOME: FieldId.OUTCOME,
    AttemptField.IDENTITY: FieldId.IDENTITY,
    AttemptField.CONFIRMED: FieldId.CONFIRMED,
    AttemptField.NEXT_STEP: FieldId.NEXT_STEP,
    AttemptField.NEXT_DUE: FieldId.NEXT_DATE,
}


class AttemptFormIncomplete(ValueError):
    """The submitted form cannot become a note (no outcome, a date without a time)."""

    def __init__(self, field: FieldId, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message

    def errors(self) -> dict[str, str]:
        return {self.field: self.message}


@dataclass(frozen=True)
class AttemptDraft:
    """What has been filled in so far, read unchecked from the open form (an outcome just
    chosen rebuilds the form with its scripts and keeps all of this)."""

    outcome: Outcome | None = None
    identity_verified: bool = False
    confirmed: str = ""
    next_step: str = ""
    next_date: date | None = None
    next_time: time | None = None


def attempt_draft_from_view(view: Mapping[str, Any]) -> AttemptDraft:
    """The open Log call form's state as it stands; nothing in it is refused here."""
    values = submitted_values(view)
    try:
        outcome: Outcome | None = Outcome(selected_value(values, FieldId.OUTCOME))
    except ValueError:
        outcome = None
    return AttemptDraft(
        outcome=outcome,
        identity_verified=_identity_verified(values),
        confirmed=_typed(values, FieldId.CONFIRMED),
        next_step=_typed(values, FieldId.NEXT_STEP),
        next_date=picked_date(values, FieldId.NEXT_DATE),
        next_time=picked_time(values, FieldId.NEXT_TIME),
    )


def _typed(values: Mapping[str, Any], field: FieldId) -> str:
    """A text input's value exactly as typed (kept whole when the form is rebuilt)."""
    value = input_state(values, field).get("value")
    return value if isinstance(value, str) else ""


def attempt_number_text(number: int, of: int) -> str:
    """`Attempt 2 of 3`; past the lane's cadence (a supervisor asked for more), `Attempt 4`."""
    return f"Attempt {number} of {of}" if number <= of else f"Attempt {number}"


def attempt_modal(
    item: Item,
    lane: Lane,
    *,
    practice_name: str,
    default_language: str,
    env: Environment,
    private_metadata: str,
    tz: ZoneInfo | None = None,
    callback_number: str = "",
    draft: AttemptDraft | None = None,
) -> View:
    """The form for logging one call on `item`: who to call and when they prefer, the
    lane's approved scripts for this moment in the patient's language (the opening and the
    voicemail; once `draft` has an outcome, what to say for it), then the outcome, identity
    check, what was confirmed, the next step and when it is due, filled in from `draft`.

    `private_metadata` is the caller's (the item key; never patient data). Scripts see only
    the patient's first name and the practice's name and `callback_number`.
    """
    draft = draft or AttemptDraft()
    patient = item.patient
    number = item.attempts + 1
    blocks: list[Block] = [
        item_heading("Calling about", item),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=truncate(
                        f"{escape_within(lane.name, 200)} · "
                        f"{attempt_number_text(number, lane.cadence.attempts)}",
                        SECTION_FIELD_TEXT_MAX,
                    ),
                    verbatim=True,
                )
            ]
        ),
        SectionBlock(
            fields=[
                patient_field("Ask for", patient.name),
                patient_field("Callback phone", patient.phone),
                patient_field("Preferred window", patient.callback_window),
                patient_field("Language", patient.language),
            ]
        ),
        DividerBlock(),
    ]
    blocks += call_script_blocks(
        item,
        lane,
        draft.outcome,
        env=env,
        practice_name=practice_name,
        callback_number=callback_number,
        default_language=default_language,
    )
    blocks += [
        ContextBlock(
            elements=[
                PlainTextObject(
                    text="Verify name and date of birth before sharing anything. "
                    "No medical details on a voicemail, and no medical advice: "
                    "clinical questions go to the clinical team.",
                    emoji=False,
                )
            ]
        ),
        DividerBlock(),
        *_inputs(tz, draft),
    ]
    return form_modal(ViewId.ATTEMPT, f"Log call {item.key}", "Log call", blocks, private_metadata)


def _inputs(tz: ZoneInfo | None, draft: AttemptDraft) -> list[Block]:
    verified = Option(text=IDENTITY_LABEL, value=IDENTITY_VERIFIED)
    return [
        select_input(
            FieldId.OUTCOME,
            "Outcome",
            "What happened on the call?",
            [option(o.label, o.value) for o in Outcome],
            initial_value=draft.outcome.value if draft.outcome else None,
            hint="Choosing one shows what to say for it.",
            # The form follows the outcome: its scripts change with it.
            dispatch_action=True,
        ),
        input_block(
            FieldId.IDENTITY,
            "Identity (needed if you reached the patient)",
            CheckboxesElement(
                action_id=FieldId.IDENTITY,
                options=[verified],
                initial_options=[verified] if draft.identity_verified else None,
            ),
            optional=True,
        ),
        text_input(
            FieldId.CONFIRMED,
            "What was confirmed (needed if you reached the patient)",
            max_length=CONFIRMED_MAX,
            initial=draft.confirmed,
            multiline=True,
            optional=True,
            placeholder="e.g. Chose Tue 10:30 AM with Dr. Rivera; confirmation text sent.",
            hint="Needed when you reached the patient. Administrative facts only.",
        ),
        text_input(
            FieldId.NEXT_STEP,
            "Next step (needed if you reached the patient or had a wrong number)",
            max_length=NEXT_STEP_MAX,
            initial=draft.next_step,
            optional=True,
            placeholder="e.g. None, ready to close / Nurse to call back by 3 PM",
        ),
        input_block(
            FieldId.NEXT_DATE,
            "Next attempt or update due: date",
            DatePickerElement(
                action_id=FieldId.NEXT_DATE,
                placeholder="Choose a day",
                initial_date=draft.next_date.isoformat() if draft.next_date else None,
            ),
            optional=True,
            hint="Leave empty to follow the lane's callback cadence. A time you choose must"
            " fall in the practice's opening hours.",
        ),
        input_block(
            FieldId.NEXT_TIME,
            "Time (the practice's time zone)",
            TimePickerElement(
                action_id=FieldId.NEXT_TIME,
                placeholder="Choose a time",
                initial_time=draft.next_time.strftime("%H:%M") if draft.next_time else None,
                timezone=tz.key if tz is not None else None,
            ),
            optional=True,
        ),
    ]


# --- reading the submission -----------------------------------------------------------------


def _outcome(values: Mapping[str, Any]) -> Outcome:
    try:
        return Outcome(selected_value(values, FieldId.OUTCOME))
    except ValueError:
        raise AttemptFormIncomplete(FieldId.OUTCOME, "Choose what happened on the call.") from None


def _identity_verified(values: Mapping[str, Any]) -> bool:
    options = input_state(values, FieldId.IDENTITY).get("selected_options")
    if not isinstance(options, Sequence):
        return False
    return any(isinstance(o, Mapping) and o.get("value") == IDENTITY_VERIFIED for o in options)


def _next_due(values: Mapping[str, Any], tz: ZoneInfo, today: date | None) -> datetime | None:
    picked_date = input_state(values, FieldId.NEXT_DATE).get("selected_date")
    picked_time = input_state(values, FieldId.NEXT_TIME).get("selected_time")
    if not picked_date and not picked_time:
        return None
    try:
        day = date.fromisoformat(picked_date) if picked_date else today
        at = time.fromisoformat(picked_time) if picked_time else None
    except (TypeError, ValueError):
        raise AttemptFormIncomplete(FieldId.NEXT_DATE, "Choose a date and a time.") from None
    if at is None:
        raise AttemptFormIncomplete(FieldId.NEXT_TIME, "Choose a time on that day as well.")
    if day is None:
        raise AttemptFormIncomplete(FieldId.NEXT_DATE, "Choose a day for that time as well.")
    return utc_moment(day, at, tz)


def attempt_note_from_view(
    view: Mapping[str, Any], tz: ZoneInfo, *, today: date | None = None
) -> AttemptNote:
    """Read the submitted Log call modal into a note, unchecked (see `attempt_problems`).

    The next-due date and time are in the practice's zone `tz`; a time with no date means
    `today` (the practice's date, which the caller knows), a date needs a time. Raises
    AttemptFormIncomplete for what cannot become a note: no outcome, half a next-due time.
    """
    values = submitted_values(view)
    return AttemptNote(
        outcome=_outcome(values),
        identity_verified=_identity_verified(values),
        confirmed=input_text(values, FieldId.CONFIRMED),
        next_step=input_text(values, FieldId.NEXT_STEP),
        next_due=_next_due(values, tz, today),
    )


def attempt_errors(problems: Sequence[AttemptProblem]) -> dict[str, str]:
    """The domain's problems with a note, by the input block that shows each."""
    errors: dict[str, list[str]] = {}
    for problem in problems:
        errors.setdefault(FIELD_OF_PROBLEM[problem.field], []).append(problem.message)
    return {field: truncate(" ".join(messages), ERROR_MAX) for field, messages in errors.items()}


# --- the read-only note ------------------------------------------------------------------------


def attempt_note_modal(item_key: str, attempt: Attempt, tz: ZoneInfo, of: int) -> View:
    """One logged call in full: outcome, identity check, what was confirmed, the next step
    and when it is due, who called and when. `of` is the lane's number of attempts."""
    number = attempt_number_text(attempt.number, of)
    blocks: list[Block] = [
        HeaderBlock(text=plain(f"{item_key} · {number}", HEADER_TEXT_MAX)),
        SectionBlock(
            fields=[
                labelled_field("Outcome", attempt.outcome.label),
                labelled_field("Identity verified", "Yes" if attempt.identity_verified else "No"),
                labelled_field("Called by", mention(attempt.by)),
                labelled_field("When", slack_date(attempt.at, tz)),
                labelled_field(
                    "Next due", slack_date(attempt.next_due_at, tz) if attempt.next_due_at else ""
                ),
            ]
        ),
        SectionBlock(text=plain(f"What was confirmed:\n{attempt.confirmed.strip() or 'nothing'}")),
        SectionBlock(text=plain(f"Next step:\n{attempt.next_step.strip() or 'none written'}")),
    ]
    return read_only_modal(ViewId.ATTEMPT_NOTE, f"Call note {item_key}", blocks)
