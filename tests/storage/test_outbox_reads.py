"""The outbox worker's reads cost what they return, not what waits: with thousands of
cards behind one channel's pace, reading the next rows walks the queue index
(status, priority, id) and stops, on SQLite and PostgreSQL alike (migration 0012)."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select, update

from bot.clock import ManualClock
from bot.config import Practice
from bot.outbox.kinds import (
    HOME,
    HOME_PUBLISHES,
    MESSAGE,
    POSTS_TO,
    THREAD,
    WORKSPACE_EDITS,
    held_paces,
)
from bot.outbox.worker import pace_key
from bot.services.items import ItemServices
from storage.db import create_engine, session_factory
from storage.models import CardRow, OutboxRow
from storage.uow import UnitOfWorkFactory
from tests.storage.test_claims import voicemail

NOW = datetime(2026, 12, 4, 14, tzinfo=UTC)
BACKLOG = 2000


@pytest.fixture(params=["analyzed", "stale statistics"])
async def backlog(
    database_url: str, request: pytest.FixtureRequest
) -> AsyncIterator[tuple[Any, UnitOfWorkFactory]]:
    """2,000 pending posts to one channel, as a phone system's overnight flush leaves them.
    On PostgreSQL, either analyzed as autovacuum leaves a table in time, or ("stale
    statistics") as the flood finds a live queue: analyzed when its rows were all sent,
    so the planner believes almost nothing is pending."""
    engine = create_engine(database_url)
    postgres = engine.dialect.name == "postgresql"
    stale = request.param == "stale statistics"
    if stale and not postgres:
        pytest.skip("SQLite's planner keeps no statistics unless ANALYZE is run")
    uow = UnitOfWorkFactory(session_factory(engine))
    if stale:
        async with uow() as tx:
            for _ in range(BACKLOG):
                await tx.outbox.enqueue(kind=MESSAGE, channel="C_DONE", now=NOW, payload={})
            await tx.commit()
        async with engine.begin() as connection:
            await connection.execute(update(OutboxRow).values(status="sent"))
        await _analyze(engine)
    async with uow() as tx:
        for n in range(BACKLOG):
            await tx.outbox.enqueue(
                kind=MESSAGE,
                channel="C_SCHEDULING",
                now=NOW - timedelta(seconds=n),
                payload={"template": "test"},
            )
        await tx.commit()
    if postgres and not stale:  # what autovacuum does on a live system
        await _analyze(engine)
    yield engine, uow
    await engine.dispose()


async def _analyze(engine: Any) -> None:
    async with engine.connect() as connection:
        await connection.exec_driver_sql("ANALYZE outbox")
        await connection.commit()


async def _plan(engine: Any, read: Any) -> str:
    """The database's plan for the one outbox statement `read(tx)` sends, under the
    planner settings its transaction set before it (sent to the driver directly)."""
    sent: list[tuple[str, Any]] = []
    settings: list[str] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "FROM outbox" in statement:
            sent.append((statement, parameters))

    def setting(record: Any) -> None:
        if record.query.upper().startswith("SET "):
            settings.append(record.query)

    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        async with UnitOfWorkFactory(session_factory(engine))() as tx:
            connection = await tx.session.connection()
            driver = (await connection.get_raw_connection()).driver_connection
            if connection.dialect.name == "postgresql":
                driver.add_query_logger(setting)
            try:
                found = await read(tx)
            finally:
                if connection.dialect.name == "postgresql":
                    driver.remove_query_logger(setting)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", capture)
    assert len(found) == 200  # a batch, however many wait
    ((statement, parameters),) = sent
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        if connection.dialect.name == "postgresql":
            async with driver.transaction():
                for each in settings:
                    await driver.execute(each)
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


async def test_a_round_leaves_out_exactly_the_rows_whose_pace_is_held(
    database_url: str, example_practice: Practice, clock: ManualClock
) -> None:
    """`due` leaves out, in SQL, the rows the worker would skip by their pacing key
    (bot/outbox/kinds.py::pace_key_of): posts to a held channel, edits of posted cards,
    publishes. Every combination of held keys, over rows of every kind."""
    engine = create_engine(database_url)
    uow = UnitOfWorkFactory(session_factory(engine))
    items = ItemServices(uow, example_practice, clock)
    now = clock.now()
    async with uow() as tx:
        for n, lane in enumerate(["scheduling", "scheduling", "billing", "billing"]):
            request_type = example_practice.lane(lane).request_types[0]
            await items.log_in(
                tx,
                voicemail(patient_ref=f"MRN-{n}", lane=lane, request_type=request_type),
                actor="UFRONT1",
            )
        cards = await tx.session.execute(select(CardRow.id, CardRow.channel))
        for n, (card_id, channel) in enumerate(sorted(cards.all())):
            if n % 2:  # every other card is posted: its card row is an edit now
                await tx.cards.record_posted(card_id, channel_id=channel, ts=f"1.{n}", now=now)
            await tx.outbox.enqueue(kind=THREAD, channel=channel, card_id=card_id, now=now)
            await tx.outbox.enqueue(kind=MESSAGE, channel=channel, now=now)
        for user in ("UFRONT1", "UNURSE1"):
            await tx.outbox.enqueue(kind=HOME, channel=f"home:{user}", now=now)
        await tx.commit()
    try:
        async with uow.read() as tx:
            every = await tx.outbox.due(now, limit=1000)
        keys = {pace_key(entry) for entry in every}
        channels = sorted(key for key in keys if key.startswith(POSTS_TO))
        assert len(channels) == 2 and {WORKSPACE_EDITS, HOME_PUBLISHES} <= keys
        far = now + timedelta(hours=1)
        for chosen in itertools.product([False, True], repeat=len(keys)):
            held_keys = {key for key, on in zip(sorted(keys), chosen, strict=True) if on}
            paced = {key: far for key in held_keys} | {"post:elsewhere": far}
            async with uow.read() as tx:
                left = await tx.outbox.due(now, limit=1000, held=held_paces(paced, now))
            expected = [entry.id for entry in every if pace_key(entry) not in held_keys]
            assert [entry.id for entry in left] == expected, held_keys
    finally:
        await engine.dispose()
