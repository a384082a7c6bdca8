"""The weekly metrics message and the QA sample for the managers' channel (or a manager's DM).

Pure: a `MetricsReport` (bot/domain/metrics.py) in, a Message out. Numbers and item keys
only, never patient data; the notification text carries two numbers. At most
LANES_SHOWN lanes get a section each, so a message stays well inside 50 blocks and
Slack's ~12,000 characters.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from blocks.ids import ActionId
from blocks.message import Message
from blocks.text import age_text, business_time_text, escape_within
from bot.domain.item_history import Breakdown, OldestOpen, Rate, Times
from bot.domain.lanes import Lane
from bot.domain.metrics import MetricsReport

T = TypeVar("T")

LANES_SHOWN = 12
# Characters (as JSON) the header and lane sections may take, leaving room for the notes
# within the 12,000 Slack takes for a message's blocks.
LANES_BUDGET = 9_000
DAY_ENDS_SHOWN = 31
LANE_NAME_MAX = 60
NONE = "—"
QA_SAMPLE_MAX = 40  # the most `metrics.qa_sample` allows; 42 blocks


def _mrkdwn(text: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=text, verbatim=True)


def share(rate: Rate | None) -> str:
    """`80% (4 of 5)`, or a dash when there was nothing to count."""
    if rate is None or rate.share is None:
        return NONE
    return f"{round(rate.share * 100)}% ({rate.done} of {rate.of})"


def per_item(rate: Rate | None) -> str:
    """`1.5 (6 over 4 items)`: attempts per resolved item."""
    if rate is None or rate.share is None:
        return NONE
    return f"{rate.share:.1f} ({rate.done} over {rate.of})"


def response(times: Times | None) -> str:
    """`avg 1 h 30 min · p90 4 h (12)` in business time."""
    if times is None or times.average is None or times.p90 is None:
        return NONE
    average, p90 = business_time_text(round(times.average)), business_time_text(round(times.p90))
    return f"avg {average} · p90 {p90} ({times.count})"


def waiting(times: Times | None, now: datetime) -> str:
    """`2 · oldest 4 d 15 h`: how many wait on someone outside, and the longest wait."""
    if times is None or times.oldest is None:
        return "none"
    since = now - timedelta(minutes=times.oldest)
    return f"{times.count} · oldest {age_text(since, now)}"


def oldest(found: OldestOpen | None, now: datetime) -> str:
    if found is None:
        return "none"
    return f"{escape_within(found.key, 40)} · {age_text(found.received_at, now)}"


def qa(times: Times | None) -> str:
    if times is None or times.average is None:
        return NONE
    return f"{times.average:.1f} of 5 ({times.count} reviewed)"


def _fields(report: MetricsReport, lane: str | None) -> list[MarkdownTextObject]:
    def pick(breakdown: Breakdown[T]) -> T | None:
        return breakdown.overall if lane is None else breakdown.lanes.get(lane)

    escalations, end = report.escalations, report.period.end
    count = escalations.count.overall if lane is None else escalations.count.lanes.get(lane, 0)
    rows = [
        ("First response", response(pick(report.first_response))),
        ("Same-day callbacks", share(pick(report.same_day_callbacks))),
        ("Attempts per resolved item", per_item(pick(report.attempts_per_resolved))),
        ("Oldest open", oldest(pick(report.oldest_open), end)),
        (
            "Waiting on outside parties",
            waiting(pick(report.waiting_on_outside), end),
        ),
        ("Appointment confirmations", share(pick(report.appointment_confirmation))),
        ("Bilingual callbacks", share(pick(report.bilingual_callbacks))),
        ("Repeat contacts", share(pick(report.repeat_contacts))),
        (
            "Escalations",
            f"{count or 0} · appropriate {share(pick(escalations.accuracy))}",
        ),
        ("QA score", qa(pick(report.qa_scores))),
    ]
    return [_mrkdwn(f"*{label}*\n{value}") for label, value in rows]


def _size(block: Block) -> int:
    return len(json.dumps(block.to_dict(), ensure_ascii=False))


def _day_ends(days: Sequence[tuple[date, Breakdown[int]]]) -> str:
    shown = [f"{day:%a %-d} {counts.overall}" for day, counts in days[-DAY_ENDS_SHOWN:]]
    return "Open at each day's close: " + (" · ".join(shown) if shown else "no business day")


def _by_rule(report: MetricsReport) -> str:
    stats = report.escalations
    rules = sorted(set(stats.by_rule) | set(stats.accuracy_by_rule))
    if not rules:
        return "No escalations."
    parts = [
        f"{escape_within(rule, 40)} {stats.by_rule.get(rule, 0)}"
        f" (appropriate {share(stats.accuracy_by_rule.get(rule))})"
        for rule in rules[:15]
    ]
    return "Escalations by reason: " + " · ".join(parts)


def metrics_message(report: MetricsReport, lanes: Mapping[str, Lane], tz: ZoneInfo) -> Message:
    """The metrics of one period: the practice's numbers, then each lane's, then the open
    count at each day's close and escalations by reason. Lanes in the practice file's order,
    then any retired lane that still had something to count."""
    period = report.period
    start, end = period.start.astimezone(tz), period.end.astimezone(tz)
    title = f"Metrics · {start:%b %-d} to {end:%b %-d} ({period.days} days)"
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=title)),
        SectionBlock(text=_mrkdwn("*The practice*"), fields=_fields(report, None)),
    ]
    counted = set(report.first_response.lanes) | set(report.oldest_open.lanes)
    counted |= set(report.same_day_callbacks.lanes) | set(report.repeat_contacts.lanes)
    counted |= set(report.attempts_per_resolved.lanes) | set(report.escalations.count.lanes)
    order = [key for key in lanes if key in counted] + sorted(counted - set(lanes))
    used = sum(_size(block) for block in blocks)
    shown = 0
    for key in order[:LANES_SHOWN]:
        name = lanes[key].name if key in lanes else key
        section = SectionBlock(
            text=_mrkdwn(f"*{escape_within(name, LANE_NAME_MAX)}*"), fields=_fields(report, key)
        )
        if used + _size(section) > LANES_BUDGET:
            break
        blocks += [DividerBlock(), section]
        used, shown = used + _size(section) + 20, shown + 1
    extra = len(order) - shown
    notes = [_day_ends(report.open_at_day_end), _by_rule(report)]
    if extra > 0:
        notes.append(f"{extra} more lanes not shown: ask with `/cq metrics` for the full list.")
    notes.append("Times in business hours; definitions in CareQueue's README (Weekly metrics).")
    blocks.append(ContextBlock(elements=[_mrkdwn(escape_within(n, 2_900)) for n in notes]))
    first = report.first_response.overall
    text = (
        f"Metrics for {period.days} days: first response {response(first)},"
        f" same-day callbacks {share(report.same_day_callbacks.overall)}"
    )
    return Message(text=text, blocks=blocks)


def qa_sample_message(sample: Sequence[tuple[str, str]], lanes: Mapping[str, Lane]) -> Message:
    """The week's QA sample: each closed item's key and lane with a Review button that opens
    the scoring form. `sample` holds (key, lane) pairs; no patient data."""
    shown = list(sample)[:QA_SAMPLE_MAX]
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text="QA sample · closed last week")),
        SectionBlock(
            text=_mrkdwn(
                f"{len(shown)} closed items, spread over the lanes. Review each: greeting,"
                " empathy, accuracy, escalation handling and closing from 1 to 5, the privacy"
                " check, and a coaching note."
            )
        ),
    ]
    for key, lane in shown:
        name = lanes[lane].name if lane in lanes else lane
        blocks.append(
            SectionBlock(
                text=_mrkdwn(f"*{escape_within(key, 40)}* · {escape_within(name, LANE_NAME_MAX)}"),
                accessory=ButtonElement(
                    text="Review", action_id=ActionId.QA_REVIEW, value=key[:75]
                ),
            )
        )
    if not shown:
        blocks.append(ContextBlock(elements=[_mrkdwn("No item was closed last week.")]))
    return Message(text=f"QA sample: {len(shown)} closed items to review", blocks=blocks)
