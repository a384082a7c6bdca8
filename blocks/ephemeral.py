"""Messages only the person who acted sees: why it was refused, an error reference, a form
that could not open, a notice."""

from __future__ import annotations

from collections.abc import Mapping
from zoneinfo import ZoneInfo

from jinja2 import Environment
from slack_sdk.models.blocks import MarkdownTextObject, SectionBlock

from blocks.limits import SECTION_TEXT_MAX
from blocks.message import Message
from blocks.templating import render
from blocks.text import mention, slack_date, status_label, truncate
from bot.domain.items import Action, Refusal

_SINCE_FORMAT = "{date_short_pretty} at {time}"

# The verb a refusal uses for what the person tried: "You can't release CQ-1042 while…".
_ACTION_VERBS: Mapping[Action, str] = {
    Action.CREATE: "log",
    Action.CLAIM: "claim",
    Action.RELEASE: "release",
    Action.REASSIGN: "reassign",
    Action.CLOSE: "close",
    Action.REOPEN: "reopen",
    Action.VIEW: "open",
    Action.LOG_ATTEMPT: "log a call on",
    Action.SUPERVISOR_REVIEW: "send for review",
    Action.HANDOFF: "hand off",
    Action.PROMISE: "record a promise on",
    Action.FULFIL_PROMISE: "mark a promise kept on",
    Action.WAIT: "park",
    Action.RESUME: "resume",
    Action.MOVE: "move",
    Action.REPEAT_CONTACT: "link",
    Action.MERGE: "merge",
    Action.SET_LANGUAGE: "set the language of",
    Action.IDENTIFY_CALLER: "identify the caller of",
    Action.ESCALATE: "escalate",
    Action.ACKNOWLEDGE: "acknowledge the escalation of",
    Action.PAGE_NEXT: "page the next level for",
    Action.NO_RESPONSE: "end the escalation of",
    Action.RESOLVE_ESCALATION: "resolve the escalation of",
    Action.NOT_CLINICAL: "mark as not clinical",
    Action.DISMISS_RED_FLAG: "dismiss the red flag of",
}


def _message(text: str) -> Message:
    text = truncate(text, SECTION_TEXT_MAX)
    section = SectionBlock(text=MarkdownTextObject(text=text, verbatim=True))
    return Message(text=text, blocks=[section])


def refusal_message(refusal: Refusal, tz: ZoneInfo, env: Environment) -> Message:
    """Tell the person, in a sentence, why their action was not done and what to do instead.

    One template per refusal code (`refusal.<code>.j2`): the current owner and since when
    for a claim that lost the race, who may act for someone else's item, "claim it first"
    before closing, the clinical acknowledgment a clinical lane needs, and the state that
    does not allow the action.
    """
    text = render(
        env,
        f"refusal.{refusal.code.value}.j2",
        key=refusal.item_key,
        action=refusal.action.value if refusal.action else "",
        action_verb=_ACTION_VERBS.get(refusal.action, "") if refusal.action else "",
        status=refusal.status.value if refusal.status else "",
        status_label=status_label(refusal.status) if refusal.status else "",
        owner_mention=mention(refusal.owner) if refusal.owner else "",
        since=slack_date(refusal.since, tz, _SINCE_FORMAT) if refusal.since else "",
    )
    # A refusal without a key says "this item"; at the start of a sentence it needs a capital.
    return _message(text[:1].upper() + text[1:])


def error_message(reference: str, env: Environment) -> Message:
    """Something failed that is not a refusal: give the logged reference; say nothing was saved."""
    return _message(render(env, "error.j2", reference=reference))


def form_not_opened(env: Environment) -> Message:
    """Slack refused to open a form (expired trigger, outage): say so and to try again."""
    return _message(render(env, "notice.form_not_opened.j2"))


def merged_into_clinical(kept: str, folded: str, env: Environment) -> Message:
    """A merge clicked on a clinical item went the other way: the clinical item `kept` stays
    open and the non-clinical `folded` was merged into it. Say so to the person who clicked."""
    return _message(render(env, "confirm.merged_into_clinical.j2", kept=kept, folded=folded))


def notice(text: str) -> Message:
    """A simple confirmation. `text` is the app's own mrkdwn: escape any user text in it first."""
    return _message(text)
