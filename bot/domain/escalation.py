"""Escalation: the practice's matrix (which reason pages whom, how fast) and one escalation's
life, with the pure re-escalation rule `next_step`.

Windows count wall-clock time, never business time: an emergency at 17:59 or on a Sunday
does not wait for Monday. Outside opening hours a clinical rule pages the matrix's
`after_hours` chain first. Pure: no I/O, no clock reads (the caller passes `now`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain import sla
from bot.domain.items import INTEGRATION_ACTOR_PREFIX, SYSTEM, Actor
from bot.domain.lanes import BusinessCalendar

# A chain target naming roles.managers (the others are clinical levels or roles.teams).
MANAGER = "manager"
# A red flag at intake nobody confirmed or dismissed escalates after this long (wall clock).
RED_FLAG_WAIT = timedelta(minutes=3)
# The outbox template of the red-flag prompt: stored in outbox rows, never rename.
RED_FLAG_PROMPT = "red_flag_prompt"


class PromptAudience(StrEnum):
    """Who the red-flag prompt asks; stored in outbox rows, never rename."""

    LOGGER = "logger"  # a DM to the person who logged the request
    CHANNEL = "channel"  # the channel it would page: no person logged it (an integration did)


@dataclass(frozen=True)
class RedFlagAsk:
    """Where the red-flag prompt goes: a user id (a DM) or a channel."""

    channel: str
    audience: PromptAudience


def who_is_asked(created_by: str, channel: str) -> RedFlagAsk:
    """The first person who read the flagged words decides first: whoever logged the request,
    in a DM. A request an integration posted (or CareQueue itself logged) was read by nobody,
    so `channel` is asked (the one its escalation would page: clinical, or the managers'),
    where someone qualified can confirm or dismiss it; either way, unanswered within
    RED_FLAG_WAIT it escalates by itself."""
    if created_by == SYSTEM or created_by.startswith(INTEGRATION_ACTOR_PREFIX):
        return RedFlagAsk(channel, PromptAudience.CHANNEL)
    return RedFlagAsk(created_by, PromptAudience.LOGGER)


class Urgency(StrEnum):
    """How soon a rule's page must be answered; the window itself is the rule's ack_within."""

    IMMEDIATE = "immediate"
    WITHIN_2H = "within_2h"

    @property
    def label(self) -> str:
        return "Immediate" if self is Urgency.IMMEDIATE else "Within 2 hours"


def supersedes(new: EscalationRule, open_rule: EscalationRule | None) -> bool:
    """Whether escalating an escalated item again under `new` replaces its open escalation
    under `open_rule`: `new` is more urgent (immediate where the open one is not, or as
    immediate with a shorter window to acknowledge: a rash escalated for today, then the
    patient says chest pain), and it keeps the item in clinical hands (a clinical
    escalation is only replaced by a clinical one). A rule that left the practice file is
    never replaced (nothing says how urgent it was)."""
    if open_rule is None:
        return False
    rank = (_URGENCY_RANK[new.urgency], new.ack_within)
    open_rank = (_URGENCY_RANK[open_rule.urgency], open_rule.ack_within)
    return rank < open_rank and (new.clinical or not open_rule.clinical)


_URGENCY_RANK = {Urgency.IMMEDIATE: 0, Urgency.WITHIN_2H: 1}


@dataclass(frozen=True)
class EscalationRule:
    """One reason to escalate: who is paged in turn and how long each has to acknowledge."""

    key: str  # stable: stored on escalations
    label: str
    urgency: Urgency
    to: tuple[str, ...]  # the paging chain: clinical levels, `manager`, team names
    ack_within: timedelta  # wall-clock
    guidance: str  # shown at once to the person who escalated
    clinical: bool = True  # some target is a clinical level: clinicians answer it
    note: str = ""  # e.g. a billing threshold, shown with the reason


@dataclass(frozen=True)
class EscalationMatrix:
    """The practice's escalation rules, in file order, and the after-hours chain."""

    rules: Mapping[str, EscalationRule] = field(default_factory=dict)
    after_hours: tuple[str, ...] = ()
    levels: frozenset[str] = frozenset()  # roles.clinical's level names

    def rule(self, key: str) -> EscalationRule | None:
        return self.rules.get(key)

    def red_flag_rule(self, keys: Iterable[str | None] = ()) -> EscalationRule | None:
        """The rule a red flag at intake escalates under when confirmed or left unanswered.

        `keys` are the rules the flags found name (None for a phrase that names none): the
        most urgent of those the matrix has wins (immediate first, then the shortest
        acknowledgment window, then file order), so "lawyer" with "chest pain" pages as an
        emergency. A flag naming no rule, or a rule the matrix lacks, counts as the default:
        `emergency`, else the first immediate clinical rule, so nothing flagged goes unpaged."""
        wanted = tuple(keys)
        named = [self.rules[key] for key in wanted if key is not None and key in self.rules]
        if len(named) < len(wanted) or not wanted:
            default = self._default_red_flag_rule()
            named += [default] if default is not None else []
        order = list(self.rules)
        return min(
            named,
            key=lambda r: (r.urgency is not Urgency.IMMEDIATE, r.ack_within, order.index(r.key)),
            default=None,
        )

    def _default_red_flag_rule(self) -> EscalationRule | None:
        found = self.rules.get("emergency")
        if found is not None:
            return found
        immediate = (r for r in self.rules.values() if r.urgency is Urgency.IMMEDIATE)
        return next((r for r in immediate if r.clinical), None)

    def chain(
        self, rule: EscalationRule, now: datetime, calendar: BusinessCalendar
    ) -> tuple[str, ...]:
        """Who is paged, in order, for `rule` escalated at `now`: the rule's chain in opening
        hours; outside them, for a clinical rule, the after-hours chain first and then the
        rule's targets that are not clinical levels (the manager, a team), never twice."""
        if not rule.clinical or not self.after_hours or sla.is_open(now, calendar):
            return rule.to
        chain = list(self.after_hours)
        chain += [t for t in rule.to if t not in chain and t not in self.levels]
        return tuple(chain)


class EscalationNotice(StrEnum):
    """The messages escalation sends besides the card: stored in outbox rows, never rename."""

    PAGE = "escalation_page"  # DM to each person paged, and one channel post
    REMINDER = "escalation_reminder"  # to the first people paged, once
    NO_RESPONSE = "escalation_no_response"  # to the managers' channel


class EscalationState(StrEnum):
    """Values are stored: never rename."""

    OPEN = "open"  # paged, nobody has acknowledged yet
    ACKNOWLEDGED = "acknowledged"
    NO_RESPONSE = "no_response"  # the whole chain was paged and nobody acknowledged
    RESOLVED = "resolved"
    NOT_CLINICAL = "not_clinical"
    # Replaced by a more urgent escalation of the same item (`supersedes`), which pages anew.
    SUPERSEDED = "superseded"

    @property
    def is_open(self) -> bool:
        return self in _OPEN_STATES


_OPEN_STATES = frozenset(
    {EscalationState.OPEN, EscalationState.ACKNOWLEDGED, EscalationState.NO_RESPONSE}
)


@dataclass(frozen=True)
class Escalation:
    """One escalation of one item: where in its chain it is, who was paged, and how it ended."""

    item_key: str
    rule: str  # the rule's key
    chain: tuple[str, ...]  # fixed when opened, so a config change never reshuffles a page
    opened_by: str
    opened_at: datetime
    ack_due_at: datetime
    context: str = ""
    level: int = 0  # index into `chain` of the target paged last
    paged: tuple[str, ...] = ()  # every user id paged so far
    state: EscalationState = EscalationState.OPEN
    reminded: bool = False  # the first recipient was reminded (once)
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    resolved_by: str | None = None
    resolved_at: datetime | None = None
    decision: str = ""
    told_patient: str = ""
    appropriate: bool | None = None
    lane: str = ""  # the item's lane when escalated (accuracy is counted per lane and rule)
    id: int | None = None
    version: int = 1

    @property
    def target(self) -> str:
        """The chain target paged last."""
        return self.chain[min(self.level, len(self.chain) - 1)]


class StepKind(StrEnum):
    NOTHING = "nothing"
    PAGE_NEXT = "page_next"
    NO_RESPONSE = "no_response"


@dataclass(frozen=True)
class Step:
    kind: StepKind
    level: int = 0  # the chain index to page, for PAGE_NEXT
    remind_first: bool = False  # remind the first recipient with this step (once)


NOTHING = Step(StepKind.NOTHING)


def ack_due(paged_at: datetime, rule: EscalationRule) -> datetime:
    """When a page sent at `paged_at` must be acknowledged: wall-clock, not business time."""
    return paged_at + rule.ack_within


def next_step(escalation: Escalation, now: datetime) -> Step:
    """What the re-escalation check does now: nothing while the window runs or once someone
    acknowledged; when it has passed, page the next level of the chain (reminding the first
    recipient with the first such page), or after the last level end in "no response"."""
    if escalation.state is not EscalationState.OPEN or now < escalation.ack_due_at:
        return NOTHING
    if escalation.level + 1 < len(escalation.chain):
        return Step(StepKind.PAGE_NEXT, escalation.level + 1, remind_first=not escalation.reminded)
    return Step(StepKind.NO_RESPONSE)


class AnswerRefusal(StrEnum):
    """Why someone may not acknowledge or resolve an escalation."""

    NOT_CLINICAL = "not_clinical"  # a clinical escalation needs a clinician
    NOT_PAGED = "not_paged"  # a manager's or team's escalation needs them
    CLOSED = "closed"  # already resolved or marked not clinical


def may_answer(
    escalation: Escalation, rule: EscalationRule | None, actor: Actor
) -> AnswerRefusal | None:
    """Whether `actor` may acknowledge or resolve `escalation`: a clinician for a clinical
    rule (or one no longer in the practice file); for a manager's or a team's rule, a
    manager or someone it paged. None when they may."""
    if not escalation.state.is_open:
        return AnswerRefusal.CLOSED
    if rule is None or rule.clinical:
        return None if actor.is_clinical else AnswerRefusal.NOT_CLINICAL
    if actor.is_manager or actor.user_id in escalation.paged:
        return None
    return AnswerRefusal.NOT_PAGED
