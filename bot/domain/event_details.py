"""What each kind of event records, typed: one small frozen dataclass per Action, and the one
place the keys an event stores are written (and read back by `details_of`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from functools import cache
from typing import Any, ClassVar, get_type_hints

from bot.domain.events import Event
from bot.domain.items import Action

# Field metadata. A field is one of three sorts:
# - a detail the use case adds beside the item's changes (the default; always written);
# - WHEN_SET: such a detail, written only when it has a value (a merge records different
#   details on each item it touches);
# - CHANGED: an Item field the event's change already wrote under that name (so never
#   written here: the change is what stores it), read back from `after`; CHANGED_BEFORE
#   reads the value it had before, from `before`.
_KEY = "key"
_SORT = "sort"
_DETAIL, _WHEN_SET, _CHANGED, _CHANGED_BEFORE = "detail", "when_set", "changed", "before"


WHEN_SET: Mapping[str, str] = {_SORT: _WHEN_SET}
CHANGED: Mapping[str, str] = {_SORT: _CHANGED}
CHANGED_BEFORE: Mapping[str, str] = {_SORT: _CHANGED_BEFORE}


def stored_as(key: str) -> Mapping[str, str]:
    """A detail stored under `key` rather than the field's name (`from` is a Python keyword)."""
    return {_KEY: key, _SORT: _DETAIL}


def _key(f: dataclasses.Field[Any]) -> str:
    return str(f.metadata.get(_KEY, f.name))


def _sort(f: dataclasses.Field[Any]) -> str:
    return str(f.metadata.get(_SORT, _DETAIL))


@cache
def _layout(kind: type[Details]) -> tuple[tuple[str, str, str], ...]:
    """Each field of `kind` as (name, stored key, sort): worked out once per kind, since
    every event writes one (dataclasses.fields and the metadata look-ups were most of
    `to_after`'s time)."""
    return tuple((f.name, _key(f), _sort(f)) for f in dataclasses.fields(kind))


def _stored(value: Any) -> Any:
    """A value as the event's JSON holds it (storage turns datetimes and enums the same way)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple):
        return [_stored(v) for v in value]
    return value


@dataclass(frozen=True)
class Details:
    """What one event says beside who, what and when. Subclasses list their fields."""

    action: ClassVar[Action | None] = None

    def to_after(self) -> dict[str, Any]:
        """The details the use case adds to the event's `after`, beside the item's changes,
        exactly as stored."""
        out: dict[str, Any] = {}
        for name, key, sort in _layout(type(self)):
            value = getattr(self, name)
            if sort == _DETAIL or (sort == _WHEN_SET and value is not None):
                out[key] = _stored(value)
        return out

    def as_stored(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """(`after`, `before`) of an event that says exactly this: the details plus the item
        changes they read (an unset change is left out, as a change that did not happen)."""
        after, before = self.to_after(), {}
        for name, key, sort in _layout(type(self)):
            value = getattr(self, name)
            if value is None:
                continue
            if sort == _CHANGED:
                after[key] = _stored(value)
            elif sort == _CHANGED_BEFORE:
                before[key] = _stored(value)
        return after, before


# --- one kind per action -----------------------------------------------------------------


@dataclass(frozen=True)
class Created(Details):
    action = Action.CREATE
    lane: str = ""
    request_type: str = ""
    origin: str = ""
    status: str = ""
    due_at: datetime | None = None
    owner: str | None = None
    routed_from: str | None = None  # the lane asked for, when language routing moved it
    # Language routing kept it in its clinical lane: the language, and the bilingual
    # clinicians named for it (none: an interpreter is needed).
    kept_for_language: str | None = field(default=None, metadata=WHEN_SET)
    bilingual_clinicians: tuple[str, ...] | None = field(default=None, metadata=WHEN_SET)
    related_key: str | None = None  # the patient's open item, for a repeat contact
    red_flags: tuple[str, ...] | None = field(default=None, metadata=WHEN_SET)


@dataclass(frozen=True)
class Claimed(Details):
    action = Action.CLAIM
    owner: str | None = field(default=None, metadata=CHANGED)


@dataclass(frozen=True)
class Released(Details):
    action = Action.RELEASE


@dataclass(frozen=True)
class Reassigned(Details):
    action = Action.REASSIGN
    owner: str | None = field(default=None, metadata=CHANGED)


@dataclass(frozen=True)
class Closed(Details):
    action = Action.CLOSE
    resolution: str | None = field(default=None, metadata=CHANGED)
    told_patient: str | None = field(default=None, metadata=CHANGED)


@dataclass(frozen=True)
class Reopened(Details):
    action = Action.REOPEN
    owner: str | None = field(default=None, metadata=CHANGED)
    due_at: datetime | None = field(default=None, metadata=CHANGED)


@dataclass(frozen=True)
class Viewed(Details):
    action = Action.VIEW


@dataclass(frozen=True)
class AttemptLogged(Details):
    action = Action.LOG_ATTEMPT
    attempt: int | None = None  # this call's number
    outcome: str = ""  # an Outcome's value; an unknown one is kept, to be shown as written
    identity_verified: bool = False
    confirmed: str = ""
    next_step: str = ""
    next_due_at: datetime | None = None
    final: str | None = None  # a FinalStep's value when this call completed the cadence
    attempts: int | None = field(default=None, metadata=CHANGED)
    due_at: datetime | None = field(default=None, metadata=CHANGED)


@dataclass(frozen=True)
class SupervisorReviewRequested(Details):
    action = Action.SUPERVISOR_REVIEW
    attempts: int | None = field(default=None, metadata=CHANGED)


@dataclass(frozen=True)
class HandedOff(Details):
    action = Action.HANDOFF
    handoff_id: int | None = None
    promise_id: int | None = None
    asked: str = ""
    unresolved: str = ""
    promised: str = ""
    promise_due_at: datetime | None = None
    owner: str | None = field(default=None, metadata=CHANGED)  # handed to a person
    lane: str | None = field(default=None, metadata=CHANGED)  # handed to a lane


@dataclass(frozen=True)
class PromiseMade(Details):
    action = Action.PROMISE
    promise_id: int | None = None
    promise_text: str = ""
    promise_due_at: datetime | None = None


@dataclass(frozen=True)
class PromiseKept(Details):
    action = Action.FULFIL_PROMISE
    promise_id: int | None = None


@dataclass(frozen=True)
class Waited(Details):
    action = Action.WAIT
    waiting_on: str | None = field(default=None, metadata=CHANGED)  # staff's words
    waiting_for: str | None = field(default=None, metadata=CHANGED)  # a WaitingParty value
    check_back_at: datetime | None = field(default=None, metadata=CHANGED)


@dataclass(frozen=True)
class Resumed(Details):
    action = Action.RESUME
    # A resume clears what the item waited on: the event's `before` still has it.
    waiting_on: str | None = field(default=None, metadata=CHANGED_BEFORE)
    waiting_for: str | None = field(default=None, metadata=CHANGED_BEFORE)


@dataclass(frozen=True)
class Moved(Details):
    action = Action.MOVE
    from_lane: str = ""
    lane: str | None = field(default=None, metadata=CHANGED)
    # A clinician's "Not clinical" decision taking it out of clinical handling: their note.
    not_clinical: str | None = field(default=None, metadata=WHEN_SET)


@dataclass(frozen=True)
class RepeatContact(Details):
    action = Action.REPEAT_CONTACT
    # The new item from the same patient.
    from_key: str = field(default="", metadata=stored_as("from"))
    repeat_count: int | None = field(default=None, metadata=CHANGED)


@dataclass(frozen=True)
class Merged(Details):
    """On the merged item, `into` names the item that keeps it; on that item, `merged`
    names the one merged in."""

    action = Action.MERGE
    into: str | None = field(default=None, metadata=WHEN_SET)
    merged: str | None = field(default=None, metadata=WHEN_SET)


@dataclass(frozen=True)
class LanguageSet(Details):
    action = Action.SET_LANGUAGE
    # Written on every item it reaches, also those whose change is the caller's own.
    language: str = ""
    # On the item it was set on: the patient's other open items it followed to.
    also: tuple[str, ...] | None = field(default=None, metadata=WHEN_SET)


@dataclass(frozen=True)
class CallerIdentified(Details):
    """Who a missed call was from. The event names what was filled in ("name",
    "reference"), never the values: those are the patient's and stay on the item."""

    action = Action.IDENTIFY_CALLER
    filled: tuple[str, ...] | None = None
    # The patient's other open item, once the reference says who it was (a repeat contact).
    related_key: str | None = field(default=None, metadata=WHEN_SET)


@dataclass(frozen=True)
class Escalated(Details):
    action = Action.ESCALATE
    escalation_id: int | None = None
    rule: str = ""
    chain: tuple[str, ...] | None = None
    paged: tuple[str, ...] | None = None  # the user ids paged at the first level
    ack_due_at: datetime | None = None
    after_hours: bool = False


@dataclass(frozen=True)
class EscalationAcknowledged(Details):
    action = Action.ACKNOWLEDGE
    escalation_id: int | None = None
    rule: str = ""


@dataclass(frozen=True)
class NextLevelPaged(Details):
    action = Action.PAGE_NEXT
    escalation_id: int | None = None
    rule: str = ""
    level: int | None = None  # the chain position now paged (0 is the first)
    target: str = ""
    paged: tuple[str, ...] | None = None
    ack_due_at: datetime | None = None
    reminded: str | None = field(default=None, metadata=WHEN_SET)  # the first target


@dataclass(frozen=True)
class NoResponse(Details):
    action = Action.NO_RESPONSE
    escalation_id: int | None = None
    rule: str = ""


@dataclass(frozen=True)
class EscalationResolved(Details):
    """Resolve and Not clinical record the same: the decision, what the patient was told,
    and whether escalating was the right call."""

    action = Action.RESOLVE_ESCALATION
    escalation_id: int | None = None
    rule: str = ""
    decision: str = ""
    patient_told: str = ""
    appropriate: bool = False


@dataclass(frozen=True)
class MarkedNotClinical(EscalationResolved):
    action = Action.NOT_CLINICAL


@dataclass(frozen=True)
class RedFlagDismissed(Details):
    action = Action.DISMISS_RED_FLAG
    red_flag_dismissed_by: str | None = field(default=None, metadata=CHANGED)


@dataclass(frozen=True)
class QaReviewed(Details):
    """A manager's review of a closed item from the QA sample: five scores from 1 to 5,
    whether the privacy check passed, and a coaching note for the person who worked it."""

    action = Action.QA_REVIEW
    greeting: int | None = None
    empathy: int | None = None
    accuracy: int | None = None
    escalation_handling: int | None = None
    closing: int | None = None
    privacy_ok: bool = True
    coaching_note: str = ""

    @property
    def scores(self) -> tuple[int, ...]:
        """The scores given, in the form's order (a missing one is left out)."""
        given = (self.greeting, self.empathy, self.accuracy, self.escalation_handling)
        return tuple(s for s in (*given, self.closing) if s is not None)


@dataclass(frozen=True)
class RoleRefused(Details):
    """Someone tried what their role does not allow: what they tried, why not (a RefusalCode
    value) and the role that would have let them. Nothing about the item changed."""

    action = Action.REFUSED
    attempted: str = ""
    reason: str = ""
    needed: str = ""


@dataclass(frozen=True)
class Unknown(Details):
    """An action this version does not know (from a newer one, or retired): no details."""


KINDS: Mapping[Action, type[Details]] = {
    kind.action: kind
    for kind in (
        Created,
        Claimed,
        Released,
        Reassigned,
        Closed,
        Reopened,
        Viewed,
        AttemptLogged,
        SupervisorReviewRequested,
        HandedOff,
        PromiseMade,
        PromiseKept,
        Waited,
        Resumed,
        Moved,
        RepeatContact,
        Merged,
        LanguageSet,
        CallerIdentified,
        Escalated,
        EscalationAcknowledged,
        NextLevelPaged,
        NoResponse,
        EscalationResolved,
        MarkedNotClinical,
        RedFlagDismissed,
        QaReviewed,
        RoleRefused,
    )
    if kind.action is not None
}


# --- reading back ------------------------------------------------------------------------


def _time(value: Any) -> datetime | None:
    """A fresh event holds a datetime; a stored one its ISO string."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def _count(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def _keys(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


# How each field type is read from JSON; a value of the wrong shape reads as missing.
_READERS: Mapping[str, Any] = {
    "str": lambda v: v if isinstance(v, str) else None,
    "str | None": lambda v: v if isinstance(v, str) else None,
    "bool": lambda v: v if isinstance(v, bool) else None,
    "int | None": _count,
    "datetime | None": _time,
    "tuple[str, ...] | None": _keys,
}


@cache
def _hints(kind: type[Details]) -> dict[str, str]:
    # Evaluated once per kind; a field of a type with no reader fails at the first read.
    return {name: _name(hint) for name, hint in get_type_hints(kind).items()}


def _name(hint: Any) -> str:
    text = hint.__name__ if isinstance(hint, type) else str(hint)
    return text.replace("datetime.datetime", "datetime")


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def details_of(event: Event) -> Details:
    """The event's details as its kind's type. Anything missing or of the wrong shape reads
    as the field's default, so an old or odd event still reads; `Unknown` for an action this
    version does not know."""
    kind = KINDS.get(event.action, Unknown)
    after, before = _mapping(event.after), _mapping(event.before)
    hints = _hints(kind)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(kind):
        source = before if _sort(f) == _CHANGED_BEFORE else after
        value = _READERS[hints[f.name]](source.get(_key(f)))
        if value is not None:
            values[f.name] = value
    return kind(**values)
