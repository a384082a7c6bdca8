"""Which patient-facing script fits each moment of a call.

Before the outcome is chosen the caller needs the opening and, in case a machine answers, the
voicemail. Once the outcome is chosen the caller needs what to say for what happened: for a
reached patient the acknowledgment, what is missing when the record lacks it, the clinical
boundary when the matter is clinical, and when they will hear from us; for a machine or
someone else taking a message, the voicemail (the practice's name and number, nothing else).
Pure rules: the wording itself lives in blocks/templates/scripts/.
"""

from __future__ import annotations

from enum import StrEnum

from bot.domain.callbacks import Outcome
from bot.domain.clinical import is_clinical_matter
from bot.domain.items import Item
from bot.domain.lanes import Lane


class Script(StrEnum):
    """The scripts every practice has, in every language it offers. Values name template
    files: never rename."""

    OPENING = "opening"  # the first words of a callback
    VOICEMAIL = "voicemail"  # left on an answering machine: no medical detail, ever
    ACKNOWLEDGMENT = "acknowledgment"  # "we have your request"
    MISSING_INFORMATION = "missing_information"  # asking for what the request lacks
    FOLLOW_UP_EXPECTATION = "follow_up_expectation"  # when they will hear from us
    CLINICAL_BOUNDARY = "clinical_boundary"  # front desk gives no medical advice


BEFORE_THE_OUTCOME = (Script.OPENING, Script.VOICEMAIL)


def something_missing(item: Item) -> bool:
    """The record lacks what the practice needs to finish the request: who the patient is
    (a missed call nobody has identified yet) or what they asked for."""
    return item.caller_unknown or not item.request_type.strip()


def scripts_for_call(item: Item, lane: Lane, outcome: Outcome | None) -> tuple[Script, ...]:
    """The scripts to show, in the order they are said, for a call on `item` in `lane` whose
    outcome is `outcome` (None while it is not chosen yet).

    - not chosen: the opening, and the voicemail in case a machine answers;
    - reached: the acknowledgment; the missing-information request when the record lacks
      something; the clinical boundary when the matter is clinical (`is_clinical_matter`:
      a clinical lane, an escalation, a red flag), since the caller must not answer it;
      then when the patient will hear from us;
    - left a voicemail, or the patient will call back (someone may be taking a message):
      the voicemail only, since a message anyone may hear carries the practice's name and
      number and nothing about the request;
    - no answer, busy, wrong number, a portal message: nothing to say to anyone.
    """
    if outcome is None:
        return BEFORE_THE_OUTCOME
    if outcome is Outcome.REACHED:
        scripts = [Script.ACKNOWLEDGMENT]
        if something_missing(item):
            scripts.append(Script.MISSING_INFORMATION)
        if is_clinical_matter(item, lane):
            scripts.append(Script.CLINICAL_BOUNDARY)
        scripts.append(Script.FOLLOW_UP_EXPECTATION)
        return tuple(scripts)
    if outcome in (Outcome.LEFT_VOICEMAIL, Outcome.WILL_CALL_BACK):
        return (Script.VOICEMAIL,)
    return ()
