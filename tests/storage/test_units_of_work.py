"""Units of work on SQLite and PostgreSQL: reads never wait for a writer and never write."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import sqlalchemy.exc
from sqlalchemy.engine import make_url

import storage.db
from bot.clock import ManualClock
from bot.config import Practice
from bot.domain.items import Refusal, RefusalCode
from bot.services.base import Done
from bot.services.items import ItemServices
from bot.services.queues import QueueQueries
from bot.services.work import WorkServices
from storage.db import create_engine, session_factory
from storage.uow import ReadOnlyUnitOfWork, UnitOfWork, UnitOfWorkFactory
from tests.storage.test_claims import voicemail

# Long enough for any honest read on a busy machine; a read queued behind the open
# writer below would wait for ever, so this only bounds how long a failure takes.
NEVER = 10.0


class CountingUnitOfWorkFactory(UnitOfWorkFactory):
    """Counts the units of work a use case opens, writing and reading."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.writers = 0
        self.readers = 0

    def __call__(self) -> UnitOfWork:
        self.writers += 1
        return super().__call__()

    def read(self) -> UnitOfWork:
        self.readers += 1
        return super().read()


@dataclass
class Store:
    uow: CountingUnitOfWorkFactory
    items: ItemServices
    work: WorkServices
    queues: QueueQueries


@pytest.fixture
async def store(
    database_url: str, example_practice: Practice, clock: ManualClock
) -> AsyncIterator[Store]:
    engine = create_engine(database_url)
    uow = CountingUnitOfWorkFactory(session_factory(engine))
    yield Store(
        uow,
        ItemServices(uow, example_practice, clock),
        WorkServices(uow, example_practice, clock),
        QueueQueries(uow, example_practice, clock),
    )
    await engine.dispose()


async def test_a_read_only_unit_of_work_proceeds_while_a_writer_holds_the_lock(
    store: Store, clock: ManualClock
) -> None:
    key = (await store.items.log_request(voicemail(), actor="UFRONT1")).item.key
    async with store.uow() as writer:
        assert await writer.items.claim(key, "UWRITER", clock.now())
        async with asyncio.timeout(NEVER):
            async with store.uow.read() as reader:
                seen = await reader.items.get(key)
        await writer.commit()
    assert seen is not None and seen.owner is None  # the writer had not committed yet


async def test_queues_home_and_item_reads_do_not_wait_for_a_writer(
    store: Store, clock: ManualClock
) -> None:
    key = (await store.items.log_request(voicemail(), actor="UFRONT1")).item.key
    await store.items.claim(item_key=key, actor="UFRONT1")
    async with store.uow() as writer:
        assert await writer.items.change(
            (await writer.items.get(key)),  # type: ignore[arg-type]
            {"next_action": "Call back after lunch"},
            clock.now(),
        )
        async with asyncio.timeout(NEVER):
            mine = await store.queues.mine("UFRONT1")
            lane = await store.queues.lane("scheduling")
            home = await store.queues.home("UFRONT1")
            item = await store.items.get(key)
            history = await store.items.history(key)
            attempts = await store.work.attempts(key)
            promises = await store.work.open_promises(key)
        await writer.commit()
    assert [i.item.key for i in mine] == [key] and [i.item.key for i in lane] == [key]
    assert [i.key for i in home.mine] == [key]
    assert item is not None and item.next_action != "Call back after lunch"
    assert len(history) == 2 and attempts == [] and promises == []


async def test_a_writer_does_not_wait_for_an_open_reader(store: Store) -> None:
    key = (await store.items.log_request(voicemail(), actor="UFRONT1")).item.key
    async with store.uow.read() as reader:
        assert await reader.items.get(key) is not None
        async with asyncio.timeout(NEVER):
            claimed = await store.items.claim(item_key=key, actor="UFRONT1")
    assert isinstance(claimed, Done)


async def test_a_read_only_unit_of_work_cannot_commit_a_write(
    store: Store, clock: ManualClock
) -> None:
    key = (await store.items.log_request(voicemail(), actor="UFRONT1")).item.key
    with pytest.raises(ReadOnlyUnitOfWork):
        async with store.uow.read() as reader:
            await reader.items.claim(key, "USNEAKY", clock.now())
            await reader.commit()
    item = await store.items.get(key)
    assert item is not None and item.owner is None


async def test_a_read_only_unit_of_work_rolls_back_what_it_wrote(
    store: Store, clock: ManualClock
) -> None:
    key = (await store.items.log_request(voicemail(), actor="UFRONT1")).item.key
    async with store.uow.read() as reader:
        assert await reader.items.claim(key, "USNEAKY", clock.now())
    item = await store.items.get(key)
    assert item is not None and item.owner is None


async def test_reading_an_item_and_the_queues_opens_no_writing_unit_of_work(
    store: Store,
) -> None:
    key = (await store.items.log_request(voicemail(), actor="UFRONT1")).item.key
    before = store.uow.writers
    await store.items.get(key)
    await store.items.history(key)
    await store.queues.home("UFRONT1")
    await store.work.attempts(key)
    await store.work.open_promises(key)
    assert store.uow.writers == before


async def test_each_of_25_simultaneous_claims_is_decided_in_one_unit_of_work(
    store: Store,
) -> None:
    key = (await store.items.log_request(voicemail(), actor="UFRONT1")).item.key
    store.uow.writers = store.uow.readers = 0

    results = await asyncio.gather(
        *(store.items.claim(item_key=key, actor=f"USTAFF{n:02d}") for n in range(25))
    )

    refusals = [r for r in results if isinstance(r, Refusal)]
    assert len(refusals) == 24
    assert all(r.code is RefusalCode.ALREADY_OWNED for r in refusals)
    assert (store.uow.writers, store.uow.readers) == (25, 0)


async def test_a_use_cases_outbox_rows_go_in_at_commit_with_their_ids_and_not_at_all_without(
    store: Store, clock: ManualClock
) -> None:
    """Queued writes are written together when the unit of work commits: each gets its id
    then, in the order queued; a unit of work that never commits leaves none behind."""
    key = (await store.items.log_request(voicemail(), actor="UFRONT1")).item.key
    async with store.uow() as tx:
        item_id = await tx.items.id_of(key)
        queued = [
            await tx.outbox.enqueue(
                kind="home", channel=f"home:U{n}", item_id=item_id, now=clock.now()
            )
            for n in range(3)
        ]
        assert [q.id for q in queued] == [None, None, None]
        await tx.commit()
    ids = [q.id for q in queued]
    assert None not in ids and ids == sorted(ids) and len(set(ids)) == 3
    async with store.uow.read() as tx:
        rows = await tx.outbox.due(clock.now(), limit=100)
    assert [(r.id, r.channel) for r in rows if r.id in ids] == [
        (ids[n], f"home:U{n}") for n in range(3)
    ]

    async with store.uow() as tx:
        forgotten = await tx.outbox.enqueue(kind="home", channel="home:UGONE", now=clock.now())
    assert forgotten.id is None
    async with store.uow.read() as tx:
        rows = await tx.outbox.due(clock.now(), limit=100)
    assert "home:UGONE" not in {r.channel for r in rows}


async def test_a_writer_that_cannot_begin_fails_with_sqlalchemys_error_and_the_next_begins(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """storage/db.py begins each SQLite transaction on the driver itself (one call into
    aiosqlite's thread): when another process holds the write lock past the busy timeout,
    the failure is still SQLAlchemy's OperationalError, as through SQLAlchemy's execution,
    and the next unit of work begins as usual once the lock is free."""
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL begins through SQLAlchemy's own adapter")
    monkeypatch.setattr(storage.db, "SQLITE_BUSY_TIMEOUT_MS", 50)
    engine = create_engine(database_url)
    uow = UnitOfWorkFactory(session_factory(engine))
    async with uow() as tx:  # the schema is there, and SQLite's file
        await tx.api_tokens.is_active(1)
    other = sqlite3.connect(make_url(database_url).database or "", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process writing
    try:
        with pytest.raises(sqlalchemy.exc.OperationalError, match="locked"):
            async with uow() as tx:
                await tx.api_tokens.is_active(1)
    finally:
        other.execute("ROLLBACK")
        other.close()
    async with uow() as tx:
        assert not await tx.api_tokens.is_active(1)
        await tx.commit()
    await engine.dispose()
