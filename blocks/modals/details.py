"""The Details view: the whole record, for the person working the item.

Opening it is an audited event (the caller records it). Everything a person or another
system typed is shown as plain_text, so nothing in it can ping, link or format.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View as ModalView

from blocks.ids import View
from blocks.text import (
    escape,
    escape_within,
    mention,
    safe_link,
    slack_date,
    status_label,
    truncate,
)
from bot.domain.items import Item
from bot.domain.lanes import Lane

TITLE_MAX = 24
HEADER_MAX = 150
FIELD_MAX = 2000
SECTION_TEXT_MAX = 3000
_EMPTY = "-"


def _plain(text: str, limit: int = SECTION_TEXT_MAX) -> PlainTextObject:
    return PlainTextObject(text=truncate(text, limit) or _EMPTY, emoji=False)


def _field(label: str, value: str) -> MarkdownTextObject:
    return MarkdownTextObject(
        text=truncate(f"*{label}*\n{value or _EMPTY}", FIELD_MAX), verbatim=True
    )


def _patient_field(label: str, value: str) -> PlainTextObject:
    return _plain(f"{label}: {value.strip() or 'not given'}", FIELD_MAX)


def details_modal(item: Item, lane: Lane, tz: ZoneInfo) -> ModalView:
    """The full record of `item`: patient name, reference, phone, language, callback window,
    summary, origin, received and due times, owner, status, resolution and source link.

    Times are Slack dates (each reader's zone, the practice's as fallback). `received` and
    `due` are shown without "ago"/"overdue" so the view needs no clock.
    """
    patient = item.patient
    blocks: list[Block] = [
        HeaderBlock(
            text=PlainTextObject(
                text=truncate(f"{item.key} · {item.request_type}", HEADER_MAX), emoji=False
            )
        ),
        SectionBlock(
            fields=[
                _field("Status", status_label(item.status)),
                _field("Owner", mention(item.owner) if item.owner else "Unclaimed"),
                _field("Lane", escape_within(lane.name, 200)),
                _field("Origin", escape(item.origin.label)),
                _field("Received", slack_date(item.received_at, tz)),
                _field("Due", slack_date(item.due_at, tz)),
                _field("Next action", escape_within(item.next_action, 1000)),
            ]
        ),
        DividerBlock(),
        SectionBlock(
            fields=[
                _patient_field("Patient", patient.name),
                _patient_field("Reference", patient.reference),
                _patient_field("Callback phone", patient.phone),
                _patient_field("Language", patient.language),
                _patient_field("Callback window", patient.callback_window),
            ]
        ),
        SectionBlock(text=_plain(f"Summary:\n{item.summary.strip() or 'none given'}")),
    ]
    if not item.status.is_open:
        closed = "Resolved"
        if item.closed_by:
            closed += f" by {mention(item.closed_by)}"
        if item.resolution:
            closed += f" · {escape_within(item.resolution, 300)}"
        if item.closed_at:
            closed += f" · {slack_date(item.closed_at, tz)}"
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(text=truncate(closed, SECTION_TEXT_MAX), verbatim=True)
            )
        )
        if item.told_patient.strip():
            blocks.append(SectionBlock(text=_plain(f"Told patient:\n{item.told_patient.strip()}")))
    link = safe_link(item.source_link, "Source message")
    if link is not None:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=link, verbatim=True)]))
    return ModalView(
        type="modal",
        callback_id=View.DETAILS,
        title=truncate(f"Request {item.key}", TITLE_MAX),
        close="Done",
        blocks=blocks,
    )
