"""`/cq`: one command for working an item without its card (`/cq log CQ-1042`), and help."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from blocks.ephemeral import notice
from blocks.ids import Command
from blocks.queue import found_message
from bot.deps import ListenerDeps
from handlers.claim import item_key_from_text
from handlers.deadline import within_ack_budget
from handlers.forms import FormTrigger
from handlers.metrics import answer_metrics
from handlers.queue import answer_queue


def register(app: AsyncApp) -> None:
    app.command(Command.CQ)(on_cq_command)


def usage(prefix: str) -> str:
    """Every command and card button, in the words staff use."""
    key = f"{prefix}-1042"
    return "\n".join(
        [
            "*CareQueue commands*",
            f"• `{Command.INTAKE} [lane]`: log a patient request",
            f"• `{Command.CLAIM} {key}`: claim an item so you own it",
            f"• `{Command.QUEUE}`: your open items, soonest due first (also `/queue mine`)",
            f"• `{Command.QUEUE} unclaimed`: what needs an owner in your lanes, most urgent first",
            f"• `{Command.QUEUE} overdue`: what is past due in your lanes",
            f"• `{Command.QUEUE} &lt;lane&gt;`: a lane's queue (for example `{Command.QUEUE}"
            " scheduling`)",
            f"• `{Command.CQ} find {key}`: a link to the item's card",
            f"• `{Command.CQ} log {key}`: log a call attempt and its outcome",
            f"• `{Command.CQ} handoff {key}`: write a handoff note",
            f"• `{Command.CQ} escalate {key}`: escalate to the clinical team, a manager or"
            " the team the reason names",
            f"• `{Command.CQ} queue [lane]`: the same as `{Command.QUEUE}`",
            f"• `{Command.CQ} metrics [7d|30d]`: the practice's metrics, for managers",
            f"• `{Command.CQ} help`: this list",
            "*On a card*",
            "• *Claim* a new item; once it is yours, *Log call*, *Handoff*, *Close*, *Release*"
            " or *Reassign…*; *Resume* a waiting item; *Promise kept* when you have kept one",
            "• the *⋯* menu: wait on someone, promise the patient an update, move to another"
            " lane, set the language, escalate",
            "• on an escalated card or a page: *Acknowledge*, *Resolve*, *Not clinical*;"
            " *View* on a page for the full context",
            "• *Details* for the full record; *Reopen* on a closed card; *Merge* a repeat"
            " request into the first one; *Identify caller* on a missed call once you know"
            " who it was",
            "Your Home tab shows what needs an owner (with Claim), what is overdue, what is"
            " due in the next hour, your items and what is waiting.",
        ]
    )


async def on_cq_command(
    ack: AsyncAck,
    command: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    deps: ListenerDeps,
) -> None:
    verb, _, rest = command.get("text", "").strip().partition(" ")
    verb = verb.casefold()
    user = command["user_id"]
    if verb == "queue":
        await answer_queue(ack, respond, deps, user, rest)
        return
    if verb == "metrics":
        await answer_metrics(ack, deps, user, rest)
        return
    if verb not in ("log", "handoff", "escalate", "find"):
        await ack(**notice(usage(deps.practice.item_key_prefix)).to_payload())
        return
    prefix = deps.practice.item_key_prefix
    key = item_key_from_text(rest, prefix)
    if key is None:
        hint = f"Usage: `{Command.CQ} {verb} {prefix}-1042` (the key on the card)."
        await ack(**notice(hint).to_payload())
        return
    if verb == "find":
        await answer_find(ack, respond, deps, key)
        return
    # The trigger id lives 3 seconds: answer Slack, then open the modal straight away.
    await ack()
    # Imported when used: the modals belong to their own features, and this router's
    # import should not depend on theirs.
    if verb == "log":
        from handlers.attempts import open_attempt_modal as open_modal
    elif verb == "escalate":
        from handlers.escalation import open_escalate_form as open_modal
    else:
        from handlers.handoff import open_handoff_modal as open_modal
    # Each opens a loading modal first and then says, in the modal, if it cannot be done.
    await open_modal(client, deps, FormTrigger.of(command), key)


async def answer_find(ack: AsyncAck, respond: AsyncRespond, deps: ListenerDeps, key: str) -> None:
    """`/cq find CQ-1042`: the item's line, its key linked to its card."""
    future, in_time = await within_ack_budget(deps.queues.find(key))
    if not in_time:
        await ack(text=f"Looking for {key}…")
    message = found_message(
        await future, key, deps.practice, deps.clock.now(), deps.queues.workspace_url()
    )
    if in_time:
        await ack(**message.to_payload())
    else:
        await respond(response_type="ephemeral", **message.to_payload())
