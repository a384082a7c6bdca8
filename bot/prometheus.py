"""Prometheus metrics of one running CareQueue, in a registry of its own (never the process's
default one, so several apps in one process, as in the tests, keep theirs apart): counters
bumped where things happen, and the queue's gauges read from the database at each scrape."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import urlparse

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.services.operations import QueueHealth

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Slack's answers take tens of milliseconds; a click's whole answer must come within 3 s.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)


class _QueueCollector(Collector):
    """Yields the gauges of the health the scrape just read (set right before rendering,
    with no await between, so concurrent scrapes cannot mix theirs); None: the database did
    not answer."""

    def __init__(self) -> None:
        self.health: QueueHealth | None = None

    def collect(self) -> Iterable[Metric]:
        snap = self.health
        yield GaugeMetricFamily(
            "carequeue_database_up", "1 when the database answered this scrape", snap is not None
        )
        if snap is None:
            return
        lanes = GaugeMetricFamily(
            "carequeue_open_items", "Items not yet resolved, per lane", labels=["lane"]
        )
        for lane, count in sorted(snap.open_items.items()):
            lanes.add_metric([lane], count)
        yield lanes
        yield GaugeMetricFamily(
            "carequeue_outbox_pending", "Slack writes waiting to be delivered", snap.outbox_pending
        )
        yield GaugeMetricFamily(
            "carequeue_outbox_oldest_age_seconds",
            "Age of the oldest undelivered Slack write (0 when none waits)",
            snap.outbox_oldest_age_seconds,
        )
        yield GaugeMetricFamily(
            "carequeue_outbox_dead_letters",
            "Slack writes the outbox gave up on (see `carequeue outbox list`)",
            snap.outbox_dead,
        )


class Metrics:
    """The registry and the instruments of one running CareQueue."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.slack_api_errors = Counter(
            "carequeue_slack_api_errors",
            "Slack Web API calls that failed, by method and error",
            ["method", "error"],
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "carequeue_request_duration_seconds",
            "Time to answer an HTTP request, by route",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._queue = _QueueCollector()
        self.registry.register(self._queue)

    def render(self, health: QueueHealth | None) -> bytes:
        """The exposition text, with the queue's gauges from `health` (None: the database
        did not answer, and only `carequeue_database_up 0` says anything of the queue)."""
        self._queue.health = health
        return generate_latest(self.registry)

    def slack_observer(self) -> SlackErrorObserver:
        return SlackErrorObserver(self.slack_api_errors)

    def middleware(self) -> Callable[..., Awaitable[web.StreamResponse]]:
        """Times every request by its route's pattern (never its path: an item key in a
        path would make a series per item)."""
        histogram = self.request_seconds

        @web.middleware
        async def timed(
            request: web.Request,
            handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
        ) -> web.StreamResponse:
            started = time.perf_counter()
            try:
                return await handler(request)
            finally:
                resource = request.match_info.route.resource
                route = resource.canonical if resource is not None else "unmatched"
                histogram.labels(route=route).observe(time.perf_counter() - started)

        return timed


class SlackErrorObserver(AsyncRetryHandler):
    """Sees every Web API answer and exception (slack_sdk asks each retry handler about
    each), counts the failures by method, and never asks for a retry itself. Bolt copies a
    client's retry handlers into the client it makes per request, so listeners' direct
    calls are counted too."""

    def __init__(self, counter: Counter) -> None:
        super().__init__(max_retry_count=0)
        self._counter = counter

    async def can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        failure = _failure(response, error)
        if failure is not None:
            self._counter.labels(method=_method(request.url), error=failure).inc()
        return False


def _failure(response: HttpResponse | None, error: Exception | None) -> str | None:
    """Slack's error name, `http_<status>`, or the exception's type; None for a success."""
    if error is not None:
        return type(error).__name__
    if response is None:
        return None
    body: Any = response.body
    if isinstance(body, dict) and body.get("ok") is False:
        return str(body.get("error") or f"http_{response.status_code}")[:60]
    if response.status_code >= 400:
        return f"http_{response.status_code}"
    return None


def _method(url: str) -> str:
    return urlparse(url).path.rsplit("/", 1)[-1] or "unknown"
