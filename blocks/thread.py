"""The one-line entries in a card's thread, one per event: "Claimed by <@U1> · 10:42 AM".

Each entry reads its event's typed details (bot/domain/event_details.py), never keys of its
own. At `none` and `initials` an entry holds structured facts only; at `full` it adds staff's
free text as plain_text. The notification text never carries free text or patient data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment
from slack_sdk.models.blocks import Block, ButtonElement, SectionBlock

from blocks.card import (
    KEY_MAX,
    LANE_NAME_MAX,
    PROMISE_TEXT_MAX,
    RESOLUTION_MAX,
    TOLD_PATIENT_MAX,
    WAITING_ON_MAX,
    app_mrkdwn,
    plain_text,
)
from blocks.ids import ActionId
from blocks.limits import HEADER_TEXT_MAX, SECTION_TEXT_MAX
from blocks.message import Message
from blocks.templating import render
from blocks.text import clock_time, mention, origin_phrase, slack_date, truncate, weekday_time
from bot.domain.callbacks import Outcome
from bot.domain.event_details import (
    AttemptLogged,
    CallerIdentified,
    Claimed,
    Closed,
    Created,
    Details,
    Escalated,
    EscalationResolved,
    HandedOff,
    LanguageSet,
    Merged,
    Moved,
    NextLevelPaged,
    PromiseMade,
    Reassigned,
    Reopened,
    RepeatContact,
    Resumed,
    SupervisorReviewRequested,
    Waited,
    details_of,
)
from bot.domain.events import Event
from bot.domain.items import INTEGRATION_ACTOR_PREFIX, SYSTEM, Item
from bot.domain.lanes import Lane, Privacy
from bot.domain.waiting import waiting_phrase

CONFIRMED_MAX = 1000
NEXT_STEP_MAX = 300
NOT_CLINICAL_MAX = 1000
# A handoff entry is a pointer to the note, not the note: each line stays short even at full,
# a header's length at most.
HANDOFF_LINE_MAX = HEADER_TEXT_MAX

_THREAD_TIME_FORMAT = "{time}"
SYSTEM_NAME = "CareQueue"
INTEGRATION_NAME = "the intake API"

# Free text (staff's words, the patient's language) reaches the entry's blocks, never the
# notification text: it is rendered a second time with these emptied.
_FREE_TEXT = ("waiting_on", "language")


def actor_name(user_id: str) -> str:
    """How an entry names who acted: a mention, "CareQueue" for what the app did itself, or
    "the intake API" for a request an integration posted (its actor is `api:<token id>`)."""
    if user_id == SYSTEM:
        return SYSTEM_NAME
    if user_id.startswith(INTEGRATION_ACTOR_PREFIX):
        return INTEGRATION_NAME
    return mention(user_id)


def _clean(text: str | None) -> str:
    return (text or "").strip()


def _outcome_label(value: str) -> str:
    try:
        return Outcome(value).label
    except ValueError:
        return value.replace("_", " ").capitalize()


def _lane_name(key: str | None, lanes: Mapping[str, Lane] | None) -> str:
    key = _clean(key)
    lane = lanes.get(key) if lanes is not None and key else None
    return truncate(lane.name if lane is not None else key, LANE_NAME_MAX)


def _facts(details: Details) -> dict[str, Any]:
    """What the kind of event says, under the names the thread templates know."""
    match details:
        case Created():
            return {
                "owner": details.owner,
                "lane": details.lane,
                "next_due": details.due_at,
                "language": details.kept_for_language,
                "clinicians": details.bilingual_clinicians,
            }
        case Claimed() | Reassigned():
            return {"owner": details.owner}
        case Reopened():
            return {"owner": details.owner, "next_due": details.due_at}
        case Closed():
            return {"resolution": details.resolution}
        case AttemptLogged():
            return {
                "attempt": details.attempt,
                "attempts": details.attempts,
                "outcome": details.outcome,
                "identity_verified": details.identity_verified,
                "final": details.final,
                "next_due": details.due_at or details.next_due_at,
            }
        case SupervisorReviewRequested():
            return {"attempts": details.attempts}
        case HandedOff():
            return {
                "owner": details.owner,
                "lane": details.lane,
                "promise_due": details.promise_due_at,
            }
        case PromiseMade():
            return {"promise_due": details.promise_due_at}
        case Waited():
            # Who, as the app words the choice; staff's words come at `full` (_full_lines).
            return {
                "waiting_on": waiting_phrase(details.waiting_for),
                "check_back": details.check_back_at,
            }
        case Resumed():
            return {"waiting_on": waiting_phrase(details.waiting_for)}
        case Moved():
            return {
                "lane": details.lane,
                "from_lane": details.from_lane,
                "not_clinical": details.not_clinical is not None,
            }
        case RepeatContact():
            return {"repeat_count": details.repeat_count, "from_key": details.from_key}
        case Merged():
            return {"into_key": details.into, "merged_key": details.merged}
        case LanguageSet():
            return {"language": details.language}
        case CallerIdentified():
            return {"related_key": details.related_key}
        case Escalated() | NextLevelPaged():
            return {"rule": details.rule, "paged": details.paged, "ack_due": details.ack_due_at}
        case EscalationResolved():
            return {"rule": details.rule, "appropriate": details.appropriate}
    rule = getattr(details, "rule", None)
    return {"rule": rule} if isinstance(rule, str) else {}


def _entry_context(
    event: Event,
    details: Details,
    item: Item,
    lanes: Mapping[str, Lane] | None,
    when: Callable[[datetime | None], str],
) -> dict[str, Any]:
    """Everything any thread template may say: what the event's kind records, and blanks
    for what it does not (an override of one action's template may use any of them).

    `when` formats a time: `<!date^…>` for the blocks, plain words for the notification text.
    """
    facts = _facts(details)
    owner = _clean(facts.get("owner"))
    outcome = _clean(facts.get("outcome"))
    attempts = facts.get("attempts")
    repeat_count = facts.get("repeat_count")
    return {
        "key": item.key,
        "action": str(event.action),
        "actor_mention": actor_name(event.actor),
        "owner_mention": mention(owner) if owner else "",
        "resolution": truncate(_clean(facts.get("resolution")), RESOLUTION_MAX),
        "origin_phrase": origin_phrase(item.origin),
        "attempt": facts.get("attempt") or 0,
        "attempts": attempts if attempts is not None else item.attempts,
        "outcome": _outcome_label(outcome) if outcome else "",
        "identity_verified": facts.get("identity_verified") is True,
        "final": _clean(facts.get("final")),
        "next_due": when(facts.get("next_due")),
        "promise_due": when(facts.get("promise_due")),
        "check_back": when(facts.get("check_back")),
        "lane_name": _lane_name(facts.get("lane"), lanes),
        "from_lane_name": _lane_name(facts.get("from_lane"), lanes),
        "repeat_count": repeat_count if repeat_count is not None else item.repeat_count,
        "from_key": truncate(_clean(facts.get("from_key")), KEY_MAX),
        "merged_key": truncate(_clean(facts.get("merged_key")), KEY_MAX),
        "into_key": truncate(_clean(facts.get("into_key")), KEY_MAX),
        "related_key": truncate(_clean(facts.get("related_key")), KEY_MAX),
        "waiting_on": truncate(_clean(facts.get("waiting_on")), WAITING_ON_MAX),
        "language": truncate(_clean(facts.get("language")), 100),
        "rule": truncate(_clean(facts.get("rule")), 40).replace("_", " "),
        "paged_mentions": ", ".join(mention(user) for user in facts.get("paged") or ()),
        "ack_due": when(facts.get("ack_due")),
        "appropriate": facts.get("appropriate"),
        "clinician_mentions": ", ".join(mention(p) for p in facts.get("clinicians") or ()),
        "not_clinical": facts.get("not_clinical") is True,
    }


def _view_button(action_id: ActionId, value: str) -> ButtonElement:
    return ButtonElement(text="View", action_id=action_id, value=value)


def _entry_accessory(details: Details, item: Item) -> ButtonElement | None:
    """The "View" button staff use to open the whole note (its opening is an audited event)."""
    match details:
        case AttemptLogged(attempt=number) if number:
            return _view_button(ActionId.VIEW_ATTEMPT, f"{item.key}|{number}")
        case HandedOff(handoff_id=handoff_id) if handoff_id is not None:
            return _view_button(ActionId.VIEW_HANDOFF, f"{item.key}|{handoff_id}")
    return None


def _full_lines(details: Details) -> list[str]:
    """The free text an entry adds at `full`."""
    match details:
        case Closed():
            told = _clean(details.told_patient)
            return [f"Told patient: {truncate(told, TOLD_PATIENT_MAX)}"] if told else []
        case AttemptLogged():
            confirmed, next_step = _clean(details.confirmed), _clean(details.next_step)
            lines = []
            if confirmed:
                lines.append(f"Confirmed: {truncate(confirmed, CONFIRMED_MAX)}")
            if next_step:
                lines.append(f"Next: {truncate(next_step, NEXT_STEP_MAX)}")
            return lines
        case HandedOff():
            # Short on purpose: the whole note is one click away in the view.
            parts = [
                f"{label}: {truncate(text, HANDOFF_LINE_MAX)}"
                for label, text in (
                    ("Asked", _clean(details.asked)),
                    ("Still open", _clean(details.unresolved)),
                    ("Promised", _clean(details.promised)),
                )
                if text
            ]
            return ["\n".join(parts)] if parts else []
        case PromiseMade():
            text = _clean(details.promise_text)
            return [f"Promised: {truncate(text, PROMISE_TEXT_MAX)}"] if text else []
        case EscalationResolved():
            decision, told = _clean(details.decision), _clean(details.patient_told)
            lines = [f"Decision: {truncate(decision, CONFIRMED_MAX)}"] if decision else []
            if told:
                lines.append(f"Told patient: {truncate(told, TOLD_PATIENT_MAX)}")
            return lines
        case Waited():
            words = _clean(details.waiting_on)
            return [f"Waiting on: {truncate(words, WAITING_ON_MAX)}"] if words else []
        case Moved():
            note = _clean(details.not_clinical)
            return [f"Not clinical: {truncate(note, NOT_CLINICAL_MAX)}"] if note else []
    return []


def thread_entry(
    event: Event,
    item: Item,
    privacy: Privacy,
    tz: ZoneInfo,
    env: Environment,
    *,
    lanes: Mapping[str, Lane] | None = None,
) -> Message:
    """One line in the card's thread saying what happened: "Claimed by <@U1> · 10:42 AM".

    One template per action (`thread.<action>.j2`), saying what the event's details record
    (an old event missing some of them still reads); `lanes` turns lane keys into names.
    Call attempts and handoffs get a "View" button that opens the whole note. At `none` and
    `initials` an entry holds structured facts only (outcome, identity verified, times);
    at `full` it adds, as plain_text, what the patient was told, what a call confirmed and
    its next step, a short handoff summary or a promise's words. The notification text
    never carries free text or patient data. An action without its own template uses
    `thread.default.j2`.
    """
    details = details_of(event)
    action = str(event.action)
    names = [f"thread.{action}.j2", "thread.default.j2"]

    def in_blocks(at: datetime | None) -> str:
        return slack_date(at, tz) if at is not None else ""

    def in_text(at: datetime | None) -> str:
        return weekday_time(at, tz) if at is not None else ""

    shown = _entry_context(event, details, item, lanes, in_blocks)
    line = render(env, names, at=slack_date(event.at, tz, _THREAD_TIME_FORMAT), **shown)
    private = {name: "" for name in _FREE_TEXT}
    notified = {**_entry_context(event, details, item, lanes, in_text), **private}
    text = render(env, names, at=clock_time(event.at, tz), **notified)
    first = SectionBlock(text=app_mrkdwn(line), accessory=_entry_accessory(details, item))
    blocks: list[Block] = [first]
    if privacy is Privacy.FULL:
        blocks.extend(SectionBlock(text=plain_text(line)) for line in _full_lines(details))
    return Message(text=truncate(text, SECTION_TEXT_MAX), blocks=blocks)
