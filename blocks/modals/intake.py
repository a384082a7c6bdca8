"""The "New patient request" modal, the parser of its submission, and its field errors.

The parser is pure: it turns the `view` of a `view_submission` payload into an
`IntakeDraft` that `bot.domain.intake.validate_intake` checks; problems come back to
the modal through `intake_errors`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    MarkdownTextObject,
    Option,
    OptionGroup,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from blocks.ids import FieldId, ViewId
from blocks.limits import (
    OPTION_TEXT_MAX,
    OPTION_VALUE_MAX,
    SELECT_OPTIONS_MAX,
)
from blocks.modals.form import (
    ERROR_MAX,
    date_time_inputs,
    form_modal,
    half_picked,
    input_block,
    input_state,
    metadata_value,
    option,
    read_datetime,
    select_input,
    submitted_values,
    text_input,
)
from blocks.text import safe_link, truncate
from bot.domain.intake import (
    CALLBACK_WINDOW_MAX,
    NAME_MAX,
    REFERENCE_MAX,
    SUMMARY_MAX,
    FieldProblem,
    IntakeDraft,
    IntakeField,
)
from bot.domain.items import Origin
from bot.domain.lanes import Lane

PHONE_INPUT_MAX = 40
# Slack's client cannot make an input required for one origin only: the form marks these
# optional, and the intake rules ask for them unless the request was a missed call.
UNLESS_MISSED_CALL = "Required unless it was a missed call (then the phone is enough)."
REQUEST_TYPE_SEPARATOR = "|"

# Where each intake problem is shown in the modal. A bad source link came with the
# message the summary was prefilled from, so the summary is where staff will look.
FIELD_OF: Mapping[IntakeField, FieldId] = {
    IntakeField.PATIENT_REF: FieldId.PATIENT_REF,
    IntakeField.PATIENT_NAME: FieldId.PATIENT_NAME,
    IntakeField.PHONE: FieldId.PHONE,
    IntakeField.ORIGIN: FieldId.ORIGIN,
    IntakeField.LANE: FieldId.LANE,
    IntakeField.REQUEST_TYPE: FieldId.REQUEST_TYPE,
    IntakeField.SUMMARY: FieldId.SUMMARY,
    IntakeField.LANGUAGE: FieldId.LANGUAGE,
    IntakeField.CALLBACK_WINDOW: FieldId.CALLBACK_WINDOW,
    IntakeField.SOURCE_LINK: FieldId.SUMMARY,
    IntakeField.CONTACTED_AT: FieldId.CONTACTED_DATE,
}


def _option(text: str, value: str) -> Option:
    return option(text, value[:OPTION_VALUE_MAX])


def request_type_value(lane: Lane, request_type: str) -> str:
    """The option value of a request type in the modal: `lane|type`."""
    return f"{lane.key}{REQUEST_TYPE_SEPARATOR}{request_type}"


def intake_metadata(source_link: str) -> str:
    """The modal's `private_metadata`: only the Slack permalink it came from, never patient data."""
    return json.dumps({"source_link": source_link}) if source_link else ""


def _request_type_select(lanes: Sequence[Lane], prefill: IntakeDraft) -> StaticSelectElement:
    """The request types of the chosen lane; before a lane is chosen, every lane's, grouped."""
    chosen = [lane for lane in lanes if lane.key == prefill.lane and lane.request_types]
    lanes = chosen or lanes
    groups: list[OptionGroup] = []
    initial: Option | None = None
    for lane in lanes[:SELECT_OPTIONS_MAX]:
        if not lane.request_types:
            continue
        options = [
            _option(request_type, request_type_value(lane, request_type))
            for request_type in lane.request_types[:SELECT_OPTIONS_MAX]
        ]
        if lane.key == prefill.lane and prefill.request_type:
            wanted_value = request_type_value(lane, prefill.request_type)[:OPTION_VALUE_MAX]
            initial = next((o for o in options if o.value == wanted_value), initial)
        groups.append(OptionGroup(label=truncate(lane.name, OPTION_TEXT_MAX), options=options))
    return StaticSelectElement(
        action_id=FieldId.REQUEST_TYPE,
        placeholder="Choose a request type",
        option_groups=groups,
        initial_option=initial,
    )


def intake_modal(
    lanes: Sequence[Lane],
    languages: Sequence[str],
    prefill: IntakeDraft = IntakeDraft(),  # noqa: B008 - frozen dataclass, safe as a default
    private_metadata: str = "",
    *,
    now: datetime,
    tz: ZoneInfo,
) -> View:
    """The form staff fill in to log a patient request.

    Every input starts from `prefill` (the message shortcut prefills the summary and the
    source link; a lane's own command preselects the lane). The request type list holds the
    chosen lane's types (every lane's, grouped, before one is chosen); choosing a lane
    rebuilds the form with its types (handlers/intake.py). When
    `private_metadata` is empty it carries the prefill's source link, so the link survives
    to the submission. When the patient contacted the practice starts at `now` (shown in
    the practice's zone `tz`); staff set it back for a voicemail left overnight.
    """
    blocks: list[Block] = []
    link = safe_link(prefill.source_link, "source message")
    if link is not None:
        said = f"From a Slack message: {link}"
        if len(prefill.summary) > SUMMARY_MAX:
            # Said, never done silently: the rest stays one click away in the message.
            said += (
                f"\nThe message is {len(prefill.summary):,} characters; the summary below keeps"
                f" the first {SUMMARY_MAX:,}. The link to the whole message is kept with the"
                " request."
            )
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=said, verbatim=True)]))
    blocks += [
        text_input(
            FieldId.PATIENT_REF,
            "Patient reference number",
            initial=prefill.patient_ref,
            max_length=REFERENCE_MAX,
            placeholder="e.g. MRN-20431",
            optional=True,
            hint=UNLESS_MISSED_CALL,
        ),
        text_input(
            FieldId.PATIENT_NAME,
            "Patient name",
            initial=prefill.patient_name,
            max_length=NAME_MAX,
            optional=True,
            hint=UNLESS_MISSED_CALL,
        ),
        text_input(
            FieldId.PHONE,
            "Callback phone",
            initial=prefill.phone,
            max_length=PHONE_INPUT_MAX,
            placeholder="(555) 201-4477",
        ),
        select_input(
            FieldId.ORIGIN,
            "How did the request reach us?",
            "Choose how it arrived",
            [_option(origin.label, origin.value) for origin in Origin],
            initial_value=prefill.origin,
        ),
        select_input(
            FieldId.LANE,
            "Lane",
            "Choose a lane",
            [_option(lane.name, lane.key) for lane in lanes],
            initial_value=prefill.lane,
            dispatch_action=True,  # the request types follow the lane chosen
        ),
        input_block(
            FieldId.REQUEST_TYPE,
            "Request type",
            _request_type_select(lanes, prefill),
            optional=True,
            hint="Pick a type listed under the lane you chose (a missed call may leave it).",
        ),
        text_input(
            FieldId.SUMMARY,
            "Summary of the request",
            initial=prefill.summary,
            max_length=SUMMARY_MAX,
            multiline=True,
            optional=True,
            hint="What the patient asked, in their words where it matters. No clinical advice. "
            "Required unless it was a missed call.",
        ),
    ]
    if languages:
        language = prefill.language if prefill.language in languages else languages[0]
        blocks.append(
            select_input(
                FieldId.LANGUAGE,
                "Preferred language",
                "Choose a language",
                [_option(lang, lang) for lang in languages],
                initial_value=language[:OPTION_VALUE_MAX],
            )
        )
    blocks.append(
        text_input(
            FieldId.CALLBACK_WINDOW,
            "Preferred callback window",
            initial=prefill.callback_window,
            max_length=CALLBACK_WINDOW_MAX,
            optional=True,
            placeholder="e.g. weekdays after 3 PM",
        )
    )
    blocks += date_time_inputs(
        FieldId.CONTACTED_DATE,
        FieldId.CONTACTED_TIME,
        date_label="When did the patient contact us?",
        time_label="At what time",
        tz=tz,
        optional=True,
        initial=now,
        time_hint="When the voicemail, message or call came in: the response target counts "
        "from then.",
    )
    return form_modal(
        ViewId.INTAKE,
        "New patient request",
        "Log request",
        blocks,
        private_metadata or intake_metadata(prefill.source_link),
    )


def _state_value(values: Mapping[str, Any], field: FieldId) -> str:
    """The text (as typed, unstripped) or the selected option's value of one input; empty
    when absent."""
    state = input_state(values, field)
    chosen = state.get("selected_option")
    value = chosen.get("value") if isinstance(chosen, Mapping) else state.get("value")
    return value if isinstance(value, str) else ""


def intake_draft_from_view(view: Mapping[str, Any]) -> IntakeDraft:
    """Read what was typed and chosen in a submitted intake modal, unchecked.

    The request type arrives as `lane|type`: the draft keeps only the type, and the lane
    field decides the lane (the type's lane is used only if the lane field is empty).
    """
    values = submitted_values(view)
    lane = _state_value(values, FieldId.LANE)
    type_lane, separator, request_type = _state_value(values, FieldId.REQUEST_TYPE).partition(
        REQUEST_TYPE_SEPARATOR
    )
    if not separator:
        type_lane, request_type = "", type_lane
    return IntakeDraft(
        patient_ref=_state_value(values, FieldId.PATIENT_REF),
        patient_name=_state_value(values, FieldId.PATIENT_NAME),
        phone=_state_value(values, FieldId.PHONE),
        origin=_state_value(values, FieldId.ORIGIN),
        lane=lane or type_lane,
        request_type=request_type,
        summary=_state_value(values, FieldId.SUMMARY),
        language=_state_value(values, FieldId.LANGUAGE),
        callback_window=_state_value(values, FieldId.CALLBACK_WINDOW),
        source_link=metadata_value(view, "source_link"),
    )


def contacted_at_from_view(view: Mapping[str, Any], tz: ZoneInfo) -> datetime | FieldProblem | None:
    """When the patient contacted the practice, as picked in `tz`; None when both pickers
    were cleared, a problem when only one of them was."""
    values = submitted_values(view)
    if half_picked(values, FieldId.CONTACTED_DATE, FieldId.CONTACTED_TIME) is not None:
        return FieldProblem(
            IntakeField.CONTACTED_AT, "Pick both a date and a time, or clear both for now."
        )
    return read_datetime(values, FieldId.CONTACTED_DATE, FieldId.CONTACTED_TIME, tz)


def intake_errors(problems: Sequence[FieldProblem]) -> dict[str, str]:
    """The `response_action="errors"` map: each problem under its input's block_id.

    Two problems on one input are shown together; a bad source link is shown on the summary.
    """
    errors: dict[str, str] = {}
    for problem in problems:
        block_id = str(FIELD_OF[problem.field])
        message = problem.message
        if problem.field is IntakeField.SOURCE_LINK:
            message = f"This request came from a Slack message: {message}"
        errors[block_id] = f"{errors[block_id]} {message}" if block_id in errors else message
    return {block_id: truncate(message, ERROR_MAX) for block_id, message in errors.items()}
