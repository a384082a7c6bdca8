"""A scheduled job claims each period once, whichever process asks, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from storage.db import create_engine, session_factory
from storage.models import JobRunRow
from storage.uow import UnitOfWorkFactory

NOW = datetime(2026, 12, 3, 22, 0, tzinfo=UTC)


@pytest.fixture
async def processes(database_url: str) -> AsyncIterator[list[UnitOfWorkFactory]]:
    """Two app processes' units of work: each its own engine on the one database."""
    engines = [create_engine(database_url) for _ in range(2)]
    yield [UnitOfWorkFactory(session_factory(engine)) for engine in engines]
    for engine in engines:
        await engine.dispose()


async def claim(uow: UnitOfWorkFactory, job: str, period: str) -> bool:
    async with uow() as tx:
        won = await tx.job_runs.claim_period(job, period, now=NOW)
        await tx.commit()
    return won


async def test_a_period_is_claimed_once_and_other_periods_and_jobs_stay_free(
    processes: list[UnitOfWorkFactory],
) -> None:
    first, second = processes

    assert await claim(first, "digest", "2026-12-03") is True
    assert await claim(second, "digest", "2026-12-03") is False
    assert await claim(first, "digest", "2026-12-03") is False
    assert await claim(second, "digest", "2026-12-04") is True
    assert await claim(second, "morning_summary", "2026-12-03") is True
    async with first.read() as tx:
        rows = (
            await tx.session.execute(
                select(JobRunRow.job, JobRunRow.period, JobRunRow.claimed_at).order_by(JobRunRow.id)
            )
        ).all()
    assert [tuple(row) for row in rows] == [
        ("digest", "2026-12-03", NOW),
        ("digest", "2026-12-04", NOW),
        ("morning_summary", "2026-12-03", NOW),
    ]


async def test_a_claim_rolled_back_with_a_failed_run_leaves_the_period_for_the_next_try(
    processes: list[UnitOfWorkFactory],
) -> None:
    first, second = processes
    async with first() as tx:
        assert await tx.job_runs.claim_period("digest", "2026-12-03", now=NOW) is True
        # the run fails before commit: the unit of work rolls back

    assert await claim(second, "digest", "2026-12-03") is True


async def test_twenty_simultaneous_claimers_in_two_processes_make_one_winner(
    processes: list[UnitOfWorkFactory],
) -> None:
    results = await asyncio.gather(
        *(claim(processes[n % 2], "aging", "2026-12-03T16:05") for n in range(20))
    )

    assert results.count(True) == 1


@pytest.mark.postgres
async def test_on_postgresql_a_second_claimer_waits_for_the_first_and_then_loses(
    database_url: str, processes: list[UnitOfWorkFactory]
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite writers take turns: two open write transactions cannot overlap")
    first, second = processes
    async with first() as a, second() as b:
        assert await a.job_runs.claim_period("digest", "2026-12-03", now=NOW) is True
        waiting = asyncio.create_task(b.job_runs.claim_period("digest", "2026-12-03", now=NOW))
        await a.commit()
        assert await waiting is False
        await b.commit()
    async with first.read() as tx:
        count = len((await tx.session.scalars(select(JobRunRow))).all())
    assert count == 1
