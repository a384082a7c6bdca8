"""build_app(deps) -> AsyncApp: the Bolt app with every listener registered. No module-level app."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.authorization import AuthorizeResult

from bot.deps import Deps
from handlers import (
    attempts,
    card_actions,
    claim,
    close,
    cq,
    errors,
    escalation,
    handoff,
    home,
    identify,
    inbound,
    intake,
    language,
    metrics,
    moves,
    outdated,
    promises,
    qa,
    queue,
    redeliveries,
    waiting,
)
from storage import log_scrub

FEATURES = (
    intake,
    identify,
    claim,
    card_actions,
    close,
    attempts,
    handoff,
    promises,
    waiting,
    moves,
    language,
    escalation,
    queue,
    home,
    qa,
    metrics,
    cq,
    errors,
    outdated,  # last: what no listener above answers
)


def quiet_slack_loggers() -> None:
    """At DEBUG, slack_sdk and slack_bolt log whole requests and aiosqlite logs every SQL
    statement with its parameters: patient text, all of it. Keep them above DEBUG. And
    a database error's own words may quote patient text: scrubbed from every record."""
    log_scrub.install()
    logging.getLogger("slack_sdk").setLevel(logging.WARNING)
    logging.getLogger("aiosqlite").setLevel(logging.WARNING)
    # Bolt's "unhandled request" warning quotes the payload; errors are all we want.
    logging.getLogger("slack_bolt").setLevel(logging.ERROR)


def authorize_from(deps: Deps) -> Callable[..., Awaitable[AuthorizeResult]]:
    """Authorize every request with the bot token and the identity already known.

    Bolt's single-workspace authorization calls `auth.test` on a process's first request
    and caches only a success, so after a restart during a Slack outage no request could be
    served. The identity comes from the configuration or the background check instead
    (bot/slack_status.py); until it is known, requests are served with the token alone.
    """

    async def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
        identity = deps.slack.identity
        return AuthorizeResult(
            enterprise_id=enterprise_id,
            team_id=team_id or (identity.team_id if identity else None),
            bot_token=deps.settings.slack_bot_token,
            bot_user_id=identity.user_id if identity else None,
            bot_id=identity.bot_id if identity else None,
        )

    return authorize


def build_app(deps: Deps) -> AsyncApp:
    quiet_slack_loggers()
    app = AsyncApp(
        client=deps.client,
        authorize=authorize_from(deps),
        signing_secret=deps.settings.slack_signing_secret or "",
        process_before_response=False,
        raise_error_for_unhandled_request=False,
        ignoring_self_events_enabled=True,
        logger=logging.getLogger("slack_bolt.app"),
    )

    listeners = deps.listeners  # no storage: listeners call use cases

    async def provide_deps(context: AsyncBoltContext, next: Callable[[], Awaitable[Any]]) -> Any:
        context["deps"] = listeners
        return await next()

    app.use(inbound.drop_nul_characters)
    app.use(provide_deps)
    app.use(errors.note_verified)
    app.use(redeliveries.once_per_event)
    app.use(redeliveries.once_per_view)
    for feature in FEATURES:
        feature.register(app)
    return app
