"""Slack's 3-second deadline: commit first when the database is quick, never miss the ack."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

# Slack allows 3 s from its send to our answer; leave room for the network both ways.
ACK_BUDGET_SECONDS = 2.0


async def within_ack_budget(
    work: Awaitable[T], budget: float = ACK_BUDGET_SECONDS
) -> tuple[asyncio.Future[T], bool]:
    """Start `work` and wait for it up to `budget` seconds.

    Returns the running future and whether it finished in time. When it did, the handler
    acks knowing the outcome (durable before acknowledged); when not, it acks anyway and
    awaits the future afterwards, telling the person the outcome in a follow-up.
    """
    future = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({future}, timeout=budget)
    if not done:
        log.warning("database slower than the ack budget (%.1fs); acking first", budget)
    return future, bool(done)
