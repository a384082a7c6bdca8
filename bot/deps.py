"""Assembles one running CareQueue: engine, services, outbox, Slack clients. No module globals."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from blocks.render import PracticeRenderer
from bot.clock import Clock, FileClock, SystemClock
from bot.config import Practice, Settings, load_practice
from bot.in_flight import InFlight
from bot.outbox import Outbox, Pacing
from bot.people import PeopleNames
from bot.prometheus import Metrics
from bot.roles import RoleDirectory, group_ids
from bot.services.escalations import EscalationServices
from bot.services.intake_api import IntakeApiServices
from bot.services.items import ItemServices
from bot.services.metrics import MetricsServices
from bot.services.queues import QueueQueries
from bot.services.redeliveries import Redeliveries
from bot.services.work import WorkServices
from bot.slack_status import SlackStatus, configured_identity
from bot.user_groups import UserGroups
from storage.db import create_engine, session_factory
from storage.uow import UnitOfWorkFactory

WEB_API_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class ListenerDeps:
    """What a listener gets as `deps` (see bot.app): the practice, the use cases, the
    renderer and the clock. No storage and no outbox: a listener calls a use case, which
    opens its own transaction, and never writes to the database or Slack's queue itself."""

    settings: Settings
    practice: Practice
    roles: RoleDirectory
    clock: Clock
    services: ItemServices
    work: WorkServices
    queues: QueueQueries
    renderer: PracticeRenderer
    slack: SlackStatus
    after_ack: InFlight
    escalations: EscalationServices
    people: PeopleNames  # staff names for plain text (a form's errors)
    metrics: MetricsServices
    redeliveries: Redeliveries  # what Slack delivers twice (retried events, replayed forms)


@dataclass
class Deps:
    """Everything one running CareQueue shares: the server, the jobs, the CLI and the tests
    use it whole; listeners get `listeners`, the part without storage."""

    settings: Settings
    practice: Practice
    roles: RoleDirectory  # who is a manager or clinician, user groups resolved from memory
    groups: UserGroups  # the practice's user groups' members, refreshed in the background
    clock: Clock
    engine: AsyncEngine
    uow: UnitOfWorkFactory
    services: ItemServices
    work: WorkServices
    queues: QueueQueries
    outbox: Outbox
    renderer: PracticeRenderer  # the practice's wording: the outbox's and the listeners'
    client: AsyncWebClient
    slack: SlackStatus  # the bot's identity and Slack's health, learned off the request path
    after_ack: InFlight  # button clicks still committing after Slack was answered
    intake_api: IntakeApiServices  # tokens and deliveries of the intake API (bot/api/)
    escalations: EscalationServices
    people: PeopleNames
    metrics: MetricsServices  # the weekly metrics, `/cq metrics` and QA reviews
    prometheus: Metrics  # this app's own Prometheus registry (served at /metrics)
    redeliveries: Redeliveries

    @property
    def listeners(self) -> ListenerDeps:
        return ListenerDeps(
            settings=self.settings,
            practice=self.practice,
            roles=self.roles,
            clock=self.clock,
            services=self.services,
            work=self.work,
            queues=self.queues,
            renderer=self.renderer,
            slack=self.slack,
            after_ack=self.after_ack,
            escalations=self.escalations,
            people=self.people,
            metrics=self.metrics,
            redeliveries=self.redeliveries,
        )

    async def close(self) -> None:
        await self.intake_api.close()  # deliveries handed in are committed first
        await self.engine.dispose()


def web_client(
    settings: Settings, *, for_outbox: bool, prometheus: Metrics | None = None
) -> AsyncWebClient:
    """A Web API client. Direct replies retry one 429 and one dropped connection. The
    outbox's client retries nothing itself: a retry inside one call is invisible to the
    outbox's "did this post already land?" check, so a post Slack processed before a
    disconnect would go twice. The outbox owns every retry (see bot/outbox/). With
    `prometheus`, every failed call is counted first (it never retries anything itself)."""
    handlers: list[AsyncRetryHandler] = [prometheus.slack_observer()] if prometheus else []
    if not for_outbox:
        handlers += [
            AsyncConnectionErrorRetryHandler(max_retry_count=1),
            AsyncRateLimitErrorRetryHandler(max_retry_count=1),
        ]
    client = AsyncWebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=WEB_API_TIMEOUT_SECONDS,
        retry_handlers=handlers,
    )
    client.logger.setLevel(logging.WARNING)
    return client


def build_deps(
    settings: Settings,
    *,
    practice: Practice | None = None,
    clock: Clock | None = None,
    pacing: Pacing | None = None,
) -> Deps:
    practice = practice or load_practice(settings.practice_file)
    if clock is None:
        clock = FileClock(settings.clock_file) if settings.clock_file else SystemClock()
    prometheus = Metrics()
    engine = create_engine(
        settings.database_url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
    )
    uow = UnitOfWorkFactory(session_factory(engine))
    # A client that never sleeps on a 429: the refresh defers itself by Retry-After.
    groups = UserGroups(
        web_client(settings, for_outbox=True, prometheus=prometheus), group_ids(practice)
    )
    roles = RoleDirectory(practice, groups)
    queues = QueueQueries(uow, practice, clock, roles=roles)
    # One renderer: what the outbox sends and what listeners answer speak the same words.
    renderer = PracticeRenderer(practice)
    outbox = Outbox(
        uow,
        web_client(settings, for_outbox=True, prometheus=prometheus),
        renderer,
        clock,
        pacing=pacing or Pacing(post_interval=settings.post_interval),
        home=queues.home,
        managers_channel=practice.managers_channel,
    )
    services = ItemServices(uow, practice, clock, on_enqueued=outbox.wake, roles=roles)
    work = WorkServices(uow, practice, clock, on_enqueued=outbox.wake, roles=roles)
    escalations = EscalationServices(uow, practice, clock, on_enqueued=outbox.wake, roles=roles)

    def slack_answers_again() -> None:
        outbox.wake()
        groups.refresh_soon()  # a group that could not load during the outage loads now

    slack = SlackStatus(
        # A client that never sleeps on a 429: the check defers itself by Retry-After.
        web_client(settings, for_outbox=True, prometheus=prometheus),
        configured=configured_identity(settings),
        on_recovered=slack_answers_again,
    )
    outbox.on_slack_trouble = slack.saw_failure
    queues.workspace_url = lambda: slack.workspace_url
    return Deps(
        settings=settings,
        practice=practice,
        roles=roles,
        groups=groups,
        clock=clock,
        engine=engine,
        uow=uow,
        services=services,
        work=work,
        queues=queues,
        outbox=outbox,
        renderer=renderer,
        client=web_client(settings, for_outbox=False, prometheus=prometheus),
        slack=slack,
        after_ack=InFlight(),
        intake_api=IntakeApiServices(uow, practice, clock, services, on_enqueued=outbox.wake),
        escalations=escalations,
        people=PeopleNames(web_client(settings, for_outbox=True, prometheus=prometheus)),
        metrics=MetricsServices(uow, practice, clock, on_enqueued=outbox.wake, roles=roles),
        prometheus=prometheus,
        redeliveries=Redeliveries(uow, practice, clock, services, on_enqueued=outbox.wake),
    )
