"""Small modals that say where things stand: loading, logged, still saving, or why not."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from blocks.ids import ViewId
from blocks.limits import MODAL_TITLE_MAX
from blocks.message import Message
from blocks.text import escape, truncate
from bot.domain.items import Item
from bot.domain.lanes import Lane


def _modal(title: str, blocks: Sequence[Block]) -> View:
    return View(
        type="modal",
        callback_id=ViewId.STATUS,
        title=PlainTextObject(text=truncate(title, MODAL_TITLE_MAX)),
        close=PlainTextObject(text="Done"),
        blocks=list(blocks),
    )


def _text_modal(title: str, text: str) -> View:
    return _modal(title, [SectionBlock(text=MarkdownTextObject(text=text))])


def loading_modal(title: str) -> View:
    """Opened at once with the trigger id; replaced by the real view when the data is read."""
    return _text_modal(title, ":hourglass_flowing_sand: Loading…")


def notice_modal(title: str, text: str) -> View:
    """A modal that only says `text`, escaped (plain words; a mention in it would not render:
    to show a refusal or other Message of the app's own, use `message_modal`)."""
    return _text_modal(title, escape(text))


def message_modal(title: str, message: Message) -> View:
    """A modal that only says what `message` says (a refusal, say): the app's own mrkdwn,
    already escaped where it quotes anyone, so its mentions render as mentions."""
    return _modal(title, message.blocks)


def logged_modal(item: Item, lane: Lane) -> View:
    """Shown in place of the intake form once the item is committed. No patient data."""
    view = _text_modal(
        "Request logged",
        f":white_check_mark: Logged *{item.key}* in *{escape(lane.name)}*.\n"
        f"Its card is on its way to {escape(lane.channel)}.",
    )
    view.blocks.append(
        ContextBlock(
            elements=[MarkdownTextObject(text="Claim it there, or with `/claim " + item.key + "`.")]
        )
    )
    return view


def saving_modal() -> View:
    """The database is slow: the request is still being saved; a DM will confirm it."""
    return _text_modal(
        "Saving request",
        ":hourglass_flowing_sand: Still saving. You will get a direct message with the item key "
        "as soon as it is stored.",
    )
