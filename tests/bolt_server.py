"""A Bolt app served on loopback, for tests that put their own small app behind the stub."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp


@contextlib.asynccontextmanager
async def serving(bolt: AsyncApp) -> AsyncIterator[str]:
    """Serve `bolt` on 127.0.0.1 at a free port; yields its /slack/events URL."""

    async def slack_events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    server = web.Application()
    server.router.add_post("/slack/events", slack_events)
    runner = web.AppRunner(server)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
    finally:
        await runner.cleanup()
