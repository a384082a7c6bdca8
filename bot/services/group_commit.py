"""Group commit: pieces of work that arrive together share one transaction.

A burst of intake API deliveries (a phone system flushing its overnight voicemails, a
portal retrying) would otherwise be one transaction each: on SQLite they queue for the one
writer and each pays its BEGIN and COMMIT; on PostgreSQL each holds a pooled connection.
Here the first arrival starts a drain; whatever arrives while a transaction runs waits and
goes into the next one, up to `max_batch` at a time. A quiet system commits one piece at
a time, exactly as before; a busy one commits many per transaction.

A busy system's answers go out together, so its next requests come back together too, a
few milliseconds after the commit. Starting the next transaction at once would take only
the one or two that happened to arrive meanwhile, and the rest would wait for that small
transaction: under a steady load, batches of 49 and 1 alternated (bench/intake_api.py at
concurrency 50), half the transactions for 2% of the work. So after a batch of n > 1, the
drain lingers until n pieces are pending again, or for half as long as that batch took
(at most `linger`), whichever comes first. After a batch of one (a quiet system) it never
waits.

A batch is handed to one function, `handle(tx, pieces)`, which answers a result per piece:
it can write a batch's rows with one statement per table (the intake API does).

Nothing is lost or half-written by sharing: if any piece of a batch fails, the whole batch
rolls back and each of its pieces is run again alone in its own transaction (`handle` with
a batch of one), so one bad piece fails alone and the others commit.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from storage.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

P = TypeVar("P")
T = TypeVar("T")

Handle = Callable[[UnitOfWork, list[P]], Awaitable[list[T]]]

# A batch holds SQLite's one writer while it runs. The intake API writes a batch with one
# statement per table, so 50 deliveries at once are answered in about 70 ms at the median
# (bench/intake_api.py): a click queued behind a batch of 64 still has most of Slack's 3 s.
# Up to 16 a batch, the intake API reached about 350 items/s; up to 64, about 650.
DEFAULT_MAX_BATCH = 64
# The longest a busy drain waits for the next wave (it never waits longer than half of the
# batch it just committed took).
DEFAULT_LINGER = 0.02


class GroupCommit(Generic[P, T]):
    """`await group.run(piece)`: `piece` is handled in a transaction it may share with
    other pieces that arrived meanwhile; `run` returns its result once that transaction has
    committed (or raises what handling it raised, after handling it alone)."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        handle: Handle[P, T],
        *,
        max_batch: int = DEFAULT_MAX_BATCH,
        linger: float = DEFAULT_LINGER,
    ) -> None:
        if max_batch < 1:
            raise ValueError("a batch holds at least one piece of work")
        self._uow = uow
        self._handle = handle
        self._max_batch = max_batch
        self._linger = linger
        self._pending: deque[tuple[P, asyncio.Future[T]]] = deque()
        self._wanted = 0  # a lingering drain wakes when this many are pending (0: none waits)
        self._enough = asyncio.Event()
        self._drain: asyncio.Task[None] | None = None
        self.batches = 0  # transactions committed for more than one piece (for tests)

    async def run(self, piece: P) -> T:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._pending.append((piece, future))
        if self._wanted and len(self._pending) >= self._wanted:
            self._enough.set()
        if self._drain is None or self._drain.done():
            # Its own task: a caller that goes away (a client hanging up) does not stop the
            # transaction the others are waiting on.
            self._drain = asyncio.create_task(self._run_batches())
        return await asyncio.shield(future)

    async def close(self) -> None:
        """Wait for the work already handed in (a stopping process finishes it)."""
        if self._drain is not None:
            await self._drain

    async def _run_batches(self) -> None:
        loop = asyncio.get_running_loop()
        last_size, last_seconds = 0, 0.0
        while self._pending:
            wanted = min(last_size, self._max_batch)
            if wanted > 1 and len(self._pending) < wanted:
                await self._wait_for(wanted, min(self._linger, last_seconds / 2))
            batch = [
                self._pending.popleft() for _ in range(min(self._max_batch, len(self._pending)))
            ]
            started = loop.time()
            try:
                results = await self._together(batch)
            except Exception:
                if len(batch) > 1:
                    log.warning("group commit: a batch of %d failed; each runs alone", len(batch))
                for piece, future in batch:
                    await self._alone(piece, future)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)
            last_size, last_seconds = len(batch), loop.time() - started

    async def _wait_for(self, wanted: int, seconds: float) -> None:
        """Until `wanted` pieces are pending, or `seconds` have passed."""
        self._wanted = wanted
        self._enough.clear()
        try:
            await asyncio.wait_for(self._enough.wait(), seconds)
        except TimeoutError:
            pass
        finally:
            self._wanted = 0

    async def _together(self, batch: list[tuple[P, asyncio.Future[T]]]) -> list[T]:
        async with self._uow() as tx:
            results = await self._handle(tx, [piece for piece, _ in batch])
            if len(results) != len(batch):
                raise RuntimeError("a group commit handler answered the wrong number of results")
            await tx.commit()
        if len(batch) > 1:
            self.batches += 1
        return results

    async def _alone(self, piece: P, future: asyncio.Future[T]) -> None:
        try:
            async with self._uow() as tx:
                (result,) = await self._handle(tx, [piece])
                await tx.commit()
        except Exception as error:  # the caller gets it, as if it had run alone
            if not future.done():
                future.set_exception(error)
            return
        if not future.done():
            future.set_result(result)
