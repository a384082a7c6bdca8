"""App Home: published when someone opens the Home tab and when they click Refresh.

After every change the outbox republishes it too (a "home" row, see bot/services/base.py).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from blocks.ids import ActionId
from bot.deps import ListenerDeps
from bot.domain.items import Refusal
from handlers.deadline import answer_card_action

log = logging.getLogger(__name__)

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
    direct message, since Home has no channel to answer in, and this Home is published
    again at once."""
    user = body["user"]["id"]

    async def claim() -> Any:
        result = await deps.services.claim(item_key=str(action.get("value", "")), actor=user)
        if isinstance(result, Refusal):
            # Nothing changed, so the outbox republishes nothing: without this, the row
            # someone else took (or that was merged, moved, closed) would keep its Claim.
            try:
                await publish_home(client, deps, user)
            except SlackApiError as error:
                log.info("home after a refused claim: %s", error.response.get("error"))
        return result

    await answer_card_action(ack, body, client, deps, claim())


async def publish_home(client: AsyncWebClient, deps: ListenerDeps, user: str) -> None:
    data = await deps.queues.home(user)
    await client.views_publish(user_id=user, view=deps.renderer.home(data))
