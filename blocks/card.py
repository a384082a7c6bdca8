"""The item card in its lane channel (its thread entries are blocks/thread.py's, the card left
behind by a move blocks/moved_card.py's).

A card carries only as much patient detail as `privacy` allows: nothing at `none`, the
patient's initials at `initials`, name, summary and what was promised (as plain_text) at
`full`. Phone and reference number never appear on a card; they are one click away in the
Details view. The top-level `text` (what lock screens show) never carries patient data or
free text at any level.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from zoneinfo import ZoneInfo

from jinja2 import Environment
from slack_sdk.models.blocks import Block, MarkdownTextObject, PlainTextObject, SectionBlock

from blocks.card_actions import card_actions, closed_card_menu
from blocks.escalation import escalation_line, red_flag_line
from blocks.limits import HEADER_TEXT_MAX, MESSAGE_BLOCKS_JSON_MAX, SECTION_TEXT_MAX
from blocks.message import Message
from blocks.templating import render
from blocks.text import (
    DEFAULT_DATE_FORMAT,
    due_state_text,
    escape,
    escape_within,
    local_date,
    mention,
    safe_link,
    slack_date,
    status_label,
    truncate,
    weekday_time,
)
from bot.domain.escalation import Escalation
from bot.domain.handoff import Promise
from bot.domain.items import Item, Status
from bot.domain.lanes import BusinessCalendar, Lane, Privacy
from bot.domain.sla import due_state
from bot.domain.waiting import waiting_phrase

# The request type heads the card ("CQ-1042 · Scheduling · Reschedule"); a header's length.
REQUEST_TYPE_MAX = HEADER_TEXT_MAX
TOLD_PATIENT_MAX = 1000
RESOLUTION_MAX = 300
PATIENT_NAME_MAX = 200
PROMISE_TEXT_MAX = 300
WAITING_ON_MAX = 200
LANE_NAME_MAX = 200
KEY_MAX = 40
SUMMARY_FLOOR = 100
LINK_MAX = 600  # a longer source link is left to Details rather than cut in half

_EMPTY = "-"


def plain_text(text: str, limit: int = SECTION_TEXT_MAX) -> PlainTextObject:
    """Text from a person, shown exactly as typed: nothing in it is markup (the card's and
    its thread's)."""
    return PlainTextObject(text=truncate(text, limit) or _EMPTY, emoji=False)


def app_mrkdwn(text: str, limit: int = SECTION_TEXT_MAX) -> MarkdownTextObject:
    """App-made mrkdwn; verbatim so Slack does not auto-link or auto-mention anything in it."""
    return MarkdownTextObject(text=truncate(text, limit) or _EMPTY, verbatim=True)


def _open_promise(promise: Promise | None) -> Promise | None:
    return promise if promise is not None and promise.open else None


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


def area_code(phone: str) -> str:
    """The area code of a North American number as the intake rules write it ("(555)"); ""
    for any other number."""
    head = phone[:5]
    return head if len(head) == 5 and head[0] == "(" and head[4] == ")" else ""


def caller_line(item: Item, privacy: Privacy) -> str:
    """What a card says about a caller nobody has identified yet (a missed call).

    The number is contact detail, one click away in Details at every level; at `full`
    (a covered workspace) the card gives its area code, "Missed call from (555) …", so
    staff see a local caller at a glance. Empty once the caller is known.
    """
    if not item.caller_unknown or not item.status.is_open:
        return ""
    prefix = area_code(item.patient.phone) if privacy is Privacy.FULL else ""
    if prefix:
        return f"{escape(item.origin.label)} from {prefix} \u2026 · caller not identified yet"
    return f"{escape(item.origin.label)} · caller not identified yet"


def _title_line(item: Item, lane: Lane, privacy: Privacy, history_link: str | None) -> str:
    """`*CQ-1042* · Scheduling · Reschedule · Voicemail`: the origin links to the source
    message when there is one. Then the patient's initials at `initials`, and after a move a
    link to the previous lane's card. A caller nobody identified yet is said on the next line
    (`caller_line`), so the origin is not said twice."""
    parts = [
        f"*{escape_within(item.key, KEY_MAX)}*",
        escape_within(lane.name, LANE_NAME_MAX),
        escape_within(item.request_type, REQUEST_TYPE_MAX),
    ]
    if not caller_line(item, privacy):
        source = safe_link(item.source_link, item.origin.label)
        fits = source is not None and len(source) <= LINK_MAX
        parts.append(source if source is not None and fits else escape(item.origin.label))
    if privacy is Privacy.INITIALS and item.patient.initials.strip():
        parts.append(f"Patient {escape_within(item.patient.initials.strip(), 20)}")
    earlier = safe_link(history_link or "", "earlier history")
    if earlier is not None and len(earlier) <= LINK_MAX:
        parts.append(earlier)
    return " · ".join(parts)


def waiting_text(item: Item, now: datetime, tz: ZoneInfo) -> str:
    """Who a waiting item waits on and when to check back: "Waiting on the payer · check
    back Tue 9:00 AM", marked when the check-back time has passed. Who, as a choice: staff's
    own words beside it are free text, shown only at `full` (`_patient_blocks`)."""
    text = f"Waiting on {waiting_phrase(item.waiting_for)}"
    if item.check_back_at is not None:
        text += f" · check back {slack_date(item.check_back_at, tz)}"
    if _is_overdue(item, now):
        text += " · :warning: *overdue*"
    return text


def _status_line(
    item: Item,
    lane: Lane,
    privacy: Privacy,
    now: datetime,
    tz: ZoneInfo,
    calendar: BusinessCalendar,
    promise: Promise | None,
    cadence_attempts: int,
    default_language: str,
) -> str:
    """Who has it and how it stands: "Unclaimed · 🟢 due in 40 min", "@ana · 🔴 overdue 15
    min", "@ana · Waiting on payer · check back …", then only what applies: an unidentified
    caller, attempts, the promise's deadline, repeat contacts, a related or merged item, a
    language other than the practice's default, a clinical lane's acknowledgment."""
    parts = [mention(item.owner) if item.owner else "Unclaimed"]
    if item.status is Status.WAITING:
        parts.append(waiting_text(item, now, tz))
    else:
        target = lane.target_for(item.origin)
        state = due_state(item.received_at, item.due_at, now, calendar, target)
        parts.append(due_state_text(state))
    caller = caller_line(item, privacy)
    if caller:
        parts.append(caller)
    if item.attempts > 0:
        of = f" of {cadence_attempts}" if item.attempts <= cadence_attempts else ""
        parts.append(f"Attempt {item.attempts}{of}")
    if promise is not None:
        promised = f"Promised by {slack_date(promise.due_at, tz)}"
        parts.append(promised + (" :warning: *overdue*" if now > promise.due_at else ""))
    if item.repeat_count > 1:
        parts.append(f"Repeat contact \u00d7{item.repeat_count}")
    if item.merged_into:
        parts.append(f"Merged into {escape_within(item.merged_into, KEY_MAX)}")
    elif item.related_key:
        parts.append(f"Relates to {escape_within(item.related_key, KEY_MAX)}")
    language = item.patient.language.strip()
    if language and language.casefold() != default_language.strip().casefold():
        parts.append(escape_within(language, 100))
    if lane.clinical:
        if item.clinical_ack_by:
            parts.append(f"Clinical · acknowledged by {mention(item.clinical_ack_by)}")
        else:
            parts.append("Clinical · a clinician acknowledges before closing")
    return " · ".join(parts)


def _closed_line(item: Item, lane: Lane, now: datetime, tz: ZoneInfo, env: Environment) -> str:
    """The one line a closed card keeps: "✅ *CQ-1042* · Scheduling · Reschedule ·
    rescheduled · closed by @ana 10:42 AM" (the date too when not closed today)."""
    closed_at = ""
    if item.closed_at is not None:
        same_day = local_date(item.closed_at, tz) == local_date(now, tz)
        closed_at = slack_date(item.closed_at, tz, "{time}" if same_day else DEFAULT_DATE_FORMAT)
    return render(
        env,
        "card.resolved.j2",
        key=truncate(item.key, KEY_MAX),
        lane_name=truncate(lane.name, LANE_NAME_MAX),
        request_type=truncate(item.request_type, REQUEST_TYPE_MAX),
        closed_by_mention=mention(item.closed_by) if item.closed_by else "",
        resolution=truncate(item.resolution, RESOLUTION_MAX),
        into_key=truncate(item.merged_into or "", KEY_MAX),
        closed_at=closed_at,
    )


def _patient_blocks(
    item: Item, privacy: Privacy, summary_limit: int, promise: Promise | None
) -> list[Block]:
    """At `full` only: name, summary, what was promised and staff's words about a wait, each
    as plain_text."""
    if privacy is not Privacy.FULL:
        return []
    name = truncate(item.patient.name.strip(), PATIENT_NAME_MAX) or _EMPTY
    blocks: list[Block] = [SectionBlock(text=plain_text(f"Patient: {name}"))]
    summary = truncate(item.summary.strip(), summary_limit)
    if summary:
        blocks.append(SectionBlock(text=plain_text(f"Summary: {summary}")))
    if promise is not None and promise.text.strip():
        promised = truncate(promise.text.strip(), PROMISE_TEXT_MAX)
        blocks.append(SectionBlock(text=plain_text(f"Promised: {promised}")))
    if item.status is Status.WAITING and item.waiting_on.strip():
        words = truncate(item.waiting_on.strip(), WAITING_ON_MAX)
        blocks.append(SectionBlock(text=plain_text(f"Waiting on: {words}")))
    return blocks


def _card_blocks(
    item: Item,
    lane: Lane,
    privacy: Privacy,
    now: datetime,
    tz: ZoneInfo,
    env: Environment,
    summary_limit: int,
    promise: Promise | None,
    cadence_attempts: int,
    history_link: str | None,
    calendar: BusinessCalendar,
    escalation: tuple[Escalation | None, str],
    default_language: str,
) -> list[Block]:
    if not item.status.is_open:
        line = f":white_check_mark: {_closed_line(item, lane, now, tz, env)}"
        menu = closed_card_menu(item)
        blocks: list[Block] = [SectionBlock(text=app_mrkdwn(line), accessory=menu)]
        if privacy is Privacy.FULL and item.told_patient.strip():
            told = truncate(item.told_patient.strip(), TOLD_PATIENT_MAX)
            blocks.append(SectionBlock(text=plain_text(f"Told patient: {told}")))
        return blocks
    lines = [
        _title_line(item, lane, privacy, history_link),
        _status_line(
            item, lane, privacy, now, tz, calendar, promise, cadence_attempts, default_language
        ),
    ]
    marks = [
        red_flag_line(item, privacy),
        escalation_line(escalation[0], escalation[1], item.status is Status.ESCALATED, tz),
    ]
    lines += [mark for mark in marks if mark]
    return [
        SectionBlock(text=app_mrkdwn("\n".join(lines))),
        *_patient_blocks(item, privacy, summary_limit, promise),
        card_actions(item, promise, escalation[0]),
    ]


def _blocks_length(blocks: list[Block]) -> int:
    return len(json.dumps([block.to_dict() for block in blocks], ensure_ascii=False))


def item_card(
    item: Item,
    lane: Lane,
    privacy: Privacy,
    now: datetime,
    tz: ZoneInfo,
    env: Environment,
    *,
    promise: Promise | None = None,
    cadence_attempts: int = 3,
    history_link: str | None = None,
    calendar: BusinessCalendar,
    escalation: Escalation | None = None,
    escalation_label: str = "",
    default_language: str = "",
) -> Message:
    """The card for `item` in its lane channel, edited in place as the item changes: a few
    lines that scan in a channel of cards, the full record one click away (Details).

    Open: `*CQ-1042* · Scheduling · Reschedule` (and the source message's link, or the
    previous lane's card after a move, `history_link`); then who has it and its due state
    at `now` in the business time of `calendar` ("Unclaimed · 🟢 due in 40 min", "@ana ·
    🔴 overdue 15 min", or what a waiting item waits on), with only what applies: "Attempt 2
    of 3" (`cadence_attempts` is the lane's), the nearest open `promise`'s deadline, repeat
    contacts, a related item, a language other than `default_language`, a clinical lane's
    acknowledgment. A red flag and an `escalation` (its reason `escalation_label`: who it is
    with and the acknowledgment deadline, who acknowledged, or "no response") get a line
    each. Closed: one line with the outcome, who closed it and when.

    Patient detail only as `privacy` allows: initials at `initials`; name, summary and the
    promise's words at `full`, as plain_text. Controls: blocks/card_actions.py. If the
    blocks would be too long for Slack the summary is shortened, never dropped silently.
    """
    promise = _open_promise(promise)
    summary_limit = SECTION_TEXT_MAX - len("Summary: ")

    def build(limit: int) -> list[Block]:
        return _card_blocks(
            item,
            lane,
            privacy,
            now,
            tz,
            env,
            limit,
            promise,
            cadence_attempts,
            history_link,
            calendar,
            (escalation, escalation_label),
            default_language,
        )

    blocks = build(summary_limit)
    # Only the summary is long enough to matter. Quotes, backslashes and newlines cost two
    # JSON characters each, so cut by what the summary's characters cost on average; the
    # cut-off tail may be cheaper than the average, hence another look (a few at most).
    for _ in range(5):
        overflow = _blocks_length(blocks) - MESSAGE_BLOCKS_JSON_MAX
        if overflow <= 0 or summary_limit <= SUMMARY_FLOOR:
            break
        shown = truncate(item.summary.strip(), summary_limit)
        cost = max(1.0, (len(json.dumps(shown, ensure_ascii=False)) - 2) / max(1, len(shown)))
        summary_limit = max(SUMMARY_FLOOR, summary_limit - math.ceil((overflow + 20) / cost))
        blocks = build(summary_limit)
    return Message(text=notification_text(item, tz, now, env), blocks=blocks)
