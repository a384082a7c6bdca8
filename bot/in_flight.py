"""Work that goes on after Slack was answered (a button's commit): counted, so a test or a
shutdown can wait until it is done instead of guessing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any

# Button clicks committing at once after their ack. Acking first means the clicker's next
# click is not held back by the commit, so a burst would otherwise start every commit at
# once and outrun the database pool (2,000 clicks: pool timeouts, claims lost). Kept well
# under the PostgreSQL pool (20 + 10), leaving room for submissions, reads and the outbox.
AFTER_ACK_AT_ONCE = 10


class InFlight:
    """How many listeners are still working after their ack; `idle()` waits for none.
    `slot()` bounds how many of them touch the database at once; the rest wait in turn."""

    def __init__(self, at_once: int = AFTER_ACK_AT_ONCE) -> None:
        self._count = 0
        self._changed = asyncio.Condition()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._notifying: set[asyncio.Future[None]] = set()
        self._slots = asyncio.Semaphore(at_once)
        self._busy = 0
        self.peak = 0  # the most ever in slots at once (for tests and benchmarks)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """One of the bounded places for work after an ack; waits for one to be free."""
        async with self._slots:
            self._busy += 1
            self.peak = max(self.peak, self._busy)
            try:
                yield
            finally:
                self._busy -= 1

    def spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        """Run `work` as a task of its own, counted from now until it is done: spawn before
        the ack, so whoever got the answer sees it counted."""
        self._count += 1
        task = asyncio.create_task(work)
        self._tasks.add(task)  # the loop keeps only a weak reference to a task
        task.add_done_callback(self._finished)

    def follow(self, running: asyncio.Future[Any]) -> None:
        """Count work already running (a submission's commit that outlived the ack budget:
        the person was told it is being saved) until it is done."""
        self._count += 1
        running.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Future[Any]) -> None:
        self._tasks.discard(task)
        self._count -= 1
        notifying = asyncio.ensure_future(self._notify())
        self._notifying.add(notifying)
        notifying.add_done_callback(self._notifying.discard)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def idle(self) -> None:
        """Return once no tracked work is running (bound it with a timeout)."""
        async with self._changed:
            await self._changed.wait_for(lambda: self._count == 0)
