"""The outbox worker's reads cost what they return, not what waits: with thousands of
cards behind one channel's pace, reading the next rows walks the queue index
(status, priority, id) and stops, on SQLite and PostgreSQL alike (migration 0012)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from bot.outbox.kinds import MESSAGE
from storage.db import create_engine, session_factory
from storage.uow import UnitOfWorkFactory

NOW = datetime(2026, 12, 4, 14, tzinfo=UTC)
BACKLOG = 2000


@pytest.fixture
async def backlog(database_url: str) -> AsyncIterator[tuple[Any, UnitOfWorkFactory]]:
    """2,000 pending posts to one channel, as a phone system's overnight flush leaves them."""
    engine = create_engine(database_url)
    uow = UnitOfWorkFactory(session_factory(engine))
    async with uow() as tx:
        for n in range(BACKLOG):
            await tx.outbox.enqueue(
                kind=MESSAGE,
                channel="C_SCHEDULING",
                now=NOW - timedelta(seconds=n),
                payload={"template": "test"},
            )
        await tx.commit()
    async with engine.connect() as connection:
        if connection.dialect.name == "postgresql":  # what autovacuum does on a live system
            await connection.exec_driver_sql("ANALYZE outbox")
            await connection.commit()
    yield engine, uow
    await engine.dispose()


async def _plan(engine: Any, read: Any) -> str:
    """The database's plan for the one outbox statement `read(tx)` sends."""
    sent: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "FROM outbox" in statement:
            sent.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        async with UnitOfWorkFactory(session_factory(engine))() as tx:
            found = await read(tx)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", capture)
    assert len(found) == 200  # a batch, however many wait
    ((statement, parameters),) = sent
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        if connection.dialect.name == "postgresql":
            rows = await driver.fetch("EXPLAIN " + statement, *parameters)
            return "\n".join(row[0] for row in rows)
        cursor = await driver.execute("EXPLAIN QUERY PLAN " + statement, parameters)
        return "\n".join(str(row[-1]) for row in await cursor.fetchall())


async def test_reading_the_next_due_rows_walks_the_queue_index_and_sorts_nothing(
    backlog: tuple[Any, UnitOfWorkFactory],
) -> None:
    engine, _ = backlog
    plan = await _plan(engine, lambda tx: tx.outbox.due(NOW, limit=200))

    assert "ix_outbox_queue" in plan
    assert "TEMP B-TREE" not in plan  # SQLite sorting every pending row
    assert "Sort" not in plan  # PostgreSQL sorting every pending row


async def test_reading_the_schedule_walks_the_queue_index_and_sorts_nothing(
    backlog: tuple[Any, UnitOfWorkFactory],
) -> None:
    engine, _ = backlog
    plan = await _plan(engine, lambda tx: tx.outbox.schedule(limit=200))

    assert "ix_outbox_queue" in plan
    assert "TEMP B-TREE" not in plan
    assert "Sort" not in plan
