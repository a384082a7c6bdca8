"""A queue at a glance: `/queue` (the caller's open items) and `/queue <lane>`.

One line per item: key, lane, request type, status, owner and due time. No patient
detail at any privacy level: a queue is read in passing, often over someone's shoulder.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from blocks.limits import (
    HEADER_TEXT_MAX,
    MESSAGE_BLOCKS_JSON_MAX,
    SECTION_TEXT_MAX,
)
from blocks.message import Message
from blocks.text import ELLIPSIS, escape, escape_within, mention, slack_date, status_label, truncate
from bot.domain.items import Item
from bot.domain.practice import Practice

QUEUE_ITEMS_MAX = 40
LANES_LISTED_MAX = 40
LANE_NAME_MAX = 60
REQUEST_TYPE_MAX = 80
OVERDUE = ":warning: *overdue*"


def is_overdue(item: Item, now: datetime) -> bool:
    return item.status.is_open and now > item.due_at


def lane_name(lane_key: str, practice: Practice) -> str:
    """The lane's name from the practice file; an item in a lane since removed shows its key."""
    lane = practice.lanes.get(lane_key)
    return lane.name if lane is not None else lane_key


def item_line(item: Item, practice: Practice, now: datetime, *, owner: bool = True) -> str:
    """`*CQ-1042* · Scheduling help · Reschedule · Claimed · <@U1> · due <date>` (+ overdue).

    Only the item's key, lane, request type, status, owner and due time: nothing typed
    about the patient, whatever the practice's privacy level.
    """
    parts = [
        f"*{escape(item.key)}*",
        escape_within(lane_name(item.lane, practice), LANE_NAME_MAX),
        escape_within(item.request_type, REQUEST_TYPE_MAX),
        status_label(item.status),
    ]
    if owner:
        parts.append(mention(item.owner) if item.owner else "Unclaimed")
    parts.append(f"due {slack_date(item.due_at, practice.timezone)}")
    if is_overdue(item, now):
        parts.append(OVERDUE)
    return " · ".join(parts)


def more_line(count: int, noun: str = "") -> str:
    noun = f" {noun}" if noun else ""
    return f"{ELLIPSIS}and {count} more{noun}"


def packed_sections(lines: Sequence[str]) -> list[SectionBlock]:
    """Lines as a list, as few sections as fit Slack's 3,000 characters per section."""
    sections: list[SectionBlock] = []
    current: list[str] = []
    for line in lines:
        line = truncate(line, SECTION_TEXT_MAX)
        if current and len("\n".join([*current, line])) > SECTION_TEXT_MAX:
            sections.append(_section("\n".join(current)))
            current = []
        current.append(line)
    if current:
        sections.append(_section("\n".join(current)))
    return sections


def _section(text: str) -> SectionBlock:
    # verbatim: Slack must not turn anything in an item's request type into a link or mention.
    return SectionBlock(text=MarkdownTextObject(text=text, verbatim=True))


def _blocks_length(blocks: Sequence[Block]) -> int:
    return len(json.dumps([block.to_dict() for block in blocks], ensure_ascii=False))


def _queue_blocks(title: str, lines: Sequence[str], hidden: int) -> list[Block]:
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=truncate(title, HEADER_TEXT_MAX), emoji=False))
    ]
    blocks.extend(packed_sections(lines))
    if hidden:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=more_line(hidden))]))
    return blocks


def queue_message(items: Sequence[Item], title: str, practice: Practice, now: datetime) -> Message:
    """A queue, soonest due first, one line per item, overdue ones marked.

    Shows at most 40 items, then "…and N more"; fewer if the lines would make the message
    longer than Slack accepts. `title` is the app's own wording (e.g. the lane's name).
    The notification text counts items and overdue ones; it names no item and no patient.
    """
    ordered = sorted(items, key=lambda item: item.due_at)
    overdue = sum(1 for item in ordered if is_overdue(item, now))
    text = f"{title}: {len(ordered)} open" + (f", {overdue} overdue" if overdue else "")
    if not ordered:
        blocks: list[Block] = [
            HeaderBlock(text=PlainTextObject(text=truncate(title, HEADER_TEXT_MAX), emoji=False)),
            _section("Nothing open here. :tada:"),
        ]
        return Message(text=truncate(text, HEADER_TEXT_MAX), blocks=blocks)
    lines = [item_line(item, practice, now) for item in ordered[:QUEUE_ITEMS_MAX]]
    blocks = _queue_blocks(title, lines, len(ordered) - len(lines))
    # Long lane names and request types could make 40 lines too long: show fewer.
    while len(lines) > 1 and _blocks_length(blocks) > MESSAGE_BLOCKS_JSON_MAX:
        lines = lines[:-1]
        blocks = _queue_blocks(title, lines, len(ordered) - len(lines))
    return Message(text=truncate(text, HEADER_TEXT_MAX), blocks=blocks)


def unknown_lane_message(asked: str, practice: Practice) -> Message:
    """`/queue <something>` that names no lane: say so, and list the lanes there are."""
    lanes = [
        f"• `{escape_within(key, LANE_NAME_MAX)}` {escape_within(lane.name, LANE_NAME_MAX)}"
        for key, lane in practice.lanes.items()
    ]
    shown = lanes[:LANES_LISTED_MAX]
    if len(lanes) > len(shown):
        shown.append(more_line(len(lanes) - len(shown), "lanes"))
    intro = f"There is no lane called “{escape_within(asked.strip(), 100)}”. Try one of these:"
    text = "There is no lane by that name: try /queue with one of the practice's lanes."
    return Message(text=text, blocks=[_section(intro), *packed_sections(shown)])
