"""The Promise modal: an update the patient was told to expect, and by when."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    PlainTextObject,
)
from slack_sdk.models.views import View

from blocks.ids import FieldId, ViewId
from blocks.limits import CONTEXT_TEXT_MAX
from blocks.modals.form import (
    ERROR_MAX,
    date_time_inputs,
    form_modal,
    half_picked,
    input_text,
    item_heading,
    read_datetime,
    submitted_values,
    text_input,
)
from blocks.text import practice_time, truncate
from bot.domain.handoff import PROMISE_MAX, Promise
from bot.domain.items import Item
from bot.domain.sla import FAR_AHEAD
from bot.domain.sla import PLANNING_HORIZON as HORIZON

SHOWN_PROMISES_MAX = 5


@dataclass(frozen=True)
class PromiseDraft:
    """What the Promise modal was submitted with, unchecked. `due_at` is None unless both a
    date and a time were picked."""

    text: str
    due_at: datetime | None


def promise_modal(
    item: Item, open_promises: Sequence[Promise], private_metadata: str, tz: ZoneInfo
) -> View:
    """The form that tracks a promise on `item`: what the patient will hear, and by when.

    The item's open promises are listed (the newest few) so nobody promises twice.
    `private_metadata` is the caller's (`item_metadata(key)`; never patient data).
    """
    blocks: list[Block] = [item_heading("A promise to the patient on", item)]
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
        text_input(
            FieldId.PROMISE_TEXT,
            "What the patient was told to expect",
            max_length=PROMISE_MAX,
            multiline=True,
            placeholder="e.g. We will call with the referral status.",
            hint="Administrative information only, no clinical advice.",
        )
    )
    blocks += date_time_inputs(
        FieldId.PROMISE_DATE,
        FieldId.PROMISE_TIME,
        date_label="By which day",
        time_label="By what time",
        tz=tz,
    )
    return form_modal(
        ViewId.PROMISE, f"Promise on {item.key}", "Track promise", blocks, private_metadata
    )


def promise_from_view(view: Mapping[str, Any], tz: ZoneInfo) -> PromiseDraft:
    """Read a submitted Promise modal, unchecked; the deadline is read in `tz`."""
    values = submitted_values(view)
    return PromiseDraft(
        text=input_text(values, FieldId.PROMISE_TEXT),
        due_at=read_datetime(values, FieldId.PROMISE_DATE, FieldId.PROMISE_TIME, tz),
    )


def promise_errors(view: Mapping[str, Any], draft: PromiseDraft, now: datetime) -> dict[str, str]:
    """What is wrong with a Promise submission, by input block_id; empty when it can be tracked.

    Refuses a promise without words or over PROMISE_MAX characters, and a deadline that is
    missing, half picked or not in the future.
    """
    errors: dict[str, str] = {}
    if not draft.text:
        errors[FieldId.PROMISE_TEXT] = "Say what the patient was told to expect."
    elif len(draft.text) > PROMISE_MAX:
        errors[FieldId.PROMISE_TEXT] = f"Keep it under {PROMISE_MAX:,} characters."
    missing = half_picked(submitted_values(view), FieldId.PROMISE_DATE, FieldId.PROMISE_TIME)
    if missing is not None:
        errors[missing] = "Pick a date and a time."
    elif draft.due_at is None:
        errors[FieldId.PROMISE_DATE] = "By when? Pick a date and a time."
    elif draft.due_at <= now:
        errors[FieldId.PROMISE_DATE] = "Choose a day and time in the future."
    elif draft.due_at > now + HORIZON:
        errors[FieldId.PROMISE_DATE] = FAR_AHEAD
    return {block_id: truncate(message, ERROR_MAX) for block_id, message in errors.items()}
