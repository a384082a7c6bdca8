"""What the modals share: Slack's limits on a modal, the inputs of a form, a date and a time
in the practice's time zone, reading a submitted form, and the item key a modal carries.

A form's inputs use one id for both the block_id and the action_id (a `Field`), so a
submitted value is at `view.state.values[field][field]`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    Block,
    DatePickerElement,
    InputBlock,
    InputInteractiveElement,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
    TimePickerElement,
)
from slack_sdk.models.views import View

from blocks.ids import FieldId, ViewId
from blocks.limits import (
    INPUT_LABEL_MAX,
    MODAL_TITLE_MAX,
    OPTION_TEXT_MAX,
    SECTION_FIELD_TEXT_MAX,
    SECTION_TEXT_MAX,
    SELECT_OPTIONS_MAX,
)
from blocks.text import escape_within, truncate
from bot.domain.items import Item

T = TypeVar("T")

# Slack documents no limit for an input's error (response_action "errors"); we hold one to
# what an input's label may hold.
ERROR_MAX = INPUT_LABEL_MAX
_EMPTY = "-"


def form_modal(
    callback_id: ViewId, title: str, submit: str, blocks: Sequence[Block], private_metadata: str
) -> View:
    """A form: `title` cut to Slack's limit, a `submit` button and Cancel."""
    return View(
        type="modal",
        callback_id=callback_id,
        title=truncate(title, MODAL_TITLE_MAX),
        submit=submit,
        close="Cancel",
        blocks=list(blocks),
        private_metadata=private_metadata,
    )


def read_only_modal(callback_id: ViewId, title: str, blocks: Sequence[Block]) -> View:
    """A view with nothing to submit: `title` cut to Slack's limit, and Done."""
    return View(
        type="modal",
        callback_id=callback_id,
        title=truncate(title, MODAL_TITLE_MAX),
        close="Done",
        blocks=list(blocks),
    )


def item_heading(intro: str, item: Item) -> SectionBlock:
    """The line at the top of a form for `item`: `intro` and the item's key and request type
    (escaped), e.g. "Closing *CQ-1042 · Reschedule*"."""
    heading = escape_within(f"{item.key} · {item.request_type}", 300)
    return SectionBlock(text=MarkdownTextObject(text=f"{intro} *{heading}*", verbatim=True))


# -- inputs ----------------------------------------------------------------------------------


def input_block(
    field: FieldId,
    label: str,
    element: InputInteractiveElement,
    *,
    optional: bool = False,
    hint: str | None = None,
    dispatch_action: bool = False,
) -> InputBlock:
    """One input of a form; its block_id is `field` (the element's action_id should be too).
    With `dispatch_action`, Slack tells the app when it changes (the form can follow it)."""
    return InputBlock(
        block_id=field,
        label=label,
        element=element,
        optional=optional or None,
        hint=hint,
        dispatch_action=dispatch_action or None,
    )


def text_input(
    field: FieldId,
    label: str,
    *,
    max_length: int,
    initial: str = "",
    multiline: bool = False,
    optional: bool = False,
    placeholder: str | None = None,
    hint: str | None = None,
) -> InputBlock:
    """A plain_text_input of at most `max_length` characters, starting from `initial` (cut to
    fit)."""
    element = PlainTextInputElement(
        action_id=field,
        initial_value=truncate(initial, max_length) or None,
        multiline=multiline or None,
        max_length=max_length,
        placeholder=placeholder,
    )
    return input_block(field, label, element, optional=optional, hint=hint)


def option(text: str, value: str) -> Option:
    """A select's option; its text is cut to Slack's limit (the value is the caller's)."""
    return Option(text=truncate(text, OPTION_TEXT_MAX), value=value)


def select_input(
    field: FieldId,
    label: str,
    placeholder: str,
    options: Sequence[Option],
    *,
    initial_value: str | None = None,
    optional: bool = False,
    hint: str | None = None,
    dispatch_action: bool = False,
) -> InputBlock:
    """A static_select of the first SELECT_OPTIONS_MAX `options`; the one whose value is
    `initial_value` starts chosen."""
    options = list(options)[:SELECT_OPTIONS_MAX]
    initial = next((o for o in options if o.value == initial_value), None)
    element = StaticSelectElement(
        action_id=field, placeholder=placeholder, options=options, initial_option=initial
    )
    return input_block(
        field, label, element, optional=optional, hint=hint, dispatch_action=dispatch_action
    )


def date_time_inputs(
    date_field: FieldId,
    time_field: FieldId,
    *,
    date_label: str,
    time_label: str,
    tz: ZoneInfo,
    optional: bool = False,
    initial: datetime | None = None,
    time_hint: str | None = None,
) -> list[InputBlock]:
    """A datepicker and a timepicker for one moment, read in the practice's zone `tz`, which
    the timepicker names so nobody picks it in their own. `initial` is shown in `tz`."""
    local = initial.astimezone(tz) if initial is not None else None
    return [
        input_block(
            date_field,
            date_label,
            DatePickerElement(
                action_id=date_field,
                initial_date=local.date().isoformat() if local else None,
                placeholder="Pick a date",
            ),
            optional=optional,
        ),
        input_block(
            time_field,
            time_label,
            TimePickerElement(
                action_id=time_field,
                initial_time=local.strftime("%H:%M") if local else None,
                placeholder="Pick a time",
                timezone=tz.key,
            ),
            optional=optional,
            hint=time_hint,
        ),
    ]


# -- reading a submitted form -----------------------------------------------------------------


def submitted_values(view: Mapping[str, Any]) -> Mapping[str, Any]:
    """`view.state.values` of a view_submission, or an empty mapping."""
    state = view.get("state")
    values = state.get("values") if isinstance(state, Mapping) else None
    return values if isinstance(values, Mapping) else {}


def input_state(values: Mapping[str, Any], field: FieldId) -> Mapping[str, Any]:
    """The state of one input (its block_id and action_id are both `field`)."""
    block = values.get(field)
    state = block.get(field) if isinstance(block, Mapping) else None
    return state if isinstance(state, Mapping) else {}


def input_text(values: Mapping[str, Any], field: FieldId) -> str:
    """A text input's value, stripped; empty when it was left empty."""
    value = input_state(values, field).get("value")
    return value.strip() if isinstance(value, str) else ""


def selected_value(values: Mapping[str, Any], field: FieldId) -> str:
    """The value of a select's chosen option; empty when none was chosen."""
    chosen = input_state(values, field).get("selected_option")
    value = chosen.get("value") if isinstance(chosen, Mapping) else None
    return value if isinstance(value, str) else ""


def _picked(
    values: Mapping[str, Any], field: FieldId, key: str, parse: Callable[[str], T]
) -> T | None:
    raw = input_state(values, field).get(key)
    try:
        return parse(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


def picked_date(values: Mapping[str, Any], field: FieldId) -> date | None:
    """A datepicker's date; None when none (or something unreadable) was sent."""
    return _picked(values, field, "selected_date", date.fromisoformat)


def picked_time(values: Mapping[str, Any], field: FieldId) -> time | None:
    """A timepicker's time; None when none (or something unreadable) was sent."""
    return _picked(values, field, "selected_time", time.fromisoformat)


def read_datetime(
    values: Mapping[str, Any], date_field: FieldId, time_field: FieldId, tz: ZoneInfo
) -> datetime | None:
    """The picked date and time as a UTC time (read in `tz`); None unless both were picked."""
    day = picked_date(values, date_field)
    at = picked_time(values, time_field)
    if day is None or at is None:
        return None
    return utc_moment(day, at, tz)


def utc_moment(day: date, at: time, tz: ZoneInfo) -> datetime:
    """`day` at `at` on `tz`'s clocks, in UTC. A datepicker offers any year: near year 9999
    or year 1 the conversion overflows, and such a moment reads as the latest or earliest
    UTC time there is, which every form's "in the future" and "within a year" rules refuse
    by name."""
    try:
        return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)
    except OverflowError:
        extreme = datetime.max if day.year > 1 else datetime.min
        return extreme.replace(tzinfo=UTC)


def half_picked(
    values: Mapping[str, Any], date_field: FieldId, time_field: FieldId
) -> FieldId | None:
    """The input still empty when only one of the date and the time was picked."""
    day = picked_date(values, date_field)
    at = picked_time(values, time_field)
    if day is not None and at is None:
        return time_field
    if at is not None and day is None:
        return date_field
    return None


# -- the item a modal is for ------------------------------------------------------------------


def item_metadata(item_key: str, **more: str) -> str:
    """The modal's `private_metadata`: the item key (and what `more` adds, e.g. the lane it
    was in), never patient data."""
    return json.dumps({"key": item_key, **more})


def metadata_value(view: Mapping[str, Any], name: str) -> str:
    """One string the modal carries in its `private_metadata` (a JSON object); "" if absent."""
    raw = view.get("private_metadata")
    try:
        metadata = json.loads(raw) if isinstance(raw, str) and raw else {}
    except ValueError:
        return ""
    value = metadata.get(name) if isinstance(metadata, dict) else None
    return value if isinstance(value, str) else ""


def metadata_key(view: Mapping[str, Any]) -> str:
    """The item key the modal was opened for (see `item_metadata`); "" if absent."""
    return metadata_value(view, "key")


# -- a record shown back as text --------------------------------------------------------------


def plain(text: str, limit: int = SECTION_TEXT_MAX) -> PlainTextObject:
    """Text someone typed, as plain_text (nothing in it can ping, link or format), cut to
    `limit`; "-" when empty."""
    return PlainTextObject(text=truncate(text, limit) or _EMPTY, emoji=False)


def labelled_field(label: str, value: str) -> MarkdownTextObject:
    """A section field: the bold `label` over `value` (the app's own mrkdwn); "-" when empty."""
    return MarkdownTextObject(
        text=truncate(f"*{label}*\n{value or _EMPTY}", SECTION_FIELD_TEXT_MAX), verbatim=True
    )


def patient_field(label: str, value: str) -> PlainTextObject:
    """A section field with what the patient record says, as plain_text; "not given" when
    empty."""
    return plain(f"{label}: {value.strip() or 'not given'}", SECTION_FIELD_TEXT_MAX)
