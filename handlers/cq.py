"""`/cq`: one command for working an item without its card (`/cq log CQ-1042`), and help."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from blocks.ephemeral import notice
from blocks.ids import Command
from bot.deps import ListenerDeps
from handlers.claim import item_key_from_text
from handlers.forms import FormTrigger
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
            f"• `{Command.QUEUE}`: your open items, soonest due first",
            f"• `{Command.QUEUE} &lt;lane&gt;`: a lane's queue (for example `{Command.QUEUE}"
            " scheduling`)",
            f"• `{Command.CQ} log {key}`: log a call attempt and its outcome",
            f"• `{Command.CQ} handoff {key}`: write a handoff note",
            f"• `{Command.CQ} escalate {key}`: escalate to the clinical team, a manager or"
            " the team the reason names",
            f"• `{Command.CQ} queue [lane]`: the same as `{Command.QUEUE}`",
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
            "Your Home tab shows your items, what is due in the next hour and what is waiting.",
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
    if verb not in ("log", "handoff", "escalate"):
        await ack(**notice(usage(deps.practice.item_key_prefix)).to_payload())
        return
    prefix = deps.practice.item_key_prefix
    key = item_key_from_text(rest, prefix)
    if key is None:
        hint = f"Usage: `{Command.CQ} {verb} {prefix}-1042` (the key on the card)."
        await ack(**notice(hint).to_payload())
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
