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
    SectionBlock,
)
from slack_sdk.models.views import View

from blocks.ids import ViewId
from blocks.limits import (
    HEADER_TEXT_MAX,
    SECTION_TEXT_MAX,
)
from blocks.modals.form import (
    labelled_field,
    patient_field,
    plain,
    read_only_modal,
)
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


def details_modal(item: Item, lane: Lane, tz: ZoneInfo) -> View:
    """The full record of `item`: patient name, reference, phone, language, callback window,
    summary, origin, received and due times, owner, status, resolution and source link.

    Times are Slack dates (each reader's zone, the practice's as fallback). `received` and
    `due` are shown without "ago"/"overdue" so the view needs no clock.
    """
    patient = item.patient
    blocks: list[Block] = [
        HeaderBlock(text=plain(f"{item.key} · {item.request_type}", HEADER_TEXT_MAX)),
        SectionBlock(
            fields=[
                labelled_field("Status", status_label(item.status)),
                labelled_field("Owner", mention(item.owner) if item.owner else "Unclaimed"),
                labelled_field("Lane", escape_within(lane.name, 200)),
                labelled_field("Origin", escape(item.origin.label)),
                labelled_field("Received", slack_date(item.received_at, tz)),
                labelled_field("Due", slack_date(item.due_at, tz)),
                labelled_field("Next action", escape_within(item.next_action, 1000)),
            ]
        ),
        DividerBlock(),
        SectionBlock(
            fields=[
                patient_field("Patient", patient.name),
                patient_field("Reference", patient.reference),
                patient_field("Callback phone", patient.phone),
                patient_field("Language", patient.language),
                patient_field("Callback window", patient.callback_window),
            ]
        ),
        SectionBlock(text=plain(f"Summary:\n{item.summary.strip() or 'none given'}")),
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
            blocks.append(SectionBlock(text=plain(f"Told patient:\n{item.told_patient.strip()}")))
    link = safe_link(item.source_link, "Source message")
    if link is not None:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=link, verbatim=True)]))
    return read_only_modal(ViewId.DETAILS, f"Request {item.key}", blocks)
