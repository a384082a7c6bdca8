"""What escalation looks like in Slack: the line on the card (who it is with, the deadline,
who acknowledged, "no response"), and the pages: the DM and clinical-channel post, the
reminder and the managers' "no response" notice.

A page's notification text names only the kind of escalation and the item key. Its blocks
carry the lane, the deadline and who was paged, and patient detail only as the privacy
level allows (initials, or name and summary at `full`); the full context is one click away
(View), and each view is an audited event.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    InteractiveElement,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from blocks.ids import ActionId, escalation_value
from blocks.limits import SECTION_TEXT_MAX
from blocks.message import Message
from blocks.templating import render
from blocks.text import escape_within, mention, slack_date, truncate
from bot.domain.escalation import (
    RED_FLAG_PROMPT,
    Escalation,
    EscalationNotice,
    EscalationRule,
    EscalationState,
    PromptAudience,
)
from bot.domain.items import Item, Status
from bot.domain.lanes import Lane, Privacy

TEMPLATES = frozenset(notice.value for notice in EscalationNotice)

RULE_LABEL_MAX = 100
SUMMARY_MAX = 1800
_ACK_FORMAT = "{time}"


def rule_label(rule_key: str, rules: Mapping[str, EscalationRule]) -> str:
    """The reason as staff read it; a rule no longer in the practice file, by its key."""
    rule = rules.get(rule_key)
    return rule.label if rule is not None else rule_key.replace("_", " ")


def escalation_line(
    escalation: Escalation | None, label: str, status_escalated: bool, tz: ZoneInfo
) -> str | None:
    """The card's escalation line (mrkdwn), or None when there is nothing to say.

    Open: the reason, who it is with and the acknowledgment deadline. Acknowledged: by
    whom and at what time. No response: said plainly, never left silent. After it ended,
    who resolved it or marked it not clinical.
    """
    if escalation is None:
        return None
    reason = escape_within(label, RULE_LABEL_MAX)
    state = escalation.state
    if state is EscalationState.OPEN and status_escalated:
        people = ", ".join(mention(p) for p in escalation.paged[-5:]) or escalation.target
        due = slack_date(escalation.ack_due_at, tz, _ACK_FORMAT)
        return f":rotating_light: Escalated: *{reason}* · with {people} · acknowledge by {due}"
    if state is EscalationState.ACKNOWLEDGED and escalation.acknowledged_by:
        at = slack_date(escalation.acknowledged_at or escalation.opened_at, tz, _ACK_FORMAT)
        return (
            f":rotating_light: Escalated: *{reason}* · acknowledged by "
            f"{mention(escalation.acknowledged_by)} {at}"
        )
    if state is EscalationState.NO_RESPONSE:
        return (
            f":warning: *No response* to the escalation ({reason}): nobody paged acknowledged."
            " The managers' channel was told."
        )
    if state in (EscalationState.RESOLVED, EscalationState.NOT_CLINICAL) and escalation.resolved_by:
        done = "resolved" if state is EscalationState.RESOLVED else "marked not clinical"
        return f"Escalation ({reason}) {done} by {mention(escalation.resolved_by)}"
    return None


def flag_words(phrases: tuple[str, ...]) -> str:
    """Configured phrases as staff read them: "chest ... pain|tight" -> "chest pain"."""
    words = []
    for phrase in phrases:
        parts = [w.split("|")[0] for w in phrase.split() if w not in ("...", "\u2026")]
        words.append(" ".join(parts))
    return ", ".join(dict.fromkeys(words))


def red_flag_line(item: Item, privacy: Privacy) -> str | None:
    """The card's red-flag mark: possible emergency words at intake (which ones only at
    `full`), and who reviewed it if someone said it is not an emergency. Never cleared."""
    if not item.red_flags:
        return None
    line = ":triangular_flag_on_post: *Red flag*: possible emergency words at intake"
    if privacy is Privacy.FULL:
        line += f" ({escape_within(flag_words(item.red_flags), 300)})"
    if item.red_flag_dismissed_by:
        line += f" · not an emergency per {mention(item.red_flag_dismissed_by)}"
    return line


def red_flag_prompt(
    item: Item,
    params: Mapping[str, Any],
    privacy: Privacy,
    lane: Lane,
    tz: ZoneInfo,
    env: Environment,
    rule: EscalationRule | None = None,
) -> dict[str, Any]:
    """The `chat.postMessage` arguments of the red-flag prompt: Escalate · Not an emergency,
    naming the reason it would escalate under (`rule`, the most urgent the words name).

    To whoever logged the request (audience `logger`, a DM): the words found, which they
    typed or read. To the clinical channel (audience `channel`, a request an integration
    posted): the words only at privacy `full`, with Details for the whole request. The
    notification text says only that the item may be urgent. Rendered when it is sent: one
    that waited out a Slack outage while the item was escalated or dismissed says so, with
    no buttons left to press."""
    in_channel = params.get("audience") == PromptAudience.CHANNEL
    answered = _answered(item)
    shown = not in_channel or privacy is Privacy.FULL
    escalates_at = _time(params.get("escalates_at"))
    context = {
        "key": item.key,
        "lane_name": truncate(lane.name, 200),
        "in_channel": in_channel,
        "flag_words": truncate(flag_words(item.red_flags), 500) if shown else "",
        "escalates_at": slack_date(escalates_at, tz, _ACK_FORMAT) if escalates_at else "",
        "answered": answered,
        "dismissed_by_mention": mention(item.red_flag_dismissed_by or ""),
        "rule_label": truncate(rule.label, RULE_LABEL_MAX) if rule is not None else "",
    }
    line = render(env, f"notice.{RED_FLAG_PROMPT}.j2", **context)
    buttons: list[InteractiveElement] = []
    if not answered:
        buttons += [
            ButtonElement(
                text="Escalate",
                action_id=ActionId.RED_FLAG_ESCALATE,
                value=item.key,
                style="danger",
            ),
            ButtonElement(
                text="Not an emergency", action_id=ActionId.RED_FLAG_DISMISS, value=item.key
            ),
        ]
    if in_channel:
        buttons.append(ButtonElement(text="Details", action_id=ActionId.DETAILS, value=item.key))
    section = SectionBlock(
        text=MarkdownTextObject(text=truncate(line, SECTION_TEXT_MAX), verbatim=True)
    )
    text = render(env, "notice.red_flag_text.j2", key=item.key)
    blocks: list[Block] = [section]
    if buttons:
        blocks.append(ActionsBlock(elements=buttons))
    return Message(text=truncate(text, SECTION_TEXT_MAX), blocks=blocks).to_payload()


def _answered(item: Item) -> str:
    """What became of the red flag before its prompt was sent: "escalated", "dismissed", or
    "" while it still waits for a person."""
    if item.red_flag_dismissed_by:
        return "dismissed"
    if item.status is Status.ESCALATED:
        return "escalated"
    return ""


def escalation_buttons(
    item: Item, escalation: Escalation | None, *, escalation_id: int | None = None
) -> list[InteractiveElement]:
    """Acknowledge (until someone has), Resolve and Not clinical: on the page and the card.
    Each names the escalation it answers (`escalation`'s id, else `escalation_id`)."""
    acknowledged = escalation is not None and escalation.state is EscalationState.ACKNOWLEDGED
    value = escalation_value(item.key, escalation.id if escalation is not None else escalation_id)
    buttons: list[InteractiveElement] = []
    if not acknowledged:
        buttons.append(
            ButtonElement(
                text="Acknowledge",
                action_id=ActionId.ESCALATION_ACKNOWLEDGE,
                value=value,
                style="primary",
            )
        )
    buttons += [
        ButtonElement(text="Resolve", action_id=ActionId.ESCALATION_RESOLVE, value=value),
        ButtonElement(text="Not clinical", action_id=ActionId.ESCALATION_NOT_CLINICAL, value=value),
    ]
    return buttons


def _time(value: Any) -> datetime | None:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def _patient_blocks(item: Item, privacy: Privacy) -> list[Block]:
    if privacy is Privacy.INITIALS and item.patient.initials:
        return [SectionBlock(text=PlainTextObject(text=f"Patient: {item.patient.initials}"))]
    if privacy is not Privacy.FULL:
        return []
    name = truncate(item.patient.name.strip(), 200) or "-"
    blocks: list[Block] = [SectionBlock(text=PlainTextObject(text=f"Patient: {name}", emoji=False))]
    summary = truncate(item.summary.strip(), SUMMARY_MAX)
    if summary:
        blocks.append(SectionBlock(text=PlainTextObject(text=f"Summary: {summary}", emoji=False)))
    return blocks


# What a page says when its escalation ended before Slack took it, by the escalation's state.
_ENDED_WHILE_WAITING = {
    "superseded": "_Replaced by a more urgent escalation while this message waited: see the"
    " newer page and the card._",
    "resolved": "_Resolved while this message waited: see the card._",
    "not_clinical": "_Marked not clinical while this message waited: see the card._",
}


def escalation_notice(
    template: str,
    item: Item,
    lane: Lane,
    rules: Mapping[str, EscalationRule],
    params: Mapping[str, Any],
    privacy: Privacy,
    tz: ZoneInfo,
    env: Environment,
) -> dict[str, Any]:
    """The `chat.postMessage` arguments of an escalation page, reminder or no-response notice.

    The page (a DM, or the one post in the clinical channel naming who was paged) and the
    reminder carry View, Acknowledge, Resolve and Not clinical; the no-response notice to
    the managers carries View. Raises ValueError for a template it does not know.
    """
    if template not in TEMPLATES:
        raise ValueError(f"unknown escalation notice {template!r}")
    rule_key = str(params.get("rule", ""))
    rule = rules.get(rule_key)
    due = _time(params.get("ack_due_at"))
    paged = [p for p in params.get("paged") or () if isinstance(p, str)]
    context = {
        "key": item.key,
        "lane_name": truncate(lane.name, 200),
        "rule_label": truncate(rule_label(rule_key, rules), RULE_LABEL_MAX),
        "urgency_label": rule.urgency.label if rule is not None else "",
        "ack_due": slack_date(due, tz, _ACK_FORMAT) if due is not None else "",
        "paged_mentions": ", ".join(mention(p) for p in paged),
        "target": str(params.get("target", "")).replace("_", " "),
    }
    name = f"notice.{template}.j2"
    line = render(env, name, **context)
    # Only the kind of escalation and the key reach the lock screen.
    text = render(env, "notice.escalation_text.j2", template=template, **context)
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=truncate(line, SECTION_TEXT_MAX), verbatim=True))
    ]
    if rule is not None and rule.note:
        note = f"Note: {rule.note}"
        blocks.append(SectionBlock(text=PlainTextObject(text=note, emoji=False)))
    blocks += _patient_blocks(item, privacy)
    ended = str(params.get("ended") or "")
    if ended:
        # Answered or replaced while this message waited (a Slack outage, a retried dead
        # letter): it says so and offers no answers, as the red-flag prompt does.
        blocks.append(
            SectionBlock(text=MarkdownTextObject(text=_ENDED_WHILE_WAITING[ended], verbatim=True))
        )
    view = ButtonElement(text="View", action_id=ActionId.ESCALATION_VIEW, value=item.key)
    answer: list[InteractiveElement] = []
    if template != EscalationNotice.NO_RESPONSE and not ended:
        escalation_id = params.get("escalation_id")
        answer = escalation_buttons(
            item, None, escalation_id=escalation_id if isinstance(escalation_id, int) else None
        )
    blocks.append(ActionsBlock(elements=[view, *answer]))
    return Message(text=truncate(text, SECTION_TEXT_MAX), blocks=blocks).to_payload()
