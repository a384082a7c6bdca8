"""App Home: one person's work at a glance, and for managers every lane's backlog.

Sections "My items", "Due in the next hour", "Waiting" and, for managers, "Lanes". Lines
carry item keys, lanes, request types, statuses and times, never patient detail.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from blocks.ids import ActionId
from blocks.limits import VIEW_BLOCKS_MAX
from blocks.queue import (
    LANE_NAME_MAX,
    REQUEST_TYPE_MAX,
    item_line,
    lane_name,
    more_line,
    packed_sections,
)
from blocks.text import age_text, escape, escape_within, slack_date, status_label
from bot.domain.items import Item
from bot.domain.practice import Practice
from bot.domain.views import HomeData, LaneSummary

T = TypeVar("T")

ITEMS_PER_SECTION = 25
LANES_MAX = 50
WAITING_ON_MAX = 100
_AS_OF_FORMAT = "{date_short_pretty} at {time}"


def _waiting_line(item: Item, practice: Practice, data: HomeData) -> str:
    parts = [
        f"*{escape(item.key)}*",
        escape_within(lane_name(item.lane, practice), LANE_NAME_MAX),
        escape_within(item.request_type, REQUEST_TYPE_MAX),
        status_label(item.status),
    ]
    if item.waiting_on.strip():
        # Who the item waits on (a payer, a referral office) is typed by staff: escaped.
        parts.append(f"waiting on {escape_within(item.waiting_on.strip(), WAITING_ON_MAX)}")
    if item.check_back_at is not None:
        check_back = f"check back {slack_date(item.check_back_at, practice.timezone)}"
        if item.check_back_at <= data.now:
            check_back += " · :alarm_clock: *time to check back*"
        parts.append(check_back)
    return " · ".join(parts)


def _lane_line(summary: LaneSummary, data: HomeData) -> str:
    name = f"*{escape_within(summary.name, LANE_NAME_MAX)}*"
    if summary.open == 0:
        return f"{name} · nothing open"
    line = f"{name} · {summary.open} open"
    if summary.oldest_received is not None:
        line += f" · oldest {age_text(summary.oldest_received, data.now)}"
    return line


def _section(
    title: str,
    entries: Sequence[T],
    line: Callable[[T], str],
    empty: str,
    limit: int = ITEMS_PER_SECTION,
    noun: str = "",
) -> list[Block]:
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text=title, emoji=False))]
    if not entries:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=empty, verbatim=True)))
        return blocks
    lines = [line(entry) for entry in entries[:limit]]
    if len(entries) > limit:
        lines.append(more_line(len(entries) - limit, noun))
    blocks.extend(packed_sections(lines))
    return blocks


def home_view(data: HomeData, practice: Practice) -> View:
    """The App Home `data.user` sees, as of `data.now`.

    "My items" lists their open items soonest due first (overdue ones marked), "Due in
    the next hour" what needs them now, "Waiting" each waiting item with whom it waits on
    and when to check back; managers also see every lane's open count and its oldest
    item's age. Each list shows at most 25 lines, then "…and N more". A Refresh button
    republishes it. Its wording is not templated (yet): it needs no environment.
    """
    as_of = slack_date(data.now, practice.timezone, _AS_OF_FORMAT)
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text="My work", emoji=False)),
        ContextBlock(elements=[MarkdownTextObject(text=f"As of {as_of}", verbatim=True)]),
        ActionsBlock(
            elements=[ButtonElement(text="Refresh", action_id=ActionId.HOME_REFRESH, value="home")]
        ),
        DividerBlock(),
    ]
    blocks += _section(
        "My items",
        data.mine,
        lambda item: item_line(item, practice, data.now, owner=False),
        "Nothing is yours right now. Claim a card in a lane channel, or type `/queue`"
        " with a lane to see what is waiting there.",
    )
    blocks += _section(
        "Due in the next hour",
        data.due_soon,
        lambda item: item_line(item, practice, data.now, owner=False),
        "Nothing of yours is due in the next hour.",
    )
    blocks += _section(
        "Waiting",
        data.waiting,
        lambda item: _waiting_line(item, practice, data),
        "Nothing of yours is waiting on anyone.",
    )
    if data.is_manager:
        blocks.append(DividerBlock())
        blocks += _section(
            "Lanes",
            data.lanes,
            lambda summary: _lane_line(summary, data),
            "The practice file lists no lanes.",
            limit=LANES_MAX,
            noun="lanes",
        )
    return View(type="home", blocks=blocks[:VIEW_BLOCKS_MAX])
