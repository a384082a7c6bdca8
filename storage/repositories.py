"""Queries. Repositories share the unit of work's session, return domain objects, never commit."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.callbacks import Attempt, Outcome
from bot.domain.events import Event
from bot.domain.handoff import HandoffNote, Promise
from bot.domain.items import Action, Item, Origin, Patient, Status
from storage.models import (
    AttemptRow,
    CardRow,
    CounterRow,
    EventRow,
    HandoffRow,
    ItemRow,
    OutboxRow,
    PaceRow,
    PromiseRow,
)

ITEM_COUNTER = "item"


def _insert_ignoring_conflict(
    session: AsyncSession, model: Any, values: dict[str, Any], keys: list[str]
):
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(model).values(**values).on_conflict_do_nothing(index_elements=keys)


def _to_item(row: ItemRow) -> Item:
    return Item(
        key=row.key,
        lane=row.lane,
        request_type=row.request_type,
        origin=Origin(row.origin),
        status=Status(row.status),
        patient=Patient(
            reference=row.patient_ref,
            name=row.patient_name,
            phone=row.phone,
            language=row.language,
            callback_window=row.callback_window,
        ),
        summary=row.summary,
        received_at=row.received_at,
        due_at=row.due_at,
        next_action=row.next_action,
        owner=row.owner,
        claimed_at=row.claimed_at,
        source_link=row.source_link,
        resolution=row.resolution,
        told_patient=row.told_patient,
        closed_at=row.closed_at,
        closed_by=row.closed_by,
        clinical_ack_by=row.clinical_ack_by,
        created_by=row.created_by,
        version=row.version,
        attempts=row.attempts,
        waiting_on=row.waiting_on,
        check_back_at=row.check_back_at,
        sla_remaining_minutes=row.sla_remaining_minutes,
        repeat_count=row.repeat_count,
        related_key=row.related_key,
        merged_into=row.merged_into,
    )


class ItemRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def next_number(self, first: int) -> int:
        """Take the next item number with one conditional statement (safe under concurrency)."""
        await self.session.execute(
            _insert_ignoring_conflict(
                self.session, CounterRow, {"name": ITEM_COUNTER, "value": first - 1}, ["name"]
            )
        )
        result = await self.session.execute(
            update(CounterRow)
            .where(CounterRow.name == ITEM_COUNTER)
            .values(value=CounterRow.value + 1)
            .returning(CounterRow.value)
        )
        return int(result.scalar_one())

    async def add(self, item: Item, *, number: int, now: datetime) -> int:
        row = ItemRow(
            key=item.key,
            number=number,
            lane=item.lane,
            request_type=item.request_type,
            origin=item.origin.value,
            status=item.status.value,
            owner=item.owner,
            claimed_at=item.claimed_at,
            patient_ref=item.patient.reference,
            patient_name=item.patient.name,
            phone=item.patient.phone,
            language=item.patient.language,
            callback_window=item.patient.callback_window,
            summary=item.summary,
            source_link=item.source_link,
            received_at=item.received_at,
            due_at=item.due_at,
            next_action=item.next_action,
            created_by=item.created_by,
            version=item.version,
            created_at=now,
            updated_at=now,
            attempts=item.attempts,
            waiting_on=item.waiting_on,
            repeat_count=item.repeat_count,
            related_key=item.related_key,
        )
        self.session.add(row)
        await self.session.flush()
        return row.id

    async def get(self, key: str) -> Item | None:
        row = await self.session.scalar(select(ItemRow).where(ItemRow.key == key))
        return _to_item(row) if row is not None else None

    async def get_with_id(self, key: str) -> tuple[Item, int] | None:
        """The item and its row id in one query (a use case that records an event needs both)."""
        row = await self.session.scalar(select(ItemRow).where(ItemRow.key == key))
        return (_to_item(row), row.id) if row is not None else None

    async def get_with_card(self, key: str) -> tuple[Item, int, Card | None] | None:
        """The item, its row id and its current card (as CardRepository.current_for) in one
        query: a claim's only read."""
        result = await self.session.execute(
            select(ItemRow, CardRow)
            .outerjoin(
                CardRow, and_(CardRow.item_id == ItemRow.id, CardRow.moved_to_lane.is_(None))
            )
            .where(ItemRow.key == key)
            .order_by(CardRow.id.desc())
            .limit(1)
        )
        found = result.first()
        if found is None:
            return None
        row, card = found
        return _to_item(row), row.id, (_to_card(card) if card is not None else None)

    async def id_of(self, key: str) -> int | None:
        return await self.session.scalar(select(ItemRow.id).where(ItemRow.key == key))

    async def get_by_id(self, item_id: int) -> Item | None:
        row = await self.session.get(ItemRow, item_id)
        return _to_item(row) if row is not None else None

    async def _open(self, *conditions: Any, limit: int) -> list[Item]:
        rows = await self.session.scalars(
            select(ItemRow)
            .where(ItemRow.status != Status.RESOLVED.value, *conditions)
            .order_by(ItemRow.due_at, ItemRow.id)
            .limit(limit)
        )
        return [_to_item(row) for row in rows]

    async def open_for_owner(self, owner: str, *, limit: int = 100) -> list[Item]:
        """A person's open items, soonest due first."""
        return await self._open(ItemRow.owner == owner, limit=limit)

    async def open_in_lane(self, lane: str, *, limit: int = 100) -> list[Item]:
        return await self._open(ItemRow.lane == lane, limit=limit)

    async def open_due_before(self, moment: datetime, *, limit: int = 100) -> list[Item]:
        return await self._open(
            ItemRow.due_at <= moment, ItemRow.status != Status.WAITING.value, limit=limit
        )

    async def waiting(self, *, owner: str | None = None, limit: int = 100) -> list[Item]:
        conditions: list[Any] = [ItemRow.status == Status.WAITING.value]
        if owner is not None:
            conditions.append(ItemRow.owner == owner)
        return await self._open(*conditions, limit=limit)

    async def open_for_patient(
        self, patient_ref: str, *, excluding: str | None = None
    ) -> list[Item]:
        """The patient's open items, oldest first (repeat contact links to the first)."""
        rows = await self.session.scalars(
            select(ItemRow)
            .where(
                ItemRow.patient_ref == patient_ref,
                ItemRow.status != Status.RESOLVED.value,
                ItemRow.key != (excluding or ""),
            )
            .order_by(ItemRow.id)
        )
        return [_to_item(row) for row in rows]

    async def check_backs_due(self, now: datetime, *, limit: int = 100) -> list[Item]:
        """Waiting items whose check-back time has come."""
        return await self._open(
            ItemRow.status == Status.WAITING.value,
            ItemRow.check_back_at.is_not(None),
            ItemRow.check_back_at <= now,
            limit=limit,
        )

    async def lane_summary(self) -> dict[str, tuple[int, datetime | None]]:
        """Per lane: open items and when the oldest of them was received."""
        rows = await self.session.execute(
            select(ItemRow.lane, func.count(), func.min(ItemRow.received_at))
            .where(ItemRow.status != Status.RESOLVED.value)
            .group_by(ItemRow.lane)
        )
        return {lane: (int(count), oldest) for lane, count, oldest in rows.all()}

    async def bump_repeat_count(self, key: str, now: datetime) -> tuple[int, int]:
        """One more contact from this patient about this item; returns the new count and
        the item's row id."""
        result = await self.session.execute(
            update(ItemRow)
            .where(ItemRow.key == key)
            .values(
                repeat_count=ItemRow.repeat_count + 1, version=ItemRow.version + 1, updated_at=now
            )
            .returning(ItemRow.repeat_count, ItemRow.id)
        )
        count, item_id = result.one()
        return int(count), int(item_id)

    async def claim(self, key: str, owner: str, now: datetime) -> bool:
        """Make `owner` the owner if nobody is; report whether this call won."""
        result = await self.session.execute(
            update(ItemRow)
            .where(ItemRow.key == key, ItemRow.owner.is_(None), ItemRow.status == Status.NEW.value)
            .values(
                owner=owner,
                status=Status.CLAIMED.value,
                claimed_at=now,
                version=ItemRow.version + 1,
                updated_at=now,
            )
            .returning(ItemRow.id)
        )
        return result.scalar_one_or_none() is not None

    async def change(self, item: Item, changes: dict[str, Any], now: datetime) -> int | None:
        """Apply `changes` only if nobody changed the item since it was read (version check).

        Returns the item's row id when the change was made, None when it was not.
        """
        values = {
            ("status" if k == "status" else k): (v.value if isinstance(v, Status) else v)
            for k, v in changes.items()
        }
        result = await self.session.execute(
            update(ItemRow)
            .where(ItemRow.key == item.key, ItemRow.version == item.version)
            .values(**values, version=ItemRow.version + 1, updated_at=now)
            .returning(ItemRow.id)
        )
        return result.scalar_one_or_none()


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, datetime):
            out[key] = value.isoformat()
        elif hasattr(value, "value"):
            out[key] = value.value
        else:
            out[key] = value
    return out


def _to_event(row: EventRow) -> Event:
    return Event(
        id=row.id,
        item_key=row.item_key,
        action=Action(row.action),
        actor=row.actor,
        at=row.at,
        before=row.before or {},
        after=row.after or {},
    )


class EventRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, event: Event, *, item_id: int) -> int:
        row = EventRow(
            item_id=item_id,
            item_key=event.item_key,
            action=event.action.value,
            actor=event.actor,
            at=event.at,
            before=_jsonable(dict(event.before)),
            after=_jsonable(dict(event.after)),
        )
        self.session.add(row)
        await self.session.flush()
        return row.id

    async def get(self, event_id: int) -> Event | None:
        row = await self.session.get(EventRow, event_id)
        return _to_event(row) if row is not None else None

    async def for_item(self, key: str) -> list[Event]:
        rows = await self.session.scalars(
            select(EventRow).where(EventRow.item_key == key).order_by(EventRow.id)
        )
        return [_to_event(row) for row in rows]

    async def since(self, since: datetime, *, batch: int = 1000) -> list[Event]:
        rows = await self.session.scalars(
            select(EventRow)
            .where(EventRow.at >= since)
            .order_by(EventRow.at, EventRow.id)
            .limit(batch)
        )
        return [_to_event(row) for row in rows]

    async def page_after(self, since: datetime, after_id: int, batch: int) -> list[Event]:
        rows = await self.session.scalars(
            select(EventRow)
            .where(EventRow.at >= since, EventRow.id > after_id)
            .order_by(EventRow.id)
            .limit(batch)
        )
        return [_to_event(row) for row in rows]


@dataclass(frozen=True)
class Card:
    id: int
    item_id: int
    lane: str
    channel: str
    channel_id: str | None
    ts: str | None
    moved_to_lane: str | None = None


def _to_card(row: CardRow) -> Card:
    return Card(
        row.id, row.item_id, row.lane, row.channel, row.channel_id, row.ts, row.moved_to_lane
    )


class CardRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, *, item_id: int, lane: str, channel: str, now: datetime) -> Card:
        row = CardRow(item_id=item_id, lane=lane, channel=channel, created_at=now)
        self.session.add(row)
        await self.session.flush()
        return _to_card(row)

    async def current_for(self, item_id: int) -> Card | None:
        """The card in the item's current lane (the newest; older ones point to it)."""
        row = await self.session.scalar(
            select(CardRow)
            .where(CardRow.item_id == item_id, CardRow.moved_to_lane.is_(None))
            .order_by(CardRow.id.desc())
            .limit(1)
        )
        return _to_card(row) if row is not None else None

    async def get(self, card_id: int) -> Card | None:
        row = await self.session.get(CardRow, card_id)
        return _to_card(row) if row is not None else None

    async def by_message(self, channel_id: str, ts: str) -> Card | None:
        row = await self.session.scalar(
            select(CardRow).where(CardRow.channel_id == channel_id, CardRow.ts == ts)
        )
        return _to_card(row) if row is not None else None

    async def record_posted(self, card_id: int, *, channel_id: str, ts: str, now: datetime) -> None:
        await self.session.execute(
            update(CardRow)
            .where(CardRow.id == card_id)
            .values(channel_id=channel_id, ts=ts, posted_at=now)
        )

    async def retire(self, card_id: int, *, moved_to_lane: str) -> None:
        """The item moved lanes: this card now only says where it went."""
        await self.session.execute(
            update(CardRow).where(CardRow.id == card_id).values(moved_to_lane=moved_to_lane)
        )

    async def all_for(self, item_id: int) -> list[Card]:
        rows = await self.session.scalars(
            select(CardRow).where(CardRow.item_id == item_id).order_by(CardRow.id)
        )
        return [_to_card(row) for row in rows]

    async def forget_message(self, card_id: int) -> None:
        """The card's message was deleted in Slack: the next delivery posts it anew."""
        await self.session.execute(
            update(CardRow).where(CardRow.id == card_id).values(ts=None, posted_at=None)
        )


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


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def _is_postgres(self) -> bool:
        return self.session.bind is not None and self.session.bind.dialect.name == "postgresql"

    async def enqueue(
        self,
        *,
        kind: str,
        channel: str,
        now: datetime,
        item_id: int | None = None,
        card_id: int | None = None,
        payload: dict[str, Any] | None = None,
        priority: int = 100,
        not_before: datetime | None = None,
    ) -> OutboxRow:
        """Queue one Slack write in this transaction. Not flushed here: a use case's rows
        (card edit, thread entry, Home publishes) go to the database together at commit.
        The returned row has its `id` once flushed."""
        row = OutboxRow(
            kind=kind,
            channel=channel,
            item_id=item_id,
            card_id=card_id,
            payload=payload or {},
            priority=priority,
            status="pending",
            attempts=0,
            failures=0,
            backing_off=False,
            maybe_sent=False,
            not_before=not_before or now,
            created_at=now,
            last_error="",
        )
        self.session.add(row)
        return row

    def _entries_query(self) -> Any:
        return (
            select(OutboxRow, CardRow.channel_id, CardRow.ts, ItemRow.key)
            .outerjoin(CardRow, CardRow.id == OutboxRow.card_id)
            .outerjoin(ItemRow, ItemRow.id == OutboxRow.item_id)
        )

    async def _entries(self, query: Any) -> list[OutboxEntry]:
        if self._is_postgres:
            query = query.with_for_update(skip_locked=True, of=OutboxRow)
        result = await self.session.execute(query)
        return [
            OutboxEntry(
                id=row.id,
                kind=row.kind,
                priority=row.priority,
                channel=row.channel,
                payload=row.payload or {},
                attempts=row.attempts,
                maybe_sent=row.maybe_sent,
                item_id=row.item_id,
                item_key=key,
                card_id=row.card_id,
                card_channel_id=channel_id,
                card_ts=ts,
                created_at=row.created_at,
                failures=row.failures,
                backing_off=row.backing_off,
            )
            for row, channel_id, ts, key in result.all()
        ]

    async def due(self, now: datetime, *, limit: int) -> list[OutboxEntry]:
        """Pending rows that may go out now, most urgent first; locked rows are skipped."""
        return await self._entries(
            self._entries_query()
            .where(
                OutboxRow.status == "pending",
                OutboxRow.not_before <= now,
                or_(OutboxRow.lease_until.is_(None), OutboxRow.lease_until < now),
            )
            .order_by(OutboxRow.priority, OutboxRow.id)
            .limit(limit)
        )

    async def probe(self, now: datetime) -> OutboxEntry | None:
        """The most urgent row backing off after a Slack error, whatever its backoff says:
        the one call that finds out whether Slack is back."""
        found = await self._entries(
            self._entries_query()
            .where(
                OutboxRow.status == "pending",
                OutboxRow.backing_off.is_(True),
                or_(OutboxRow.lease_until.is_(None), OutboxRow.lease_until < now),
            )
            .order_by(OutboxRow.priority, OutboxRow.id)
            .limit(1)
        )
        return found[0] if found else None

    async def paced_until(self, keys: Iterable[str], now: datetime) -> dict[str, datetime]:
        """Pacing keys that must still wait, with when they may go."""
        keys = list(keys)
        if not keys:
            return {}
        rows = await self.session.execute(
            select(PaceRow.key, PaceRow.next_at).where(PaceRow.key.in_(keys), PaceRow.next_at > now)
        )
        return {key: next_at for key, next_at in rows.all()}

    async def hold_key(self, key: str, until: datetime) -> None:
        """Hold pacing key `key` until `until` (the one row in flight for a key sets it)."""
        dialect_insert = postgresql.insert if self._is_postgres else sqlite.insert
        statement = dialect_insert(PaceRow).values(key=key, next_at=until)
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

    async def coalesce_card(self, card_id: int, keep_id: int, now: datetime) -> list[int]:
        """Older pending edits of one card are superseded by the delivery of `keep_id`."""
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
            .returning(OutboxRow.id)
        )
        return list(result.scalars().all())

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


def _to_attempt(row: AttemptRow) -> Attempt:
    return Attempt(
        number=row.number,
        outcome=Outcome(row.outcome),
        identity_verified=row.identity_verified,
        confirmed=row.confirmed,
        next_step=row.next_step,
        next_due_at=row.next_due_at,
        by=row.by,
        at=row.at,
    )


class AttemptRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, item_id: int, attempt: Attempt) -> None:
        self.session.add(
            AttemptRow(
                item_id=item_id,
                number=attempt.number,
                outcome=attempt.outcome.value,
                identity_verified=attempt.identity_verified,
                confirmed=attempt.confirmed,
                next_step=attempt.next_step,
                next_due_at=attempt.next_due_at,
                by=attempt.by,
                at=attempt.at,
            )
        )
        await self.session.flush()

    async def for_item(self, item_id: int) -> list[Attempt]:
        rows = await self.session.scalars(
            select(AttemptRow).where(AttemptRow.item_id == item_id).order_by(AttemptRow.number)
        )
        return [_to_attempt(row) for row in rows]

    async def get(self, item_id: int, number: int) -> Attempt | None:
        row = await self.session.scalar(
            select(AttemptRow).where(AttemptRow.item_id == item_id, AttemptRow.number == number)
        )
        return _to_attempt(row) if row is not None else None


def _to_promise(row: PromiseRow) -> Promise:
    return Promise(
        id=row.id,
        text=row.text,
        due_at=row.due_at,
        made_by=row.made_by,
        made_at=row.made_at,
        fulfilled_at=row.fulfilled_at,
        fulfilled_by=row.fulfilled_by,
    )


class PromiseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self, item_id: int, *, text: str, due_at: datetime, by: str, now: datetime
    ) -> int:
        row = PromiseRow(item_id=item_id, text=text, due_at=due_at, made_by=by, made_at=now)
        self.session.add(row)
        await self.session.flush()
        return row.id

    async def open_for(self, item_id: int) -> list[Promise]:
        """Unfulfilled promises, nearest deadline first."""
        rows = await self.session.scalars(
            select(PromiseRow)
            .where(PromiseRow.item_id == item_id, PromiseRow.fulfilled_at.is_(None))
            .order_by(PromiseRow.due_at, PromiseRow.id)
        )
        return [_to_promise(row) for row in rows]

    async def fulfil(self, promise_id: int, item_id: int, *, by: str, now: datetime) -> bool:
        result = await self.session.execute(
            update(PromiseRow)
            .where(
                PromiseRow.id == promise_id,
                PromiseRow.item_id == item_id,
                PromiseRow.fulfilled_at.is_(None),
            )
            .values(fulfilled_at=now, fulfilled_by=by)
            .returning(PromiseRow.id)
        )
        return result.scalar_one_or_none() is not None


class HandoffRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, item_id: int, note: HandoffNote, *, by: str, now: datetime) -> int:
        row = HandoffRow(
            item_id=item_id,
            asked=note.asked,
            confirmed=note.confirmed,
            unresolved=note.unresolved,
            promised=note.promised,
            promised_by=note.promised_by,
            not_to_promise=note.not_to_promise,
            next_owner=note.next_owner,
            next_lane=note.next_lane,
            by=by,
            at=now,
        )
        self.session.add(row)
        await self.session.flush()
        return row.id

    async def get(self, handoff_id: int) -> tuple[HandoffNote, str, datetime] | None:
        row = await self.session.get(HandoffRow, handoff_id)
        if row is None:
            return None
        note = HandoffNote(
            asked=row.asked,
            confirmed=row.confirmed,
            unresolved=row.unresolved,
            promised=row.promised,
            promised_by=row.promised_by,
            not_to_promise=row.not_to_promise,
            next_owner=row.next_owner,
            next_lane=row.next_lane,
        )
        return note, row.by, row.at
