"""Who may do what, by role: the one rule every use case asks before the life-cycle table.

Pure: no I/O. `may` answers from the person's roles (bot/roles.py decides them), their
relation to the item (its owner, a member of its lane, paged for its open escalation) and
whether the item is a clinical matter (bot/domain/clinical.py). The life-cycle table in
bot/domain/items.py then decides what the state allows; where it is stricter (only the owner
or a manager releases, only a clinician closes an escalated item) it still refuses.

| role | may |
| --- | --- |
| staff | log requests; claim, work, close and reopen items in their lanes |
| assistant | the same, but never close a clinical item |
| manager | everything staff may, in every lane; reassign and close anything; QA reviews |
| clinical | escalation answers, and clinical items in any lane |
| anyone | log a request and escalate (a patient's request or emergency never waits on a role) |
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from bot.domain.items import Action, Actor, Item, Refusal, RefusalCode, Role


class Grant(StrEnum):
    """What kind of permission an action needs."""

    ANYONE = "anyone"  # everyone in the workspace, even with no role
    WORK = "work"  # the item's owner, its lane's staff or assistants, managers; clinicians
    # for a clinical item
    CLOSE = "close"  # as WORK, but an assistant never closes a clinical item
    ANSWER = "answer"  # anyone with a role; the escalation matrix decides who (may_answer)
    DETAILS = "details"  # as WORK, or someone paged for the item's open escalation
    MANAGE = "manage"  # managers only (a QA review)
    SYSTEM = "system"  # CareQueue itself


PERMISSIONS: Mapping[Action, Grant] = {
    Action.CREATE: Grant.ANYONE,
    Action.CLAIM: Grant.WORK,
    Action.RELEASE: Grant.WORK,
    Action.REASSIGN: Grant.WORK,
    Action.CLOSE: Grant.CLOSE,
    Action.REOPEN: Grant.WORK,
    Action.VIEW: Grant.DETAILS,
    Action.LOG_ATTEMPT: Grant.WORK,
    Action.SUPERVISOR_REVIEW: Grant.SYSTEM,
    Action.HANDOFF: Grant.WORK,
    Action.PROMISE: Grant.WORK,
    Action.FULFIL_PROMISE: Grant.WORK,
    Action.WAIT: Grant.WORK,
    Action.RESUME: Grant.WORK,
    Action.MOVE: Grant.WORK,
    Action.REPEAT_CONTACT: Grant.SYSTEM,
    Action.MERGE: Grant.WORK,
    Action.SET_LANGUAGE: Grant.WORK,
    Action.IDENTIFY_CALLER: Grant.WORK,
    Action.ESCALATE: Grant.ANYONE,
    Action.ACKNOWLEDGE: Grant.ANSWER,
    Action.PAGE_NEXT: Grant.SYSTEM,
    Action.NO_RESPONSE: Grant.SYSTEM,
    Action.RESOLVE_ESCALATION: Grant.ANSWER,
    Action.NOT_CLINICAL: Grant.ANSWER,
    Action.DISMISS_RED_FLAG: Grant.WORK,
    Action.QA_REVIEW: Grant.MANAGE,
    Action.REFUSED: Grant.SYSTEM,  # recorded by CareQueue, never done by a person
}

# Roles that let a person act at all (SYSTEM is CareQueue itself).
PEOPLE_ROLES = frozenset({Role.STAFF, Role.ASSISTANT, Role.MANAGER, Role.CLINICAL})


@dataclass(frozen=True)
class Permitted:
    """The role rule lets it through (the life-cycle table decides next)."""


@dataclass(frozen=True)
class Refused:
    """Not this person's to do: why, and the role that would let them."""

    reason: RefusalCode
    needed: Role

    def refusal(self, item: Item, action: Action, *, clinical: bool) -> Refusal:
        """The refusal a handler words: which role is needed, in which lane."""
        return Refusal(
            self.reason,
            item_key=item.key,
            action=action,
            status=item.status,
            needed=self.needed,
            lane=item.lane,
            clinical=clinical,
        )


PERMITTED = Permitted()


def _works_on(actor: Actor, item: Item, clinical: bool) -> bool:
    return (
        item.owner == actor.user_id
        or actor.is_manager
        or actor.works_in(item.lane)
        or (clinical and actor.is_clinical)
    )


def may(
    actor: Actor, action: Action, item: Item, *, clinical: bool, paged: bool = False
) -> Permitted | Refused:
    """Whether `actor`'s roles let them do `action` to `item`.

    `clinical` says the item is a clinical matter (its lane is clinical, it is escalated or
    red-flagged); `paged` that the actor was paged for its open escalation. Refuses: someone
    with no role at all (needs staff), someone who neither owns the item nor works its lane
    (needs that lane's staff; a clinician would do for a clinical item), an assistant
    closing a clinical item (needs a clinician), a person doing what only CareQueue does,
    and patient details to anyone but the owner, the lane's staff and assistants, managers,
    clinicians for a clinical item and whoever its open escalation paged. An action the
    table does not list is refused, never let through.
    """
    if Role.SYSTEM in actor.roles:
        return PERMITTED
    grant = PERMISSIONS.get(action, Grant.SYSTEM)
    if grant is Grant.ANYONE:
        return PERMITTED
    if grant is Grant.SYSTEM:
        return Refused(RefusalCode.SYSTEM_ONLY, Role.SYSTEM)
    has_role = bool(actor.roles & PEOPLE_ROLES)
    if grant is Grant.DETAILS:
        if _works_on(actor, item, clinical) or paged:
            return PERMITTED
        return Refused(RefusalCode.DETAILS_RESTRICTED, Role.STAFF)
    if not has_role and item.owner != actor.user_id:
        # The role that would do: a manager's for what only managers do (a QA review).
        return Refused(RefusalCode.NO_ROLE, Role.MANAGER if grant is Grant.MANAGE else Role.STAFF)
    if grant is Grant.ANSWER:
        return PERMITTED
    if grant is Grant.MANAGE:
        return PERMITTED if actor.is_manager else Refused(RefusalCode.MANAGER_ONLY, Role.MANAGER)
    if not _works_on(actor, item, clinical):
        return Refused(RefusalCode.NOT_IN_LANE, Role.STAFF)
    if grant is Grant.CLOSE and clinical and actor.is_assistant:
        return Refused(RefusalCode.ASSISTANT_CLINICAL, Role.CLINICAL)
    return PERMITTED


def check(
    actor: Actor, action: Action, item: Item, *, clinical: bool, paged: bool = False
) -> Refusal | None:
    """`may`, as the refusal a handler words (None when permitted)."""
    decided = may(actor, action, item, clinical=clinical, paged=paged)
    if isinstance(decided, Refused):
        return decided.refusal(item, action, clinical=clinical)
    return None
