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
from blocks.text import (
    ELLIPSIS,
    escape,
    escape_within,
    mention,
    safe_link,
    slack_date,
    status_label,
    truncate,
)
from bot.domain.items import Item
from bot.domain.practice import Practice
from bot.domain.views import Listed

QUEUE_ITEMS_MAX = 40
LANES_LISTED_MAX = 40
LANE_NAME_MAX = 60
REQUEST_TYPE_MAX = 80
OVERDUE = ":warning: *overdue*"
RED_FLAG = ":triangular_flag_on_post: red flag"


def is_overdue(item: Item, now: datetime) -> bool:
    return item.status.is_open and now > item.due_at


def lane_name(lane_key: str, practice: Practice) -> str:
    """The lane's name from the practice file; an item in a lane since removed shows its key."""
    lane = practice.lanes.get(lane_key)
    return lane.name if lane is not None else lane_key


def key_link(key: str, workspace_url: str | None, channel_id: str | None, ts: str | None) -> str:
    """The item key in bold, linked to its card when the workspace's address and the card's
    place are known (`https://team.slack.com/archives/C123/p1700000000000100`)."""
    if workspace_url and channel_id and ts:
        url = f"{workspace_url.rstrip('/')}/archives/{channel_id}/p{ts.replace('.', '')}"
        link = safe_link(url, key)
        if link is not None:
            return f"*{link}*"
    return f"*{escape_within(key, 40)}*"


def listed_line(entry: Listed, practice: Practice, now: datetime, workspace_url: str | None) -> str:
    """`item_line` with the key linked to the item's card."""
    key = key_link(entry.item.key, workspace_url, entry.card_channel_id, entry.card_ts)
    return item_line(entry.item, practice, now, key=key)


def item_line(
    item: Item, practice: Practice, now: datetime, *, owner: bool = True, key: str | None = None
) -> str:
    """`*CQ-1042* · Scheduling help · Reschedule · Claimed · <@U1> · due <date>` (+ overdue).

    Only the item's key, lane, request type, status, owner and due time: nothing typed
    about the patient, whatever the practice's privacy level. A red flag shows as a mark.
    """
    parts = [
        key or f"*{escape(item.key)}*",
        escape_within(lane_name(item.lane, practice), LANE_NAME_MAX),
        escape_within(item.request_type, REQUEST_TYPE_MAX),
        status_label(item.status),
    ]
    if owner:
        parts.append(mention(item.owner) if item.owner else "Unclaimed")
    parts.append(f"due {slack_date(item.due_at, practice.timezone)}")
    if is_overdue(item, now):
        parts.append(OVERDUE)
    if item.red_flags:
        parts.append(RED_FLAG)
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


def queue_message(
    items: Sequence[Item | Listed],
    title: str,
    practice: Practice,
    now: datetime,
    *,
    workspace_url: str | None = None,
    by_due: bool = True,
    total: int | None = None,
) -> Message:
    """A queue, one line per item, overdue ones marked: soonest due first, or (`by_due`
    False) in the order given, as "Needs an owner" puts the most urgent first.

    Shows at most 40 items, then "…and N more"; fewer if the lines would make the message
    longer than Slack accepts. An item listed with its card links its key to the card.
    `title` is the app's own wording (e.g. the lane's name). `total` counts items beyond
    the list given. The notification text counts items and overdue ones; it names no
    item and no patient.
    """
    entries = [entry if isinstance(entry, Listed) else Listed(entry) for entry in items]
    if by_due:
        entries.sort(key=lambda entry: entry.item.due_at)
    total = max(total or 0, len(entries))
    overdue = sum(1 for entry in entries if is_overdue(entry.item, now))
    text = f"{title}: {total} open" + (f", {overdue} overdue" if overdue else "")
    if not entries:
        blocks: list[Block] = [
            HeaderBlock(text=PlainTextObject(text=truncate(title, HEADER_TEXT_MAX), emoji=False)),
            _section("Nothing open here. :tada:"),
        ]
        return Message(text=truncate(text, HEADER_TEXT_MAX), blocks=blocks)
    lines = [
        listed_line(entry, practice, now, workspace_url) for entry in entries[:QUEUE_ITEMS_MAX]
    ]
    blocks = _queue_blocks(title, lines, total - len(lines))
    # Long lane names and request types could make 40 lines too long: show fewer.
    while len(lines) > 1 and _blocks_length(blocks) > MESSAGE_BLOCKS_JSON_MAX:
        lines = lines[:-1]
        blocks = _queue_blocks(title, lines, total - len(lines))
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
    intro = (
        f"There is no lane called “{escape_within(asked.strip(), 100)}”. Try `/queue"
        " unclaimed`, `/queue overdue`, `/queue mine`, or one of these lanes:"
    )
    text = "There is no lane by that name: try /queue with one of the practice's lanes."
    return Message(text=text, blocks=[_section(intro), *packed_sections(shown)])


def found_message(
    entry: Listed | None, key: str, practice: Practice, now: datetime, workspace_url: str | None
) -> Message:
    """`/cq find CQ-1042`: the item's line with its key linked to its card, or that there
    is no such item. Nothing about the patient."""
    if entry is None:
        text = f"There is no item {escape_within(key, 40)}."
        return Message(text=text, blocks=[_section(text)])
    line = listed_line(entry, practice, now, workspace_url)
    if entry.item.merged_into:
        # Its request is worked there now: say where, as every refusal about it does.
        line += f" · merged into *{escape_within(entry.item.merged_into, 40)}*"
    elif not entry.item.status.is_open:
        line += " · closed"
    if not (workspace_url and entry.card_ts):
        line += (
            "\n_No link yet (the card is still on its way, or Slack has not told CareQueue"
            " the workspace's address): search the lane channel for the key._"
        )
    return Message(text=f"{entry.item.key}: found", blocks=[_section(line)])
