"""Small modals that say where things stand: loading, logged, still saving."""

from __future__ import annotations

from slack_sdk.models.blocks import ContextBlock, MarkdownTextObject, PlainTextObject, SectionBlock
from slack_sdk.models.views import View as ModalView

from blocks.ids import View
from blocks.text import escape, truncate
from bot.domain.items import Item
from bot.domain.lanes import Lane

TITLE_MAX = 24


def _modal(title: str, text: str, *, callback_id: str = View.STATUS) -> ModalView:
    return ModalView(
        type="modal",
        callback_id=callback_id,
        title=PlainTextObject(text=truncate(title, TITLE_MAX)),
        close=PlainTextObject(text="Done"),
        blocks=[SectionBlock(text=MarkdownTextObject(text=text))],
    )


def loading_modal(title: str) -> ModalView:
    """Opened at once with the trigger id; replaced by the real view when the data is read."""
    return _modal(title, ":hourglass_flowing_sand: Loading…")


def notice_modal(title: str, text: str) -> ModalView:
    """A modal that only says something (e.g. why the details could not be shown)."""
    return _modal(title, escape(text))


def logged_modal(item: Item, lane: Lane) -> ModalView:
    """Shown in place of the intake form once the item is committed. No patient data."""
    view = _modal(
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


def saving_modal() -> ModalView:
    """The database is slow: the request is still being saved; a DM will confirm it."""
    return _modal(
        "Saving request",
        ":hourglass_flowing_sand: Still saving. You will get a direct message with the item key "
        "as soon as it is stored.",
    )
