"""What arrives from Slack, checked and made storable before any listener reads it.

A payload without the fields Slack always sends (who acted, what they acted on) is
refused with 400 by the HTTP route (bot/server.py) before Bolt reads it: Bolt's own
middleware and argument building fail on some shapes (an event that is not an object)
with a 500.

Nobody can type a NUL character (U+0000) in Slack, yet a payload may carry one (a message
an integration posted, a forged or corrupted field) and PostgreSQL text cannot hold it:
the statement would fail with a 500. A global middleware drops it from every string of
the payload, so a message shortcut, a form, a command's text or a button's value reach
the listeners without it. The intake API, whose callers can be told, refuses it instead
(bot/domain/intake.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.domain.intake import LONE_SURROGATE

NUL = "\x00"


def _clean(text: str) -> str:
    if NUL in text:
        text = text.replace(NUL, "")
    # Half a UTF-16 surrogate pair ("\ud800" in the JSON) is no character: UTF-8 cannot
    # encode it, so storing or logging it fails. It becomes U+FFFD, as a decoder shows one.
    return LONE_SURROGATE.sub("\ufffd", text)


def without_nul(node: Any) -> Any:
    """`node` with NUL characters dropped from every string in it, and lone surrogates
    replaced; dicts and lists are changed in place (Bolt hands listeners parts of the same
    body)."""
    if isinstance(node, str):
        return _clean(node)
    if isinstance(node, dict):
        for key in list(node):
            value = without_nul(node[key])
            if isinstance(key, str) and _clean(key) != key:
                del node[key]
                key = _clean(key)
            node[key] = value
    elif isinstance(node, list):
        for index, value in enumerate(node):
            node[index] = without_nul(value)
    return node


async def drop_nul_characters(body: dict[str, Any], next: Callable[[], Awaitable[Any]]) -> Any:
    """Global middleware (bot/app.py), first of all: nothing after it sees a NUL or a lone
    surrogate."""
    without_nul(body)
    return await next()


# What each kind of request must carry for any listener to serve it: who acted, and what
# they acted on. Slack always sends these; a payload without them is malformed.
INTERACTIVE = {"block_actions", "view_submission", "view_closed", "shortcut", "message_action"}


# The parts Bolt itself reads from any payload (to match listeners, to find the team and
# the user), with the types it assumes.
SHAPES: dict[str, type | tuple[type, ...]] = {
    "event": dict,
    "user": (dict, str),
    "team": (dict, str),
    "channel": (dict, str),
    "enterprise": (dict, str, type(None)),
    "actions": list,
    "view": dict,
    "container": dict,
    "message": dict,
    "authorizations": list,
}


def _text(value: Any) -> bool:
    """A string that still says something once its NULs are dropped (the middleware drops
    them after this check: an id of NULs alone would reach Slack empty)."""
    return isinstance(value, str) and bool(value.replace(NUL, ""))


def _has_id(part: Any) -> bool:
    return isinstance(part, dict) and _text(part.get("id"))


def is_well_formed(body: dict[str, Any]) -> bool:
    """Whether `body` has the shape its kind needs (its fields' values are the listeners'
    to judge). Unknown kinds pass: the catch-all listeners answer them."""
    if not all(isinstance(body.get(name), kinds) for name, kinds in SHAPES.items() if name in body):
        return False
    if "event" in body and not _text(body["event"].get("type")):
        return False
    if "command" in body:
        return all(_text(body.get(name)) for name in ("command", "user_id", "trigger_id"))
    kind = body.get("type")
    if kind in INTERACTIVE and not _has_id(body.get("user")):
        return False
    if kind in INTERACTIVE - {"view_closed"} and not _text(body.get("trigger_id")):
        return False  # Slack sends one with every click, submission and shortcut
    if kind == "block_actions":
        acts = body.get("actions")
        return (
            isinstance(acts, list)
            and bool(acts)
            and all(isinstance(a, dict) and _text(a.get("action_id")) for a in acts)
        )
    if kind in ("view_submission", "view_closed"):
        view = body.get("view")
        return isinstance(view, dict) and _text(view.get("callback_id")) and _text(view.get("id"))
    if kind in ("shortcut", "message_action"):
        return _text(body.get("callback_id")) and _text(body.get("trigger_id"))
    if kind == "event_callback":
        event = body.get("event")
        return isinstance(event, dict) and _text(event.get("type"))
    return True
