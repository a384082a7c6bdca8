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
from slack_sdk.web.async_client import AsyncWebClient

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


def _user_and_channel(body: dict[str, Any]) -> tuple[str | None, str | None]:
    user = (body.get("user") or {}).get("id") or body.get("user_id")
    channel = (body.get("channel") or {}).get("id") or body.get("channel_id")
    return user, channel


async def on_error(
    error: Exception, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    # Global middleware set both, deps first (bot/app.py); neither is there when the
    # request failed before them.
    deps = context.get("deps")
    renderer = deps.renderer if deps is not None else None
    await report_error(error, body, client, renderer, verified=bool(context.get(VERIFIED)))


async def report_error(
    error: Exception,
    body: dict[str, Any],
    client: AsyncWebClient,
    renderer: PracticeRenderer | None,
    *,
    verified: bool,
) -> None:
    """Log `error` with a reference and, for a verified request, give its person that
    reference in the practice's words (`renderer`; None before the app knew its practice,
    and then nobody is told). Also for listeners that must not raise after acking
    (handlers/deadline.py)."""
    reference = new_reference()
    # Never the body: it carries what people typed. Only its type and the traceback.
    log.error(
        "unhandled error ref=%s request=%s",
        reference,
        body.get("type") or body.get("command") or "unknown",
        exc_info=error,
    )
    user, channel = _user_and_channel(body)
    if user is None or not verified or renderer is None:
        return
    message = renderer.error(reference).to_payload()
    try:
        if channel is not None:
            await client.chat_postEphemeral(channel=channel, user=user, **message)
        else:
            await client.chat_postMessage(channel=user, **message)
    except Exception:
        log.exception("could not tell the user about error ref=%s", reference)
