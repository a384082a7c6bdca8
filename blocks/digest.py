"""The end-of-day digest for the managers' channel: five numbers read in 15 seconds, then
escalations not yet resolved, promises due today and not kept, per lane the oldest age and
overdue count, overdue and unclaimed items, items waiting on outside parties with their age,
open items per person and what was resolved today. Every key links to its card.

Pure: it takes a `Digest` (bot/domain/digest.py) and returns a Message that fits Slack's
limits at any volume: each list stops at a budget of characters and says how many more
there are and where to see them, so 800 open items make the same dozen blocks as 8.
Patient detail only as `privacy` allows: none at `none`, initials at `initials`, the
name at `full`; the notification text carries numbers only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
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

from blocks.message import Message
from blocks.queue import key_link
from blocks.text import (
    age_text,
    clock_time,
    escape_within,
    inline_text,
    mention,
    weekday_time,
)
from bot.domain.digest import (
    Digest,
    DigestEscalation,
    DigestItem,
    DigestPromise,
    DigestWaiting,
)
from bot.domain.escalation import EscalationState
from bot.domain.items import Patient
from bot.domain.lanes import Lane, Privacy
from bot.domain.waiting import waiting_phrase

# Characters (as JSON) each section may hold: eight sections stay near 9,000 of the 12,000
# Slack takes for a message's blocks, whatever the names and keys are made of.
SECTION_BUDGET = 1_100
NAME_MAX = 60
LANE_NAME_MAX = 60

QUEUE_HINT = "type `/queue LANE` in Slack or open CareQueue's Home tab for the rest"
_RESOLVED_HINT = "`carequeue export events --since TODAY` lists every one"
PROMISE_TEXT_MAX = 80
WAITING_ON_MAX = 60


def mrkdwn(text: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=text, verbatim=True)


def card_link(item: DigestItem, workspace_url: str | None) -> str:
    """The item key, linked to its card when the workspace's address and the card are known."""
    return key_link(item.key, workspace_url, item.card_channel_id, item.card_ts)


@dataclass(frozen=True)
class Audience:
    """Who reads a managers' summary and how: the practice's lane names (a key no longer
    configured is shown as is), privacy level, time zone and escalation reasons, and the
    workspace's address (`https://team.slack.com`), without which keys are not linked."""

    lanes: Mapping[str, Lane]
    privacy: Privacy
    tz: ZoneInfo
    workspace_url: str | None = None
    rule_labels: Mapping[str, str] = field(default_factory=dict)

    def lane_name(self, key: str) -> str:
        lane = self.lanes.get(key)
        return escape_within(lane.name if lane else key, LANE_NAME_MAX)

    def patient(self, item: DigestItem) -> str:
        """` · J.D.` or ` · Jane Doe` as the privacy level allows, else nothing."""
        if self.privacy is Privacy.INITIALS:
            initials = Patient("", item.patient_name, "", "").initials
            return f" · {initials}" if initials else ""
        if self.privacy is Privacy.FULL and item.patient_name.strip():
            return f" · {inline_text(item.patient_name, NAME_MAX)}"
        return ""

    def line(self, item: DigestItem, *details: str, marker: str = "") -> str:
        """One item: its marker, linked key, lane, `details`, owner and patient detail."""
        owner = mention(item.owner) if item.owner else "unclaimed"
        parts = [marker, card_link(item, self.workspace_url), self.lane_name(item.lane)]
        parts += [*details, owner]
        return " · ".join(part for part in parts if part) + self.patient(item)

    def escalation_line(self, escalation: DigestEscalation, now: datetime) -> str:
        rule = self.rule_labels.get(escalation.rule, escalation.rule)
        label = escape_within(rule, LANE_NAME_MAX)
        opened = age_text(escalation.opened_at, now)
        if escalation.state is EscalationState.NO_RESPONSE:
            state = f"*no response*, opened {opened} ago"
        elif escalation.acknowledged_by is None:
            state = f"*not acknowledged*, opened {opened} ago"
        else:
            state = f"acknowledged by {mention(escalation.acknowledged_by)}, open {opened}"
        return self.line(escalation.item, label, state)


def fitted(title: str, lines: Sequence[str], total: int, hint: str) -> str:
    """`title`, then as many `lines` as fit the budget, then how many more and where."""
    shown: list[str] = []
    for line in lines:
        candidate = "\n".join([title, *shown, line])
        if len(json.dumps(candidate, ensure_ascii=False)) > SECTION_BUDGET - 200:
            break
        shown.append(line)
    rest = total - len(shown)
    if rest > 0:
        shown.append(f"_…and {rest:,} more: {hint}_")
    return "\n".join([title, *shown]) if shown else f"{title}\nNone."


def _waiting_detail(waiting: DigestWaiting, now: datetime, tz: ZoneInfo) -> str:
    on = waiting_phrase(waiting.waiting_for)
    since = waiting.since or waiting.item.received_at
    detail = f"waiting on {on} for {age_text(since, now)}"
    if waiting.check_back_at is not None:
        detail += f", check back {weekday_time(waiting.check_back_at, tz)}"
    return detail + f" · open {age_text(waiting.item.received_at, now)}"


def digest_message(digest: Digest, audience: Audience) -> Message:
    """The end-of-day digest for `digest.day`, written for `audience`. A promise's wording,
    staff's free text, is shown only at `full`."""
    now, tz, privacy = digest.now, audience.tz, audience.privacy
    item_line = audience.line

    lane_lines = [
        f"*{audience.lane_name(lane.lane)}*: {lane.open:,} open · {lane.overdue:,} overdue"
        + (f" · oldest {age_text(lane.oldest_received_at, now)}" if lane.oldest_received_at else "")
        for lane in digest.lanes
    ]
    owner_lines = [f"{mention(owner)}: {count:,} open" for owner, count in digest.owners]

    def promise_line(due: DigestPromise) -> str:
        line = item_line(due.item, f"promised by {clock_time(due.due_at, tz)}")
        if privacy is Privacy.FULL and due.text.strip():
            line += f" · “{inline_text(due.text, PROMISE_TEXT_MAX)}”"
        return line

    escalation_lines = [audience.escalation_line(e, now) for e in digest.escalations]
    waiting_lines = [item_line(w.item, _waiting_detail(w, now, tz)) for w in digest.waiting_items]
    day = digest.day
    header = f"End of day · {day:%a %b} {day.day}"
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=header, emoji=False)),
        SectionBlock(
            fields=[
                mrkdwn(f"*Open*\n{digest.open:,}"),
                mrkdwn(f"*Unclaimed*\n{digest.unclaimed:,}"),
                mrkdwn(f"*Overdue*\n{digest.overdue:,}"),
                mrkdwn(f"*Promises missed*\n{digest.promises_missed:,}"),
                mrkdwn(f"*Escalations open*\n{digest.escalations_open:,}"),
                mrkdwn(f"*Resolved today*\n{digest.resolved_today:,}"),
            ]
        ),
        ContextBlock(elements=[mrkdwn(f"As of {clock_time(now, tz)}")]),
        DividerBlock(),
        SectionBlock(
            text=mrkdwn(
                fitted(
                    f"*Escalations not resolved* ({digest.escalations_open:,})",
                    escalation_lines,
                    digest.escalations_open,
                    QUEUE_HINT,
                )
            )
        ),
        SectionBlock(
            text=mrkdwn(
                fitted(
                    f"*Promises due since the last close, not kept* ({digest.promises_missed:,})",
                    [promise_line(p) for p in digest.promises_due],
                    digest.promises_missed,
                    QUEUE_HINT,
                )
            )
        ),
        SectionBlock(text=mrkdwn(fitted("*By lane*", lane_lines, len(lane_lines), QUEUE_HINT))),
        SectionBlock(
            text=mrkdwn(
                fitted(
                    f"*Overdue* ({digest.overdue:,})",
                    [
                        item_line(i, f"due {weekday_time(i.due_at, tz)}")
                        for i in digest.overdue_items
                    ],
                    digest.overdue,
                    QUEUE_HINT,
                )
            )
        ),
        SectionBlock(
            text=mrkdwn(
                fitted(
                    f"*Unclaimed* ({digest.unclaimed:,})",
                    [
                        item_line(i, f"waiting {age_text(i.received_at, now)}")
                        for i in digest.unclaimed_items
                    ],
                    digest.unclaimed,
                    QUEUE_HINT,
                )
            )
        ),
        SectionBlock(
            text=mrkdwn(
                fitted(
                    f"*Waiting on outside parties* ({digest.waiting:,})",
                    waiting_lines,
                    digest.waiting,
                    QUEUE_HINT,
                )
            )
        ),
        SectionBlock(
            text=mrkdwn(fitted("*Open per person*", owner_lines, len(owner_lines), QUEUE_HINT))
        ),
        SectionBlock(
            text=mrkdwn(
                fitted(
                    f"*Resolved today* ({digest.resolved_today:,})",
                    [item_line(i, "") for i in digest.resolved_items],
                    digest.resolved_today,
                    _RESOLVED_HINT,
                )
            )
        ),
    ]
    text = (
        f"End-of-day digest: {digest.open:,} open, {digest.unclaimed:,} unclaimed, "
        f"{digest.overdue:,} overdue"
    )
    return Message(text=text, blocks=blocks)
