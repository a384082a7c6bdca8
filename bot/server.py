"""The one aiohttp application: /slack/events (HTTP mode), /healthz, the outbox worker and
the scheduled jobs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

from bot.deps import Deps
from bot.jobs import Jobs

log = logging.getLogger(__name__)

DEPS_KEY = web.AppKey("deps", Deps)
BOLT_KEY = web.AppKey("bolt", AsyncApp)
JOBS_KEY = web.AppKey("jobs", Jobs)


def build_web_app(
    deps: Deps, bolt: AsyncApp, *, http_events: bool, run_outbox: bool = True
) -> web.Application:
    """Serve Slack's requests (when not in Socket Mode) and health on one aiohttp app.

    With `run_outbox`, the outbox worker and the scheduled jobs (`web_app[JOBS_KEY]`) run on
    the same event loop for the app's lifetime.
    """
    web_app = web.Application()
    web_app[DEPS_KEY] = deps
    web_app[BOLT_KEY] = bolt
    if http_events:
        web_app.router.add_post("/slack/events", _slack_events)
    web_app.router.add_get("/healthz", _healthz)
    if run_outbox:
        web_app[JOBS_KEY] = Jobs(deps)
        web_app.cleanup_ctx.append(_outbox_worker)
        web_app.cleanup_ctx.append(_scheduled_jobs)
    return web_app


async def _slack_events(request: web.Request) -> web.Response:
    bolt = request.app[BOLT_KEY]
    bolt_request = await to_bolt_request(request)
    bolt_response = await bolt.async_dispatch(bolt_request)
    return await to_aiohttp_response(bolt_response)


async def _healthz(request: web.Request) -> web.Response:
    deps = request.app[DEPS_KEY]
    try:
        async with deps.uow() as tx:
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


async def _scheduled_jobs(web_app: web.Application) -> AsyncIterator[None]:
    """Check-backs, and the jobs to come, on APScheduler (see bot/jobs.py)."""
    jobs = web_app[JOBS_KEY]
    jobs.start()
    yield
    await asyncio.wait_for(jobs.stop(), timeout=10)
