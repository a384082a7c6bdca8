"""The Waiting modal: who the item waits on and when to check back, in the practice's time.

While an item waits, its response clock is paused; the modal says how much business time
is left, so nobody fears the wait eats the patient's response target.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject, SectionBlock
from slack_sdk.models.views import View

from blocks.ids import FieldId, ViewId
from blocks.modals.form import (
    ERROR_MAX,
    date_time_inputs,
    form_modal,
    input_text,
    option,
    picked_date,
    picked_time,
    select_input,
    selected_value,
    submitted_values,
    text_input,
    utc_moment,
)
from blocks.text import clock_time, escape_within, truncate
from bot.domain import sla
from bot.domain.items import Item, Status
from bot.domain.lanes import BusinessCalendar
from bot.domain.waiting import WaitingParty, party, waiting_phrase

WAITING_ON_MAX = 200
CHECK_BACK_HORIZON = timedelta(days=366)  # further out is almost surely a typo in the year
_SEARCH_DAYS = 30  # how far ahead the default check-back looks for an open day
_FALLBACK_TIME = time(9, 0)


@dataclass(frozen=True)
class WaitForm:
    """What the person entered, read but not checked (see `wait_errors`)."""

    waiting_on: str
    waiting_for: WaitingParty | None
    check_back_date: date | None
    check_back_time: time | None

    def check_back_at(self, calendar: BusinessCalendar) -> datetime | None:
        """The check-back moment, in UTC, of a date and time read on the practice's clocks."""
        if self.check_back_date is None or self.check_back_time is None:
            return None
        return utc_moment(self.check_back_date, self.check_back_time, calendar.tz)


def default_check_back(now: datetime, calendar: BusinessCalendar) -> datetime:
    """The next open day after today, at opening time: the owner is there when it comes back."""
    today = now.astimezone(calendar.tz).date()
    for offset in range(1, _SEARCH_DAYS + 1):
        day = today + timedelta(days=offset)
        hours = calendar.hours.get(day.weekday())
        if hours is not None and day not in calendar.holidays:
            return datetime.combine(day, hours.opens, tzinfo=calendar.tz)
    return datetime.combine(today + timedelta(days=1), _FALLBACK_TIME, tzinfo=calendar.tz)


def _business_time(minutes: float) -> str:
    whole = max(round(minutes), 0)
    hours, rest = divmod(whole, 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    return f"{hours} h" if hours else f"{rest} min"


def _clock_text(item: Item, now: datetime, calendar: BusinessCalendar) -> str:
    """What happens to the response clock, in one sentence."""
    if item.status is Status.WAITING and item.sla_remaining_minutes is not None:
        left = item.sla_remaining_minutes
    else:
        left = sla.business_minutes_between(now, item.due_at, calendar)
    if left < 1:
        return (
            "Its response target has already passed: when the wait ends it is due at once, "
            "so check back as early as the answer can come."
        )
    return (
        f"Its response clock pauses with *{_business_time(left)}* of business time left "
        "and restarts from there when the wait ends."
    )


def wait_modal(
    item: Item, calendar: BusinessCalendar, now: datetime, private_metadata: str
) -> View:
    """The form that parks `item` on an outside party until a check-back time.

    An item already waiting shows its current wait, to change who or when. `private_metadata`
    is the caller's (the item key; never patient data).
    """
    tz = calendar.tz
    check_back = item.check_back_at or default_check_back(now, calendar)
    key = escape_within(item.key, 100)
    if item.status is Status.WAITING:
        intro = (
            f"*{key}* is waiting on {waiting_phrase(item.waiting_for)}. "
            "Change who it waits on or when to check back."
        )
    else:
        intro = (
            f"*{key}* waits on someone outside the practice until the check-back time, "
            "then comes back to its owner."
        )
    blocks: list[Block] = [
        SectionBlock(
            text=MarkdownTextObject(
                text=f"{intro} {_clock_text(item, now, calendar)}", verbatim=True
            )
        ),
        select_input(
            FieldId.WAITING_FOR,
            "Waiting on",
            "Who must answer?",
            [option(each.label, each.value) for each in WaitingParty],
            initial_value=item.waiting_for or None,
            hint="This is what the card, its thread and App Home show.",
        ),
        text_input(
            FieldId.WAITING_ON,
            "Who exactly",
            max_length=WAITING_ON_MAX,
            initial=item.waiting_on,
            optional=True,
            placeholder="e.g. Dr. Patel's office, Aetna prior-auth desk",
            hint="Optional. Shown in the channel only where the practice allows free text; "
            "no patient details.",
        ),
        *date_time_inputs(
            FieldId.CHECK_BACK_DATE,
            FieldId.CHECK_BACK_TIME,
            date_label="Check back on",
            time_label="At",
            tz=tz,
            initial=check_back,
            time_hint=f"Practice time ({tz.key.replace('_', ' ')}).",
        ),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text="At the check-back time the item returns to its owner, who gets a "
                    "direct message. Resume on the card ends the wait sooner."
                )
            ]
        ),
    ]
    submit = "Start waiting" if item.status is not Status.WAITING else "Save"
    return form_modal(ViewId.WAIT, f"Waiting: {item.key}", submit, blocks, private_metadata)


def wait_form_from_view(view: Mapping[str, Any]) -> WaitForm:
    """Read the submitted Waiting modal; what is missing or unreadable comes back empty."""
    values = submitted_values(view)
    return WaitForm(
        waiting_on=input_text(values, FieldId.WAITING_ON),
        waiting_for=party(selected_value(values, FieldId.WAITING_FOR)),
        check_back_date=picked_date(values, FieldId.CHECK_BACK_DATE),
        check_back_time=picked_time(values, FieldId.CHECK_BACK_TIME),
    )


def wait_errors(form: WaitForm, now: datetime, calendar: BusinessCalendar) -> dict[str, str]:
    """What is wrong with a Waiting submission, by input block_id; empty when it can wait.

    Refuses: no choice of who it waits on, more than WAITING_ON_MAX characters of words; a missing
    date or time; a check-back that is not in the future, or more than a year out.
    """
    errors: dict[str, str] = {}
    if form.waiting_for is None:
        errors[FieldId.WAITING_FOR] = "Choose who the item is waiting on."
    if len(form.waiting_on) > WAITING_ON_MAX:
        errors[FieldId.WAITING_ON] = f"Keep it under {WAITING_ON_MAX} characters."
    if form.check_back_date is None:
        errors[FieldId.CHECK_BACK_DATE] = "Pick the day to check back."
    if form.check_back_time is None:
        errors[FieldId.CHECK_BACK_TIME] = "Pick the time to check back."
    at = form.check_back_at(calendar)
    if at is not None and form.check_back_date is not None:
        today = now.astimezone(calendar.tz).date()
        if form.check_back_date < today:
            errors[FieldId.CHECK_BACK_DATE] = "That day has passed: pick today or later."
        elif at <= now:
            shown = clock_time(now, calendar.tz)
            errors[FieldId.CHECK_BACK_TIME] = f"Pick a time later than now ({shown})."
        elif at > now + CHECK_BACK_HORIZON:
            errors[FieldId.CHECK_BACK_DATE] = "Pick a day within the next year."
    return {block_id: truncate(message, ERROR_MAX) for block_id, message in errors.items()}
