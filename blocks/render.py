"""The outbox's renderer: current item state -> chat.postMessage / chat.update arguments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from jinja2 import Environment

from blocks.card import item_card, thread_entry
from blocks.templating import build_environment
from bot.config import Practice
from bot.domain.events import Event
from bot.domain.items import Item


class PracticeRenderer:
    """Renders with the practice's privacy level, lanes, time zone and template overrides."""

    def __init__(self, practice: Practice, env: Environment | None = None) -> None:
        self.practice = practice
        self.env = env or build_environment(practice.templates_dir)

    def card(self, item: Item, now: datetime) -> dict[str, Any]:
        lane = self.practice.lane(item.lane)
        message = item_card(
            item, lane, self.practice.privacy, now, self.practice.timezone, env=self.env
        )
        return message.to_payload()

    def thread_entry(self, event: Event, item: Item) -> dict[str, Any]:
        message = thread_entry(
            event, item, self.practice.privacy, self.practice.timezone, env=self.env
        )
        return message.to_payload()
