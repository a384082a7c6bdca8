"""Job runs: a scheduled job claims its period before it does anything."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import JobRunRow
from storage.repositories.dialect import insert_ignoring_conflict


class JobRunRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim_period(self, job: str, period: str, *, now: datetime) -> bool:
        """Claim `period` of `job` (e.g. "digest", "2026-12-03"); True for the one claimer
        that inserted the row, False for everyone after it.

        One `INSERT … ON CONFLICT DO NOTHING` on the unique (job, period), on SQLite and
        PostgreSQL. The claim commits with the unit of work, together with what the job did:
        a run that fails leaves its period unclaimed for the next try. On PostgreSQL a
        second claimer waits for the first transaction and then finds the row; on SQLite
        writers take turns.
        """
        statement = insert_ignoring_conflict(
            self.session,
            JobRunRow,
            {"job": job, "period": period, "claimed_at": now},
            ["job", "period"],
        ).returning(JobRunRow.id)
        return (await self.session.execute(statement)).scalar_one_or_none() is not None

    async def ever_claimed(self, job: str) -> bool:
        """Whether `job` has claimed any period in this database (it has run here before)."""
        count = await self.session.scalar(
            select(func.count()).select_from(JobRunRow).where(JobRunRow.job == job)
        )
        return bool(count)
