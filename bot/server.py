"""The one aiohttp application: /slack/events (HTTP mode), /healthz, the outbox worker, the
scheduled jobs, the background Slack check and the user groups' refresh."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier

from bot.deps import Deps
from bot.jobs import Jobs

log = logging.getLogger(__name__)

DEPS_KEY = web.AppKey("deps", Deps)
BOLT_KEY = web.AppKey("bolt", AsyncApp)
JOBS_KEY = web.AppKey("jobs", Jobs)
VERIFIER_KEY = web.AppKey("verifier", SignatureVerifier)


def build_web_app(
    deps: Deps, bolt: AsyncApp, *, http_events: bool, run_outbox: bool = True
) -> web.Application:
    """Serve Slack's requests (when not in Socket Mode) and health on one aiohttp app.

    With `run_outbox`, the outbox worker and the scheduled jobs (`web_app[JOBS_KEY]`) run on
    the same event loop for the app's lifetime; the Slack check and the refresh of the user
    groups' members (every replica decides roles) always do.
    """
    web_app = web.Application()
    web_app[DEPS_KEY] = deps
    web_app[BOLT_KEY] = bolt
    if http_events:
        web_app[VERIFIER_KEY] = SignatureVerifier(deps.settings.slack_signing_secret or "")
        web_app.router.add_post("/slack/events", _slack_events)
    web_app.router.add_get("/healthz", _healthz)
    web_app.cleanup_ctx.append(_slack_check)
    web_app.cleanup_ctx.append(_user_groups)
    web_app.on_shutdown.append(_finish_clicks)
    if run_outbox:
        web_app[JOBS_KEY] = Jobs(deps)
        web_app.cleanup_ctx.append(_outbox_worker)
        web_app.cleanup_ctx.append(_scheduled_jobs)
    return web_app


async def _slack_events(request: web.Request) -> web.Response:
    """Dispatch a request Slack signed; anything else gets 401 and nothing else, ever.

    Verified before Bolt sees it: a request Bolt cannot verify (a timestamp that is not a
    number makes its check raise) would otherwise reach the error handler with a body
    naming any user. Bolt still verifies again (defence in depth).
    """
    bolt = request.app[BOLT_KEY]
    bolt_request = await to_bolt_request(request)
    if not _signed_by_slack(request, bolt_request.raw_body):
        log.warning("rejected a request to /slack/events that Slack did not sign")
        return web.Response(status=401)
    bolt_response = await bolt.async_dispatch(bolt_request)
    return await to_aiohttp_response(bolt_response)


def _signed_by_slack(request: web.Request, body: str) -> bool:
    if not request.app[DEPS_KEY].settings.slack_signing_secret:
        return False  # an empty secret would let anyone sign
    try:
        return request.app[VERIFIER_KEY].is_valid(
            body=body,
            timestamp=request.headers.get("X-Slack-Request-Timestamp", ""),
            signature=request.headers.get("X-Slack-Signature", ""),
        )
    except Exception:  # a malformed header is no signature: whatever it raised, unverified
        return False


async def _healthz(request: web.Request) -> web.Response:
    deps = request.app[DEPS_KEY]
    try:
        async with deps.uow.read() as tx:
            counts = await tx.outbox.counts()  # also proves the database answers
    except Exception:
        log.exception("health check: database unreachable")
        return web.json_response({"status": "error", "database": "unreachable"}, status=503)
    return web.json_response(
        {
            "status": "ok",
            "database": "ok",
            # dead: Slack writes held back until someone requeues them (`carequeue outbox`).
            "outbox": {"pending": counts.get("pending", 0), "dead": counts.get("dead", 0)},
            # From the background check, not asked now: Slack being down is no reason to
            # restart a process that still stores every request.
            "slack": deps.slack.health.value,
            # none | ok | stale (last members kept) | not_loaded (a group grants no role yet)
            "user_groups": deps.groups.health.value,
        }
    )


async def _outbox_worker(web_app: web.Application) -> AsyncIterator[None]:
    deps = web_app[DEPS_KEY]
    stop = asyncio.Event()
    task = asyncio.create_task(deps.outbox.run(stop), name="outbox")
    yield
    stop.set()
    deps.outbox.wake()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.wait_for(task, timeout=10)


def _in_background(
    name: str, work: Callable[[Deps], Coroutine[Any, Any, None]]
) -> Callable[[web.Application], AsyncIterator[None]]:
    """A cleanup context that runs `work(deps)` as a task for the app's lifetime."""

    async def run(web_app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(work(web_app[DEPS_KEY]), name=name)
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return run


# The bot's identity and Slack's health (bot/slack_status.py), and the user groups'
# members (bot/user_groups.py), learned in the background.
_slack_check = _in_background("slack-check", lambda deps: deps.slack.run())
_user_groups = _in_background("user-groups", lambda deps: deps.groups.run())


async def _scheduled_jobs(web_app: web.Application) -> AsyncIterator[None]:
    """Check-backs, and the jobs to come, on APScheduler (see bot/jobs.py)."""
    jobs = web_app[JOBS_KEY]
    jobs.start()
    yield
    await asyncio.wait_for(jobs.stop(), timeout=10)


# How long a stopping server waits for button clicks it already answered to commit.
FINISH_CLICKS_SECONDS = 10.0


async def _finish_clicks(web_app: web.Application) -> None:
    """A click is answered before its commit: on SIGTERM, let those commits land (and the
    outbox, still running, send their cards) before the process goes."""
    deps = web_app[DEPS_KEY]
    try:
        await asyncio.wait_for(deps.after_ack.idle(), timeout=FINISH_CLICKS_SECONDS)
    except TimeoutError:
        log.warning("stopping with button clicks still committing after %ss", FINISH_CLICKS_SECONDS)
