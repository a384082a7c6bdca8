"""Messages CareQueue posts outside a card's thread: the managers' supervisor review, the DMs
for a handoff and a check-back. The outbox renders them from a template name and params.

None of them carries patient data, in the notification text or the blocks: they name the
item by key and lane and point to the card (or its note), which respects the privacy level.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    MarkdownTextObject,
    SectionBlock,
)

from blocks.card import LANE_NAME_MAX
from blocks.ids import ActionId
from blocks.limits import SECTION_TEXT_MAX
from blocks.message import Message
from blocks.templating import render
from blocks.text import mention, truncate
from blocks.thread import actor_name
from bot.domain.items import Item
from bot.domain.lanes import Lane
from bot.domain.waiting import waiting_phrase

SUPERVISOR_REVIEW = "supervisor_review"
HANDOFF_DM = "handoff_dm"
REASSIGN_DM = "reassign_dm"
CHECK_BACK_DM = "check_back_dm"

# Free text reaches a notice's blocks, never its notification text.
_FREE_TEXT = ("waiting_on",)


def _int(params: Mapping[str, Any], key: str) -> int | None:
    value = params.get(key)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def _text(params: Mapping[str, Any], key: str) -> str:
    value = params.get(key)
    return value.strip() if isinstance(value, str) else ""


def _supervisor_review(item: Item, params: Mapping[str, Any]) -> tuple[dict[str, Any], list[Block]]:
    attempts = _int(params, "attempts")
    context = {
        "attempts": attempts if attempts is not None else item.attempts,
        "owner_mention": mention(item.owner) if item.owner else "",
        "clinical": params.get("clinical") is True,
    }
    details = ButtonElement(text="Details", action_id=ActionId.DETAILS, value=item.key)
    return context, [ActionsBlock(elements=[details])]


def _handoff_dm(item: Item, params: Mapping[str, Any]) -> tuple[dict[str, Any], list[Block]]:
    by = _text(params, "by")
    context = {"actor_mention": actor_name(by) if by else "Someone"}
    handoff_id = _int(params, "handoff_id")
    if handoff_id is None:
        return context, []
    view = ButtonElement(
        text="View handoff note", action_id=ActionId.VIEW_HANDOFF, value=f"{item.key}|{handoff_id}"
    )
    return context, [ActionsBlock(elements=[view])]


def _reassign_dm(item: Item, params: Mapping[str, Any]) -> tuple[dict[str, Any], list[Block]]:
    by = _text(params, "by")
    return {"actor_mention": actor_name(by) if by else "Someone"}, []


def _check_back_dm(item: Item, params: Mapping[str, Any]) -> tuple[dict[str, Any], list[Block]]:
    # Rendered after the resume cleared the item's wait: the params carry who it was. Staff's
    # words never reach a DM (a row queued before the choice existed says "an outside party").
    waiting_for = _text(params, "waiting_for") or item.waiting_for
    return {"waiting_on": waiting_phrase(waiting_for)}, []


_NOTICES: Mapping[str, Callable[[Item, Mapping[str, Any]], tuple[dict[str, Any], list[Block]]]] = {
    SUPERVISOR_REVIEW: _supervisor_review,
    HANDOFF_DM: _handoff_dm,
    REASSIGN_DM: _reassign_dm,
    CHECK_BACK_DM: _check_back_dm,
}


def notice_message(
    template: str,
    item: Item,
    lane: Lane,
    params: Mapping[str, Any],
    tz: ZoneInfo,
    env: Environment,
) -> dict[str, Any]:
    """The `chat.postMessage` text and blocks of notice `template` about `item`.

    `supervisor_review` (managers' channel): the item, its lane, how many attempts and its
    owner, with a Details button. `handoff_dm`: who handed the item over, pointing to the
    note in the card's thread (a button opens it). `reassign_dm`: who gave the item to the
    new owner. `check_back_dm`: the item is back from
    waiting. Wording lives in `notice.<template>.j2`; `tz` is there for notices that show a
    time. Raises ValueError for a template it does not know, so a typo in a service fails
    loudly in tests rather than posting an empty message.
    """
    build = _NOTICES.get(template)
    if build is None:
        raise ValueError(f"unknown notice template {template!r}")
    own, extra_blocks = build(item, params)
    context = {"key": item.key, "lane_name": truncate(lane.name, LANE_NAME_MAX), **own}
    name = f"notice.{template}.j2"
    line = render(env, name, **context)
    private = {key: "" for key in _FREE_TEXT if key in context}
    text = render(env, name, **{**context, **private})
    section = SectionBlock(
        text=MarkdownTextObject(text=truncate(line, SECTION_TEXT_MAX), verbatim=True)
    )
    message = Message(text=truncate(text, SECTION_TEXT_MAX), blocks=[section, *extra_blocks])
    return message.to_payload()


DEAD_LETTER = "dead_letter"


def operations_notice(template: str, params: Mapping[str, Any], env: Environment) -> dict[str, Any]:
    """A notice about CareQueue itself to the managers' channel (`dead_letter`: how many
    Slack writes are held back, and the command that shows them). No item, no patient data."""
    if template != DEAD_LETTER:
        raise ValueError(f"unknown operations notice {template!r}")
    dead = _int(params, "dead") or 0
    line = render(env, f"notice.{template}.j2", dead=dead)
    section = SectionBlock(text=MarkdownTextObject(text=truncate(line, SECTION_TEXT_MAX)))
    return Message(text=truncate(line, SECTION_TEXT_MAX), blocks=[section]).to_payload()
