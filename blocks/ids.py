"""Every action_id, callback_id, input block_id and slash command: the app's wire protocol.

A shipped value never changes (old cards keep their buttons); retire ids, never reuse them.
"""

from enum import StrEnum


class ActionId(StrEnum):
    """`action_id` of interactive elements on cards and in views."""

    CLAIM = "card.claim"
    RELEASE = "card.release"
    REASSIGN = "card.reassign"
    CLOSE = "card.close"
    REOPEN = "card.reopen"
    DETAILS = "card.details"
    LOG_CALL = "card.log_call"
    HANDOFF = "card.handoff"
    RESUME = "card.resume"
    MERGE = "card.merge"
    FULFIL_PROMISE = "card.fulfil_promise"
    IDENTIFY_CALLER = "card.identify_caller"  # a missed call: say who it was
    # The card's "More" menu (an overflow on older cards, a static select since the compact
    # card); option value "what:KEY", `what` one of `More`.
    MORE = "card.more"
    VIEW_ATTEMPT = "entry.view_attempt"  # on a thread entry; value "KEY|attempt number"
    VIEW_HANDOFF = "entry.view_handoff"  # on a thread entry; value "KEY|handoff id"
    HOME_REFRESH = "home.refresh"
    HOME_CLAIM = "home.claim"  # "Needs an owner" on App Home; value KEY
    # On an escalation page (DM or clinical channel) and on an escalated card; value KEY.
    ESCALATION_VIEW = "escalation.view"
    ESCALATION_ACKNOWLEDGE = "escalation.acknowledge"
    ESCALATION_RESOLVE = "escalation.resolve"
    ESCALATION_NOT_CLINICAL = "escalation.not_clinical"
    # On the red-flag prompt the person who logged a request gets; value KEY.
    RED_FLAG_ESCALATE = "red_flag.escalate"
    RED_FLAG_DISMISS = "red_flag.dismiss"
    # On the weekly QA sample in the managers' channel; value KEY.
    QA_REVIEW = "qa.review"


class ViewId(StrEnum):
    """`callback_id` of modals."""

    INTAKE = "view.intake"
    CLOSE = "view.close"
    DETAILS = "view.details"
    STATUS = "view.status"
    ATTEMPT = "view.attempt"
    HANDOFF = "view.handoff"
    WAIT = "view.wait"
    PROMISE = "view.promise"
    MOVE = "view.move"
    LANGUAGE = "view.language"
    IDENTIFY_CALLER = "view.identify_caller"
    ATTEMPT_NOTE = "view.attempt_note"
    HANDOFF_NOTE = "view.handoff_note"
    ESCALATE = "view.escalate"
    ESCALATION_RESOLVE = "view.escalation_resolve"  # Resolve and Not clinical (metadata says)
    ESCALATION_CONTEXT = "view.escalation_context"
    REASSIGN = "view.reassign"  # the card menu's Reassign…: one user picker
    QA_REVIEW = "view.qa_review"  # private_metadata: the item key


# Views with no submit button: Slack never sends their submission, so nothing listens.
READ_ONLY_VIEWS = frozenset(
    {
        ViewId.DETAILS,
        ViewId.STATUS,
        ViewId.ATTEMPT_NOTE,
        ViewId.HANDOFF_NOTE,
        ViewId.ESCALATION_CONTEXT,
    }
)


class More(StrEnum):
    """Options of the card's "More" overflow menu (the part before ":KEY" in the value)."""

    WAIT = "wait"
    PROMISE = "promise"
    MOVE = "move"
    LANGUAGE = "language"
    ESCALATE = "escalate"
    # Since the compact card (at most three buttons), whatever does not fit its row:
    RELEASE = "release"
    REASSIGN = "reassign"
    DETAILS = "details"
    LOG_CALL = "log_call"
    HANDOFF = "handoff"
    CLOSE = "close"
    REOPEN = "reopen"  # a closed card's one line: Reopen and Details in a ⋯ beside it


def more_value(what: More, item_key: str) -> str:
    return f"{what.value}:{item_key}"


def parse_more_value(value: str) -> tuple[More, str] | None:
    what, _, key = value.partition(":")
    try:
        return More(what), key
    except ValueError:
        return None


def parse_entry_value(value: str) -> tuple[str, int] | None:
    """`KEY|number` from a thread entry's button (the key and an attempt number, a handoff
    id or a promise id): `CQ-1042|2` -> ("CQ-1042", 2); None for anything else."""
    key, separator, number = value.rpartition("|")
    if not separator or not key or not number.isdigit():
        return None
    return key, int(number)


def escalation_value(item_key: str, escalation_id: int | None) -> str:
    """The value of an escalation's Acknowledge, Resolve and Not clinical buttons: the item
    and the escalation they answer (`CQ-1042|7`), so a button left on an old page cannot
    answer a later escalation of the same item. The key alone when the id is not known."""
    return item_key if escalation_id is None else f"{item_key}|{escalation_id}"


def parse_escalation_value(value: str) -> tuple[str, int | None]:
    """(key, escalation id) from `escalation_value`; a bare key (a button made before the
    id was carried) answers (key, None)."""
    parsed = parse_entry_value(value)
    return parsed if parsed is not None else (value, None)


def merge_value(item_key: str, into: str) -> str:
    """The Merge button's value: the repeat request and the open item it merges into."""
    return f"{item_key}|{into}"


def parse_merge_value(value: str) -> tuple[str, str] | None:
    key, separator, into = value.partition("|")
    return (key, into) if separator and key and into else None


class Shortcut(StrEnum):
    """`callback_id` of global and message shortcuts (declared in app-manifest.yml)."""

    NEW_REQUEST = "shortcut.new_request"
    LOG_MESSAGE = "shortcut.log_message"
    HANDOFF = "shortcut.handoff"  # message shortcut on a card


class Command(StrEnum):
    """Slash commands (declared in app-manifest.yml)."""

    INTAKE = "/intake"
    CLAIM = "/claim"
    QUEUE = "/queue"
    CQ = "/cq"


class FieldId(StrEnum):
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
    CONTACTED_DATE = "intake.contacted_date"
    CONTACTED_TIME = "intake.contacted_time"
    RESOLUTION = "close.resolution"
    TOLD_PATIENT = "close.told_patient"
    OUTCOME = "attempt.outcome"
    IDENTITY = "attempt.identity"
    CONFIRMED = "attempt.confirmed"
    NEXT_STEP = "attempt.next_step"
    NEXT_DATE = "attempt.next_date"
    NEXT_TIME = "attempt.next_time"
    ASKED = "handoff.asked"
    HANDOFF_CONFIRMED = "handoff.confirmed"
    UNRESOLVED = "handoff.unresolved"
    PROMISED = "handoff.promised"
    PROMISED_DATE = "handoff.promised_date"
    PROMISED_TIME = "handoff.promised_time"
    NOT_TO_PROMISE = "handoff.not_to_promise"
    NEXT_OWNER = "handoff.next_owner"
    NEXT_LANE = "handoff.next_lane"
    WAITING_ON = "wait.on"  # staff's words, optional since the choice below
    WAITING_FOR = "wait.for"  # who, as a choice (bot.domain.waiting.WaitingParty)
    CHECK_BACK_DATE = "wait.date"
    CHECK_BACK_TIME = "wait.time"
    PROMISE_TEXT = "promise.text"
    PROMISE_DATE = "promise.date"
    PROMISE_TIME = "promise.time"
    MOVE_LANE = "move.lane"
    MOVE_NOT_CLINICAL = "move.not_clinical"
    LANGUAGE_CHOICE = "language.choice"
    CALLER_REF = "identify.patient_ref"
    CALLER_NAME = "identify.patient_name"
    ESCALATION_RULE = "escalate.rule"
    ESCALATION_CONTEXT = "escalate.context"
    DECISION = "escalation.decision"
    ESCALATION_TOLD = "escalation.told_patient"
    APPROPRIATE = "escalation.appropriate"
    REASSIGN_TO = "reassign.to"
    QA_GREETING = "qa.greeting"
    QA_EMPATHY = "qa.empathy"
    QA_ACCURACY = "qa.accuracy"
    QA_ESCALATION = "qa.escalation_handling"
    QA_CLOSING = "qa.closing"
    QA_PRIVACY = "qa.privacy"
    QA_NOTE = "qa.coaching_note"


CARD_ACTIONS_PREFIX = "card.actions:"


def card_actions_block_id(item_key: str) -> str:
    """The card's actions block carries the item key, so a user select knows its item."""
    return f"{CARD_ACTIONS_PREFIX}{item_key}"


def item_key_from_block_id(block_id: str) -> str | None:
    if block_id.startswith(CARD_ACTIONS_PREFIX):
        return block_id.removeprefix(CARD_ACTIONS_PREFIX)
    return None


# Form inputs whose changes Slack sends at once (`dispatch_action`): each has a listener
# (choosing a lane in the intake form brings that lane's request types; choosing a call's
# outcome brings the scripts for it).
DISPATCHED_FIELDS = frozenset({FieldId.LANE, FieldId.OUTCOME})
