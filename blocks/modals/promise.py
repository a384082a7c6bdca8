"""The Promise modal: an update the patient was told to expect, and by when.

Also the pieces the handoff modal shares with it: reading a submitted form and the
date + time inputs of a deadline in the practice's time zone.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DatePickerElement,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    TimePickerElement,
)
from slack_sdk.models.views import View as ModalView

from blocks.ids import Field, View
from blocks.message import Message
from blocks.text import escape_within, practice_time, truncate
from bot.domain.handoff import PROMISE_MAX, Promise
from bot.domain.items import Item

TITLE_MAX = 24
ERROR_MAX = 2000
CONTEXT_TEXT_MAX = 3000
SHOWN_PROMISES_MAX = 5


@dataclass(frozen=True)
class PromiseDraft:
    """What the Promise modal was submitted with, unchecked. `due_at` is None unless both a
    date and a time were picked."""

    text: str
    due_at: datetime | None


# -- reading a submitted form ---------------------------------------------------------------


def submitted_values(view: Mapping[str, Any]) -> Mapping[str, Any]:
    """`view.state.values` of a view_submission, or an empty mapping."""
    state = view.get("state")
    values = state.get("values") if isinstance(state, Mapping) else None
    return values if isinstance(values, Mapping) else {}


def input_state(values: Mapping[str, Any], field: Field) -> Mapping[str, Any]:
    """The state of one input (its block_id and action_id are both `field`)."""
    block = values.get(field)
    state = block.get(field) if isinstance(block, Mapping) else None
    return state if isinstance(state, Mapping) else {}


def input_text(values: Mapping[str, Any], field: Field) -> str:
    """A text input's value, stripped; empty when it was left empty."""
    value = input_state(values, field).get("value")
    return value.strip() if isinstance(value, str) else ""


def metadata_key(view: Mapping[str, Any]) -> str:
    """The item key the modal was opened for (`private_metadata` is `{"key": ...}`)."""
    raw = view.get("private_metadata")
    try:
        metadata = json.loads(raw) if isinstance(raw, str) and raw else {}
    except ValueError:
        return ""
    key = metadata.get("key") if isinstance(metadata, dict) else None
    return key if isinstance(key, str) else ""


def item_metadata(item_key: str) -> str:
    """The modal's `private_metadata`: the item key only, never patient data."""
    return json.dumps({"key": item_key})


def message_modal(title: str, message: Message) -> ModalView:
    """A modal that only says what `message` says (a refusal, say): the app's own mrkdwn,
    already escaped where it quotes anyone, so its mentions render as mentions."""
    return ModalView(
        type="modal",
        callback_id=View.STATUS,
        title=truncate(title, TITLE_MAX),
        close="Done",
        blocks=list(message.blocks),
    )


# -- a deadline: a date and a time in the practice's zone ------------------------------------


def deadline_inputs(
    date_field: Field,
    time_field: Field,
    *,
    date_label: str,
    time_label: str,
    tz: ZoneInfo,
    optional: bool,
) -> list[InputBlock]:
    """A datepicker and a timepicker; the time is read in the practice's zone, which the
    timepicker names under the input so nobody picks it in their own."""
    return [
        InputBlock(
            block_id=date_field,
            label=date_label,
            element=DatePickerElement(action_id=date_field, placeholder="Pick a date"),
            optional=optional or None,
        ),
        InputBlock(
            block_id=time_field,
            label=time_label,
            element=TimePickerElement(
                action_id=time_field, placeholder="Pick a time", timezone=tz.key
            ),
            optional=optional or None,
        ),
    ]


def _picked_date(values: Mapping[str, Any], field: Field) -> date | None:
    raw = input_state(values, field).get("selected_date")
    try:
        return date.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


def _picked_time(values: Mapping[str, Any], field: Field) -> time | None:
    raw = input_state(values, field).get("selected_time")
    try:
        return time.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


def picked_deadline(
    values: Mapping[str, Any], date_field: Field, time_field: Field, tz: ZoneInfo
) -> datetime | None:
    """The picked date and time as a UTC time (read in `tz`); None unless both were picked."""
    day = _picked_date(values, date_field)
    at = _picked_time(values, time_field)
    if day is None or at is None:
        return None
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def half_picked(values: Mapping[str, Any], date_field: Field, time_field: Field) -> Field | None:
    """The input still empty when only one of the date and the time was picked."""
    day = _picked_date(values, date_field)
    at = _picked_time(values, time_field)
    if day is not None and at is None:
        return time_field
    if at is not None and day is None:
        return date_field
    return None


# -- the Promise modal -----------------------------------------------------------------------


def promise_modal(
    item: Item, open_promises: Sequence[Promise], private_metadata: str, tz: ZoneInfo
) -> ModalView:
    """The form that tracks a promise on `item`: what the patient will hear, and by when.

    The item's open promises are listed (the newest few) so nobody promises twice.
    `private_metadata` is the caller's (`item_metadata(key)`; never patient data).
    """
    heading = escape_within(f"{item.key} · {item.request_type}", 300)
    blocks: list[Block] = [
        SectionBlock(
            text=MarkdownTextObject(text=f"A promise to the patient on *{heading}*", verbatim=True)
        ),
    ]
    if open_promises:
        lines = [
            f"• {truncate(p.text, PROMISE_MAX)} (by {practice_time(p.due_at, tz)})"
            for p in list(open_promises)[:SHOWN_PROMISES_MAX]
        ]
        more = len(open_promises) - SHOWN_PROMISES_MAX
        if more > 0:
            lines.append(f"…and {more} more")
        listed = truncate("Already promised:\n" + "\n".join(lines), CONTEXT_TEXT_MAX)
        blocks.append(ContextBlock(elements=[PlainTextObject(text=listed, emoji=False)]))
    blocks.append(
        InputBlock(
            block_id=Field.PROMISE_TEXT,
            label="What the patient was told to expect",
            element=PlainTextInputElement(
                action_id=Field.PROMISE_TEXT,
                multiline=True,
                max_length=PROMISE_MAX,
                placeholder="e.g. We will call with the referral status.",
            ),
            hint="Administrative information only, no clinical advice.",
        )
    )
    blocks += deadline_inputs(
        Field.PROMISE_DATE,
        Field.PROMISE_TIME,
        date_label="By which day",
        time_label="By what time",
        tz=tz,
        optional=False,
    )
    return ModalView(
        type="modal",
        callback_id=View.PROMISE,
        title=truncate(f"Promise on {item.key}", TITLE_MAX),
        submit="Track promise",
        close="Cancel",
        blocks=blocks,
        private_metadata=private_metadata,
    )


def promise_from_view(view: Mapping[str, Any], tz: ZoneInfo) -> PromiseDraft:
    """Read a submitted Promise modal, unchecked; the deadline is read in `tz`."""
    values = submitted_values(view)
    return PromiseDraft(
        text=input_text(values, Field.PROMISE_TEXT),
        due_at=picked_deadline(values, Field.PROMISE_DATE, Field.PROMISE_TIME, tz),
    )


def promise_errors(view: Mapping[str, Any], draft: PromiseDraft, now: datetime) -> dict[str, str]:
    """What is wrong with a Promise submission, by input block_id; empty when it can be tracked.

    Refuses a promise without words or over PROMISE_MAX characters, and a deadline that is
    missing, half picked or not in the future.
    """
    errors: dict[str, str] = {}
    if not draft.text:
        errors[Field.PROMISE_TEXT] = "Say what the patient was told to expect."
    elif len(draft.text) > PROMISE_MAX:
        errors[Field.PROMISE_TEXT] = f"Keep it under {PROMISE_MAX:,} characters."
    missing = half_picked(submitted_values(view), Field.PROMISE_DATE, Field.PROMISE_TIME)
    if missing is not None:
        errors[missing] = "Pick a date and a time."
    elif draft.due_at is None:
        errors[Field.PROMISE_DATE] = "By when? Pick a date and a time."
    elif draft.due_at <= now:
        errors[Field.PROMISE_DATE] = "Choose a day and time in the future."
    return {block_id: truncate(message, ERROR_MAX) for block_id, message in errors.items()}
