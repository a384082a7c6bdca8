"""The patient-safety line: a clinical item never leaves clinical hands (by a move, a merge,
language routing or closing as unreachable) without a clinician's decision.

Pure rules: no I/O. `is_clinical_matter` is the one place that says what a clinical item
is; everything else here asks it. The escalation work extends it (red flags, open
escalations) without touching its callers.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace

from bot.domain.items import Action, Actor, Item, Refusal, RefusalCode, Status
from bot.domain.lanes import Cadence, FinalStep, Lane


def is_clinical_matter(item: Item | None, lane: Lane) -> bool:
    """Whether `item`, in `lane`, is in clinical hands: its lane is clinical (a retired lane
    counts as clinical, since nothing says it was not), it is escalated (an open escalation
    keeps it so), or a red flag was found at intake (a dismissed one too: a hit never
    clears anything; a clinician's "Not clinical" decision does).

    `item` is None for a request that is not an item yet (intake routing): then the lane
    it was logged in decides.
    """
    if lane.clinical:
        return True
    return item is not None and (item.status is Status.ESCALATED or bool(item.red_flags))


def leaves_clinical_hands(item: Item, lane: Lane, to_lane: Lane) -> bool:
    """Moving `item` from `lane` to `to_lane` takes a clinical item out of clinical handling."""
    return is_clinical_matter(item, lane) and not to_lane.clinical


def clinical_decision_refusal(
    item: Item, lane: Lane, to_lane: Lane, actor: Actor, action: Action = Action.MOVE
) -> Refusal | None:
    """Refuse a non-clinical person taking a clinical item out of clinical handling.

    Only a clinician may decide an item is not clinical (and says why, in a note); moving
    between clinical lanes, or into one, needs no such decision.
    """
    if not leaves_clinical_hands(item, lane, to_lane) or actor.is_clinical:
        return None
    return Refusal(
        RefusalCode.NEEDS_CLINICAL_DECISION, item_key=item.key, action=action, status=item.status
    )


def merge_hides_clinical(folded: Item, folded_lane: Lane, kept: Item, kept_lane: Lane) -> bool:
    """Folding `folded` into `kept` would close a clinical item inside a non-clinical one.

    A merge never hides the more serious item: when this is true the merge goes the other
    way (the non-clinical item is folded into the clinical one).
    """
    return is_clinical_matter(folded, folded_lane) and not is_clinical_matter(kept, kept_lane)


def cadence_for(item: Item, lane: Lane) -> Cadence:
    """The lane's callback cadence for `item`, never closing a clinical item as unreachable.

    The practice file refuses `close_unreachable` on a clinical lane; this is the defence
    in depth for an item escalated in a non-clinical lane, or a file read by an older
    version: an unreachable clinical patient goes to review, never closed.
    """
    cadence = lane.cadence
    if cadence.after_last is FinalStep.CLOSE_UNREACHABLE and is_clinical_matter(item, lane):
        return replace(cadence, after_last=FinalStep.SUPERVISOR_REVIEW)
    return cadence


def keeps_lane_for_language(lane: Lane) -> bool:
    """Language routing never takes a request out of a clinical lane: it stays, marked with
    the patient's language, and bilingual clinicians (or an interpreter) are named."""
    return is_clinical_matter(None, lane)


def bilingual_clinicians(bilingual: Sequence[str], clinical: Collection[str]) -> tuple[str, ...]:
    """Of the staff who call back in a language (user ids, in the file's order), those who
    are also clinical (user ids, user groups already resolved by bot.roles)."""
    return tuple(person for person in bilingual if person in clinical)
