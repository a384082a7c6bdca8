"""The morning summary for the managers' channel at opening time: what arrived since the
last close, escalations and red flags first, then clinical lanes, so the day starts with
control. Every key links to its card.

Pure, and within Slack's limits at any volume as the digest is (blocks/digest.py): each
list stops at a budget and says how many more there are and where to see them. Patient
detail only as `privacy` allows; a red flag is shown as a flag, never as the matched words;
the notification text carries numbers only.
"""

from __future__ import annotations

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    PlainTextObject,
    SectionBlock,
)

from blocks.digest import QUEUE_HINT, Audience, fitted, mrkdwn
from blocks.message import Message
from blocks.text import clock_time, origin_phrase, weekday_time
from bot.domain.items import Origin
from bot.domain.morning import MorningItem, MorningSummary, Priority

MARKERS = {
    Priority.ESCALATED: "🚨 escalated",
    Priority.RED_FLAG: "🚩 red flag",
    Priority.CLINICAL: "🩺 clinical",
    Priority.ROUTINE: "",
}


def _origin(origin: str) -> str:
    try:
        return origin_phrase(Origin(origin))
    except ValueError:
        return ""


def morning_message(summary: MorningSummary, audience: Audience) -> Message:
    """The morning summary of `summary.day`, written for `audience`."""
    now, tz = summary.now, audience.tz

    def first_line(first: MorningItem) -> str:
        received = f"received {weekday_time(first.item.received_at, tz)}"
        details = (_origin(first.origin), received)
        return audience.line(first.item, *details, marker=MARKERS[first.priority])

    escalation_lines = [audience.escalation_line(e, now) for e in summary.escalations]
    lane_lines = [
        f"*{audience.lane_name(lane.lane)}*{' 🩺' if lane.clinical else ''}: "
        f"{lane.arrived:,} arrived · {lane.open:,} open · {lane.overdue:,} overdue"
        for lane in summary.lanes
    ]
    day = summary.day
    blocks: list[Block] = [
        HeaderBlock(
            text=PlainTextObject(text=f"Good morning · {day:%a %b} {day.day}", emoji=False)
        ),
        SectionBlock(
            fields=[
                mrkdwn(f"*Arrived since close*\n{summary.arrived:,}"),
                mrkdwn(f"*Red flags open*\n{summary.red_flags_open:,}"),
                mrkdwn(f"*Escalations open*\n{summary.escalations_open:,}"),
                mrkdwn(f"*Open*\n{summary.open:,}"),
                mrkdwn(f"*Unclaimed*\n{summary.unclaimed:,}"),
                mrkdwn(f"*Overdue*\n{summary.overdue:,}"),
            ]
        ),
        ContextBlock(
            elements=[
                mrkdwn(f"Since {weekday_time(summary.since, tz)} · as of {clock_time(now, tz)}")
            ]
        ),
        DividerBlock(),
        SectionBlock(
            text=mrkdwn(
                fitted(
                    f"*Escalations not resolved* ({summary.escalations_open:,})",
                    escalation_lines,
                    summary.escalations_open,
                    QUEUE_HINT,
                )
            )
        ),
        SectionBlock(
            text=mrkdwn(
                fitted(
                    f"*Start here* ({summary.first:,}): escalated and red-flagged items, "
                    "then the night's requests, clinical lanes first",
                    [first_line(a) for a in summary.first_items],
                    summary.first,
                    QUEUE_HINT,
                )
            )
        ),
        SectionBlock(text=mrkdwn(fitted("*By lane*", lane_lines, len(lane_lines), QUEUE_HINT))),
    ]
    text = (
        f"Morning summary: {summary.arrived:,} arrived since close, "
        f"{summary.red_flags_open:,} red flags open, {summary.escalations_open:,} escalations open"
    )
    return Message(text=text, blocks=blocks)
