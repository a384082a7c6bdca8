"""Callback attempts: each try to reach a patient, numbered per item."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.callbacks import Attempt, Outcome
from storage.models import AttemptRow


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
