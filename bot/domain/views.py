"""What a card and App Home show, as plain values: built in bot/, rendered in blocks/."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.escalation import Escalation
from bot.domain.handoff import Promise
from bot.domain.items import Item


@dataclass(frozen=True)
class CardView:
    """What a card shows: the item, its nearest open promise, and where it went if it moved."""

    item: Item
    promise: Promise | None = None
    moved_to_lane: str | None = None
    history_link: str | None = None
    escalation: Escalation | None = None  # the open one, else the latest


@dataclass(frozen=True)
class LaneSummary:
    lane: str
    name: str
    open: int
    oldest_received: datetime | None


@dataclass(frozen=True)
class Listed:
    """An item in a work list, with where its current card is (to link its key)."""

    item: Item
    card_channel_id: str | None = None
    card_ts: str | None = None


@dataclass(frozen=True)
class LaneBoard:
    """One lane on the manager's Home: open, unclaimed, overdue and due-today counts, and
    its oldest open item."""

    lane: str
    name: str
    open: int = 0
    unclaimed: int = 0
    overdue: int = 0
    due_today: int = 0
    oldest: Listed | None = None


@dataclass(frozen=True)
class PersonLoad:
    """One owner's open and overdue items."""

    owner: str
    open: int
    overdue: int


@dataclass(frozen=True)
class ManagerBoard:
    """What a manager's Home adds: every lane, every person's load, open escalations."""

    lanes: tuple[LaneBoard, ...]
    people: tuple[PersonLoad, ...]
    escalations_open: int


@dataclass(frozen=True)
class HomeData:
    """What one person's App Home shows. `lanes` is only filled for managers."""

    user: str
    now: datetime
    mine: list[Item]
    due_soon: list[Item]
    waiting: list[Item]
    lanes: list[LaneSummary] = field(default_factory=list)
    is_manager: bool = False
    # Unclaimed items across the lanes the person works in, most urgent first.
    needs_owner: list[Listed] = field(default_factory=list)
    needs_owner_total: int = 0
    overdue: list[Item] = field(default_factory=list)
    board: ManagerBoard | None = None
    workspace_url: str | None = None
    has_role: bool = True  # False: named in no role of the practice file
