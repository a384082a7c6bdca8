"""Aging: which items the aging job must look at now, the alerts it raised (once each) and
where each was posted, so an alert that is no longer true is edited in place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.aging import Alert, AlertKind
from bot.domain.items import Item
from storage.models import ItemAlertMessageRow, ItemAlertRow, ItemRow, PromiseRow
from storage.repositories.cards import Card, to_card
from storage.repositories.dialect import insert_ignoring_conflict
from storage.repositories.items import row_with_card, to_item


@dataclass(frozen=True)
class AgingState:
    """An item as the aging job sees it: when it was due to be looked at (the version the
    job's write is conditional on), the card stage last seen and when it last changed."""

    item: Item
    item_id: int
    aging_at: datetime | None
    stage: str
    updated_at: datetime


@dataclass(frozen=True)
class AlertMessage:
    """One posting of an alert, with the alert and item it is about (for delivery)."""

    id: int
    target: str
    channel: str
    channel_id: str | None
    ts: str | None
    alert: Alert
    item_id: int
    raised_at: datetime
    cleared_at: datetime | None
    cleared_reason: str
    cleared_by: str | None


def _alert(row: ItemAlertRow) -> Alert:
    return Alert(
        id=row.id,
        kind=AlertKind(row.kind),
        due_at=row.due_at,
        owner=row.owner,
        promise_id=row.promise_id,
    )


class AlertRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def due_for_aging(self, now: datetime, *, limit: int) -> list[int]:
        """Ids of items whose next aging moment has come (changed, or a threshold passed):
        an indexed read, so the job's cost follows what changed, not the open items."""
        rows = await self.session.scalars(
            select(ItemRow.id)
            .where(ItemRow.aging_at.is_not(None), ItemRow.aging_at <= now)
            .order_by(ItemRow.aging_at, ItemRow.id)
            .limit(limit)
        )
        return list(rows)

    async def state(self, item_id: int) -> tuple[AgingState, Card | None] | None:
        """The item's aging state and its current card."""
        found = await row_with_card(self.session, ItemRow.id == item_id)
        if found is None:
            return None
        row, card = found
        state = AgingState(to_item(row), row.id, row.aging_at, row.aging_stage, row.updated_at)
        return state, (to_card(card) if card is not None else None)

    async def advance(
        self, item_id: int, *, seen: datetime, stage: str, next_at: datetime | None
    ) -> bool:
        """Record the stage seen and when to look next, only if nobody changed the item or
        looked at it since `seen` (another process, a click): True when this call won. It
        changes neither the item's version nor its updated_at: a click is never refused for
        a look the job took."""
        result = await self.session.execute(
            update(ItemRow)
            .where(ItemRow.id == item_id, ItemRow.aging_at == seen)
            .values(aging_stage=stage, aging_at=next_at)
            .returning(ItemRow.id)
        )
        return result.scalar_one_or_none() is not None

    async def raise_alert(
        self,
        item_id: int,
        kind: AlertKind,
        subject: str,
        *,
        due_at: datetime,
        owner: str | None,
        promise_id: int | None,
        now: datetime,
    ) -> int | None:
        """Raise the alert unless it was raised before (INSERT … ON CONFLICT DO NOTHING on
        the unique item, kind and subject): its id for the one caller that raised it."""
        statement = insert_ignoring_conflict(
            self.session,
            ItemAlertRow,
            {
                "item_id": item_id,
                "kind": kind.value,
                "subject": subject,
                "due_at": due_at,
                "owner": owner,
                "promise_id": promise_id,
                "raised_at": now,
                "cleared_reason": "",
            },
            ["item_id", "kind", "subject"],
        ).returning(ItemAlertRow.id)
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def add_message(self, alert_id: int, *, target: str, channel: str) -> int:
        row = ItemAlertMessageRow(alert_id=alert_id, target=target, channel=channel)
        self.session.add(row)
        await self.session.flush()
        return row.id

    async def active_for(self, item_id: int) -> list[Alert]:
        rows = await self.session.scalars(
            select(ItemAlertRow)
            .where(ItemAlertRow.item_id == item_id, ItemAlertRow.cleared_at.is_(None))
            .order_by(ItemAlertRow.id)
        )
        return [_alert(row) for row in rows]

    async def clear(self, alert_id: int, *, reason: str, by: str | None, at: datetime) -> list[int]:
        """Mark the alert no longer true; the ids of its messages (to edit). Nothing when
        someone cleared it already."""
        cleared = await self.session.execute(
            update(ItemAlertRow)
            .where(ItemAlertRow.id == alert_id, ItemAlertRow.cleared_at.is_(None))
            .values(cleared_at=at, cleared_reason=reason, cleared_by=by)
            .returning(ItemAlertRow.id)
        )
        if cleared.scalar_one_or_none() is None:
            return []
        rows = await self.session.scalars(
            select(ItemAlertMessageRow.id)
            .where(ItemAlertMessageRow.alert_id == alert_id)
            .order_by(ItemAlertMessageRow.id)
        )
        return list(rows)

    async def message(self, message_id: int) -> AlertMessage | None:
        found = (
            await self.session.execute(
                select(ItemAlertMessageRow, ItemAlertRow)
                .join(ItemAlertRow, ItemAlertRow.id == ItemAlertMessageRow.alert_id)
                .where(ItemAlertMessageRow.id == message_id)
            )
        ).first()
        if found is None:
            return None
        message, alert = found
        return AlertMessage(
            id=message.id,
            target=message.target,
            channel=message.channel,
            channel_id=message.channel_id,
            ts=message.ts,
            alert=_alert(alert),
            item_id=alert.item_id,
            raised_at=alert.raised_at,
            cleared_at=alert.cleared_at,
            cleared_reason=alert.cleared_reason,
            cleared_by=alert.cleared_by,
        )

    async def record_posted(self, message_id: int, *, channel_id: str, ts: str) -> None:
        await self.session.execute(
            update(ItemAlertMessageRow)
            .where(ItemAlertMessageRow.id == message_id)
            .values(channel_id=channel_id, ts=ts)
        )

    async def promise_kept(self, promise_id: int) -> tuple[str | None, datetime] | None:
        """Who kept the promise and when; None while it is open."""
        found = (
            await self.session.execute(
                select(PromiseRow.fulfilled_by, PromiseRow.fulfilled_at).where(
                    PromiseRow.id == promise_id, PromiseRow.fulfilled_at.is_not(None)
                )
            )
        ).first()
        return (found[0], found[1]) if found is not None else None
