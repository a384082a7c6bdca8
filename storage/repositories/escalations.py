"""Escalations: the pages sent for an item, their acknowledgment and outcome, the ones whose
window has passed, and escalation accuracy per lane and rule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, desc, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.escalation import Escalation, EscalationState
from storage.models import EscalationRow

OPEN_STATES = tuple(s.value for s in EscalationState if s.is_open)


@dataclass(frozen=True)
class Accuracy:
    """How many answered escalations of one lane and rule were the right call."""

    lane: str
    rule: str
    answered: int
    appropriate: int


def _to_escalation(row: EscalationRow) -> Escalation:
    return Escalation(
        id=row.id,
        item_key=row.item_key,
        lane=row.lane,
        rule=row.rule,
        chain=tuple(row.chain or ()),
        level=row.level,
        paged=tuple(row.paged or ()),
        state=EscalationState(row.state),
        reminded=row.reminded,
        context=row.context,
        opened_by=row.opened_by,
        opened_at=row.opened_at,
        ack_due_at=row.ack_due_at,
        acknowledged_by=row.acknowledged_by,
        acknowledged_at=row.acknowledged_at,
        resolved_by=row.resolved_by,
        resolved_at=row.resolved_at,
        decision=row.decision,
        told_patient=row.told_patient,
        appropriate=row.appropriate,
        version=row.version,
    )


def _stored(value: Any) -> Any:
    if isinstance(value, EscalationState):
        return value.value
    if isinstance(value, tuple):
        return list(value)
    return value


class EscalationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, escalation: Escalation, *, item_id: int) -> int:
        row = EscalationRow(
            item_id=item_id,
            item_key=escalation.item_key,
            lane=escalation.lane,
            rule=escalation.rule,
            chain=list(escalation.chain),
            level=escalation.level,
            paged=list(escalation.paged),
            state=escalation.state.value,
            reminded=escalation.reminded,
            context=escalation.context,
            opened_by=escalation.opened_by,
            opened_at=escalation.opened_at,
            ack_due_at=escalation.ack_due_at,
            decision="",
            told_patient="",
            version=1,
        )
        self.session.add(row)
        await self.session.flush()
        return row.id

    async def get(self, escalation_id: int) -> Escalation | None:
        row = await self.session.get(EscalationRow, escalation_id)
        return _to_escalation(row) if row is not None else None

    async def current_for(self, item_id: int) -> Escalation | None:
        """The item's open escalation, or else its latest one (None if it never had one)."""
        row = await self.session.scalar(
            select(EscalationRow)
            .where(EscalationRow.item_id == item_id)
            .order_by(
                desc(case((EscalationRow.state.in_(OPEN_STATES), 1), else_=0)),
                EscalationRow.id.desc(),
            )
            .limit(1)
        )
        return _to_escalation(row) if row is not None else None

    async def open_for(self, item_id: int) -> Escalation | None:
        row = await self.session.scalar(
            select(EscalationRow)
            .where(EscalationRow.item_id == item_id, EscalationRow.state.in_(OPEN_STATES))
            .order_by(EscalationRow.id.desc())
            .limit(1)
        )
        return _to_escalation(row) if row is not None else None

    async def due(self, now: datetime, *, limit: int = 100) -> list[Escalation]:
        """Unacknowledged escalations whose window has passed, oldest deadline first."""
        rows = await self.session.scalars(
            select(EscalationRow)
            .where(
                EscalationRow.state == EscalationState.OPEN.value,
                EscalationRow.ack_due_at <= now,
            )
            .order_by(EscalationRow.ack_due_at, EscalationRow.id)
            .limit(limit)
        )
        return [_to_escalation(row) for row in rows]

    async def change(self, escalation: Escalation, changes: dict[str, Any]) -> bool:
        """Apply `changes` only if nobody changed the escalation since it was read (so two
        replicas running the re-escalation check page a level once); report whether it did."""
        assert escalation.id is not None
        result = await self.session.execute(
            update(EscalationRow)
            .where(
                EscalationRow.id == escalation.id,
                EscalationRow.version == escalation.version,
            )
            .values(
                **{k: _stored(v) for k, v in changes.items()}, version=EscalationRow.version + 1
            )
            .returning(EscalationRow.id)
        )
        return result.scalar_one_or_none() is not None

    async def accuracy(self, since: datetime | None = None) -> list[Accuracy]:
        """Per lane and rule: escalations answered (resolved or not clinical) with an answer
        to "was escalating right?", and how many were."""
        conditions = [EscalationRow.appropriate.is_not(None)]
        if since is not None:
            conditions.append(EscalationRow.resolved_at >= since)
        rows = await self.session.execute(
            select(
                EscalationRow.lane,
                EscalationRow.rule,
                func.count(),
                func.sum(case((EscalationRow.appropriate.is_(True), 1), else_=0)),
            )
            .where(*conditions)
            .group_by(EscalationRow.lane, EscalationRow.rule)
            .order_by(EscalationRow.lane, EscalationRow.rule)
        )
        return [
            Accuracy(lane, rule, int(count), int(good or 0))
            for lane, rule, count, good in rows.all()
        ]
