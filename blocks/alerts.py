"""Aging and promise alerts: the warning before a breach, the breach, twice the target, a
promise's reminder and a missed promise; and the same message once it is no longer true
("Claimed by @ana at 10:12 AM — no longer waiting for an owner"). No patient data: the item
by key and lane, times, owners and the card's channel."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment
from slack_sdk.models.blocks import ContextBlock, MarkdownTextObject, SectionBlock

from blocks.card import LANE_NAME_MAX
from blocks.limits import SECTION_TEXT_MAX
from blocks.message import Message
from blocks.templating import render
from blocks.text import clock_time, mention, safe_link, slack_date, truncate, weekday_time
from bot.domain.aging import AlertNotice
from bot.domain.lanes import Lane


def alert_message(
    notice: AlertNotice, lane: Lane, tz: ZoneInfo, env: Environment
) -> dict[str, Any]:
    """The `chat.postMessage`/`chat.update` text and blocks of one alert message. The blocks
    give times with `<!date^…>` (each reader's zone); the notification text gives them in the
    practice's zone, since lock screens do not format dates."""
    context = {
        "kind": notice.kind.value,
        "key": notice.item_key,
        "lane_name": truncate(lane.name, LANE_NAME_MAX),
        "target": notice.target,
        "owner_mention": mention(notice.owner) if notice.owner else "",
        "channel": f"<#{notice.card_channel_id}>" if notice.card_channel_id else "",
        "cleared": notice.cleared.value if notice.cleared else "",
        "by_mention": mention(notice.cleared_by) if notice.cleared_by else "",
        "at": clock_time(notice.cleared_at, tz) if notice.cleared_at else "",
    }
    name = "alert.cleared.j2" if notice.cleared else "alert.raised.j2"
    now_due = notice.now_due_at
    line = render(
        env,
        name,
        **context,
        due=slack_date(notice.due_at, tz),
        now_due=slack_date(now_due, tz) if now_due else "",
    )
    text = render(
        env,
        name,
        **context,
        due=weekday_time(notice.due_at, tz),
        now_due=weekday_time(now_due, tz) if now_due else "",
    )
    blocks: list[Any] = [
        SectionBlock(text=MarkdownTextObject(text=truncate(line, SECTION_TEXT_MAX), verbatim=True))
    ]
    if notice.cleared is None and notice.target != "thread":
        label = f"Open the card of {notice.item_key}"
        link = (safe_link(notice.card_link, label) if notice.card_link else None) or ""
        where = f"The card is in {context['channel']}" if context["channel"] else ""
        pointer = " · ".join(part for part in (link, where) if part)
        if pointer:
            blocks.append(ContextBlock(elements=[MarkdownTextObject(text=pointer)]))
    return Message(text=truncate(text, SECTION_TEXT_MAX), blocks=blocks).to_payload()
