"""Slack redelivers an event when the first answer was slow (`X-Slack-Retry-Num`), up to
three times: a global middleware lets each `event_id` through once, before any listener
with side effects runs. A captured, validly signed form submission can be replayed within
Slack's five minutes: another lets a view through until its submission was acted on.
Both are recorded in the database, so another replica or a restarted process recognises
the repeat too."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncBoltContext
from slack_bolt.response import BoltResponse

from blocks.ids import ViewId

log = logging.getLogger(__name__)


async def once_per_event(
    body: dict[str, Any], context: AsyncBoltContext, next: Callable[[], Awaitable[Any]]
) -> Any:
    """Global middleware (bot/app.py), after `deps` is set: a redelivered event is answered
    200 (Slack stops retrying) and goes no further."""
    event_id = body.get("event_id") if body.get("type") == "event_callback" else None
    if not isinstance(event_id, str) or not event_id:
        return await next()
    if not await context["deps"].redeliveries.first_delivery_of_event(event_id[:64]):
        return BoltResponse(status=200, body="")
    return await next()


async def once_per_view(
    body: dict[str, Any], context: AsyncBoltContext, next: Callable[[], Awaitable[Any]]
) -> Any:
    """Global middleware (bot/app.py), after `deps` is set: a submission of a form that was
    acted on already is answered as the first was, with an empty 200 (the modal closes),
    and goes no further. Its listener would check the form against the item as it is now
    and could answer an error the first never saw (a handoff to whoever owns it now).

    The guarantee is the use case's (ServiceBase._transition records the view id with the
    change): this read only answers a replay before the listener runs. The intake form
    answers its replays itself, with the item the first submission made."""
    view = body.get("view") if body.get("type") == "view_submission" else None
    if not isinstance(view, dict) or view.get("callback_id") == ViewId.INTAKE:
        return await next()
    view_id = view.get("id")
    if not isinstance(view_id, str) or not view_id:
        return await next()
    if await context["deps"].redeliveries.form_acted_on(view_id):
        form = str(view.get("callback_id", ""))[:40]
        log.info("form submission replayed, answered as done: form=%s view=%s", form, view_id[:64])
        return BoltResponse(status=200, body="")
    return await next()
