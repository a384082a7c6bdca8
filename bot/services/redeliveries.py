"""What Slack may deliver twice happens once: an Events API event Slack retried (same
`event_id`) and a modal submission replayed (same view id) find their first delivery's row.

The rows live in the database, so a retry that reaches another replica, or the process
after a restart, is recognised too."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from uuid import uuid4

from bot.clock import Clock
from bot.domain.intake import IntakeRequest
from bot.domain.practice import Practice
from bot.services.base import OnEnqueued, ServiceBase
from bot.services.intake_api import Delivered
from bot.services.items import ItemServices
from storage.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)

# Slack retries an event three times within minutes; a day is long past any retry.
SEEN_EVENTS_KEPT = timedelta(days=1)
# A replayed submission needs a signature under five minutes old (Bolt refuses older ones)
# and a double submission comes within seconds: a day is long past either.
SUBMITTED_VIEWS_KEPT = timedelta(days=1)
PRUNE_EVERY = timedelta(hours=1)


class Redeliveries(ServiceBase):
    """Events by id and intake submissions by view, each acted on once."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        practice: Practice,
        clock: Clock,
        items: ItemServices,
        on_enqueued: OnEnqueued = lambda keys=None: None,
    ) -> None:
        super().__init__(uow, practice, clock, on_enqueued)
        self._items = items
        self._pruned_at: datetime | None = None

    async def first_delivery_of_event(self, event_id: str) -> bool:
        """Record the event id; True the first time it arrives, False for a redelivery
        (Slack's `X-Slack-Retry-Num`, or the same event on another replica). Ids older than
        a day are forgotten, at most once an hour per process, in the same transaction, and
        so are form submissions recorded over a day ago."""
        now = self.clock.now()
        async with self._uow() as tx:
            first = await tx.once.first_sight_of_event(event_id, now)
            if self._pruned_at is None or now - self._pruned_at >= PRUNE_EVERY:
                await tx.once.forget_events_before(now - SEEN_EVENTS_KEPT)
                await tx.once.forget_views_before(now - SUBMITTED_VIEWS_KEPT)
                self._pruned_at = now
            await tx.commit()
        if not first:
            log.info("event redelivered, ignored: event_id=%s", event_id)
        return first

    async def form_acted_on(self, view_id: str) -> bool:
        """Whether a submission of the form `view_id` was acted on already: a replay, which
        is answered as the first was and goes no further. A read that waits for no writer;
        the use case's own record (ServiceBase._transition) settles a simultaneous pair."""
        async with self._uow.read() as tx:
            return await tx.once.view_submitted(view_id[:64])

    async def log_submitted_intake(
        self,
        request: IntakeRequest,
        *,
        actor: str,
        received_at: datetime | None,
        view_id: str,
        view_hash: str = "",
    ) -> Delivered:
        """Log the request of the intake modal `view_id` (as `ItemServices.log_request`
        does), once: the submission is recorded in the same transaction as the item, so
        a replay of the same signed submission (Slack's five-minute window) or a second
        submission of the same view makes nothing and answers the item the first made."""
        now = self.clock.now()
        # Slack's view ids are short; one without an id (never from Slack) is its own.
        view_id = view_id[:64] or f"none:{uuid4()}"
        async with self._uow() as tx:
            claim = await tx.once.claim_view(view_id, view_hash[:128], now)
            if claim is None:
                existing = await tx.once.item_key_of_view(view_id)
                item = await tx.items.get(existing or "")
                if item is None:  # the claim and its item commit together: never
                    raise RuntimeError("a view submission was claimed without its item")
                log.info("intake submission replayed, ignored: key=%s", item.key)
                return Delivered(item=item, created=False)
            done, item_id = await self._items.log_in(
                tx, request, actor=actor, received_at=received_at
            )
            await tx.once.settle_view(claim, item_id)
            await tx.commit()
        self._items.logged(done.item)
        return Delivered(item=done.item, created=True)
