"""The one error handler: anything unexpected gets a reference id, a logged traceback and a
short message to the person. Refusals never reach here: services return them.

Only a verified request's person is told: an unverified body can name anyone.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from blocks.modals.status import message_modal
from blocks.render import PracticeRenderer

log = logging.getLogger(__name__)

_REF_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

# Set in the context by a global middleware: Bolt runs global middleware only after its
# request verification passed (or for Socket Mode, whose connection Slack authenticated).
VERIFIED = "carequeue_request_verified"


def new_reference() -> str:
    return "".join(secrets.choice(_REF_ALPHABET) for _ in range(4))


def register(app: AsyncApp) -> None:
    app.error(on_error)


async def note_verified(context: AsyncBoltContext, next: Callable[[], Awaitable[Any]]) -> Any:
    """Global middleware (bot/app.py): marks the request as one the error handler may answer."""
    context[VERIFIED] = True
    return await next()


def user_and_channel(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """Who acted and in which channel, from any payload's shape; None for what is missing or
    not a string (a malformed payload must not fail the error handler itself)."""
    return (
        _id_of(body.get("user")) or _string(body.get("user_id")),
        _id_of(body.get("channel")) or _string(body.get("channel_id")),
    )


def _id_of(part: Any) -> str | None:
    return _string(part.get("id")) if isinstance(part, dict) else None


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


async def on_error(
    error: Exception,
    body: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    response: BoltResponse | None,
) -> BoltResponse | None:
    """Log with a reference, tell the person, and when Slack has not been answered yet
    (`response` is Bolt's 500, None once acked) answer 200 instead: Slack would show its
    own vague error for a 500. A form's submission is answered in the form: a small modal
    pushed over it gives the reference, and closing it goes back to what was typed."""
    # Global middleware set both, deps first (bot/app.py); neither is there when the
    # request failed before them.
    deps = context.get("deps")
    renderer = deps.renderer if deps is not None else None
    verified = bool(context.get(VERIFIED))
    in_form = response is not None and body.get("type") == "view_submission"
    reference = await report_error(
        error, body, client, renderer, verified=verified, tell=not in_form
    )
    user, _ = user_and_channel(body)
    if response is None or not verified or renderer is None or user is None:
        return None
    if in_form:
        view = message_modal("CareQueue", renderer.error(reference))
        return BoltResponse(status=200, body={"response_action": "push", "view": view.to_dict()})
    return BoltResponse(status=200, body="")


async def report_error(
    error: Exception,
    body: dict[str, Any],
    client: AsyncWebClient,
    renderer: PracticeRenderer | None,
    *,
    verified: bool,
    tell: bool = True,
) -> str:
    """Log `error` with a reference and, for a verified request, give its person that
    reference in the practice's words (`renderer`; None before the app knew its practice,
    and then nobody is told; nor with `tell` False, when the caller answers in a form).
    Also for listeners that must not raise after acking (handlers/deadline.py). The
    reference; the log has the traceback, database errors scrubbed (storage/log_scrub.py)."""
    reference = new_reference()
    # Never the body: it carries what people typed. Only its type and the traceback.
    kind = body.get("type") or body.get("command") or "unknown"
    log.error("unhandled error ref=%s request=%s", reference, str(kind)[:40], exc_info=error)
    user, channel = user_and_channel(body)
    if user is None or not verified or renderer is None or not tell:
        return reference
    message = renderer.error(reference).to_payload()
    try:
        if channel is not None:
            await client.chat_postEphemeral(channel=channel, user=user, **message)
        else:
            await client.chat_postMessage(channel=user, **message)
    except Exception:
        log.exception("could not tell the user about error ref=%s", reference)
    return reference
