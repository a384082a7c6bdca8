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
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    InteractiveElement,
    MarkdownTextObject,
    Option,
    OverflowMenuElement,
    PlainTextObject,
    SectionBlock,
    UserSelectElement,
)

from blocks.escalation import escalation_buttons, escalation_line, red_flag_line
from blocks.ids import ActionId, More, card_actions_block_id, merge_value, more_value
from blocks.limits import (
    CONTEXT_TEXT_MAX,
    HEADER_TEXT_MAX,
    MESSAGE_BLOCKS_JSON_MAX,
    SECTION_FIELD_TEXT_MAX,
    SECTION_TEXT_MAX,
)
from blocks.message import Message
from blocks.templating import render
from blocks.text import (
    due_state_text,
    escape,
    escape_within,
    mention,
    safe_link,
    slack_ago,
    slack_date,
    status_label,
    truncate,
    weekday_time,
)
from bot.domain import items
from bot.domain.escalation import Escalation
from bot.domain.handoff import Promise
from bot.domain.items import Item, Status
from bot.domain.lanes import BusinessCalendar, Lane, Privacy
from bot.domain.sla import due_state

NEXT_ACTION_MAX = 500
# The request type heads the card ("CQ-1042 · Reschedule"): never longer than a header holds.
REQUEST_TYPE_MAX = HEADER_TEXT_MAX
TOLD_PATIENT_MAX = 1000
RESOLUTION_MAX = 300
PATIENT_NAME_MAX = 200
PROMISE_TEXT_MAX = 300
WAITING_ON_MAX = 200
LANE_NAME_MAX = 200
KEY_MAX = 40
SUMMARY_FLOOR = 100

_EMPTY = "-"


def plain_text(text: str, limit: int = SECTION_TEXT_MAX) -> PlainTextObject:
    """Text from a person, shown exactly as typed: nothing in it is markup (the card's and
    its thread's)."""
    return PlainTextObject(text=truncate(text, limit) or _EMPTY, emoji=False)


def app_mrkdwn(text: str, limit: int = SECTION_TEXT_MAX) -> MarkdownTextObject:
    """App-made mrkdwn; verbatim so Slack does not auto-link or auto-mention anything in it."""
    return MarkdownTextObject(text=truncate(text, limit) or _EMPTY, verbatim=True)


def _field(label: str, value: str) -> MarkdownTextObject:
    """One `*Label*` / value cell of the field grid; `value` is mrkdwn the caller made safe."""
    return app_mrkdwn(f"*{label}*\n{value or _EMPTY}", SECTION_FIELD_TEXT_MAX)


def _is_overdue(item: Item, now: datetime) -> bool:
    return item.status.is_open and now > item.due_at


def _allowed_in_state(item: Item, action: items.Action) -> bool:
    """Whether the life-cycle table lets anyone do `action` in the item's state: a button for
    something every click would refuse is only noise."""
    return (item.status, action) in items.TRANSITIONS


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


def _due(item: Item, now: datetime, tz: ZoneInfo, calendar: BusinessCalendar) -> str:
    """The due time, and for an open item its state in business time ("due in 40 min", "due
    soon", "overdue 1 h 15 min"); a waiting item's due time is its check-back time."""
    due = slack_date(item.due_at, tz)
    if item.status is Status.WAITING:
        return f"{due} · :warning: *overdue*" if _is_overdue(item, now) else due
    if not item.status.is_open:
        return due
    return f"{due}\n{due_state_text(due_state(item.received_at, item.due_at, now, calendar))}"


def _fields(
    item: Item, privacy: Privacy, now: datetime, tz: ZoneInfo, calendar: BusinessCalendar
) -> list[MarkdownTextObject]:
    received = slack_date(item.received_at, tz)
    due = _due(item, now, tz, calendar)
    fields = [
        _field("Status", status_label(item.status)),
        _field("Owner", mention(item.owner) if item.owner else "Unclaimed"),
        _field("Origin", escape(item.origin.label)),
        _field("Request type", escape_within(item.request_type, REQUEST_TYPE_MAX)),
        _field("Received", f"{received} ({slack_ago(item.received_at, now)})"),
        _field("Due", due),
        _field("Next action", escape_within(item.next_action, NEXT_ACTION_MAX)),
        _field("Language", escape_within(item.patient.language, 100)),
    ]
    if privacy is Privacy.INITIALS and item.patient.initials:
        fields.append(_field("Patient", escape_within(item.patient.initials, 20)))
    return fields


def _open_promise(promise: Promise | None) -> Promise | None:
    return promise if promise is not None and promise.open else None


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


def _working_lines(
    item: Item,
    privacy: Privacy,
    now: datetime,
    tz: ZoneInfo,
    promise: Promise | None,
    cadence_attempts: int,
) -> list[str]:
    """Where the work stands, one mrkdwn line each: an unidentified caller, attempts,
    waiting, the promise's deadline, repeat contacts and related items. Only the caller line
    depends on the level (see `caller_line`); nothing else here is patient data."""
    lines: list[str] = []
    caller = caller_line(item, privacy)
    if caller:
        lines.append(caller)
    if item.attempts > 0:
        of = f" of {cadence_attempts}" if item.attempts <= cadence_attempts else ""
        lines.append(f"Attempt {item.attempts}{of}")
    if item.status is Status.WAITING:
        # Who the item waits on is staff text (a payer, a referral office): escaped, shown.
        line = "Waiting"
        if item.waiting_on.strip():
            line += f" on {escape_within(item.waiting_on.strip(), WAITING_ON_MAX)}"
        if item.check_back_at is not None:
            line += f" · check back {slack_date(item.check_back_at, tz)}"
        lines.append(line)
    if promise is not None:
        line = f"Promised by {slack_date(promise.due_at, tz)}"
        if item.status.is_open and now > promise.due_at:
            line += " · :warning: *overdue*"
        lines.append(line)
    if item.repeat_count > 1:
        lines.append(f"Repeat contact \u00d7{item.repeat_count}")
    if item.merged_into:
        lines.append(f"Merged into {escape_within(item.merged_into, KEY_MAX)}")
    elif item.related_key and item.status.is_open:
        lines.append(f"Relates to {escape_within(item.related_key, KEY_MAX)}")
    return lines


def _resolution_blocks(item: Item, privacy: Privacy, tz: ZoneInfo, env: Environment) -> list[Block]:
    line = render(
        env,
        "card.resolved.j2",
        closed_by_mention=mention(item.closed_by) if item.closed_by else "",
        resolution=truncate(item.resolution, RESOLUTION_MAX),
        closed_at=slack_date(item.closed_at, tz) if item.closed_at else "",
    )
    blocks: list[Block] = [SectionBlock(text=app_mrkdwn(f":white_check_mark: {line}"))]
    if privacy is Privacy.FULL and item.told_patient.strip():
        told = truncate(item.told_patient.strip(), TOLD_PATIENT_MAX)
        blocks.append(SectionBlock(text=plain_text(f"Told patient: {told}")))
    return blocks


def _button(
    text: str, action_id: ActionId, item: Item, style: str | None = None, value: str | None = None
) -> ButtonElement:
    return ButtonElement(text=text, action_id=action_id, value=value or item.key, style=style)


_MORE_OPTIONS: tuple[tuple[More, str, items.Action], ...] = (
    (More.WAIT, "Waiting on\u2026", items.Action.WAIT),
    (More.PROMISE, "Promise\u2026", items.Action.PROMISE),
    (More.MOVE, "Move to another lane\u2026", items.Action.MOVE),
    (More.LANGUAGE, "Language\u2026", items.Action.SET_LANGUAGE),
    (More.ESCALATE, "Escalate\u2026", items.Action.ESCALATE),
)


def _more(item: Item) -> OverflowMenuElement | None:
    """The "More" menu: only what the item's state allows, and only if that is 2 or more."""
    options = [
        Option(text=label, value=more_value(what, item.key))
        for what, label, action in _MORE_OPTIONS
        if _allowed_in_state(item, action)
    ]
    if not item.status.is_open or len(options) < 2:
        return None
    return OverflowMenuElement(action_id=ActionId.MORE, options=options)


def _promise_kept(item: Item, promise: Promise | None) -> list[InteractiveElement]:
    if promise is None or not _allowed_in_state(item, items.Action.FULFIL_PROMISE):
        return []
    value = f"{item.key}|{promise.id}"
    return [_button("Promise kept", ActionId.FULFIL_PROMISE, item, value=value)]


def _merge(item: Item) -> list[InteractiveElement]:
    related = item.related_key
    if (
        not related
        or item.merged_into
        or len(related) > KEY_MAX
        or not _allowed_in_state(item, items.Action.MERGE)
    ):
        return []
    return [
        _button(f"Merge into {related}", ActionId.MERGE, item, value=merge_value(item.key, related))
    ]


def _identify(item: Item) -> list[InteractiveElement]:
    if not item.caller_unknown or not _allowed_in_state(item, items.Action.IDENTIFY_CALLER):
        return []
    return [_button("Identify caller", ActionId.IDENTIFY_CALLER, item)]


def _actions(item: Item, promise: Promise | None, escalation: Escalation | None) -> ActionsBlock:
    details = _button("Details", ActionId.DETAILS, item)
    kept, merge = _promise_kept(item, promise), [*_identify(item), *_merge(item)]
    elements: list[InteractiveElement]
    if not item.status.is_open:
        elements = [_button("Reopen", ActionId.REOPEN, item), details]
    elif item.status is Status.NEW:
        elements = [_button("Claim", ActionId.CLAIM, item, "primary"), *merge, details]
    elif item.status is Status.CLAIMED:
        elements = [
            _button("Log call", ActionId.LOG_CALL, item, "primary"),
            *kept,
            _button("Handoff", ActionId.HANDOFF, item),
            _button("Close", ActionId.CLOSE, item),
            _button("Release", ActionId.RELEASE, item),
            UserSelectElement(action_id=ActionId.REASSIGN, placeholder="Reassign\u2026"),
            *merge,
            details,
        ]
    elif item.status is Status.WAITING:
        elements = [
            _button("Resume", ActionId.RESUME, item, "primary"),
            _button("Log call", ActionId.LOG_CALL, item),
            *kept,
            _button("Handoff", ActionId.HANDOFF, item),
            _button("Close", ActionId.CLOSE, item),
            *merge,
            details,
        ]
    else:
        # Escalated: the people paged answer it here as on the page; nobody claims it, and
        # only what the life-cycle table lets someone do in that state is offered.
        shown = [
            (items.Action.RELEASE, _button("Release", ActionId.RELEASE, item)),
            (
                items.Action.REASSIGN,
                UserSelectElement(action_id=ActionId.REASSIGN, placeholder="Reassign\u2026"),
            ),
            (items.Action.CLOSE, _button("Close", ActionId.CLOSE, item)),
        ]
        allowed = [e for action, e in shown if _allowed_in_state(item, action)]
        elements = [*escalation_buttons(item, escalation), *allowed, details]
    more = _more(item)
    if more is not None:
        elements.append(more)
    return ActionsBlock(block_id=card_actions_block_id(item.key), elements=elements)


def _context(item: Item, lane: Lane, history_link: str | None = None) -> ContextBlock:
    elements = [app_mrkdwn(f"Lane: {escape_within(lane.name, LANE_NAME_MAX)}", CONTEXT_TEXT_MAX)]
    if lane.clinical:
        if item.clinical_ack_by:
            note = f"Clinical lane · acknowledged by {mention(item.clinical_ack_by)}"
        else:
            note = "Clinical lane · needs a clinician's acknowledgment before closing"
        elements.append(app_mrkdwn(note, CONTEXT_TEXT_MAX))
    link = safe_link(item.source_link, "Source message")
    if link is not None and len(link) <= CONTEXT_TEXT_MAX:
        elements.append(app_mrkdwn(link, CONTEXT_TEXT_MAX))
    earlier = safe_link(history_link or "", "Earlier history (previous lane)")
    if earlier is not None and len(earlier) <= CONTEXT_TEXT_MAX:
        elements.append(app_mrkdwn(earlier, CONTEXT_TEXT_MAX))
    return ContextBlock(elements=elements)


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
) -> list[Block]:
    header = truncate(f"{item.key} · {item.request_type}", HEADER_TEXT_MAX)
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=header, emoji=False)),
        SectionBlock(fields=_fields(item, privacy, now, tz, calendar)),
    ]
    working = _working_lines(item, privacy, now, tz, promise, cadence_attempts)
    line = escalation_line(escalation[0], escalation[1], item.status is Status.ESCALATED, tz)
    working = [w for w in (red_flag_line(item, privacy), line) if w] + working
    if working:
        blocks.append(SectionBlock(text=app_mrkdwn("\n".join(working))))
    if privacy is Privacy.FULL:
        name = truncate(item.patient.name.strip(), PATIENT_NAME_MAX) or _EMPTY
        blocks.append(SectionBlock(text=plain_text(f"Patient: {name}")))
        summary = truncate(item.summary.strip(), summary_limit)
        if summary:
            blocks.append(SectionBlock(text=plain_text(f"Summary: {summary}")))
        if promise is not None and promise.text.strip():
            promised = truncate(promise.text.strip(), PROMISE_TEXT_MAX)
            blocks.append(SectionBlock(text=plain_text(f"Promised: {promised}")))
    if not item.status.is_open:
        blocks.extend(_resolution_blocks(item, privacy, tz, env))
    blocks.append(_actions(item, promise, escalation[0]))
    blocks.append(_context(item, lane, history_link))
    return blocks


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
) -> Message:
    """The card for `item` in its lane channel, edited in place as the item changes.

    Shows key, request type, status, owner, origin, received time and age (Slack keeps the
    age current for each reader), due time with its state at `now` in the business time of
    `calendar` (due in 40 min, due soon, overdue 1 h 15 min), next action and language;
    then where the work stands: "Attempt 2 of 3" (`cadence_attempts` is the lane's), what
    it waits on and when to check back, the nearest open `promise`'s deadline, repeat
    contacts and a related or merged item. Patient detail
    only as `privacy` allows; the promise's words only at `full`. After a move,
    `history_link` points to the card (and thread) in the previous lane. An `escalation`
    (its reason `escalation_label`) adds who it is with and the acknowledgment deadline, who
    acknowledged, or "no response"; an escalated card offers Acknowledge, Resolve and Not
    clinical instead of Claim or Close.

    Buttons follow the state: Claim when new; Log call, Handoff, Close, Release, Reassign when
    claimed; Resume, Log call, Handoff, Close when waiting; Reopen when resolved; Details
    always; "Promise kept" and "Merge into …" when they apply; a "More" menu for waiting,
    promises, moving and language on open items. If the blocks would be too long for Slack
    the summary is shortened, never dropped silently from a card that shows it.
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
