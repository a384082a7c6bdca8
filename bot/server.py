"""The one aiohttp application: /slack/events (HTTP mode), the intake API (/api/v1, always),
/healthz, /metrics (Prometheus), the outbox worker, the scheduled jobs, the background Slack
check and the user groups' refresh."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from bot.api.routes import add_routes
from bot.clock import FileClock
from bot.deps import Deps
from bot.jobs import Jobs
from bot.prometheus import CONTENT_TYPE
from bot.services.operations import QueueHealth, queue_health
from handlers.inbound import is_well_formed

log = logging.getLogger(__name__)

DEPS_KEY = web.AppKey("deps", Deps)
BOLT_KEY = web.AppKey("bolt", AsyncApp)
JOBS_KEY = web.AppKey("jobs", Jobs)
VERIFIER_KEY = web.AppKey("verifier", SignatureVerifier)


def build_web_app(
    deps: Deps, bolt: AsyncApp, *, http_events: bool, run_outbox: bool = True
) -> web.Application:
    """Serve Slack's requests (when not in Socket Mode), the intake API and health on one
    aiohttp app.

    With `run_outbox`, the outbox worker and the scheduled jobs (`web_app[JOBS_KEY]`) run on
    the same event loop for the app's lifetime; the Slack check and the refresh of the user
    groups' members (every replica decides roles) always do.
    """
    web_app = web.Application(middlewares=[deps.prometheus.middleware()])
    web_app[DEPS_KEY] = deps
    web_app[BOLT_KEY] = bolt
    if http_events:
        web_app[VERIFIER_KEY] = SignatureVerifier(deps.settings.slack_signing_secret or "")
        web_app.router.add_post("/slack/events", _slack_events)
    web_app.router.add_get("/healthz", _healthz)
    web_app.router.add_get("/metrics", _metrics)
    add_routes(web_app, deps)
    web_app.cleanup_ctx.append(_slack_check)
    web_app.cleanup_ctx.append(_user_groups)
    web_app.on_shutdown.append(_finish_clicks)
    if run_outbox:
        web_app[JOBS_KEY] = Jobs(deps)
        web_app.cleanup_ctx.append(_outbox_worker)
        web_app.cleanup_ctx.append(_scheduled_jobs)
    web_app.cleanup_ctx.append(_late_writes)  # last in, so first out: before the outbox stops
    return web_app


def freeze_startup_heap() -> None:
    """Leave what start-up built (modules, the practice, templates, pools: most of the
    heap) out of every later garbage collection; `carequeue run` calls it once serving.

    A full collection stops the event loop while it walks the whole heap: in a burst of
    clicks that was a pause of a few hundred milliseconds, the slowest answers' whole
    wait. Frozen objects are never collected, so start-up's own garbage goes first. Not
    for a process that builds app after app (the tests): each freeze keeps what it finds.
    """
    gc.collect()
    gc.freeze()


async def _slack_events(request: web.Request) -> web.Response:
    """Dispatch a request Slack signed; anything else gets 401 and nothing else, ever.

    Verified before Bolt sees it: a request Bolt cannot verify (a timestamp that is not a
    number makes its check raise) would otherwise reach the error handler with a body
    naming any user. Bolt still verifies again (defence in depth).
    """
    bolt = request.app[BOLT_KEY]
    try:
        raw = (await request.read()).decode("utf-8")
    except UnicodeDecodeError:
        raw = None  # Slack sends UTF-8: nothing else can carry its signature
    if raw is None or not _signed_by_slack(request, raw):
        log.warning("rejected a request to /slack/events that Slack did not sign")
        return web.Response(status=401)
    bolt_request = _bolt_request(request, raw)
    if bolt_request is None or not is_well_formed(bolt_request.body):
        log.warning("refused a signed request whose payload lacks who acted or on what")
        return web.Response(status=400)
    bolt_response = await bolt.async_dispatch(bolt_request)
    return await to_aiohttp_response(bolt_response)


def _bolt_request(request: web.Request, raw: str) -> AsyncBoltRequest | None:
    """Bolt's request for `raw`, or None when Bolt cannot even read it: building it reads
    the team and the user out of the payload and fails on shapes Slack never sends (a
    user id that is a number, an event that is not an object)."""
    try:
        bolt_request = AsyncBoltRequest(
            body=raw,
            query=request.query_string,
            headers=request.headers,  # type: ignore[arg-type]
        )
    except Exception:  # whatever Bolt raised, the payload is malformed: a 400, not a 500
        return None
    return bolt_request if isinstance(bolt_request.body, dict) else None


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


async def _queue_health(deps: Deps) -> QueueHealth | None:
    """The queue's health now, or None (logged) when the database does not answer."""
    try:
        return await queue_health(deps.uow, deps.practice, deps.clock.now())
    except Exception:
        log.exception("health check: database unreachable")
        return None


async def _healthz(request: web.Request) -> web.Response:
    deps = request.app[DEPS_KEY]
    health = await _queue_health(deps)
    if health is None:
        return web.json_response({"status": "error", "database": "unreachable"}, status=503)
    return web.json_response(
        {
            "status": "ok",
            "database": "ok",
            # dead: Slack writes held back until someone requeues them (`carequeue outbox`);
            # oldest_pending_seconds: how long the oldest undelivered write has waited.
            "outbox": {
                "pending": health.outbox_pending,
                "dead": health.outbox_dead,
                "oldest_pending_seconds": round(health.outbox_oldest_age_seconds, 1),
            },
            # From the background check, not asked now: Slack being down is no reason to
            # restart a process that still stores every request.
            "slack": deps.slack.health.value,
            # none | ok | stale (last members kept) | not_loaded (a group grants no role yet)
            "user_groups": deps.groups.health.value,
        }
    )


async def _metrics(request: web.Request) -> web.Response:
    """Prometheus's scrape: the counters so far and the queue's gauges read now. Answers
    even when the database does not (`carequeue_database_up 0`)."""
    deps = request.app[DEPS_KEY]
    body = deps.prometheus.render(await _queue_health(deps))
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})


# On stop, Slack calls in flight get the Web API client's own timeout to be answered and
# recorded; the worker gets a little more to finish (see Outbox.run).
OUTBOX_FINISH_SECONDS = 10.0
OUTBOX_STOP_SECONDS = OUTBOX_FINISH_SECONDS + 5.0


async def _outbox_worker(web_app: web.Application) -> AsyncIterator[None]:
    """Deliver for the app's lifetime. A stop never loses a row: one whose call was not
    answered in time stays pending (its lease runs out) and the next start sends it,
    looking in Slack first; so a slow Slack is a warning, not a failed exit."""
    deps = web_app[DEPS_KEY]
    stop = asyncio.Event()
    task = asyncio.create_task(
        deps.outbox.run(stop, finish_within=OUTBOX_FINISH_SECONDS), name="outbox"
    )
    yield
    stop.set()
    deps.outbox.wake()
    try:
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=OUTBOX_STOP_SECONDS)
    except TimeoutError:
        log.warning("outbox stopped with Slack calls unanswered; their rows go at the next start")


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


# How often a process on a FileClock looks whether its clock file was moved.
CLOCK_FILE_EVERY_SECONDS = 0.05
# A job run in progress finishes its step (the aging run ends between items) within this.
JOBS_STOP_SECONDS = 10.0


async def _scheduled_jobs(web_app: web.Application) -> AsyncIterator[None]:
    """Check-backs, the digests and the rest, on APScheduler (see bot/jobs.py); on a
    FileClock, a moved clock makes them look at once, as the sandbox's clock control does."""
    jobs = web_app[JOBS_KEY]
    jobs.start()
    deps = web_app[DEPS_KEY]
    watcher = None
    if isinstance(deps.clock, FileClock):
        watcher = asyncio.create_task(_follow_clock_file(deps.clock, jobs, deps))
    yield
    if watcher is not None:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
    try:
        await asyncio.wait_for(jobs.stop(), timeout=JOBS_STOP_SECONDS)
    except TimeoutError:
        # A run still inside one transaction: cancelled, it rolls back and the next start
        # does it again (every job's step is once-only).
        log.warning("a scheduled job did not finish within %ss of stopping", JOBS_STOP_SECONDS)


async def _follow_clock_file(clock: FileClock, jobs: Jobs, deps: Deps) -> None:
    while True:
        if clock.refresh():
            deps.outbox.wake()
            jobs.run_soon()
        await asyncio.sleep(CLOCK_FILE_EVERY_SECONDS)


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


async def _late_writes(web_app: web.Application) -> AsyncIterator[None]:
    """Wait for answered work again once the server has finished the requests in hand: a
    submission still in hand at SIGTERM may outlive its ack budget after `_finish_clicks`
    ran ("Still saving" told to the person), and is counted only then."""
    yield
    await _finish_clicks(web_app)
