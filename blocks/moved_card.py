"""The card left in the old lane's channel after an item moved: where it went, nothing to click."""

from __future__ import annotations

from jinja2 import Environment
from slack_sdk.models.blocks import Block, HeaderBlock, PlainTextObject, SectionBlock

from blocks.card import LANE_NAME_MAX, app_mrkdwn
from blocks.limits import HEADER_TEXT_MAX, SECTION_TEXT_MAX
from blocks.message import Message
from blocks.templating import render
from blocks.text import escape, truncate
from bot.domain.items import Item
from bot.domain.lanes import Lane


def _channel_reference(channel: str) -> str:
    """`<#C0123>` for a channel id (Slack shows its name), else the escaped `#name`."""
    if channel[:1] in ("C", "G") and channel.isalnum() and channel.isupper():
        return f"<#{channel}>"
    return escape(channel)


def moved_card(item: Item, new_lane: Lane, env: Environment) -> Message:
    """The old card after the item moved lanes: where it went, and no buttons.

    The item is worked from the new card in `new_lane`'s channel; this one only points there.
    Nothing on it is patient data, so there is no privacy level to respect.
    """
    context = {
        "key": item.key,
        "lane_name": truncate(new_lane.name, LANE_NAME_MAX),
        "channel": _channel_reference(new_lane.channel),
    }
    line = render(env, "card.moved.j2", **context)
    header = truncate(f"{item.key} · {item.request_type}", HEADER_TEXT_MAX)
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=header, emoji=False)),
        SectionBlock(text=app_mrkdwn(f":arrow_right: {line}")),
    ]
    return Message(text=truncate(line, SECTION_TEXT_MAX), blocks=blocks)
