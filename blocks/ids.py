"""Every action_id, callback_id, input block_id and slash command: the app's wire protocol.

A shipped value never changes (old cards keep their buttons); retire ids, never reuse them.
"""

from enum import StrEnum


class Action(StrEnum):
    """`action_id` of interactive elements on cards and in views."""

    CLAIM = "card.claim"
    RELEASE = "card.release"
    REASSIGN = "card.reassign"
    CLOSE = "card.close"
    REOPEN = "card.reopen"
    DETAILS = "card.details"


class View(StrEnum):
    """`callback_id` of modals."""

    INTAKE = "view.intake"
    CLOSE = "view.close"
    DETAILS = "view.details"
    STATUS = "view.status"


# Views with no submit button: Slack never sends their submission, so nothing listens.
READ_ONLY_VIEWS = frozenset({View.DETAILS, View.STATUS})


class Shortcut(StrEnum):
    """`callback_id` of global and message shortcuts (declared in app-manifest.yml)."""

    NEW_REQUEST = "shortcut.new_request"
    LOG_MESSAGE = "shortcut.log_message"


class Command(StrEnum):
    """Slash commands (declared in app-manifest.yml)."""

    INTAKE = "/intake"
    CLAIM = "/claim"


class Field(StrEnum):
    """`block_id` of input blocks; each input's `action_id` is the same string."""

    PATIENT_REF = "intake.patient_ref"
    PATIENT_NAME = "intake.patient_name"
    PHONE = "intake.phone"
    ORIGIN = "intake.origin"
    LANE = "intake.lane"
    REQUEST_TYPE = "intake.request_type"
    SUMMARY = "intake.summary"
    LANGUAGE = "intake.language"
    CALLBACK_WINDOW = "intake.callback_window"
    RESOLUTION = "close.resolution"
    TOLD_PATIENT = "close.told_patient"


CARD_ACTIONS_PREFIX = "card.actions:"


def card_actions_block_id(item_key: str) -> str:
    """The card's actions block carries the item key, so a user select knows its item."""
    return f"{CARD_ACTIONS_PREFIX}{item_key}"


def item_key_from_block_id(block_id: str) -> str | None:
    if block_id.startswith(CARD_ACTIONS_PREFIX):
        return block_id.removeprefix(CARD_ACTIONS_PREFIX)
    return None
