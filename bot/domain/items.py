"""The item life cycle: states, who may do what, and the one table that decides it.

Pure rules: no I/O, no clock reads, no Slack or SQL. A (state, action) pair that is
not in the table is refused; nothing falls through to "allowed".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Status(StrEnum):
    NEW = "new"
    CLAIMED = "claimed"
    WAITING = "waiting"
    ESCALATED = "escalated"
    RESOLVED = "resolved"

    @property
    def is_open(self) -> bool:
        return self is not Status.RESOLVED


class Action(StrEnum):
    """What a person asks to do to an item. Values are stored in events: never rename."""

    CREATE = "create"
    CLAIM = "claim"
    RELEASE = "release"
    REASSIGN = "reassign"
    CLOSE = "close"
    REOPEN = "reopen"
    VIEW = "view"
    LOG_ATTEMPT = "log_attempt"
    SUPERVISOR_REVIEW = "supervisor_review"
    HANDOFF = "handoff"
    PROMISE = "promise"
    FULFIL_PROMISE = "fulfil_promise"
    WAIT = "wait"
    RESUME = "resume"
    MOVE = "move"
    REPEAT_CONTACT = "repeat_contact"
    MERGE = "merge"
    SET_LANGUAGE = "set_language"
    IDENTIFY_CALLER = "identify_caller"
    # Escalation (bot/domain/escalation.py): the item is with clinical staff, a manager or a
    # team until they resolve it or say it is not clinical.
    ESCALATE = "escalate"
    ACKNOWLEDGE = "acknowledge"
    PAGE_NEXT = "page_next"  # CareQueue pages the next level of the chain
    NO_RESPONSE = "no_response"  # CareQueue: nobody in the chain acknowledged
    RESOLVE_ESCALATION = "resolve_escalation"
    NOT_CLINICAL = "not_clinical"
    DISMISS_RED_FLAG = "dismiss_red_flag"  # "not an emergency": recorded, the mark stays
    QA_REVIEW = "qa_review"  # a manager scored a closed item from the weekly QA sample
    # Someone tried what their role does not allow (bot/domain/permissions.py): recorded,
    # nothing changed.
    REFUSED = "refused"


SYSTEM = "UCAREQUEUE"  # the actor recorded for what CareQueue does by itself
# The actor recorded for a request an integration posted to the intake API: "api:<token id>".
INTEGRATION_ACTOR_PREFIX = "api:"


class Role(StrEnum):
    STAFF = "staff"
    ASSISTANT = "assistant"  # works lanes like staff; never closes a clinical item
    MANAGER = "manager"
    CLINICAL = "clinical"
    SYSTEM = "system"  # CareQueue itself: scheduled check-backs, intake linking


class Origin(StrEnum):
    """How the request reached the practice. Values are stored: never rename."""

    PHONE_CALL = "phone_call"
    VOICEMAIL = "voicemail"
    MISSED_CALL = "missed_call"
    PORTAL_MESSAGE = "portal_message"
    WEB_FORM = "web_form"
    EMAIL = "email"
    TEXT_REPLY = "text_reply"
    REFERRAL_PARTNER = "referral_partner"
    IN_PERSON = "in_person"

    @property
    def label(self) -> str:
        return _ORIGIN_LABELS[self]


_ORIGIN_LABELS: Mapping[Origin, str] = {
    Origin.PHONE_CALL: "Phone call",
    Origin.VOICEMAIL: "Voicemail",
    Origin.MISSED_CALL: "Missed call",
    Origin.PORTAL_MESSAGE: "Portal message",
    Origin.WEB_FORM: "Web form",
    Origin.EMAIL: "Email",
    Origin.TEXT_REPLY: "Text / reminder reply",
    Origin.REFERRAL_PARTNER: "Referral partner",
    Origin.IN_PERSON: "In person",
}


@dataclass(frozen=True)
class Patient:
    """What the practice knows about who asked. Never shown in a channel at level `none`."""

    reference: str
    name: str
    phone: str
    language: str
    callback_window: str = ""

    @property
    def initials(self) -> str:
        parts = [p for p in self.name.replace(",", " ").split() if p[:1].isalpha()]
        return "".join(f"{p[0].upper()}." for p in parts[:3])


@dataclass(frozen=True)
class Item:
    """One patient request, as the layers above storage see it."""

    key: str
    lane: str
    request_type: str
    origin: Origin
    status: Status
    patient: Patient
    summary: str
    received_at: datetime
    due_at: datetime
    next_action: str
    owner: str | None = None
    claimed_at: datetime | None = None
    source_link: str = ""
    resolution: str = ""
    told_patient: str = ""
    closed_at: datetime | None = None
    closed_by: str | None = None
    clinical_ack_by: str | None = None
    created_by: str = ""
    version: int = 1
    attempts: int = 0
    waiting_on: str = ""  # staff's words: shown only where the privacy level allows
    waiting_for: str = ""  # who, as a choice (bot.domain.waiting.WaitingParty's value)
    check_back_at: datetime | None = None
    sla_remaining_minutes: float | None = None
    repeat_count: int = 1
    related_key: str | None = None
    merged_into: str | None = None
    # Red-flag phrases found at intake (bot/domain/red_flags.py): a mark for a human, never
    # a decision. Dismissing one records who did; the mark stays.
    red_flags: tuple[str, ...] = ()
    red_flag_dismissed_by: str | None = None

    @property
    def caller_unknown(self) -> bool:
        """Logged without a name or patient reference (a missed call): someone must find
        out who it was."""
        return not (self.patient.name.strip() and self.patient.reference.strip())


@dataclass(frozen=True)
class Actor:
    """Who is acting, with the roles the practice file gives them (see bot.roles)."""

    user_id: str
    roles: frozenset[Role] = field(default_factory=lambda: frozenset({Role.STAFF}))
    # The lanes they work as staff or assistant; None: every lane.
    lanes: frozenset[str] | None = None

    def works_in(self, lane: str) -> bool:
        """Staff or assistant of `lane` (managers work every lane: see bot.domain.permissions)."""
        if not self.roles & {Role.STAFF, Role.ASSISTANT}:
            return False
        return self.lanes is None or lane in self.lanes

    @property
    def is_assistant(self) -> bool:
        """An assistant and nothing more senior: never closes a clinical item."""
        return Role.ASSISTANT in self.roles and not self.roles & {
            Role.STAFF,
            Role.MANAGER,
            Role.CLINICAL,
        }

    @property
    def is_manager(self) -> bool:
        return Role.MANAGER in self.roles

    @property
    def is_clinical(self) -> bool:
        return Role.CLINICAL in self.roles


class RefusalCode(StrEnum):
    ALREADY_OWNED = "already_owned"
    NOT_OWNER = "not_owner"
    NOT_ALLOWED_IN_STATE = "not_allowed_in_state"
    NEEDS_CLAIM = "needs_claim"
    NEEDS_CLINICAL_ACK = "needs_clinical_ack"
    NEEDS_CLINICAL_DECISION = "needs_clinical_decision"  # only a clinician says "not clinical"
    ALREADY_CLOSED = "already_closed"
    NOT_FOUND = "not_found"
    STALE = "stale"
    SAME_OWNER = "same_owner"
    UNDER_ESCALATION = "under_escalation"
    ESCALATION_NEEDS_CLINICIAN = "escalation_needs_clinician"
    ESCALATION_NOT_PAGED = "escalation_not_paged"
    NO_OPEN_ESCALATION = "no_open_escalation"
    # A button or form for an escalation that has ended, used after the item was escalated
    # again: it must not answer the later escalation (owner: who ended it; since: when).
    ESCALATION_ENDED = "escalation_ended"
    # A merge would close an item whose red flag nobody has answered: its three-minute
    # escalation would be lost with it, and the item kept would carry no flag.
    RED_FLAG_UNANSWERED = "red_flag_unanswered"
    # The item was merged into another (`into`), which holds its request now: act there.
    MERGED = "merged"
    # A handoff or reassignment to someone whose roles would not let them claim the item
    # (owner: that person): as its owner they would see the patient's details.
    NEW_OWNER_NOT_PERMITTED = "new_owner_not_permitted"
    # Escalated already, for a reason at least as urgent: the people it paged have it.
    ALREADY_ESCALATED = "already_escalated"
    ALREADY_IN_LANE = "already_in_lane"  # a move to the lane it is in (lane: that lane)
    ALREADY_REVIEWED = "already_reviewed"  # one QA review an item (owner, since: the first)
    # Role refusals (bot/domain/permissions.py): each names the role that would do.
    NO_ROLE = "no_role"
    NOT_IN_LANE = "not_in_lane"
    ASSISTANT_CLINICAL = "assistant_clinical"
    DETAILS_RESTRICTED = "details_restricted"
    SYSTEM_ONLY = "system_only"
    MANAGER_ONLY = "manager_only"


# Refusals for want of a role: recorded as events (who tried what, and the role needed).
ROLE_REFUSALS = frozenset(
    {
        RefusalCode.NO_ROLE,
        RefusalCode.NOT_IN_LANE,
        RefusalCode.ASSISTANT_CLINICAL,
        RefusalCode.DETAILS_RESTRICTED,
        RefusalCode.SYSTEM_ONLY,
        RefusalCode.MANAGER_ONLY,
    }
)


@dataclass(frozen=True)
class Refusal:
    """Why an action was not done, in terms a handler can turn into friendly text."""

    code: RefusalCode
    item_key: str = ""
    action: Action | None = None
    status: Status | None = None
    owner: str | None = None
    since: datetime | None = None
    # A role refusal's: the role that would do, the item's lane, and whether it is clinical.
    needed: Role | None = None
    lane: str | None = None
    clinical: bool = False
    into: str | None = None  # MERGED: the item it was merged into


@dataclass(frozen=True)
class Allowed:
    to: Status


class Who(StrEnum):
    """Who a table row lets act: a relation to the item or a role."""

    ANYONE = "anyone"
    OWNER = "owner"
    MANAGER = "manager"
    CLINICAL = "clinical"
    SYSTEM = "system"


@dataclass(frozen=True)
class Rule:
    to: Status
    who: frozenset[Who]


def _rule(to: Status, *who: Who) -> Rule:
    return Rule(to=to, who=frozenset(who))


OWNER_OR_MANAGER = (Who.OWNER, Who.MANAGER)

# The whole life cycle of this release. Escalation, waiting and their actions arrive
# with their own issues; their states are already here so stored items stay readable.
TRANSITIONS: Mapping[tuple[Status, Action], Rule] = {
    (Status.NEW, Action.CLAIM): _rule(Status.CLAIMED, Who.ANYONE),
    (Status.NEW, Action.REASSIGN): _rule(Status.CLAIMED, Who.MANAGER),
    (Status.NEW, Action.CLOSE): _rule(Status.RESOLVED, Who.MANAGER),
    (Status.CLAIMED, Action.RELEASE): _rule(Status.NEW, *OWNER_OR_MANAGER),
    (Status.CLAIMED, Action.REASSIGN): _rule(Status.CLAIMED, *OWNER_OR_MANAGER),
    (Status.CLAIMED, Action.CLOSE): _rule(Status.RESOLVED, *OWNER_OR_MANAGER),
    (Status.WAITING, Action.RELEASE): _rule(Status.NEW, *OWNER_OR_MANAGER),
    (Status.WAITING, Action.REASSIGN): _rule(Status.WAITING, *OWNER_OR_MANAGER),
    (Status.WAITING, Action.CLOSE): _rule(Status.RESOLVED, *OWNER_OR_MANAGER),
    # An escalated item is in clinical hands: only a clinician closes it (SCOPE_GUARDED).
    (Status.ESCALATED, Action.CLOSE): _rule(Status.RESOLVED, Who.CLINICAL),
    (Status.RESOLVED, Action.REOPEN): _rule(Status.CLAIMED, Who.ANYONE),
    # Working an item: its owner (or a manager) logs calls, hands off, promises, waits.
    (Status.CLAIMED, Action.LOG_ATTEMPT): _rule(Status.CLAIMED, *OWNER_OR_MANAGER),
    (Status.WAITING, Action.LOG_ATTEMPT): _rule(Status.WAITING, *OWNER_OR_MANAGER),
    (Status.CLAIMED, Action.SUPERVISOR_REVIEW): _rule(Status.CLAIMED, Who.SYSTEM),
    (Status.CLAIMED, Action.HANDOFF): _rule(Status.CLAIMED, *OWNER_OR_MANAGER),
    (Status.WAITING, Action.HANDOFF): _rule(Status.WAITING, *OWNER_OR_MANAGER),
    (Status.CLAIMED, Action.PROMISE): _rule(Status.CLAIMED, *OWNER_OR_MANAGER),
    (Status.WAITING, Action.PROMISE): _rule(Status.WAITING, *OWNER_OR_MANAGER),
    (Status.CLAIMED, Action.FULFIL_PROMISE): _rule(Status.CLAIMED, *OWNER_OR_MANAGER),
    (Status.WAITING, Action.FULFIL_PROMISE): _rule(Status.WAITING, *OWNER_OR_MANAGER),
    (Status.CLAIMED, Action.WAIT): _rule(Status.WAITING, *OWNER_OR_MANAGER),
    (Status.WAITING, Action.WAIT): _rule(Status.WAITING, *OWNER_OR_MANAGER),
    (Status.WAITING, Action.RESUME): _rule(Status.CLAIMED, *OWNER_OR_MANAGER, Who.SYSTEM),
    (Status.NEW, Action.MOVE): _rule(Status.NEW, Who.ANYONE),
    (Status.CLAIMED, Action.MOVE): _rule(Status.NEW, *OWNER_OR_MANAGER),
    (Status.WAITING, Action.MOVE): _rule(Status.NEW, *OWNER_OR_MANAGER),
    (Status.NEW, Action.REPEAT_CONTACT): _rule(Status.NEW, Who.SYSTEM),
    (Status.CLAIMED, Action.REPEAT_CONTACT): _rule(Status.CLAIMED, Who.SYSTEM),
    (Status.WAITING, Action.REPEAT_CONTACT): _rule(Status.WAITING, Who.SYSTEM),
    (Status.ESCALATED, Action.REPEAT_CONTACT): _rule(Status.ESCALATED, Who.SYSTEM),
    (Status.NEW, Action.MERGE): _rule(Status.RESOLVED, Who.ANYONE),
    (Status.CLAIMED, Action.MERGE): _rule(Status.RESOLVED, *OWNER_OR_MANAGER),
    (Status.NEW, Action.SET_LANGUAGE): _rule(Status.NEW, Who.ANYONE),
    (Status.CLAIMED, Action.SET_LANGUAGE): _rule(Status.CLAIMED, *OWNER_OR_MANAGER),
    (Status.WAITING, Action.SET_LANGUAGE): _rule(Status.WAITING, *OWNER_OR_MANAGER),
    # A missed call came with only a number: whoever reaches the caller says who it was.
    (Status.NEW, Action.IDENTIFY_CALLER): _rule(Status.NEW, Who.ANYONE),
    (Status.CLAIMED, Action.IDENTIFY_CALLER): _rule(Status.CLAIMED, *OWNER_OR_MANAGER),
    (Status.WAITING, Action.IDENTIFY_CALLER): _rule(Status.WAITING, *OWNER_OR_MANAGER),
    # Escalation. Anyone may escalate; who may answer depends on the rule (a clinician, or
    # the manager or team it paged): bot.domain.escalation.may_answer decides that part.
    (Status.NEW, Action.ESCALATE): _rule(Status.ESCALATED, Who.ANYONE),
    (Status.CLAIMED, Action.ESCALATE): _rule(Status.ESCALATED, Who.ANYONE),
    (Status.WAITING, Action.ESCALATE): _rule(Status.ESCALATED, Who.ANYONE),
    # Only to replace the open escalation with a more urgent one (escalation.supersedes).
    (Status.ESCALATED, Action.ESCALATE): _rule(Status.ESCALATED, Who.ANYONE),
    (Status.ESCALATED, Action.ACKNOWLEDGE): _rule(Status.ESCALATED, Who.ANYONE),
    (Status.ESCALATED, Action.PAGE_NEXT): _rule(Status.ESCALATED, Who.SYSTEM),
    (Status.ESCALATED, Action.NO_RESPONSE): _rule(Status.ESCALATED, Who.SYSTEM),
    (Status.ESCALATED, Action.RESOLVE_ESCALATION): _rule(Status.CLAIMED, Who.ANYONE),
    (Status.ESCALATED, Action.NOT_CLINICAL): _rule(Status.CLAIMED, Who.ANYONE),
    (Status.NEW, Action.DISMISS_RED_FLAG): _rule(Status.NEW, Who.ANYONE),
    (Status.CLAIMED, Action.DISMISS_RED_FLAG): _rule(Status.CLAIMED, Who.ANYONE),
    (Status.WAITING, Action.DISMISS_RED_FLAG): _rule(Status.WAITING, Who.ANYONE),
    # The weekly QA sample: a manager scores how a closed item was handled.
    (Status.RESOLVED, Action.QA_REVIEW): _rule(Status.RESOLVED, Who.MANAGER),
}

# Ending an escalation gives the item back to its owner, or to the lane when it has none.
ENDS_ESCALATION = frozenset({Action.RESOLVE_ESCALATION, Action.NOT_CLINICAL})

# While an item is escalated, what only a clinician may do to it: the refusal says why.
SCOPE_GUARDED = frozenset({Action.CLOSE, Action.MOVE, Action.MERGE, Action.LOG_ATTEMPT})

# Actions that need an owner: on a new item the refusal says to claim it first.
NEEDS_OWNER = frozenset(
    {Action.CLOSE, Action.LOG_ATTEMPT, Action.HANDOFF, Action.PROMISE, Action.WAIT}
)


def _permits(rule: Rule, item: Item, actor: Actor) -> bool:
    if Who.ANYONE in rule.who:
        return True
    if Who.OWNER in rule.who and item.owner == actor.user_id:
        return True
    if Who.MANAGER in rule.who and actor.is_manager:
        return True
    if Who.SYSTEM in rule.who and Role.SYSTEM in actor.roles:
        return True
    return Who.CLINICAL in rule.who and actor.is_clinical


def decide(
    item: Item, action: Action, actor: Actor, *, clinical_lane: bool = False
) -> Allowed | Refusal:
    """Say whether `actor` may do `action` to `item` now, and the state it leads to.

    Refuses: claiming an owned item (naming the owner and since when), acting on
    another person's item without being a manager, closing an unclaimed item
    (claim it first), closing a clinical item without a clinical acknowledgment
    unless the actor is clinical, anything the table does not list, and, while the item is
    escalated, closing, moving, merging or logging calls by anyone not clinical (the
    refusal says it is with the clinical team).
    """
    base = {"item_key": item.key, "action": action, "status": item.status}
    merged = item.merged_into is not None and not item.status.is_open
    if merged and action in (Action.REOPEN, Action.QA_REVIEW):
        # Its request lives on in the item it was merged into: reopening this one would
        # put the same request in two open items, and its calls are reviewed there.
        return Refusal(RefusalCode.MERGED, into=item.merged_into, **base)
    if item.status is Status.ESCALATED and action in SCOPE_GUARDED and not actor.is_clinical:
        return Refusal(RefusalCode.UNDER_ESCALATION, **base)
    rule = TRANSITIONS.get((item.status, action))
    if rule is None:
        if merged:  # everything is done on the item it was merged into
            return Refusal(RefusalCode.MERGED, into=item.merged_into, **base)
        if item.status is Status.RESOLVED:
            return Refusal(
                RefusalCode.ALREADY_CLOSED, owner=item.closed_by, since=item.closed_at, **base
            )
        if action in NEEDS_OWNER and item.status is Status.NEW:
            return Refusal(RefusalCode.NEEDS_CLAIM, **base)
        if action is Action.CLAIM and item.owner is not None:
            return Refusal(
                RefusalCode.ALREADY_OWNED, owner=item.owner, since=item.claimed_at, **base
            )
        return Refusal(RefusalCode.NOT_ALLOWED_IN_STATE, owner=item.owner, **base)
    if not _permits(rule, item, actor):
        if action in NEEDS_OWNER and item.status is Status.NEW:
            return Refusal(RefusalCode.NEEDS_CLAIM, **base)
        return Refusal(RefusalCode.NOT_OWNER, owner=item.owner, since=item.claimed_at, **base)
    if (
        action is Action.CLOSE
        and clinical_lane
        and not actor.is_clinical
        and item.clinical_ack_by is None
    ):
        return Refusal(RefusalCode.NEEDS_CLINICAL_ACK, **base)
    if action in ENDS_ESCALATION and item.owner is None:
        return Allowed(to=Status.NEW)
    return Allowed(to=rule.to)


def reassign_refusal(item: Item, new_owner: str) -> Refusal | None:
    """Reassigning to the person who already owns it changes nothing: say so instead."""
    if item.owner == new_owner:
        return Refusal(RefusalCode.SAME_OWNER, item_key=item.key, owner=item.owner)
    return None
