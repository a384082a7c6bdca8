"""App Home: one person's work at a glance, and for managers the whole practice.

Sections "Needs an owner" (across the lanes the person works in, each with Claim),
"Overdue", "Due in the next hour", "My items", "Waiting" and, for managers, "Lanes"
(open, unclaimed, overdue, due today, the oldest item), "People" and open escalations.
Lines carry item keys, lanes, request types, statuses and times, never patient detail.
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
    key_link,
    lane_name,
    listed_line,
    more_line,
    packed_sections,
)
from blocks.text import age_text, escape, escape_within, mention, slack_date, status_label
from bot.domain.items import Item, Status
from bot.domain.practice import Practice
from bot.domain.views import HomeData, LaneBoard, LaneSummary, Listed, ManagerBoard, PersonLoad
from bot.domain.waiting import waiting_phrase

T = TypeVar("T")

ITEMS_PER_SECTION = 25
NEEDS_OWNER_SHOWN = 10  # each with its own Claim button: one block each
LANES_MAX = 50
_AS_OF_FORMAT = "{date_short_pretty} at {time}"


def _waiting_line(item: Item, practice: Practice, data: HomeData) -> str:
    parts = [
        f"*{escape(item.key)}*",
        escape_within(lane_name(item.lane, practice), LANE_NAME_MAX),
        escape_within(item.request_type, REQUEST_TYPE_MAX),
        status_label(item.status),
    ]
    if item.status is Status.WAITING:
        # Who, as the practice's choice; staff's own words stay off App Home at every level.
        parts.append(f"waiting on {waiting_phrase(item.waiting_for)}")
    if item.check_back_at is not None:
        check_back = f"check back {slack_date(item.check_back_at, practice.timezone)}"
        if item.check_back_at <= data.now:
            check_back += " · :alarm_clock: *time to check back*"
        parts.append(check_back)
    return " · ".join(parts)


def _needs_owner(data: HomeData, practice: Practice) -> list[Block]:
    """Unclaimed work, most urgent first, each line with a Claim button; the rest counted
    with the command that lists them."""
    title = "Needs an owner"
    if data.needs_owner_total:
        title += f" ({data.needs_owner_total})"
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text=title, emoji=False))]
    if not data.needs_owner:
        empty = "Every item in your lanes has an owner."
        blocks.append(SectionBlock(text=MarkdownTextObject(text=empty, verbatim=True)))
        return blocks
    for entry in data.needs_owner[:NEEDS_OWNER_SHOWN]:
        line = listed_line(entry, practice, data.now, data.workspace_url)
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(text=line, verbatim=True),
                accessory=ButtonElement(
                    text="Claim", action_id=ActionId.HOME_CLAIM, value=entry.item.key
                ),
            )
        )
    hidden = data.needs_owner_total - min(len(data.needs_owner), NEEDS_OWNER_SHOWN)
    if hidden > 0:
        more = f"{more_line(hidden)} · `/queue unclaimed` lists them"
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=more, verbatim=True)]))
    return blocks


def _board_lane_line(lane: LaneBoard, data: HomeData) -> str:
    name = f"*{escape_within(lane.name, LANE_NAME_MAX)}*"
    if lane.open == 0:
        return f"{name} · nothing open"
    parts = [name, f"{lane.open} open", f"{lane.unclaimed} unclaimed"]
    parts.append(f":warning: {lane.overdue} overdue" if lane.overdue else "0 overdue")
    parts.append(f"{lane.due_today} due today")
    if lane.oldest is not None:
        oldest = _linked_key(lane.oldest, data)
        parts.append(f"oldest {oldest} {age_text(lane.oldest.item.received_at, data.now)}")
    return " · ".join(parts)


def _linked_key(entry: Listed, data: HomeData) -> str:
    return key_link(entry.item.key, data.workspace_url, entry.card_channel_id, entry.card_ts)


def _person_line(load: PersonLoad) -> str:
    line = f"{mention(load.owner)} · {load.open} open"
    return line + (f" · :warning: {load.overdue} overdue" if load.overdue else "")


def _manager_board(board: ManagerBoard, data: HomeData) -> list[Block]:
    escalations = (
        f":rotating_light: *{board.escalations_open} escalation"
        f"{'' if board.escalations_open == 1 else 's'} open*"
        if board.escalations_open
        else "No escalation open."
    )
    blocks: list[Block] = [
        DividerBlock(),
        HeaderBlock(text=PlainTextObject(text="The practice now", emoji=False)),
        SectionBlock(text=MarkdownTextObject(text=escalations, verbatim=True)),
    ]
    blocks += _section(
        "Lanes",
        list(board.lanes),
        lambda lane: _board_lane_line(lane, data),
        "The practice file lists no lanes.",
        limit=LANES_MAX,
        noun="lanes",
    )
    blocks += _section(
        "People",
        list(board.people),
        _person_line,
        "Nobody owns an open item.",
        limit=LANES_MAX,
        noun="people",
    )
    return blocks


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

    "Needs an owner" lists unclaimed work across the lanes they work in, red flags and
    the soonest due first, ten with a Claim button and a link to the card; "Overdue"
    their items past due (only when there are some); "Due in the next hour" what is due
    soon but not yet late; "My items" all their open items soonest due first; "Waiting"
    each waiting item with whom it waits on and when to check back. Managers also see
    open escalations, per lane open, unclaimed, overdue and due today with the oldest
    item, and per person open and overdue counts. Each list shows at most 25 lines, then
    "…and N more". A Refresh button republishes it.
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
    if not data.has_role:
        # Otherwise the empty lists would read as "every item in your lanes has an owner".
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(
                    text="You have no role in CareQueue yet, so no lanes are yours to work:"
                    " ask a practice manager to add you to the practice file's roles. You can"
                    " still log a request (`/intake`) and escalate one (`/cq escalate`)."
                )
            )
        )
        return View(type="home", blocks=blocks)
    blocks += _needs_owner(data, practice)
    if data.overdue:
        blocks += _section(
            "Overdue",
            data.overdue,
            lambda item: item_line(item, practice, data.now, owner=False),
            "",
        )
    blocks += _section(
        "Due in the next hour",
        data.due_soon,
        lambda item: item_line(item, practice, data.now, owner=False),
        "Nothing of yours is due in the next hour.",
    )
    blocks += _section(
        "My items",
        data.mine,
        lambda item: item_line(item, practice, data.now, owner=False),
        "Nothing is yours right now. Claim one under “Needs an owner”, or type `/queue`"
        " with a lane to see what is waiting there.",
    )
    blocks += _section(
        "Waiting",
        data.waiting,
        lambda item: _waiting_line(item, practice, data),
        "Nothing of yours is waiting on anyone.",
    )
    if data.board is not None:
        blocks += _manager_board(data.board, data)
    elif data.is_manager:
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
