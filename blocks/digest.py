"""The end-of-day digest for the managers' channel: five numbers read in 15 seconds, then
per lane the oldest age and overdue count, overdue and unclaimed items, open items per
person and what was resolved today. Every key links to its card.

Pure: it takes a `Digest` (bot/domain/digest.py) and returns a Message that fits Slack's
limits at any volume: each list stops at a budget of characters and says how many more
there are and where to see them, so 800 open items make the same dozen blocks as 8.
Patient detail only as `privacy` allows: none at `none`, initials at `initials`, the
name at `full`; the notification text carries numbers only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
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
from blocks.text import (
    age_text,
    clock_time,
    escape_within,
    mention,
    safe_link,
    weekday_time,
)
from bot.domain.digest import Digest, DigestItem
from bot.domain.items import Patient
from bot.domain.lanes import Lane, Privacy

# Characters (as JSON) each section may hold: five sections stay near 8,000 of the 12,000
# Slack takes for a message's blocks, whatever the names and keys are made of.
SECTION_BUDGET = 1_500
NAME_MAX = 60
LANE_NAME_MAX = 60

_QUEUE_HINT = "type `/queue LANE` in Slack or open CareQueue's Home tab for the rest"
_RESOLVED_HINT = "`carequeue export events --since TODAY` lists every one"


def _mrkdwn(text: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=text, verbatim=True)


def card_link(item: DigestItem, workspace_url: str | None) -> str:
    """The item key, linked to its card when the workspace's address and the card are known."""
    key = escape_within(item.key, 40)
    if workspace_url and item.card_channel_id and item.card_ts:
        url = f"{workspace_url.rstrip('/')}/archives/{item.card_channel_id}/p"
        link = safe_link(url + item.card_ts.replace(".", ""), item.key)
        if link is not None:
            return f"*{link}*"
    return f"*{key}*"


def _patient(item: DigestItem, privacy: Privacy) -> str:
    if privacy is Privacy.INITIALS:
        initials = Patient("", item.patient_name, "", "").initials
        return f" · {initials}" if initials else ""
    if privacy is Privacy.FULL and item.patient_name.strip():
        return f" · {escape_within(item.patient_name.strip(), NAME_MAX)}"
    return ""


def _fitted(title: str, lines: Sequence[str], total: int, hint: str) -> str:
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


def _lane_name(lanes: Mapping[str, Lane], key: str) -> str:
    lane = lanes.get(key)
    return escape_within(lane.name if lane else key, LANE_NAME_MAX)


def digest_message(
    digest: Digest,
    lanes: Mapping[str, Lane],
    privacy: Privacy,
    tz: ZoneInfo,
    *,
    workspace_url: str | None = None,
) -> Message:
    """The end-of-day digest for `digest.day`, in the practice's zone `tz`.

    `lanes` names the lanes (a key no longer configured is shown as is). With
    `workspace_url` (`https://team.slack.com`) every key links to its card.
    """
    now = digest.now

    def item_line(item: DigestItem, detail: str) -> str:
        owner = mention(item.owner) if item.owner else "unclaimed"
        parts = [card_link(item, workspace_url), _lane_name(lanes, item.lane), detail, owner]
        return " · ".join(part for part in parts if part) + _patient(item, privacy)

    lane_lines = [
        f"*{_lane_name(lanes, lane.lane)}*: {lane.open:,} open · {lane.overdue:,} overdue"
        + (f" · oldest {age_text(lane.oldest_received_at, now)}" if lane.oldest_received_at else "")
        for lane in digest.lanes
    ]
    owner_lines = [f"{mention(owner)}: {count:,} open" for owner, count in digest.owners]
    day = digest.day
    header = f"End of day · {day:%a %b} {day.day}"
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=header, emoji=False)),
        SectionBlock(
            fields=[
                _mrkdwn(f"*Open*\n{digest.open:,}"),
                _mrkdwn(f"*Unclaimed*\n{digest.unclaimed:,}"),
                _mrkdwn(f"*Overdue*\n{digest.overdue:,}"),
                _mrkdwn(f"*Promises missed today*\n{digest.promises_missed:,}"),
                _mrkdwn(f"*Escalations open*\n{digest.escalations_open:,}"),
                _mrkdwn(f"*Resolved today*\n{digest.resolved_today:,}"),
            ]
        ),
        ContextBlock(elements=[_mrkdwn(f"As of {clock_time(now, tz)}")]),
        DividerBlock(),
        SectionBlock(text=_mrkdwn(_fitted("*By lane*", lane_lines, len(lane_lines), _QUEUE_HINT))),
        SectionBlock(
            text=_mrkdwn(
                _fitted(
                    f"*Overdue* ({digest.overdue:,})",
                    [
                        item_line(i, f"due {weekday_time(i.due_at, tz)}")
                        for i in digest.overdue_items
                    ],
                    digest.overdue,
                    _QUEUE_HINT,
                )
            )
        ),
        SectionBlock(
            text=_mrkdwn(
                _fitted(
                    f"*Unclaimed* ({digest.unclaimed:,})",
                    [
                        item_line(i, f"waiting {age_text(i.received_at, now)}")
                        for i in digest.unclaimed_items
                    ],
                    digest.unclaimed,
                    _QUEUE_HINT,
                )
            )
        ),
        SectionBlock(
            text=_mrkdwn(_fitted("*Open per person*", owner_lines, len(owner_lines), _QUEUE_HINT))
        ),
        SectionBlock(
            text=_mrkdwn(
                _fitted(
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
