"""App Home: published when someone opens the Home tab and when they click Refresh.

After every change the outbox republishes it too (a "home" row, see bot/services/base.py).
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from blocks.ids import ActionId
from bot.deps import ListenerDeps
from handlers.deadline import answer_card_action

HOME_OPENED = "app_home_opened"


def register(app: AsyncApp) -> None:
    app.event(HOME_OPENED)(on_home_opened)
    app.action(ActionId.HOME_REFRESH)(on_home_refresh)
    app.action(ActionId.HOME_CLAIM)(on_home_claim)


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


async def on_home_claim(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    deps: ListenerDeps,
) -> None:
    """Claim from "Needs an owner": the same use case as the card's Claim button. The card
    and this Home are republished by the outbox; a refusal (someone was quicker) comes as a
    direct message, since Home has no channel to answer in."""
    user = body["user"]["id"]
    await answer_card_action(
        ack, body, client, deps, deps.services.claim(item_key=action["value"], actor=user)
    )


async def publish_home(client: AsyncWebClient, deps: ListenerDeps, user: str) -> None:
    data = await deps.queues.home(user)
    await client.views_publish(user_id=user, view=deps.renderer.home(data))
