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
class HomeData:
    """What one person's App Home shows. `lanes` is only filled for managers."""

    user: str
    now: datetime
    mine: list[Item]
    due_soon: list[Item]
    waiting: list[Item]
    lanes: list[LaneSummary] = field(default_factory=list)
    is_manager: bool = False
