"""Work that goes on after Slack was answered (a button's commit): counted, so a test or a
shutdown can wait until it is done instead of guessing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

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

    @asynccontextmanager
    async def track(self) -> AsyncIterator[None]:
        """Count the work inside; enter before the ack, so whoever got the answer sees it."""
        async with self._changed:
            self._count += 1
        try:
            yield
        finally:
            async with self._changed:
                self._count -= 1
                self._changed.notify_all()

    async def idle(self) -> None:
        """Return once no tracked work is running (bound it with a timeout)."""
        async with self._changed:
            await self._changed.wait_for(lambda: self._count == 0)
