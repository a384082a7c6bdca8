"""The item card in its lane channel, and the one-line thread entries under it.

A card carries only as much patient detail as `privacy` allows: nothing at `none`, the
patient's initials at `initials`, name and summary (as plain_text) at `full`. Phone and
reference number never appear on a card; they are one click away in the Details view.
The top-level `text` (what lock screens show) never carries patient data at any level.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    InteractiveElement,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
    UserSelectElement,
)

from blocks.ids import Action, card_actions_block_id
from blocks.message import Message
from blocks.templating import default_environment, render
from blocks.text import (
    age_text,
    clock_time,
    escape,
    escape_within,
    mention,
    origin_phrase,
    safe_link,
    slack_date,
    status_label,
    truncate,
    weekday_time,
)
from bot.domain import items
from bot.domain.events import Event
from bot.domain.items import Item
from bot.domain.lanes import Lane, Privacy

HEADER_MAX = 150
FIELD_MAX = 2000
SECTION_TEXT_MAX = 3000
CONTEXT_TEXT_MAX = 2000
NEXT_ACTION_MAX = 500
REQUEST_TYPE_MAX = 150
TOLD_PATIENT_MAX = 1000
RESOLUTION_MAX = 300
PATIENT_NAME_MAX = 200
# Slack rejects a message whose blocks are too long (seen at about 13,000 characters).
BLOCKS_JSON_MAX = 12_000
SUMMARY_FLOOR = 100

_EMPTY = "-"
_THREAD_TIME_FORMAT = "{time}"


def _plain(text: str, limit: int = SECTION_TEXT_MAX) -> PlainTextObject:
    """Text from a person, shown exactly as typed: nothing in it is markup."""
    return PlainTextObject(text=truncate(text, limit) or _EMPTY, emoji=False)


def _mrkdwn(text: str, limit: int = SECTION_TEXT_MAX) -> MarkdownTextObject:
    """App-made mrkdwn; verbatim so Slack does not auto-link or auto-mention anything in it."""
    return MarkdownTextObject(text=truncate(text, limit) or _EMPTY, verbatim=True)


def _field(label: str, value: str) -> MarkdownTextObject:
    """One `*Label*` / value cell of the field grid; `value` is mrkdwn the caller made safe."""
    return _mrkdwn(f"*{label}*\n{value or _EMPTY}", FIELD_MAX)


def _is_overdue(item: Item, now: datetime) -> bool:
    return item.status.is_open and now > item.due_at


def notification_text(item: Item, tz: ZoneInfo, now: datetime, env: Environment) -> str:
    """The card's top-level text: key, request type, owner state and due time; no patient data."""
    return render(
        env,
        "card.text.j2",
        key=item.key,
        request_type=truncate(item.request_type, REQUEST_TYPE_MAX),
        resolved=not item.status.is_open,
        status=item.status.value,
        status_label=status_label(item.status),
        owner_mention=mention(item.owner) if item.owner else "",
        due=weekday_time(item.due_at, tz),
        overdue=_is_overdue(item, now),
    )


def _fields(item: Item, privacy: Privacy, now: datetime, tz: ZoneInfo) -> list[MarkdownTextObject]:
    received = slack_date(item.received_at, tz)
    due = slack_date(item.due_at, tz)
    if _is_overdue(item, now):
        due += " · :warning: *overdue*"
    fields = [
        _field("Status", status_label(item.status)),
        _field("Owner", mention(item.owner) if item.owner else "Unclaimed"),
        _field("Origin", escape(item.origin.label)),
        _field("Request type", escape_within(item.request_type, REQUEST_TYPE_MAX)),
        _field("Received", f"{received} ({age_text(item.received_at, now)} ago)"),
        _field("Due", due),
        _field("Next action", escape_within(item.next_action, NEXT_ACTION_MAX)),
        _field("Language", escape_within(item.patient.language, 100)),
    ]
    if privacy is Privacy.INITIALS and item.patient.initials:
        fields.append(_field("Patient", escape_within(item.patient.initials, 20)))
    return fields


def _resolution_blocks(item: Item, privacy: Privacy, tz: ZoneInfo, env: Environment) -> list[Block]:
    line = render(
        env,
        "card.resolved.j2",
        closed_by_mention=mention(item.closed_by) if item.closed_by else "",
        resolution=truncate(item.resolution, RESOLUTION_MAX),
        closed_at=slack_date(item.closed_at, tz) if item.closed_at else "",
    )
    blocks: list[Block] = [SectionBlock(text=_mrkdwn(f":white_check_mark: {line}"))]
    if privacy is Privacy.FULL and item.told_patient.strip():
        told = truncate(item.told_patient.strip(), TOLD_PATIENT_MAX)
        blocks.append(SectionBlock(text=_plain(f"Told patient: {told}")))
    return blocks


def _button(text: str, action_id: Action, item: Item, style: str | None = None) -> ButtonElement:
    return ButtonElement(text=text, action_id=action_id, value=item.key, style=style)


def _actions(item: Item) -> ActionsBlock:
    elements: list[InteractiveElement]
    if not item.status.is_open:
        elements = [
            _button("Reopen", Action.REOPEN, item),
            _button("Details", Action.DETAILS, item),
        ]
    elif item.owner is None:
        elements = [
            _button("Claim", Action.CLAIM, item, "primary"),
            _button("Details", Action.DETAILS, item),
            _button("Close", Action.CLOSE, item),
        ]
    else:
        elements = [
            _button("Release", Action.RELEASE, item),
            UserSelectElement(action_id=Action.REASSIGN, placeholder="Reassign\u2026"),
            _button("Close", Action.CLOSE, item, "primary"),
            _button("Details", Action.DETAILS, item),
        ]
    return ActionsBlock(block_id=card_actions_block_id(item.key), elements=elements)


def _context(item: Item, lane: Lane) -> ContextBlock:
    elements = [_mrkdwn(f"Lane: {escape_within(lane.name, 200)}", CONTEXT_TEXT_MAX)]
    if lane.clinical:
        if item.clinical_ack_by:
            note = f"Clinical lane · acknowledged by {mention(item.clinical_ack_by)}"
        else:
            note = "Clinical lane · needs a clinician's acknowledgment before closing"
        elements.append(_mrkdwn(note, CONTEXT_TEXT_MAX))
    link = safe_link(item.source_link, "Source message")
    if link is not None and len(link) <= CONTEXT_TEXT_MAX:
        elements.append(_mrkdwn(link, CONTEXT_TEXT_MAX))
    return ContextBlock(elements=elements)


def _card_blocks(
    item: Item,
    lane: Lane,
    privacy: Privacy,
    now: datetime,
    tz: ZoneInfo,
    env: Environment,
    summary_limit: int,
) -> list[Block]:
    header = truncate(f"{item.key} · {item.request_type}", HEADER_MAX)
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=header, emoji=False)),
        SectionBlock(fields=_fields(item, privacy, now, tz)),
    ]
    if privacy is Privacy.FULL:
        name = truncate(item.patient.name.strip(), PATIENT_NAME_MAX) or _EMPTY
        blocks.append(SectionBlock(text=_plain(f"Patient: {name}")))
        summary = truncate(item.summary.strip(), summary_limit)
        if summary:
            blocks.append(SectionBlock(text=_plain(f"Summary: {summary}")))
    if not item.status.is_open:
        blocks.extend(_resolution_blocks(item, privacy, tz, env))
    blocks.append(_actions(item))
    blocks.append(_context(item, lane))
    return blocks


def _blocks_length(blocks: list[Block]) -> int:
    return len(json.dumps([block.to_dict() for block in blocks], ensure_ascii=False))


def item_card(
    item: Item,
    lane: Lane,
    privacy: Privacy,
    now: datetime,
    tz: ZoneInfo,
    env: Environment | None = None,
) -> Message:
    """The card for `item` in its lane channel, edited in place as the item changes.

    Shows key, request type, status, owner, origin, received time and age, due time (with an
    overdue marker), next action and language; patient detail only as `privacy` allows.
    Buttons follow the state: Claim when unowned, Release/Reassign/Close when owned,
    Reopen when resolved; Details always. If the blocks would be too long for Slack the
    summary is shortened, never dropped silently from a card that shows it.
    """
    env = env or default_environment()
    summary_limit = SECTION_TEXT_MAX - len("Summary: ")
    blocks = _card_blocks(item, lane, privacy, now, tz, env, summary_limit)
    # Only the summary is long enough to matter. Quotes, backslashes and newlines cost two
    # JSON characters each, so cut by what the summary's characters cost on average; the
    # cut-off tail may be cheaper than the average, hence another look (a few at most).
    for _ in range(5):
        overflow = _blocks_length(blocks) - BLOCKS_JSON_MAX
        if overflow <= 0 or summary_limit <= SUMMARY_FLOOR:
            break
        shown = truncate(item.summary.strip(), summary_limit)
        cost = max(1.0, (len(json.dumps(shown, ensure_ascii=False)) - 2) / max(1, len(shown)))
        summary_limit = max(SUMMARY_FLOOR, summary_limit - math.ceil((overflow + 20) / cost))
        blocks = _card_blocks(item, lane, privacy, now, tz, env, summary_limit)
    return Message(text=notification_text(item, tz, now, env), blocks=blocks)


def _after(event: Event, key: str) -> str:
    value: Any = event.after.get(key) if isinstance(event.after, Mapping) else None
    return value.strip() if isinstance(value, str) else ""


def thread_entry(
    event: Event,
    item: Item,
    privacy: Privacy,
    tz: ZoneInfo,
    env: Environment | None = None,
) -> Message:
    """One line in the card's thread saying what happened: "Claimed by <@U1> · 10:42 AM".

    Reads the new owner, resolution and what the patient was told from `event.after`,
    tolerating any of them missing. What the patient was told is added, as plain_text, only
    at `full`; the notification text never carries it. An action without its own template
    uses `thread.default.j2`.
    """
    env = env or default_environment()
    owner = _after(event, "owner")
    action = str(event.action)
    context = {
        "key": item.key,
        "action": action,
        "actor_mention": mention(event.actor),
        "owner_mention": mention(owner) if owner else "",
        "resolution": truncate(_after(event, "resolution"), RESOLUTION_MAX),
        "origin_phrase": origin_phrase(item.origin),
    }
    names = [f"thread.{action}.j2", "thread.default.j2"]
    line = render(env, names, at=slack_date(event.at, tz, _THREAD_TIME_FORMAT), **context)
    text = render(env, names, at=clock_time(event.at, tz), **context)
    blocks: list[Block] = [SectionBlock(text=_mrkdwn(line))]
    told = _after(event, "told_patient")
    if privacy is Privacy.FULL and action == items.Action.CLOSE and told:
        told = truncate(told, TOLD_PATIENT_MAX)
        blocks.append(SectionBlock(text=_plain(f"Told patient: {told}")))
    return Message(text=text, blocks=blocks)
