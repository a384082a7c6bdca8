"""The Handoff modal, the parser of its submission, its field errors, and the read-only note.

A handoff note lets the next person continue instead of restarting: what the patient asked,
what is confirmed, what is open, what was promised and by when, what must not be promised
yet, and who is next (a person or another lane). Everything typed is shown back as
plain_text, so nothing in a note can ping, link or format.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
    UserSelectElement,
)
from slack_sdk.models.views import View

from blocks.ids import FieldId, ViewId
from blocks.limits import HEADER_TEXT_MAX
from blocks.modals.form import (
    ERROR_MAX,
    date_time_inputs,
    form_modal,
    half_picked,
    input_block,
    input_state,
    input_text,
    item_heading,
    option,
    plain,
    read_datetime,
    read_only_modal,
    select_input,
    selected_value,
    submitted_values,
    text_input,
)
from blocks.text import escape_within, mention, practice_time, slack_date, truncate
from bot.domain.handoff import FIELD_MAX, PROMISE_MAX, HandoffField, HandoffNote, HandoffProblem
from bot.domain.items import Item
from bot.domain.lanes import Lane

# Where each problem the domain finds is shown (NEXT depends on what was chosen: see below).
FIELD_OF: Mapping[HandoffField, FieldId] = {
    HandoffField.ASKED: FieldId.ASKED,
    HandoffField.CONFIRMED: FieldId.HANDOFF_CONFIRMED,
    HandoffField.UNRESOLVED: FieldId.UNRESOLVED,
    HandoffField.PROMISED: FieldId.PROMISED,
    HandoffField.PROMISED_BY: FieldId.PROMISED_DATE,
    HandoffField.NOT_TO_PROMISE: FieldId.NOT_TO_PROMISE,
    HandoffField.NEXT: FieldId.NEXT_OWNER,
}


# Each part of the note: a few lines of text, optional unless said otherwise.
_note_input = partial(text_input, max_length=FIELD_MAX, multiline=True, optional=True)


def handoff_modal(item: Item, lanes: Sequence[Lane], private_metadata: str, tz: ZoneInfo) -> View:
    """The structured handoff form for `item`; "what the patient asked" starts as its summary.

    Who is next is a person or one of the other lanes (the item's own lane is not offered).
    The promise deadline is picked in the practice's zone `tz`. `private_metadata` is the
    caller's (`{"key": ...}`; never patient data).
    """
    blocks: list[Block] = [
        item_heading("Handing off", item),
        ContextBlock(
            elements=[
                PlainTextObject(
                    text="Write it so the next person can continue without calling the patient "
                    "to start over. Administrative information only, no clinical advice.",
                    emoji=False,
                )
            ]
        ),
        _note_input(
            FieldId.ASKED, "What the patient asked", initial=item.summary.strip(), optional=False
        ),
        _note_input(FieldId.HANDOFF_CONFIRMED, "What was already confirmed"),
        _note_input(FieldId.UNRESOLVED, "What is still unresolved"),
        _note_input(
            FieldId.PROMISED,
            "What the patient was promised",
            max_length=PROMISE_MAX,
            placeholder="e.g. A call back with the referral status",
            hint="A promise is tracked by its deadline: pick the day and time below.",
        ),
        *date_time_inputs(
            FieldId.PROMISED_DATE,
            FieldId.PROMISED_TIME,
            date_label="Promised by which day",
            time_label="Promised by what time",
            tz=tz,
            optional=True,
        ),
        _note_input(FieldId.NOT_TO_PROMISE, "What must not be promised yet"),
        DividerBlock(),
        input_block(
            FieldId.NEXT_OWNER,
            "Who is next: a person",
            UserSelectElement(action_id=FieldId.NEXT_OWNER, placeholder="Choose a person"),
            optional=True,
            hint="They become the owner and get a direct message with a link to this note.",
        ),
    ]
    options = [option(lane.name, lane.key) for lane in lanes if lane.key != item.lane]
    if options:
        blocks.append(
            select_input(
                FieldId.NEXT_LANE,
                "…or another lane",
                "Choose a lane",
                options,
                optional=True,
                hint="The item moves there unowned, with that lane's response target and a "
                "new card. Choose a person or a lane, not both.",
            )
        )
    return form_modal(ViewId.HANDOFF, f"Handoff {item.key}", "Hand off", blocks, private_metadata)


def handoff_note_from_view(view: Mapping[str, Any], tz: ZoneInfo) -> HandoffNote:
    """Read a submitted Handoff modal, unchecked (`bot.domain.handoff.handoff_problems` checks).

    Text is stripped; the promise deadline is read in `tz` and is None unless both its date
    and its time were picked.
    """
    values = submitted_values(view)
    owner = input_state(values, FieldId.NEXT_OWNER).get("selected_user")
    return HandoffNote(
        asked=input_text(values, FieldId.ASKED),
        confirmed=input_text(values, FieldId.HANDOFF_CONFIRMED),
        unresolved=input_text(values, FieldId.UNRESOLVED),
        promised=input_text(values, FieldId.PROMISED),
        promised_by=read_datetime(values, FieldId.PROMISED_DATE, FieldId.PROMISED_TIME, tz),
        not_to_promise=input_text(values, FieldId.NOT_TO_PROMISE),
        next_owner=owner if isinstance(owner, str) and owner else None,
        next_lane=selected_value(values, FieldId.NEXT_LANE) or None,
    )


def handoff_errors(
    view: Mapping[str, Any], note: HandoffNote, problems: Sequence[HandoffProblem]
) -> dict[str, str]:
    """The `response_action="errors"` map for a Handoff submission; empty when it can go.

    Adds what the domain cannot see: a deadline with only its date or only its time, and a
    promise longer than a tracked promise holds (PROMISE_MAX). "Who is next" problems are
    shown on the lane when a lane was chosen, else on the person.
    """
    errors: dict[str, str] = {}

    def add(block_id: FieldId, message: str) -> None:
        errors[block_id] = f"{errors[block_id]} {message}" if block_id in errors else message

    missing = half_picked(submitted_values(view), FieldId.PROMISED_DATE, FieldId.PROMISED_TIME)
    if missing is not None:
        add(missing, "Pick a date and a time.")
    for problem in problems:
        if problem.field is HandoffField.PROMISED_BY and missing is not None:
            continue
        block_id = FIELD_OF[problem.field]
        if problem.field is HandoffField.NEXT and note.next_lane and not note.next_owner:
            block_id = FieldId.NEXT_LANE
        add(block_id, problem.message)
    if PROMISE_MAX < len(note.promised) <= FIELD_MAX:
        add(FieldId.PROMISED, f"Keep a promise under {PROMISE_MAX:,} characters.")
    return {block_id: truncate(message, ERROR_MAX) for block_id, message in errors.items()}


# -- the read-only note ----------------------------------------------------------------------


def _section(label: str, text: str) -> SectionBlock:
    body = text.strip() or "nothing noted"
    return SectionBlock(text=plain(f"{label}:\n{body}"))


def handoff_note_modal(
    item_key: str,
    note: HandoffNote,
    by: str,
    at: datetime,
    next_lane_name: str | None,
    tz: ZoneInfo,
) -> View:
    """The whole handoff note, read-only, for the person working the item (an audited view).

    Every field someone typed is plain_text. `next_lane_name` is the name of `note.next_lane`
    (None when the note names a person, or a lane the practice no longer has).
    """
    blocks: list[Block] = [
        HeaderBlock(text=plain(f"Handoff note · {item_key}", HEADER_TEXT_MAX)),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=f"Written by {mention(by)} · {slack_date(at, tz)}", verbatim=True
                )
            ]
        ),
        _section("What the patient asked", note.asked),
        _section("Already confirmed", note.confirmed),
        _section("Still unresolved", note.unresolved),
    ]
    if note.promised.strip():
        promised = note.promised.strip()
        if note.promised_by is not None:
            promised += f"\n(by {practice_time(note.promised_by, tz)})"
        blocks.append(_section("Promised to the patient", promised))
    else:
        blocks.append(_section("Promised to the patient", ""))
    blocks.append(_section("Must not be promised yet", note.not_to_promise))
    if note.next_owner:
        next_text = mention(note.next_owner)
    elif note.next_lane:
        next_text = f"the {escape_within(next_lane_name or note.next_lane, 200)} lane"
    else:
        next_text = "nobody named"
    blocks.append(
        SectionBlock(text=MarkdownTextObject(text=f"*Who is next:* {next_text}", verbatim=True))
    )
    return read_only_modal(ViewId.HANDOFF_NOTE, f"Handoff {item_key}", blocks)
