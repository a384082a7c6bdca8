"""What became of one delivery: sent, retry (Slack's limit, Slack's or the network's
trouble, the row's own error) or dead. Every exception a delivery raises becomes one of
these, so no row can stop the others."""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass
from datetime import datetime

import aiohttp
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)

RETRYABLE_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


@dataclass(frozen=True)
class Outcome:
    """sent: Slack has it. retry_after: try again in that many seconds; `defer_key` held as
    long (Slack said Retry-After); `slack_trouble`: Slack or the network failed, not the row;
    `own_error`: the row itself failed (counts towards a dead letter); `maybe_sent`: Slack
    may have it, so look before posting again. dead: never again without a person."""

    sent: bool = False
    ts: str | None = None
    retry_after: float | None = None
    defer_key: str | None = None
    maybe_sent: bool = False
    slack_trouble: bool = False
    own_error: bool = False
    dead: str | None = None
    error: str = ""
    answered_at: datetime | None = None  # when Slack's answer came: the pace counts from it


def rate_limited(err: SlackApiError, key: str) -> Outcome:
    retry_after = float(err.response.headers.get("Retry-After", "1") or 1)
    return Outcome(retry_after=retry_after, defer_key=key, error="ratelimited")


def api_error_name(err: SlackApiError) -> str:
    data = err.response.data
    status = err.response.status_code
    return str((data.get("error") if isinstance(data, dict) else "") or f"http_{status}")


def is_slack_trouble(err: SlackApiError) -> bool:
    return err.response.status_code >= 500 or api_error_name(err) in RETRYABLE_ERRORS


def network_trouble(err: BaseException) -> bool:
    return isinstance(err, aiohttp.ClientError | TimeoutError | ConnectionError)


def own_error(err: BaseException, *, row: int, item: str | None, kind: str) -> Outcome:
    """An error of the row's own: logged with its traceback's frames but not its message
    (an exception's message may quote what it was rendering), retried, counted."""
    frames = "".join(traceback.format_tb(err.__traceback__))
    log.error(
        "outbox row raised id=%s item=%s kind=%s error=%s\n%s",
        row,
        item,
        kind,
        type(err).__name__,
        frames,
    )
    return Outcome(own_error=True, maybe_sent=True, error=type(err).__name__)
