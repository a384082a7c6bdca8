"""Group commit on SQLite and PostgreSQL: pieces that arrive together share a transaction,
and one piece that fails costs the others nothing (each is run again alone)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from bot.clock import ManualClock
from bot.config import Practice
from bot.services.group_commit import GroupCommit
from bot.services.items import ItemServices
from storage.db import create_engine, session_factory
from storage.uow import UnitOfWork
from tests.storage.test_claims import voicemail
from tests.storage.test_units_of_work import CountingUnitOfWorkFactory


@pytest.fixture
async def uow(database_url: str) -> AsyncIterator[CountingUnitOfWorkFactory]:
    engine = create_engine(database_url)
    yield CountingUnitOfWorkFactory(session_factory(engine))
    await engine.dispose()


Work = Callable[[UnitOfWork], Awaitable[str]]


async def each(tx: UnitOfWork, works: list[Work]) -> list[str]:
    """The handler these tests use: each piece is a function of the transaction."""
    return [await work(tx) for work in works]


class Broken(Exception):
    pass


def _logging(
    uow: CountingUnitOfWorkFactory, practice: Practice, clock: ManualClock
) -> Callable[[UnitOfWork], Awaitable[str]]:
    """A piece of work that logs a voicemail and returns the new item's key."""
    items = ItemServices(uow, practice, clock)

    async def log(tx: UnitOfWork) -> str:
        done, _ = await items.log_in(tx, voicemail(), actor="UFRONT1")
        return done.item.key

    return log


async def _keys(uow: CountingUnitOfWorkFactory) -> list[str]:
    async with uow.read() as tx:
        return sorted(item.key for item in await tx.items.open_in_lane("scheduling"))


async def test_pieces_that_arrive_together_share_transactions_and_all_commit(
    uow: CountingUnitOfWorkFactory, example_practice: Practice, clock: ManualClock
) -> None:
    log = _logging(uow, example_practice, clock)
    group: GroupCommit[Work, str] = GroupCommit(uow, each, max_batch=8)

    keys = await asyncio.gather(*(group.run(log) for _ in range(20)))

    assert len(set(keys)) == 20  # each its own item and key
    assert await _keys(uow) == sorted(keys)
    # 20 pieces handed in at once, 8 at most a transaction: 8, 8 and 4, not 20.
    assert uow.writers == 3
    assert group.batches == 3


async def test_one_failing_piece_fails_alone_and_the_rest_of_its_batch_commits_once(
    uow: CountingUnitOfWorkFactory, example_practice: Practice, clock: ManualClock
) -> None:
    items = ItemServices(uow, example_practice, clock)
    log = _logging(uow, example_practice, clock)
    group: GroupCommit[Work, str] = GroupCommit(uow, each, max_batch=8)

    async def log_then_break(tx: UnitOfWork) -> str:
        await items.log_in(tx, voicemail(), actor="UFRONT1")  # written, then undone
        raise Broken("this piece fails after it wrote")

    pieces = [log, log, log_then_break, log, log]
    results = await asyncio.gather(*(group.run(p) for p in pieces), return_exceptions=True)

    assert isinstance(results[2], Broken)
    kept = [r for r in results if isinstance(r, str)]
    assert len(kept) == 4
    # Exactly the four good items are stored, each once; nothing of the broken one.
    assert await _keys(uow) == sorted(kept)


async def test_a_quiet_system_commits_each_piece_at_once(
    uow: CountingUnitOfWorkFactory, example_practice: Practice, clock: ManualClock
) -> None:
    log = _logging(uow, example_practice, clock)
    group: GroupCommit[Work, str] = GroupCommit(uow, each)

    first = await group.run(log)
    assert await _keys(uow) == [first]  # committed before run() answered
    second = await group.run(log)
    assert await _keys(uow) == sorted([first, second])
    assert group.batches == 0


class _Waves:
    """Pieces handed in as a busy intake API sees them: a wave of 8; while its transaction
    runs, one early arrival; and, a moment after the wave is answered, the next 7 (clients
    send again when they have their answers)."""

    def __init__(self, group: GroupCommit[Work, str], log: Work) -> None:
        self.group, self.log = group, log
        self.answered = asyncio.Event()
        self.later: list[asyncio.Task[object]] = []

    async def first_piece(self, tx: UnitOfWork) -> str:
        self.later.append(asyncio.create_task(self.group.run(self.log)))  # the early one
        self.later.append(asyncio.create_task(self._next_wave()))
        await asyncio.sleep(0.4)  # a slow batch: the drain may wait up to 0.2 s after it
        return await self.log(tx)

    async def _next_wave(self) -> list[str]:
        await self.answered.wait()
        await asyncio.sleep(0.01)
        return await asyncio.gather(*(self.group.run(self.log) for _ in range(7)))


async def test_after_a_busy_batch_the_drain_waits_for_the_next_wave_not_the_first_arrival(
    uow: CountingUnitOfWorkFactory, example_practice: Practice, clock: ManualClock
) -> None:
    log = _logging(uow, example_practice, clock)
    group: GroupCommit[Work, str] = GroupCommit(uow, each, max_batch=8, linger=5.0)
    waves = _Waves(group, log)

    await asyncio.gather(group.run(waves.first_piece), *(group.run(log) for _ in range(7)))
    waves.answered.set()
    await asyncio.gather(*waves.later)

    # Without lingering: 8, then the early arrival alone, then the other 7 (3 transactions).
    assert uow.writers == 2
    assert len(await _keys(uow)) == 16


async def test_a_lingering_drain_waits_no_longer_than_half_its_last_batch(
    uow: CountingUnitOfWorkFactory, example_practice: Practice, clock: ManualClock
) -> None:
    log = _logging(uow, example_practice, clock)
    group: GroupCommit[Work, str] = GroupCommit(uow, each, max_batch=8, linger=30.0)
    slow_log = _slow(log, 0.2)
    straggler: list[asyncio.Task[str]] = []

    async def first(tx: UnitOfWork) -> str:
        straggler.append(asyncio.create_task(group.run(log)))  # nobody follows it
        return await slow_log(tx)

    await asyncio.gather(group.run(first), *(group.run(log) for _ in range(3)))
    loop = asyncio.get_running_loop()
    started = loop.time()
    await straggler[0]
    # It waited for company for half as long as the last batch took (at least 0.1 s, more on
    # a loaded machine), not for the 30 s cap.
    assert loop.time() - started < 10.0
    assert uow.writers == 2


def _slow(work: Work, seconds: float) -> Work:
    async def slow(tx: UnitOfWork) -> str:
        await asyncio.sleep(seconds)
        return await work(tx)

    return slow
