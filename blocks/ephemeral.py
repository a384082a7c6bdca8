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
from blocks.text import mention, practice_time, slack_date, status_label, truncate
from bot.domain.items import Action, Refusal, Role

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
    Action.QA_REVIEW: "review",
}


def _message(text: str) -> Message:
    text = truncate(text, SECTION_TEXT_MAX)
    section = SectionBlock(text=MarkdownTextObject(text=text, verbatim=True))
    return Message(text=text, blocks=[section])


# How a refusal names the role that would have let the person act.
ROLE_NAMES: Mapping[Role, str] = {
    Role.STAFF: "staff",
    Role.ASSISTANT: "assistant",
    Role.MANAGER: "manager",
    Role.CLINICAL: "clinical",
    Role.SYSTEM: "CareQueue",
}


def refusal_message(
    refusal: Refusal,
    tz: ZoneInfo,
    env: Environment,
    *,
    plain: bool = False,
    owner_name: str | None = None,
    lane_name: str = "",
) -> Message:
    """Tell the person, in a sentence, why their action was not done and what to do instead.

    One template per refusal code (`refusal.<code>.j2`): the current owner and since when
    for a claim that lost the race, who may act for someone else's item, "claim it first"
    before closing, the clinical acknowledgment a clinical lane needs, and the state that
    does not allow the action; for want of a role, the role (`needed_role`) and the lane
    (`lane_name`, the item's lane's name) that would do.

    `plain` words it for plain text (a form's error under an input, where Slack shows
    markup as typed): the owner by `owner_name` ("@ana") instead of a mention, or not named
    when that is unknown, and times written out instead of Slack's date markup.
    """
    owner = mention(refusal.owner) if refusal.owner else ""
    since = slack_date(refusal.since, tz, _SINCE_FORMAT) if refusal.since else ""
    if plain:
        owner = f"@{owner_name}" if refusal.owner and owner_name else ""
        since = practice_time(refusal.since, tz) if refusal.since else ""
    text = render(
        env,
        f"refusal.{refusal.code.value}.j2",
        key=refusal.item_key,
        action=refusal.action.value if refusal.action else "",
        action_verb=_ACTION_VERBS.get(refusal.action, "") if refusal.action else "",
        status=refusal.status.value if refusal.status else "",
        status_label=status_label(refusal.status) if refusal.status else "",
        owner_mention=owner,
        since=since,
        needed_role=ROLE_NAMES[refusal.needed] if refusal.needed else "",
        lane_name=lane_name,
        clinical=refusal.clinical,
        into=refusal.into or "",
    )
    # A refusal without a key says "this item"; at the start of a sentence it needs a capital.
    return _message(text[:1].upper() + text[1:])


def error_message(reference: str, env: Environment) -> Message:
    """Something failed that is not a refusal: give the logged reference; say nothing was saved."""
    return _message(render(env, "error.j2", reference=reference))


def form_not_opened(env: Environment) -> Message:
    """Slack refused to open a form (expired trigger, outage): say so and to try again."""
    return _message(render(env, "notice.form_not_opened.j2"))


def outdated(what: str, env: Environment) -> Message:
    """A `what` ("button", "form", "shortcut", "command") this version no longer knows:
    nothing was changed; say what to use instead."""
    return _message(render(env, "notice.outdated.j2", what=what))


def merged_into_clinical(kept: str, folded: str, env: Environment) -> Message:
    """A merge clicked on a clinical item went the other way: the clinical item `kept` stays
    open and the non-clinical `folded` was merged into it. Say so to the person who clicked."""
    return _message(render(env, "confirm.merged_into_clinical.j2", kept=kept, folded=folded))


def notice(text: str) -> Message:
    """A simple confirmation. `text` is the app's own mrkdwn: escape any user text in it first."""
    return _message(text)
