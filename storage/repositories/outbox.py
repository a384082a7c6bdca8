"""The outbox: Slack writes queued in the use case's transaction, then leased, paced,
coalesced, retried and, at the last, kept as dead letters until someone requeues them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, not_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import CardRow, ItemRow, OutboxRow, PaceRow
from storage.repositories.dialect import (
    fetch_in_transaction,
    insert_for,
    insert_many,
    is_postgres,
)

# Lower goes first: an ordinary card post or edit; pages go at a lower number.
DEFAULT_PRIORITY = 100


@dataclass(frozen=True)
class OutboxEntry:
    """An outbox row with what delivery needs to know about its card and item."""

    id: int
    kind: str
    priority: int
    channel: str
    payload: dict[str, Any]
    attempts: int
    maybe_sent: bool
    item_id: int | None
    item_key: str | None
    card_id: int | None
    card_channel_id: str | None
    card_ts: str | None
    created_at: datetime
    failures: int = 0
    backing_off: bool = False


@dataclass(frozen=True)
class Held:
    """Writes whose pace is held past this round, for `due` to leave out, as the worker's
    pacing keys say (bot/outbox/kinds.py::pace_key_of): posts to `channels` (every row but
    an edit of a posted card or a publish), edits of posted cards (`edits`: rows of
    `card_kind` whose card has a ts) and publishes (`publishes`: rows of `publish_kind`)."""

    card_kind: str
    publish_kind: str
    channels: frozenset[str] = frozenset()
    edits: bool = False
    publishes: bool = False

    def conditions(self) -> list[Any]:
        is_edit = and_(OutboxRow.kind == self.card_kind, CardRow.ts.is_not(None))
        is_publish = OutboxRow.kind == self.publish_kind
        conditions: list[Any] = []
        if self.channels:
            conditions.append(or_(is_edit, is_publish, OutboxRow.channel.not_in(self.channels)))
        if self.edits:
            conditions.append(not_(is_edit))
        if self.publishes:
            conditions.append(not_(is_publish))
        return conditions


@dataclass(frozen=True)
class DeadLetter:
    """An outbox row that will not be sent again unless someone requeues it."""

    id: int
    kind: str
    channel: str
    item_key: str | None
    attempts: int
    error: str
    created_at: datetime
    dead_at: datetime | None


@dataclass
class Queued:
    """An outbox row queued in a unit of work; `id` is known once it commits."""

    id: int | None = None


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._queued: list[tuple[Queued, dict[str, Any]]] = []

    async def enqueue(
        self,
        *,
        kind: str,
        channel: str,
        now: datetime,
        item_id: int | None = None,
        card_id: int | None = None,
        payload: dict[str, Any] | None = None,
        priority: int = DEFAULT_PRIORITY,
        not_before: datetime | None = None,
    ) -> Queued:
        """Queue one Slack write in this transaction. Not written here: a use case's rows
        (card edit, thread entry, Home publishes) go to the database in one INSERT when the
        unit of work commits (`write_queued`); the returned handle has its `id` then."""
        queued = Queued()
        self._queued.append(
            (
                queued,
                {
                    "kind": kind,
                    "channel": channel,
                    "item_id": item_id,
                    "card_id": card_id,
                    "payload": payload or {},
                    "priority": priority,
                    "status": "pending",
                    "attempts": 0,
                    "failures": 0,
                    "backing_off": False,
                    "maybe_sent": False,
                    "not_before": not_before or now,
                    "created_at": now,
                    "last_error": "",
                },
            )
        )
        return queued

    async def write_queued(self) -> None:
        """Insert the rows `enqueue` queued, all in one statement (the unit of work calls
        this just before it commits)."""
        queued, self._queued = self._queued, []
        if not queued:
            return
        ids = await insert_many(self.session, OutboxRow.__table__, [row for _, row in queued])
        for (handle, _), row_id in zip(queued, ids, strict=True):
            handle.id = row_id

    def _entries_query(self) -> Any:
        # Columns, not ORM rows: the worker reads up to a batch of rows a round to lease a
        # few, and building (and identity-mapping) an OutboxRow for each was most of that.
        return (
            select(
                OutboxRow.id,
                OutboxRow.kind,
                OutboxRow.priority,
                OutboxRow.channel,
                OutboxRow.payload,
                OutboxRow.attempts,
                OutboxRow.maybe_sent,
                OutboxRow.item_id,
                ItemRow.key,
                OutboxRow.card_id,
                CardRow.channel_id,
                CardRow.ts,
                OutboxRow.created_at,
                OutboxRow.failures,
                OutboxRow.backing_off,
            )
            .outerjoin(CardRow, CardRow.id == OutboxRow.card_id)
            .outerjoin(ItemRow, ItemRow.id == OutboxRow.item_id)
        )

    async def _in_queue_order(self) -> None:
        """Have PostgreSQL read the queue in its index's order (status, priority, id),
        whatever its statistics say, for the rest of this (short) transaction.

        A flood of cards into a table analyzed while it held a few leaves the planner
        sure that a handful are pending: it then gathers every pending row, joins each to
        its card and item and sorts them all to return the first 200 (70 to 190 ms a read
        with 60,000 waiting, several reads a second, until autovacuum analyzes the table
        again), where walking the index stops after 200 (under a millisecond). With sorts
        ruled out the walk is the only plan left (tests/storage/test_outbox_reads.py).
        SQLite's planner walks the index without statistics."""
        if is_postgres(self.session):
            await fetch_in_transaction(self.session, "SET LOCAL enable_sort = off", [])

    async def _entries(self, query: Any) -> list[OutboxEntry]:
        if is_postgres(self.session):
            query = query.with_for_update(skip_locked=True, of=OutboxRow)
        await self._in_queue_order()
        result = await self.session.execute(query)
        return [
            OutboxEntry(
                id=row_id,
                kind=kind,
                priority=priority,
                channel=channel,
                payload=payload or {},
                attempts=attempts,
                maybe_sent=maybe_sent,
                item_id=item_id,
                item_key=key,
                card_id=card_id,
                card_channel_id=channel_id,
                card_ts=ts,
                created_at=created_at,
                failures=failures,
                backing_off=backing_off,
            )
            for (
                row_id,
                kind,
                priority,
                channel,
                payload,
                attempts,
                maybe_sent,
                item_id,
                key,
                card_id,
                channel_id,
                ts,
                created_at,
                failures,
                backing_off,
            ) in result.all()
        ]

    async def due(
        self, now: datetime, *, limit: int, held: Held | None = None
    ) -> list[OutboxEntry]:
        """Pending rows that may go out now, most urgent first; locked rows are skipped, and
        so are the rows `held` describes (their pace is held): a backlog behind one
        channel's pace fills no round, and another channel's row is read at once."""
        return await self._entries(
            self._entries_query()
            .where(
                OutboxRow.status == "pending",
                OutboxRow.not_before <= now,
                or_(OutboxRow.lease_until.is_(None), OutboxRow.lease_until < now),
                *(held.conditions() if held is not None else ()),
            )
            .order_by(OutboxRow.priority, OutboxRow.id)
            .limit(limit)
        )

    async def probe(self, now: datetime) -> OutboxEntry | None:
        """The most urgent row that is due or backing off after a Slack error (whatever its
        backoff says): the one call that finds out whether Slack is back. Due rows count
        too, so a page queued during the outage goes first rather than a card that was
        tried before it."""
        found = await self._entries(
            self._entries_query()
            .where(
                OutboxRow.status == "pending",
                or_(OutboxRow.backing_off.is_(True), OutboxRow.not_before <= now),
                or_(OutboxRow.lease_until.is_(None), OutboxRow.lease_until < now),
                # A thread entry waits for its card: it could not be the probe.
                or_(OutboxRow.kind != "thread", CardRow.ts.is_not(None)),
            )
            .order_by(OutboxRow.priority, OutboxRow.id)
            .limit(1)
        )
        return found[0] if found else None

    async def hold_key(self, key: str, until: datetime) -> None:
        """Hold pacing key `key` until `until` (the one row in flight for a key sets it)."""
        statement = insert_for(self.session)(PaceRow).values(key=key, next_at=until)
        statement = statement.on_conflict_do_update(
            index_elements=["key"], set_={"next_at": statement.excluded.next_at}
        )
        await self.session.execute(statement)

    async def lease(
        self, ids: Sequence[int], *, worker: str, now: datetime, until: datetime
    ) -> set[int]:
        """Lease rows for delivery; returns the ids this worker won.

        A leased row is marked `maybe_sent`: if the worker dies mid-call, the next one
        cannot know whether Slack got the message and checks before posting again.
        """
        if not ids:
            return set()
        result = await self.session.execute(
            update(OutboxRow)
            .where(
                OutboxRow.id.in_(list(ids)),
                OutboxRow.status == "pending",
                or_(OutboxRow.lease_until.is_(None), OutboxRow.lease_until < now),
            )
            .values(
                lease_owner=worker,
                lease_until=until,
                attempts=OutboxRow.attempts + 1,
                maybe_sent=True,
            )
            .returning(OutboxRow.id)
        )
        return set(result.scalars().all())

    async def renew(self, ids: Sequence[int], *, worker: str, until: datetime) -> None:
        """Keep this worker's leases while its calls are still in flight."""
        if ids:
            await self.session.execute(
                update(OutboxRow)
                .where(
                    OutboxRow.id.in_(list(ids)),
                    OutboxRow.lease_owner == worker,
                    OutboxRow.status == "pending",
                )
                .values(lease_until=until)
            )

    async def coalesce_card(self, card_id: int, keep_id: int, now: datetime) -> bool:
        """Older pending edits of one card are superseded by the delivery of `keep_id`.
        Returns whether any of them may have reached Slack already (`maybe_sent`: a post
        whose answer was lost): then `keep_id` must look in Slack before posting."""
        result = await self.session.execute(
            update(OutboxRow)
            .where(
                OutboxRow.card_id == card_id,
                OutboxRow.kind == "card",
                OutboxRow.status == "pending",
                OutboxRow.id < keep_id,
                or_(OutboxRow.lease_until.is_(None), OutboxRow.lease_until < now),
            )
            .values(status="coalesced", sent_at=now)
            .returning(OutboxRow.maybe_sent)
        )
        return any(result.scalars().all())

    async def coalesce_channel(self, kind: str, channel: str, keep_id: int, now: datetime) -> None:
        """Older pending rows of this kind for this channel are superseded by `keep_id`."""
        await self.session.execute(
            update(OutboxRow)
            .where(
                OutboxRow.kind == kind,
                OutboxRow.channel == channel,
                OutboxRow.status == "pending",
                OutboxRow.id < keep_id,
                or_(OutboxRow.lease_until.is_(None), OutboxRow.lease_until < now),
            )
            .values(status="coalesced", sent_at=now)
        )

    async def mark_sent(self, row_id: int, *, now: datetime, ts: str | None) -> None:
        await self.session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == row_id)
            .values(
                status="sent",
                sent_at=now,
                result_ts=ts,
                lease_owner=None,
                lease_until=None,
                maybe_sent=False,
                backing_off=False,
                last_error="",
            )
        )

    async def retry_later(
        self,
        row_id: int,
        *,
        not_before: datetime,
        error: str,
        maybe_sent: bool,
        backing_off: bool = False,
        failed: bool = False,
    ) -> int:
        """Put the row back for `not_before`; `failed` counts an error of the row's own.
        Returns the row's failures so far."""
        result = await self.session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == row_id)
            .values(
                not_before=not_before,
                last_error=error[:200],
                lease_owner=None,
                lease_until=None,
                maybe_sent=maybe_sent,
                backing_off=backing_off,
                failures=OutboxRow.failures + (1 if failed else 0),
            )
            .returning(OutboxRow.failures)
        )
        return int(result.scalar_one_or_none() or 0)

    async def end_backoff(self, now: datetime) -> int:
        """Slack answered again: rows backing off after its errors may go now (paced)."""
        result = await self.session.execute(
            update(OutboxRow)
            .where(OutboxRow.status == "pending", OutboxRow.backing_off.is_(True))
            .values(not_before=now, backing_off=False)
            .returning(OutboxRow.id)
        )
        return len(result.scalars().all())

    async def defer_channel(self, channel: str, *, not_before: datetime) -> None:
        """Hold every pending row for `channel` (Slack said Retry-After)."""
        await self.session.execute(
            update(OutboxRow)
            .where(
                OutboxRow.channel == channel,
                OutboxRow.status == "pending",
                OutboxRow.not_before < not_before,
                OutboxRow.lease_owner.is_(None),
            )
            .values(not_before=not_before)
        )

    async def mark_dead(self, row_id: int, *, now: datetime, error: str) -> None:
        """A dead letter: not sent again until someone requeues it (`carequeue outbox`)."""
        await self.session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == row_id)
            .values(
                status="dead",
                dead_at=now,
                last_error=error[:200],
                lease_owner=None,
                lease_until=None,
                backing_off=False,
            )
        )

    async def dead_letters(self, *, limit: int = 200) -> list[DeadLetter]:
        rows = await self.session.execute(
            select(OutboxRow, ItemRow.key)
            .outerjoin(ItemRow, ItemRow.id == OutboxRow.item_id)
            .where(OutboxRow.status == "dead")
            .order_by(OutboxRow.id)
            .limit(limit)
        )
        return [
            DeadLetter(
                id=row.id,
                kind=row.kind,
                channel=row.channel,
                item_key=key,
                attempts=row.attempts,
                error=row.last_error,
                created_at=row.created_at,
                dead_at=row.dead_at,
            )
            for row, key in rows.all()
        ]

    async def requeue(self, ids: Sequence[int] | None, *, now: datetime) -> list[int]:
        """Dead letters back to pending (all of them when `ids` is None). A requeued row
        still checks Slack before posting when its last attempt ended in doubt."""
        statement = update(OutboxRow).where(OutboxRow.status == "dead")
        if ids is not None:
            statement = statement.where(OutboxRow.id.in_(list(ids)))
        result = await self.session.execute(
            statement.values(
                status="pending",
                failures=0,
                backing_off=False,
                not_before=now,
                dead_at=None,
                lease_owner=None,
                lease_until=None,
            ).returning(OutboxRow.id)
        )
        return sorted(result.scalars().all())

    async def pending_of_kind(self, kind: str) -> int:
        return int(
            await self.session.scalar(
                select(func.count()).where(OutboxRow.kind == kind, OutboxRow.status == "pending")
            )
            or 0
        )

    async def schedule(
        self, *, limit: int
    ) -> list[tuple[str, str, str | None, datetime, datetime | None]]:
        """Pending rows as (kind, channel, card ts, not_before, lease_until), oldest first."""
        await self._in_queue_order()
        rows = await self.session.execute(
            select(
                OutboxRow.kind,
                OutboxRow.channel,
                CardRow.ts,
                OutboxRow.not_before,
                OutboxRow.lease_until,
            )
            .outerjoin(CardRow, CardRow.id == OutboxRow.card_id)
            .where(OutboxRow.status == "pending")
            .order_by(OutboxRow.priority, OutboxRow.id)
            .limit(limit)
        )
        return [tuple(row) for row in rows.all()]  # type: ignore[misc]

    async def backing_off(self) -> int:
        return int(
            await self.session.scalar(
                select(func.count()).where(
                    OutboxRow.status == "pending", OutboxRow.backing_off.is_(True)
                )
            )
            or 0
        )

    async def paces(self) -> dict[str, datetime]:
        rows = await self.session.execute(select(PaceRow.key, PaceRow.next_at))
        return {key: next_at for key, next_at in rows.all()}

    async def next_due_at(self) -> datetime | None:
        return await self.session.scalar(
            select(func.min(OutboxRow.not_before)).where(OutboxRow.status == "pending")
        )

    async def counts(self) -> dict[str, int]:
        rows = await self.session.execute(
            select(OutboxRow.status, func.count()).group_by(OutboxRow.status)
        )
        return {status: int(count) for status, count in rows.all()}

    async def oldest_pending(self) -> datetime | None:
        return await self.session.scalar(
            select(func.min(OutboxRow.created_at)).where(OutboxRow.status == "pending")
        )

    async def pending_for_item(self, item_id: int) -> int:
        return int(
            await self.session.scalar(
                select(func.count()).where(
                    and_(OutboxRow.item_id == item_id, OutboxRow.status == "pending")
                )
            )
            or 0
        )
