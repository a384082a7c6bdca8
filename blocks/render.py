"""The outbox's renderer: current item state -> chat.postMessage / chat.update arguments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from jinja2 import Environment

from blocks.card import item_card, moved_card, thread_entry
from blocks.home import home_view
from blocks.notices import notice_message, operations_notice
from blocks.templating import build_environment
from bot.domain.events import Event
from bot.domain.items import Item
from bot.domain.practice import Practice
from bot.domain.views import CardView, HomeData


class PracticeRenderer:
    """Renders with the practice's privacy level, lanes, time zone and template overrides."""

    def __init__(self, practice: Practice, env: Environment | None = None) -> None:
        self.practice = practice
        self.env = env or build_environment(practice.templates_dir)

    def card(self, view: CardView, now: datetime) -> dict[str, Any]:
        item = view.item
        if view.moved_to_lane is not None:
            moved = moved_card(item, self.practice.lane(view.moved_to_lane), env=self.env)
            return moved.to_payload()
        message = item_card(
            item,
            self.practice.lane(item.lane),
            self.practice.privacy,
            now,
            self.practice.timezone,
            env=self.env,
            promise=view.promise,
            cadence_attempts=self.practice.lane(item.lane).cadence.attempts,
            history_link=view.history_link,
        )
        return message.to_payload()

    def message(self, template: str, item: Item, params: dict[str, Any]) -> dict[str, Any]:
        lane = self.practice.lane(item.lane)
        return notice_message(template, item, lane, params, self.practice.timezone, self.env)

    def operations_notice(self, template: str, params: dict[str, Any]) -> dict[str, Any]:
        return operations_notice(template, params, self.env)

    def home(self, data: HomeData) -> dict[str, Any]:
        view = home_view(data, self.practice, env=self.env)
        return view.to_dict()

    def thread_entry(self, event: Event, item: Item) -> dict[str, Any]:
        message = thread_entry(
            event,
            item,
            self.practice.privacy,
            self.practice.timezone,
            env=self.env,
            lanes=self.practice.lanes,
        )
        return message.to_payload()
