"""App Home: published when someone opens the Home tab and when they click Refresh.

After every change the outbox republishes it too (a "home" row, see bot/services/base.py).
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from blocks.ids import ActionId
from bot.deps import ListenerDeps

HOME_OPENED = "app_home_opened"


def register(app: AsyncApp) -> None:
    app.event(HOME_OPENED)(on_home_opened)
    app.action(ActionId.HOME_REFRESH)(on_home_refresh)


async def on_home_opened(event: dict[str, Any], client: AsyncWebClient, deps: ListenerDeps) -> None:
    # The same event fires for the Messages tab, which has nothing to publish.
    if event.get("tab") != "home":
        return
    await publish_home(client, deps, event["user"])


async def on_home_refresh(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, deps: ListenerDeps
) -> None:
    await ack()
    await publish_home(client, deps, body["user"]["id"])


async def publish_home(client: AsyncWebClient, deps: ListenerDeps, user: str) -> None:
    data = await deps.queues.home(user)
    await client.views_publish(user_id=user, view=deps.renderer.home(data))
