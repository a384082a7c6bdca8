"""The card's one row of controls: at most three buttons, the likeliest next actions in the
item's state, and a "More" menu with everything else the state allows.

Every shipped action id keeps working: the buttons use the ids they always had, and a menu
choice carries the id of what it does as a `More` value (`release:CQ-1042`), answered by
handlers/menu.py. The menu is a static select, not an overflow, because an overflow holds
at most five options and a claimed item has eight more things one may do to it.
"""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    InteractiveElement,
    Option,
    OverflowMenuElement,
    PlainTextObject,
    StaticSelectElement,
)

from blocks.escalation import escalation_buttons
from blocks.ids import ActionId, More, card_actions_block_id, merge_value, more_value
from bot.domain import items
from bot.domain.escalation import Escalation
from bot.domain.handoff import Promise
from bot.domain.items import Item, Status

MAX_BUTTONS = 3
KEY_MAX = 40
MENU_PLACEHOLDER = "\u22ef More"


@dataclass(frozen=True)
class Choice:
    """One thing to do to an item: as a button (its `action_id`, value the key unless
    `value` says) or, when the row is full, as a menu option (`more`, if it has one)."""

    label: str
    action_id: ActionId
    more: More | None
    action: items.Action | None = None  # the life-cycle action it asks for, if any
    value: str | None = None
    style: str | None = None


_CLAIM = Choice("Claim", ActionId.CLAIM, None, items.Action.CLAIM, style="primary")
_LOG_CALL = Choice(
    "Log call", ActionId.LOG_CALL, More.LOG_CALL, items.Action.LOG_ATTEMPT, style="primary"
)
_HANDOFF = Choice("Handoff", ActionId.HANDOFF, More.HANDOFF, items.Action.HANDOFF)
_CLOSE = Choice("Close", ActionId.CLOSE, More.CLOSE, items.Action.CLOSE)
_RESUME = Choice("Resume", ActionId.RESUME, None, items.Action.RESUME, style="primary")
_DETAILS = Choice("Details", ActionId.DETAILS, More.DETAILS)

# The menu's own entries, in the order a person reads them (after whatever did not fit the
# row); each only when the life-cycle table allows it in the item's state.
_MENU_ONLY: tuple[tuple[More, str, items.Action], ...] = (
    (More.RELEASE, "Release", items.Action.RELEASE),
    (More.REASSIGN, "Reassign\u2026", items.Action.REASSIGN),
    (More.WAIT, "Waiting on\u2026", items.Action.WAIT),
    (More.PROMISE, "Promise\u2026", items.Action.PROMISE),
    (More.MOVE, "Move to another lane\u2026", items.Action.MOVE),
    (More.LANGUAGE, "Language\u2026", items.Action.SET_LANGUAGE),
    (More.ESCALATE, "Escalate\u2026", items.Action.ESCALATE),
)


def allowed_in_state(item: Item, action: items.Action | None) -> bool:
    """Whether the life-cycle table lets anyone do `action` in the item's state: a control
    for something every click would refuse is only noise."""
    return action is None or (item.status, action) in items.TRANSITIONS


def _contextual(item: Item, promise: Promise | None) -> list[Choice]:
    """Buttons that exist only in a situation and carry more than the key: they go first."""
    found: list[Choice] = []
    if promise is not None and promise.open:
        found.append(
            Choice(
                "Promise kept",
                ActionId.FULFIL_PROMISE,
                None,
                items.Action.FULFIL_PROMISE,
                value=f"{item.key}|{promise.id}",
            )
        )
    if item.caller_unknown:
        found.append(
            Choice("Identify caller", ActionId.IDENTIFY_CALLER, None, items.Action.IDENTIFY_CALLER)
        )
    related = item.related_key
    if related and not item.merged_into and len(related) <= KEY_MAX:
        value = merge_value(item.key, related)
        found.append(
            Choice(f"Merge into {related}", ActionId.MERGE, None, items.Action.MERGE, value=value)
        )
    return found


def _likely(item: Item, promise: Promise | None) -> list[Choice]:
    """The state's choices, likeliest first."""
    if item.status is Status.NEW:
        return [_CLAIM, *_contextual(item, promise), _DETAILS]
    if item.status is Status.CLAIMED:
        return [_LOG_CALL, *_contextual(item, promise), _HANDOFF, _CLOSE, _DETAILS]
    if item.status is Status.WAITING:
        return [_RESUME, *_contextual(item, promise), _LOG_CALL, _CLOSE, _HANDOFF, _DETAILS]
    return [_HANDOFF, _CLOSE, _DETAILS]


def _button(choice: Choice, item: Item, primary: bool = False) -> ButtonElement:
    return ButtonElement(
        text=choice.label,
        action_id=choice.action_id,
        value=choice.value or item.key,
        style=choice.style if primary else None,
    )


def _menu(item: Item, overflowed: list[Choice]) -> StaticSelectElement | None:
    entries: list[tuple[More, str]] = [(c.more, c.label) for c in overflowed if c.more is not None]
    menu_only = [(w, label) for w, label, action in _MENU_ONLY if allowed_in_state(item, action)]
    # Details last: it is always there, and the rest is what the person came for.
    details = [e for e in entries if e[0] is More.DETAILS]
    entries = [e for e in entries if e[0] is not More.DETAILS] + menu_only + details
    if not entries:
        return None
    options = [Option(text=label, value=more_value(what, item.key)) for what, label in entries]
    return StaticSelectElement(
        action_id=ActionId.MORE,
        placeholder=PlainTextObject(text=MENU_PLACEHOLDER),
        options=options,
    )


def card_actions(
    item: Item, promise: Promise | None, escalation: Escalation | None
) -> ActionsBlock:
    """The open card's controls in its state (a closed card's: `closed_card_menu`).

    New: Claim (and Identify caller or Merge when they apply) and Details, the rest in the
    menu. Claimed: Log call, Handoff, Close. Waiting: Resume, Log call, Close. Escalated:
    Acknowledge (until someone has), Resolve and Not clinical, for whoever was paged; the
    rest, Close and Release included where allowed, in the menu.
    "Promise kept", "Identify caller" and "Merge into …" take the row's first places after
    the state's main action when they apply; whatever does not fit goes into the menu.
    """
    elements: list[InteractiveElement]
    likely = [c for c in _likely(item, promise) if allowed_in_state(item, c.action)]
    if item.status is Status.ESCALATED:
        elements = list(escalation_buttons(item, escalation))
        shown: list[Choice] = []
        overflowed = likely
    else:
        shown, overflowed = likely[:MAX_BUTTONS], likely[MAX_BUTTONS:]
        # One primary button at most: the state's main action, when it leads the row.
        elements = [_button(c, item, primary=i == 0) for i, c in enumerate(shown)]
    menu = _menu(item, overflowed)
    if menu is not None:
        elements.append(menu)
    return ActionsBlock(block_id=card_actions_block_id(item.key), elements=elements)


def closed_card_menu(item: Item) -> OverflowMenuElement | ButtonElement:
    """A closed card's ⋯ beside its one line: Reopen and Details (the Reopen and Details
    buttons of cards closed before this stay answered). A merged item is not reopened (its
    request is in the item it was merged into): a Details button alone, since an overflow
    menu needs two options."""
    if item.merged_into is not None:
        return ButtonElement(text="Details", action_id=ActionId.DETAILS, value=item.key)
    options = [
        Option(text=label, value=more_value(what, item.key))
        for what, label, action in (
            (More.REOPEN, "Reopen", items.Action.REOPEN),
            (More.DETAILS, "Details", None),
        )
        if allowed_in_state(item, action)
    ]
    return OverflowMenuElement(action_id=ActionId.MORE, options=options)
