"""The item card in its lane channel, and the one-line thread entries under it.

A card carries only as much patient detail as `privacy` allows: nothing at `none`, the
patient's initials at `initials`, name, summary and what was promised (as plain_text) at
`full`. Phone and reference number never appear on a card; they are one click away in the
Details view. The top-level `text` (what lock screens show) never carries patient data or
free text at any level, on a card or a thread entry.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
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
    Option,
    OverflowMenuElement,
    PlainTextObject,
    SectionBlock,
    UserSelectElement,
)

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
from bot.domain.callbacks import Outcome
from bot.domain.events import Event
from bot.domain.handoff import Promise
from bot.domain.items import SYSTEM, Item, Status
from bot.domain.lanes import Lane, Privacy

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
CONFIRMED_MAX = 1000
NEXT_STEP_MAX = 300
# A handoff entry is a pointer to the note, not the note: each line stays short even at full,
# a header's length at most.
HANDOFF_LINE_MAX = HEADER_TEXT_MAX
SUMMARY_FLOOR = 100

_EMPTY = "-"
_THREAD_TIME_FORMAT = "{time}"
SYSTEM_NAME = "CareQueue"


def _plain(text: str, limit: int = SECTION_TEXT_MAX) -> PlainTextObject:
    """Text from a person, shown exactly as typed: nothing in it is markup."""
    return PlainTextObject(text=truncate(text, limit) or _EMPTY, emoji=False)


def _mrkdwn(text: str, limit: int = SECTION_TEXT_MAX) -> MarkdownTextObject:
    """App-made mrkdwn; verbatim so Slack does not auto-link or auto-mention anything in it."""
    return MarkdownTextObject(text=truncate(text, limit) or _EMPTY, verbatim=True)


def _field(label: str, value: str) -> MarkdownTextObject:
    """One `*Label*` / value cell of the field grid; `value` is mrkdwn the caller made safe."""
    return _mrkdwn(f"*{label}*\n{value or _EMPTY}", SECTION_FIELD_TEXT_MAX)


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


def _open_promise(promise: Promise | None) -> Promise | None:
    return promise if promise is not None and promise.open else None


def _working_lines(
    item: Item, now: datetime, tz: ZoneInfo, promise: Promise | None, cadence_attempts: int
) -> list[str]:
    """Where the work stands, one mrkdwn line each: attempts, waiting, the promise's deadline,
    repeat contacts and related items. Nothing here is patient data, so every level shows it."""
    lines: list[str] = []
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
    blocks: list[Block] = [SectionBlock(text=_mrkdwn(f":white_check_mark: {line}"))]
    if privacy is Privacy.FULL and item.told_patient.strip():
        told = truncate(item.told_patient.strip(), TOLD_PATIENT_MAX)
        blocks.append(SectionBlock(text=_plain(f"Told patient: {told}")))
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


def _actions(item: Item, promise: Promise | None) -> ActionsBlock:
    details = _button("Details", ActionId.DETAILS, item)
    kept, merge = _promise_kept(item, promise), _merge(item)
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
    elif item.owner is None:
        # Escalated: its own buttons arrive with the escalation issue; until then, as before.
        elements = [
            _button("Claim", ActionId.CLAIM, item, "primary"),
            details,
            _button("Close", ActionId.CLOSE, item),
        ]
    else:
        elements = [
            _button("Release", ActionId.RELEASE, item),
            UserSelectElement(action_id=ActionId.REASSIGN, placeholder="Reassign\u2026"),
            _button("Close", ActionId.CLOSE, item, "primary"),
            details,
        ]
    more = _more(item)
    if more is not None:
        elements.append(more)
    return ActionsBlock(block_id=card_actions_block_id(item.key), elements=elements)


def _context(item: Item, lane: Lane, history_link: str | None = None) -> ContextBlock:
    elements = [_mrkdwn(f"Lane: {escape_within(lane.name, LANE_NAME_MAX)}", CONTEXT_TEXT_MAX)]
    if lane.clinical:
        if item.clinical_ack_by:
            note = f"Clinical lane · acknowledged by {mention(item.clinical_ack_by)}"
        else:
            note = "Clinical lane · needs a clinician's acknowledgment before closing"
        elements.append(_mrkdwn(note, CONTEXT_TEXT_MAX))
    link = safe_link(item.source_link, "Source message")
    if link is not None and len(link) <= CONTEXT_TEXT_MAX:
        elements.append(_mrkdwn(link, CONTEXT_TEXT_MAX))
    earlier = safe_link(history_link or "", "Earlier history (previous lane)")
    if earlier is not None and len(earlier) <= CONTEXT_TEXT_MAX:
        elements.append(_mrkdwn(earlier, CONTEXT_TEXT_MAX))
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
) -> list[Block]:
    header = truncate(f"{item.key} · {item.request_type}", HEADER_TEXT_MAX)
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=header, emoji=False)),
        SectionBlock(fields=_fields(item, privacy, now, tz)),
    ]
    working = _working_lines(item, now, tz, promise, cadence_attempts)
    if working:
        blocks.append(SectionBlock(text=_mrkdwn("\n".join(working))))
    if privacy is Privacy.FULL:
        name = truncate(item.patient.name.strip(), PATIENT_NAME_MAX) or _EMPTY
        blocks.append(SectionBlock(text=_plain(f"Patient: {name}")))
        summary = truncate(item.summary.strip(), summary_limit)
        if summary:
            blocks.append(SectionBlock(text=_plain(f"Summary: {summary}")))
        if promise is not None and promise.text.strip():
            promised = truncate(promise.text.strip(), PROMISE_TEXT_MAX)
            blocks.append(SectionBlock(text=_plain(f"Promised: {promised}")))
    if not item.status.is_open:
        blocks.extend(_resolution_blocks(item, privacy, tz, env))
    blocks.append(_actions(item, promise))
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
) -> Message:
    """The card for `item` in its lane channel, edited in place as the item changes.

    Shows key, request type, status, owner, origin, received time and age, due time (with an
    overdue marker), next action and language; then where the work stands: "Attempt 2 of 3"
    (`cadence_attempts` is the lane's), what it waits on and when to check back, the nearest
    open `promise`'s deadline, repeat contacts and a related or merged item. Patient detail
    only as `privacy` allows; the promise's words only at `full`. After a move,
    `history_link` points to the card (and thread) in the previous lane.

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
            item, lane, privacy, now, tz, env, limit, promise, cadence_attempts, history_link
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


def _channel_reference(channel: str) -> str:
    """`<#C0123>` for a channel id (Slack shows its name), else the escaped `#name`."""
    if channel[:1] in ("C", "G") and channel.isalnum() and channel.isupper():
        return f"<#{channel}>"
    return escape(channel)


def moved_card(item: Item, new_lane: Lane, env: Environment) -> Message:
    """The old card after the item moved lanes: where it went, and no buttons.

    The item is worked from the new card in `new_lane`'s channel; this one only points there.
    Nothing on it is patient data, so there is no privacy level to respect.
    """
    context = {
        "key": item.key,
        "lane_name": truncate(new_lane.name, LANE_NAME_MAX),
        "channel": _channel_reference(new_lane.channel),
    }
    line = render(env, "card.moved.j2", **context)
    header = truncate(f"{item.key} · {item.request_type}", HEADER_TEXT_MAX)
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=header, emoji=False)),
        SectionBlock(text=_mrkdwn(f":arrow_right: {line}")),
    ]
    return Message(text=truncate(line, SECTION_TEXT_MAX), blocks=blocks)


# --- thread entries ----------------------------------------------------------------------


def _value(mapping: Mapping[str, Any], key: str) -> Any:
    return mapping.get(key) if isinstance(mapping, Mapping) else None


def _text(mapping: Mapping[str, Any], key: str) -> str:
    value = _value(mapping, key)
    return value.strip() if isinstance(value, str) else ""


def _after(event: Event, key: str) -> str:
    return _text(event.after, key)


def _after_int(event: Event, key: str) -> int | None:
    value = _value(event.after, key)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def _after_time(event: Event, key: str) -> datetime | None:
    """A time in `event.after`: a datetime from a fresh event, an ISO string from storage."""
    value = _value(event.after, key)
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def _outcome_label(value: str) -> str:
    try:
        return Outcome(value).label
    except ValueError:
        return value.replace("_", " ").capitalize()


def _lane_name(key: str, lanes: Mapping[str, Lane] | None) -> str:
    lane = lanes.get(key) if lanes is not None and key else None
    return truncate(lane.name if lane is not None else key, LANE_NAME_MAX)


def actor_name(user_id: str) -> str:
    """How an entry names who acted: a mention, or "CareQueue" for what the app did itself."""
    return SYSTEM_NAME if user_id == SYSTEM else mention(user_id)


# Free text (staff's words, the patient's language) reaches the entry's blocks, never the
# notification text: it is rendered a second time with these emptied.
_FREE_TEXT = ("waiting_on", "language")


def _entry_context(
    event: Event,
    item: Item,
    lanes: Mapping[str, Lane] | None,
    when: Callable[[datetime | None], str],
) -> dict[str, Any]:
    """Everything any thread template may say, from `event.after` (missing values tolerated).

    `when` formats a time: `<!date^…>` for the blocks, plain words for the notification text.
    """
    owner = _after(event, "owner")
    attempts = _after_int(event, "attempts")
    repeat_count = _after_int(event, "repeat_count")
    return {
        "key": item.key,
        "action": str(event.action),
        "actor_mention": actor_name(event.actor),
        "owner_mention": mention(owner) if owner else "",
        "resolution": truncate(_after(event, "resolution"), RESOLUTION_MAX),
        "origin_phrase": origin_phrase(item.origin),
        "attempt": _after_int(event, "attempt") or 0,
        "attempts": attempts if attempts is not None else item.attempts,
        "outcome": _outcome_label(_after(event, "outcome")) if _after(event, "outcome") else "",
        "identity_verified": _value(event.after, "identity_verified") is True,
        "final": _after(event, "final"),
        "next_due": when(_after_time(event, "due_at") or _after_time(event, "next_due_at")),
        "promise_due": when(
            _after_time(event, "promise_due_at") or _after_time(event, "promised_by")
        ),
        "check_back": when(_after_time(event, "check_back_at")),
        "lane_name": _lane_name(_after(event, "lane"), lanes),
        "from_lane_name": _lane_name(_after(event, "from_lane"), lanes),
        "repeat_count": repeat_count if repeat_count is not None else item.repeat_count,
        "from_key": truncate(_after(event, "from"), KEY_MAX),
        "merged_key": truncate(_after(event, "merged"), KEY_MAX),
        "into_key": truncate(_after(event, "into"), KEY_MAX),
        # A resume clears what the item waited on: the event's `before` still has it.
        "waiting_on": truncate(
            _after(event, "waiting_on") or _text(event.before, "waiting_on"), WAITING_ON_MAX
        ),
        "language": truncate(_after(event, "language"), 100),
    }


def _view_button(action_id: ActionId, value: str) -> ButtonElement:
    return ButtonElement(text="View", action_id=action_id, value=value)


def _entry_accessory(event: Event, item: Item) -> ButtonElement | None:
    """The "View" button staff use to open the whole note (its opening is an audited event)."""
    if event.action == items.Action.LOG_ATTEMPT:
        number = _after_int(event, "attempt")
        if number:
            return _view_button(ActionId.VIEW_ATTEMPT, f"{item.key}|{number}")
    if event.action == items.Action.HANDOFF:
        handoff_id = _after_int(event, "handoff_id")
        if handoff_id is not None:
            return _view_button(ActionId.VIEW_HANDOFF, f"{item.key}|{handoff_id}")
    return None


def _full_blocks(event: Event) -> list[Block]:
    """The free text an entry adds at `full`, as plain_text: nothing in it is markup."""
    lines: list[str] = []
    if event.action == items.Action.CLOSE:
        told = _after(event, "told_patient")
        if told:
            lines.append(f"Told patient: {truncate(told, TOLD_PATIENT_MAX)}")
    elif event.action == items.Action.LOG_ATTEMPT:
        confirmed, next_step = _after(event, "confirmed"), _after(event, "next_step")
        if confirmed:
            lines.append(f"Confirmed: {truncate(confirmed, CONFIRMED_MAX)}")
        if next_step:
            lines.append(f"Next: {truncate(next_step, NEXT_STEP_MAX)}")
    elif event.action == items.Action.HANDOFF:
        # Short on purpose: the whole note is one click away in the view.
        parts = [
            f"{label}: {truncate(text, HANDOFF_LINE_MAX)}"
            for label, text in (
                ("Asked", _after(event, "asked")),
                ("Still open", _after(event, "unresolved")),
                ("Promised", _after(event, "promised")),
            )
            if text
        ]
        if parts:
            lines.append("\n".join(parts))
    elif event.action == items.Action.PROMISE:
        text = _after(event, "promise_text")
        if text:
            lines.append(f"Promised: {truncate(text, PROMISE_TEXT_MAX)}")
    return [SectionBlock(text=_plain(line)) for line in lines]


def thread_entry(
    event: Event,
    item: Item,
    privacy: Privacy,
    tz: ZoneInfo,
    env: Environment,
    *,
    lanes: Mapping[str, Lane] | None = None,
) -> Message:
    """One line in the card's thread saying what happened: "Claimed by <@U1> · 10:42 AM".

    One template per action (`thread.<action>.j2`), reading what the use case wrote into
    `event.after` and tolerating any of it missing; `lanes` turns lane keys into names.
    Call attempts and handoffs get a "View" button that opens the whole note. At `none` and
    `initials` an entry holds structured facts only (outcome, identity verified, times);
    at `full` it adds, as plain_text, what the patient was told, what a call confirmed and
    its next step, a short handoff summary or a promise's words. The notification text
    never carries free text or patient data. An action without its own template uses
    `thread.default.j2`.
    """
    action = str(event.action)
    names = [f"thread.{action}.j2", "thread.default.j2"]

    def in_blocks(at: datetime | None) -> str:
        return slack_date(at, tz) if at is not None else ""

    def in_text(at: datetime | None) -> str:
        return weekday_time(at, tz) if at is not None else ""

    shown = _entry_context(event, item, lanes, in_blocks)
    line = render(env, names, at=slack_date(event.at, tz, _THREAD_TIME_FORMAT), **shown)
    private = {name: "" for name in _FREE_TEXT}
    notified = {**_entry_context(event, item, lanes, in_text), **private}
    text = render(env, names, at=clock_time(event.at, tz), **notified)
    first = SectionBlock(text=_mrkdwn(line), accessory=_entry_accessory(event, item))
    blocks: list[Block] = [first]
    if privacy is Privacy.FULL:
        blocks.extend(_full_blocks(event))
    return Message(text=truncate(text, SECTION_TEXT_MAX), blocks=blocks)
