"""The Reassign modal, opened from the card's "More" menu: one user picker. (Older cards
carry the picker on the card itself, ActionId.REASSIGN; both end in the same use case.)"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_sdk.models.blocks import UserSelectElement
from slack_sdk.models.views import View

from blocks.ids import FieldId, ViewId
from blocks.modals.form import form_modal, input_block, input_state, item_heading, submitted_values
from bot.domain.items import Item


def reassign_modal(item: Item, private_metadata: str) -> View:
    """Choose who owns `item` next; they get a direct message (no patient data in it).

    `private_metadata` is the caller's (the item key; never patient data).
    """
    blocks = [
        item_heading("Reassigning", item),
        input_block(
            FieldId.REASSIGN_TO,
            "New owner",
            UserSelectElement(action_id=FieldId.REASSIGN_TO, placeholder="Choose a person"),
            hint="They own it at once and get a direct message saying who gave it to them.",
        ),
    ]
    return form_modal(ViewId.REASSIGN, f"Reassign {item.key}", "Reassign", blocks, private_metadata)


def reassign_from_view(view: Mapping[str, Any]) -> str:
    """The chosen person's user id ("" when none)."""
    return str(input_state(submitted_values(view), FieldId.REASSIGN_TO).get("selected_user") or "")
