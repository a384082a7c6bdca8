"""`/queue`: the caller's open items by due time (also `/queue mine`); `/queue unclaimed`:
what needs an owner across the lanes the caller works in, most urgent first; `/queue
overdue`: what is past due there; `/queue <lane>`: that lane's queue."""

from __future__ import annotations

import html
import re
from collections.abc import Awaitable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from blocks.ids import Command
from blocks.queue import queue_message, unknown_lane_message
from bot.deps import ListenerDeps
from bot.domain.practice import Practice
from handlers.deadline import within_ack_budget

_SEPARATORS = re.compile(r"[\s_\-]+")


def register(app: AsyncApp) -> None:
    app.command(Command.QUEUE)(on_queue_command)


def lane_from_text(text: str, practice: Practice) -> str | None:
    """The lane `text` names by its key or its name: `scheduling`, `Scheduling help`."""
    wanted = _normalized(text)
    for key, lane in practice.lanes.items():
        if wanted in (_normalized(key), _normalized(lane.name)):
            return key
    return None


def _normalized(text: str) -> str:
    # Slack escapes &, < and > in command text; "new patient", "new-patient" and
    # "new_patient" all mean the lane new_patient.
    return _SEPARATORS.sub(" ", html.unescape(text)).strip().casefold()


async def on_queue_command(
    ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond, deps: ListenerDeps
) -> None:
    await answer_queue(ack, respond, deps, command["user_id"], command.get("text", ""))


MINE, UNCLAIMED, OVERDUE = "mine", "unclaimed", "overdue"


async def answer_queue(
    ack: AsyncAck, respond: AsyncRespond, deps: ListenerDeps, user: str, text: str
) -> None:
    """Answer only the caller, in the ack itself when the database is quick enough."""
    wanted = _normalized(text)
    workspace_url = deps.queues.workspace_url()
    by_due = True
    if wanted in ("", MINE):
        title = "Your open items"
        work: Awaitable[Any] = deps.queues.mine(user)
    elif wanted == UNCLAIMED:
        title, by_due = "Needs an owner", False
        work = deps.queues.unclaimed(user)
    elif wanted == OVERDUE:
        title, by_due = "Overdue", False
        work = deps.queues.overdue(user)
    else:
        lane_key = lane_from_text(text, deps.practice)
        if lane_key is None:
            await ack(**unknown_lane_message(html.unescape(text), deps.practice).to_payload())
            return
        title = f"{deps.practice.lane(lane_key).name}: open items"
        work = deps.queues.lane(lane_key)
    future, in_time = await within_ack_budget(work)
    if not in_time:
        await ack(text="Looking up the queue…")
    found = await future
    items, total = found if isinstance(found, tuple) else (found, None)
    message = queue_message(
        items,
        title,
        deps.practice,
        deps.clock.now(),
        workspace_url=workspace_url,
        by_due=by_due,
        total=total,
    )
    if in_time:
        await ack(**message.to_payload())
    else:
        await respond(response_type="ephemeral", **message.to_payload())
