"""The scripts of the Log call modal: the wording that fits the moment of the call (see
bot/domain/call_scripts.py), in the patient's language, as plain_text for the person on the
phone. Scripts see the patient's first name and the practice's name and number only."""

from __future__ import annotations

from collections.abc import Mapping

from jinja2 import Environment
from slack_sdk.models.blocks import Block, ContextBlock, PlainTextObject, SectionBlock

from blocks.modals.form import plain
from blocks.scripts import find_script, first_name_of
from bot.domain.call_scripts import Script, scripts_for_call
from bot.domain.callbacks import Outcome
from bot.domain.items import Item
from bot.domain.lanes import Lane

# What each script is for, as the caller reads it above the words.
LABELS: Mapping[Script, str] = {
    Script.OPENING: "Opening",
    Script.VOICEMAIL: "If you reach voicemail",
    Script.ACKNOWLEDGMENT: "Acknowledge the request",
    Script.MISSING_INFORMATION: "Ask for what is missing",
    Script.CLINICAL_BOUNDARY: "Clinical question: no medical advice",
    Script.FOLLOW_UP_EXPECTATION: "What happens next",
}
# Once the outcome says a machine (or someone else) took the message.
MESSAGE_LABEL = "Message to leave (the practice's name and number only)"

# Outcomes with nobody to say anything to: what the caller reads instead of a script.
NOTHING_TO_SAY: Mapping[Outcome, str] = {
    Outcome.NO_ANSWER: "No script: nobody answered. Nothing is left; the lane's cadence "
    "schedules the next try.",
    Outcome.BUSY: "No script: the line was busy. The lane's cadence schedules the next try.",
    Outcome.WRONG_NUMBER: "Wrong number: apologise and say nothing about the patient or "
    "their request, not even their name.",
    Outcome.PORTAL_MESSAGE_SENT: "No script: a portal message is written in the portal.",
}

NO_CALLBACK_NUMBER = (
    "The practice file gives no callback number (practice.callback_number): "
    "give the practice's main number."
)


def script_language(found: str, wanted: str) -> str:
    """`Spanish`, or `in English: none written in Tagalog yet` when it fell back."""
    if wanted.strip() and found != wanted:
        return f"in {found}: none written in {wanted} yet"
    return found


def call_script_blocks(
    item: Item,
    lane: Lane,
    outcome: Outcome | None,
    *,
    env: Environment,
    practice_name: str,
    callback_number: str,
    default_language: str,
) -> list[Block]:
    """The scripts for this moment of the call: each under what it is for and the language it
    is in (the patient's, or the practice's default with a note when none is written in
    theirs); after an outcome with nobody to talk to, a line saying so."""
    patient = item.patient
    blocks: list[Block] = []
    if outcome is not None:
        blocks.append(_context(f"After “{outcome.label}”: what to say."))
    scripts = scripts_for_call(item, lane, outcome)
    for script in scripts:
        found = find_script(
            env,
            script,
            lane=lane.key,
            language=patient.language or default_language,
            first_name=first_name_of(patient.name),
            practice_name=practice_name,
            callback_number=callback_number,
            default_language=default_language,
        )
        label = LABELS[script]
        if script is Script.VOICEMAIL and outcome is not None:
            label = MESSAGE_LABEL
        language = script_language(found.language, patient.language)
        blocks.append(SectionBlock(text=plain(f"{label} ({language}):\n{found.text}")))
        if script is Script.VOICEMAIL and not callback_number:
            blocks.append(_context(NO_CALLBACK_NUMBER))
    if outcome is not None and not scripts:
        blocks.append(SectionBlock(text=plain(NOTHING_TO_SAY[outcome])))
    return blocks


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[PlainTextObject(text=text, emoji=False)])
