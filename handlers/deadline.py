"""Slack's 3-second deadline: commit first when the database is quick, never miss the ack.

`answer_submission` answers a modal's submission, waiting for the commit as long as the ack
budget allows, since its ack carries the outcome (errors, the updated modal). A button's ack
carries nothing Slack shows, so `answer_card_action` acks at once and reports afterwards.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any, Protocol, TypeVar

from slack_bolt.async_app import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from blocks.ephemeral import notice
from bot.deps import ListenerDeps
from bot.domain.items import Refusal
from bot.in_flight import InFlight
from bot.services.base import Done, Invalid, Once, Result
from handlers.errors import report_error

log = logging.getLogger(__name__)

T = TypeVar("T")

# Slack allows 3 s from its send to our answer; leave room for the network both ways.
ACK_BUDGET_SECONDS = 2.0


class SubmissionWork(Protocol):
    """A form's use case with everything but the submission it answers, which it records
    beside its change so that the form acts once (`functools.partial(deps.work.log_attempt,
    item_key=..., actor=..., note=...)`)."""

    def __call__(self, *, once: Once | None) -> Awaitable[Result]: ...


def submission_of(body: dict[str, Any]) -> Once | None:
    """The submitted view's id and hash; None for a payload without a view id (never from
    Slack), which then acts without the once-per-view record."""
    view = body.get("view")
    view_id = view.get("id") if isinstance(view, dict) else None
    if not isinstance(view_id, str) or not view_id:
        return None
    return Once(view_id, str(view.get("hash") or ""))


async def within_ack_budget(
    work: Awaitable[T],
    budget: float = ACK_BUDGET_SECONDS,
    *,
    in_flight: InFlight | None = None,
) -> tuple[asyncio.Future[T], bool]:
    """Start `work` and wait for it up to `budget` seconds.

    Returns the running future and whether it finished in time. When it did, the handler
    acks knowing the outcome (durable before acknowledged); when not, it acks anyway and
    awaits the future afterwards, telling the person the outcome in a follow-up. A write
    that is late is counted in `in_flight`, so a stopping server waits for it: the person
    was told it is being saved.
    """
    future = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({future}, timeout=budget)
    if not done:
        log.warning("database slower than the ack budget (%.1fs); acking first", budget)
        if in_flight is not None:
            in_flight.follow(future)
    return future, bool(done)


async def answer_submission(
    ack: AsyncAck,
    body: dict[str, Any],
    client: AsyncWebClient,
    deps: ListenerDeps,
    work: SubmissionWork,
    *,
    refused_under: str,
    incomplete: str | Callable[[], Mapping[str, str]] | None = None,
) -> Result:
    """Commit within the ack budget, then close the modal, or keep it open with the refusal
    under `refused_under`. When the database is slower than the budget the modal closes
    first and a refusal arrives as a direct message.

    `work` is given the submission (its view id): the use case acts once per view, so a
    replay of a submission already acted on is Duplicate and closes the modal as the first
    did, changing nothing.

    The form was checked before `work` started; if the service still finds it Invalid (a
    deadline passed meanwhile), `incomplete` says so: a sentence shown under
    `refused_under`, or a function giving the errors by input block then; without it, the
    service's own words. When late, the person gets the sentence as a direct message.
    Returns what `work` returned.
    """
    future, in_time = await within_ack_budget(
        work(once=submission_of(body)), in_flight=deps.after_ack
    )
    if not in_time:
        await ack()
    result = await future
    problem: str | None = None
    if isinstance(result, Invalid):
        if callable(incomplete) and in_time:
            await ack(response_action="errors", errors=dict(incomplete()))
            return result
        problem = incomplete if isinstance(incomplete, str) else result.text
    if isinstance(result, Refusal):
        # Under an input Slack shows plain text: name the owner readably, not as `<@U…>`.
        owner_name = await deps.people.name(result.owner) if result.owner else None
        problem = deps.renderer.refusal_text(result, owner_name)
    if in_time and problem is not None:
        await ack(response_action="errors", errors={refused_under: problem})
    elif in_time:
        await ack()
    elif problem is not None:
        await client.chat_postMessage(channel=body["user"]["id"], **notice(problem).to_payload())
    return result


async def answer_card_action(
    ack: AsyncAck,
    body: dict[str, Any],
    client: AsyncWebClient,
    deps: ListenerDeps,
    work: Coroutine[Any, Any, Any],
    then: Callable[[Done], Awaitable[None]] | None = None,
) -> None:
    """Ack at once, then commit, and show a refusal only to the person who clicked (an
    error reference when it failed); when it was done, `then` says what follows (guidance,
    a confirmation) from the same task.

    Slack ignores what a block_actions ack says, so waiting for the commit first would only
    risk Slack's error mark when the database is slow. The card itself is edited by the
    outbox: nothing else to send from here. The commit runs as a task of its own and the
    listener returns: a click waiting for its turn (deps.after_ack) holds the use case and
    who clicked where, not Bolt's request with the card's whole payload. In a burst of
    2,000 clicks those payloads were most of the heap, and each full garbage collection
    walked them all while the event loop stood still.
    """
    clicked = {name: body[name] for name in ("type", "user", "channel") if name in body}
    deps.after_ack.spawn(_after_ack(clicked, client, deps, work, then))
    await ack()


async def _after_ack(
    body: dict[str, Any],
    client: AsyncWebClient,
    deps: ListenerDeps,
    work: Awaitable[T],
    then: Callable[[Done], Awaitable[None]] | None = None,
) -> T | None:
    try:
        async with deps.after_ack.slot():  # a burst of clicks commits in turn, not all at once
            result = await work
        if then is not None and isinstance(result, Done):
            await then(result)
        message = None
        if isinstance(result, Refusal):
            message = deps.renderer.refusal(result)
        elif isinstance(result, Invalid):
            message = notice(result.text)
        if message is not None and "channel" in body:
            await client.chat_postEphemeral(
                channel=body["channel"]["id"], user=body["user"]["id"], **message.to_payload()
            )
        elif message is not None:  # a button on App Home: no channel to answer in
            await client.chat_postMessage(channel=body["user"]["id"], **message.to_payload())
    except Exception as error:
        # Not raised: Bolt loses an ack already sent when its listener fails within moments
        # of acking, and Slack then shows the click as failed 3 s later. Listeners run only
        # for requests that passed verification.
        await report_error(error, body, client, deps.renderer, verified=True)
        return None
    return result
