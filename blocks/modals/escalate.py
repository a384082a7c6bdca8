"""Escalation forms: Escalate (a reason from the practice's matrix and context), Resolve or
Not clinical (the decision, what the patient was told, and whether escalating was the right
call), the full context a page's View opens, and the guidance shown after escalating."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    MarkdownTextObject,
    Option,
    RadioButtonsElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from blocks.ids import FieldId, ViewId
from blocks.message import Message
from blocks.modals.form import (
    form_modal,
    input_block,
    input_state,
    input_text,
    item_heading,
    option,
    patient_field,
    read_only_modal,
    select_input,
    selected_value,
    submitted_values,
    text_input,
)
from blocks.text import escape_within, mention, slack_date
from bot.domain.escalation import Escalation, EscalationRule
from bot.domain.items import Item

CONTEXT_MAX = 1800
DECISION_MAX = 1800
YES, NO = "yes", "no"


def escalate_modal(item: Item, rules: Iterable[EscalationRule], private_metadata: str) -> View:
    """Choose the reason (each with its urgency) and say what the patient reported."""
    options = [option(f"{rule.label} · {rule.urgency.label}", rule.key) for rule in rules]
    blocks: list[Block] = [
        item_heading("Escalating", item),
        select_input(FieldId.ESCALATION_RULE, "Reason", "Choose the reason", options),
        text_input(
            FieldId.ESCALATION_CONTEXT,
            "What did the patient report?",
            max_length=CONTEXT_MAX,
            multiline=True,
            optional=True,
            hint="Only the people paged see it, in the page's View.",
        ),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text="The people the reason names are paged now; the next level follows "
                    "if nobody acknowledges in time. You will see what to tell the patient."
                )
            ]
        ),
    ]
    return form_modal(ViewId.ESCALATE, f"Escalate {item.key}", "Escalate", blocks, private_metadata)


def escalate_form_from_view(view: Mapping[str, Any]) -> tuple[str, str]:
    """The chosen rule's key ("" when none) and the context, from a submitted Escalate form."""
    values = submitted_values(view)
    return (
        selected_value(values, FieldId.ESCALATION_RULE),
        input_text(values, FieldId.ESCALATION_CONTEXT),
    )


def resolve_modal(item: Item, label: str, *, not_clinical: bool, private_metadata: str) -> View:
    """Resolve (or mark not clinical): the decision, what the patient was told, and whether
    escalating was the right call (counted per lane and reason for the weekly metrics)."""
    intro = "Not clinical:" if not_clinical else "Resolving the escalation of"
    what = "Why is it not a clinical question?" if not_clinical else "What did you decide?"
    blocks: list[Block] = [
        item_heading(intro, item),
        SectionBlock(
            text=MarkdownTextObject(text=f"Reason: *{escape_within(label, 200)}*", verbatim=True)
        ),
        text_input(FieldId.DECISION, what, max_length=DECISION_MAX, multiline=True),
        text_input(
            FieldId.ESCALATION_TOLD,
            "What was the patient told?",
            max_length=DECISION_MAX,
            multiline=True,
        ),
        input_block(
            FieldId.APPROPRIATE,
            "Was escalating this the right call?",
            RadioButtonsElement(
                action_id=FieldId.APPROPRIATE,
                options=[Option(text="Yes", value=YES), Option(text="No", value=NO)],
            ),
        ),
    ]
    title = "Not clinical" if not_clinical else "Resolve escalation"
    return form_modal(ViewId.ESCALATION_RESOLVE, title, "Save", blocks, private_metadata)


def resolve_form_from_view(view: Mapping[str, Any]) -> tuple[str, str, bool | None]:
    values = submitted_values(view)
    picked = (input_state(values, FieldId.APPROPRIATE).get("selected_option") or {}).get("value")
    appropriate = {YES: True, NO: False}.get(str(picked)) if picked else None
    return (
        input_text(values, FieldId.DECISION),
        input_text(values, FieldId.ESCALATION_TOLD),
        appropriate,
    )


def resolve_errors(decision: str, told: str, appropriate: bool | None) -> dict[str, str]:
    errors = {}
    if not decision.strip():
        errors[FieldId.DECISION] = "Say what was decided."
    if not told.strip():
        errors[FieldId.ESCALATION_TOLD] = "Say what the patient was told."
    if appropriate is None:
        errors[FieldId.APPROPRIATE] = "Say whether escalating was the right call."
    return errors


def context_modal(item: Item, escalation: Escalation, label: str, tz: ZoneInfo) -> View:
    """The full context for the person paged: reason, who escalated when, what the patient
    reported, the request's summary and how to reach the patient. Opening it is audited."""
    opened = slack_date(escalation.opened_at, tz)
    blocks: list[Block] = [
        item_heading("Escalation of", item),
        SectionBlock(
            text=MarkdownTextObject(
                text=f"*{escape_within(label, 200)}* · escalated by "
                f"{mention(escalation.opened_by)} {opened}",
                verbatim=True,
            )
        ),
        SectionBlock(
            fields=[
                patient_field("Patient", item.patient.name),
                patient_field("Callback phone", item.patient.phone),
                patient_field("Language", item.patient.language),
                patient_field("Reference", item.patient.reference),
            ]
        ),
        SectionBlock(text=patient_field("What the patient reported", escalation.context or "-")),
        SectionBlock(text=patient_field("Request summary", item.summary)),
    ]
    return read_only_modal(ViewId.ESCALATION_CONTEXT, f"{item.key} escalation", blocks)


def guidance_message(item: Item, rule: EscalationRule, paged: Iterable[str]) -> Message:
    """Shown at once, only to the person who escalated: what to tell the patient now."""
    people = ", ".join(mention(p) for p in paged) or "the clinical team"
    text = (
        f":rotating_light: *{escape_within(item.key, 40)}* escalated "
        f"({escape_within(rule.label, 100)}): {people} paged.\n"
        f"*Tell the patient now:* {escape_within(rule.guidance, 1500)}"
    )
    section = SectionBlock(text=MarkdownTextObject(text=text, verbatim=True))
    return Message(text=f"Escalated {item.key}: see what to tell the patient", blocks=[section])
