"""The append-only record of what happened to an item: who, what, when, before and after."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.domain.items import Action


@dataclass(frozen=True)
class Event:
    """One change (or view) of one item. `before`/`after` hold only the fields that changed;
    `after` also holds what the action's kind records (read it typed with
    bot.domain.event_details.details_of, never by key)."""

    item_key: str
    action: Action
    actor: str
    at: datetime
    before: Mapping[str, Any] = field(default_factory=dict)
    after: Mapping[str, Any] = field(default_factory=dict)
    id: int | None = None
