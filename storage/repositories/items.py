"""Items: the queue's rows as `Item`s, the item counter, and the conditional updates
(claim, versioned change) that make concurrent clicks safe."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import and_, bindparam, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.aging import FirstLook
from bot.domain.items import Item, Origin, Patient, Status
from storage.models import CardRow, CounterRow, EscalationRow, ItemRow
from storage.repositories.cards import Card, to_card
from storage.repositories.dialect import (
    KEPT_TEXT_ROWS,
    DriverStatement,
    insert_many,
    planned_for_the_tables_as_they_are,
)

ITEM_COUNTER = "item"


# Every intake batch takes its numbers: a statement the driver runs (see DriverStatement).
_NEXT_NUMBERS = DriverStatement(
    lambda insert: (
        insert(CounterRow)
        .values(name=bindparam("name"), value=bindparam("last"))
        .on_conflict_do_update(
            index_elements=["name"], set_={"value": CounterRow.value + bindparam("count")}
        )
        .returning(CounterRow.value)
    )
)


# Every intake batch reads its patients' context: which of their items matter (each open
# one, and each patient's latest, for their language), read on the driver (see
# DriverStatement) with a statement for each length of list; the open ones are then loaded
# whole, which only a repeat contact needs.
@lru_cache(maxsize=2 * KEPT_TEXT_ROWS)
def _patient_contexts(count: int) -> DriverStatement:
    refs = [bindparam(f"ref{n}") for n in range(count)]
    return DriverStatement(
        lambda _: (
            select(ItemRow.id, ItemRow.patient_ref, ItemRow.status, ItemRow.language)
            .where(
                ItemRow.patient_ref.in_(refs),
                or_(
                    ItemRow.status != bindparam("resolved"),
                    ItemRow.id.in_(
                        select(func.max(ItemRow.id))
                        .where(ItemRow.patient_ref.in_(refs))
                        .group_by(ItemRow.patient_ref)
                    ),
                ),
            )
            .order_by(ItemRow.id)
        )
    )


class _Known(NamedTuple):
    """One of a patient's items as the context read finds it (ordered by id)."""

    id: int
    open: bool
    language: str | None


def to_item(row: ItemRow) -> Item:
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
        waiting_for=row.waiting_for,
        check_back_at=row.check_back_at,
        sla_remaining_minutes=row.sla_remaining_minutes,
        repeat_count=row.repeat_count,
        related_key=row.related_key,
        merged_into=row.merged_into,
        red_flags=tuple(line for line in (row.red_flags or "").split("\n") if line),
        red_flag_dismissed_by=row.red_flag_dismissed_by,
    )


def _new_row(item: Item, number: int, look: FirstLook, now: datetime) -> dict[str, Any]:
    """A new item's column values."""
    return {
        "key": item.key,
        "number": number,
        "lane": item.lane,
        "request_type": item.request_type,
        "origin": item.origin.value,
        "status": item.status.value,
        "owner": item.owner,
        "claimed_at": item.claimed_at,
        "patient_ref": item.patient.reference,
        "patient_name": item.patient.name,
        "phone": item.patient.phone,
        "language": item.patient.language,
        "callback_window": item.patient.callback_window,
        "summary": item.summary,
        "source_link": item.source_link,
        "received_at": item.received_at,
        "due_at": item.due_at,
        "next_action": item.next_action,
        "created_by": item.created_by,
        "version": item.version,
        "created_at": now,
        "updated_at": now,
        "attempts": item.attempts,
        "waiting_on": item.waiting_on,
        "waiting_for": item.waiting_for,
        "repeat_count": item.repeat_count,
        "related_key": item.related_key,
        "red_flags": "\n".join(item.red_flags),
        # The aging job's first look: at its next threshold, or now when an alert is due.
        "aging_at": look.at,
        "aging_stage": look.stage,
    }


async def row_with_card(
    session: AsyncSession, condition: Any
) -> tuple[ItemRow, CardRow | None] | None:
    """The item row matching `condition` with its current card row, in one query (for the
    repositories: the layers above get domain objects)."""
    result = await session.execute(
        select(ItemRow, CardRow)
        .outerjoin(CardRow, and_(CardRow.item_id == ItemRow.id, CardRow.moved_to_lane.is_(None)))
        .where(condition)
        .order_by(CardRow.id.desc())
        .limit(1)
    )
    found = result.first()
    return (found[0], found[1]) if found is not None else None


class ItemRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def next_numbers(self, count: int, first: int) -> int:
        """Take `count` consecutive item numbers with one statement, safe under concurrency:
        an upsert that starts the counter at `first` or moves it on by `count`; the first
        of the numbers taken."""
        (row,) = await _NEXT_NUMBERS.fetch(
            self.session, name=ITEM_COUNTER, last=first + count - 1, count=count
        )
        return int(row[0]) - count + 1

    async def add_many(
        self, items: list[tuple[Item, int, FirstLook]], *, now: datetime
    ) -> list[int]:
        """Insert new items (each with its number and the aging job's first look) in one
        statement; their row ids, in order."""
        rows = [_new_row(item, number, look, now) for item, number, look in items]
        return await insert_many(self.session, ItemRow.__table__, rows, match="key")

    async def get(self, key: str) -> Item | None:
        row = await self.session.scalar(select(ItemRow).where(ItemRow.key == key))
        return to_item(row) if row is not None else None

    async def get_with_id(self, key: str) -> tuple[Item, int] | None:
        """The item and its row id in one query (a use case that records an event needs both)."""
        row = await self.session.scalar(select(ItemRow).where(ItemRow.key == key))
        return (to_item(row), row.id) if row is not None else None

    async def get_with_card(self, key: str) -> tuple[Item, int, Card | None] | None:
        """The item, its row id and its current card (as CardRepository.current_for) in one
        query: a claim's only read."""
        found = await row_with_card(self.session, ItemRow.key == key)
        if found is None:
            return None
        row, card = found
        return to_item(row), row.id, (to_card(card) if card is not None else None)

    async def id_of(self, key: str) -> int | None:
        return await self.session.scalar(select(ItemRow.id).where(ItemRow.key == key))

    async def get_by_id(self, item_id: int) -> Item | None:
        row = await self.session.get(ItemRow, item_id)
        return to_item(row) if row is not None else None

    async def _open(self, *conditions: Any, limit: int) -> list[Item]:
        rows = await self.session.scalars(
            select(ItemRow)
            .where(ItemRow.status != Status.RESOLVED.value, *conditions)
            .order_by(ItemRow.due_at, ItemRow.id)
            .limit(limit)
        )
        return [to_item(row) for row in rows]

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
        return [to_item(row) for row in rows]

    async def patient_contexts(
        self, patient_refs: list[str]
    ) -> dict[str, tuple[str | None, list[Item]]]:
        """What intake needs to know of each patient: the language on their most recent
        item, open or closed (their last known preference), and their open items, oldest
        first (as `open_for_patient`). One statement on the driver finds the items that
        matter; a second loads the open ones whole, only when there are any (a repeat
        contact). A patient never seen is not in the answer."""
        refs = sorted(set(patient_refs))
        resolved = Status.RESOLVED.value
        values = {f"ref{n}": ref for n, ref in enumerate(refs)}
        async with planned_for_the_tables_as_they_are(self.session):
            rows = await _patient_contexts(len(refs)).fetch(
                self.session, resolved=resolved, **values
            )
        found: dict[str, list[_Known]] = {}
        for row_id, ref, status, language in rows:
            found.setdefault(ref, []).append(_Known(row_id, status != resolved, language))
        open_ids = [known.id for mine in found.values() for known in mine if known.open]
        items: dict[int, Item] = {}
        if open_ids:
            loaded = await self.session.scalars(select(ItemRow).where(ItemRow.id.in_(open_ids)))
            items = {row.id: to_item(row) for row in loaded}
        return {
            ref: (
                str(mine[-1].language) if mine[-1].language else None,
                [items[known.id] for known in mine if known.open],
            )
            for ref, mine in found.items()
        }

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

    async def red_flags_unanswered(self, before: datetime, *, limit: int = 100) -> list[Item]:
        """Open items flagged at intake before `before` that nobody dismissed and that were
        never escalated: the ones to escalate now."""
        never_escalated = ~exists().where(EscalationRow.item_id == ItemRow.id)
        return await self._open(
            ItemRow.red_flags != "",
            ItemRow.red_flag_dismissed_by.is_(None),
            ItemRow.created_at <= before,
            ItemRow.status.in_((Status.NEW.value, Status.CLAIMED.value, Status.WAITING.value)),
            never_escalated,
            limit=limit,
        )

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
                aging_at=now,
            )
            .returning(ItemRow.id)
        )
        return result.scalar_one_or_none() is not None

    async def change(self, item: Item, changes: dict[str, Any], now: datetime) -> int | None:
        """Apply `changes` only if nobody changed the item since it was read (version check).

        Returns the item's row id when the change was made, None when it was not. A changed
        item is looked at again by the aging job (its alerts may no longer be true).
        """
        values = {
            ("status" if k == "status" else k): (v.value if isinstance(v, Status) else v)
            for k, v in changes.items()
        }
        result = await self.session.execute(
            update(ItemRow)
            .where(ItemRow.key == item.key, ItemRow.version == item.version)
            .values(**values, version=ItemRow.version + 1, updated_at=now, aging_at=now)
            .returning(ItemRow.id)
        )
        return result.scalar_one_or_none()
