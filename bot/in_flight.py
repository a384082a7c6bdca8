"""Work that goes on after Slack was answered (a button's commit): counted, so a test or a
shutdown can wait until it is done instead of guessing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class InFlight:
    """How many listeners are still working after their ack; `idle()` waits for none."""

    def __init__(self) -> None:
        self._count = 0
        self._changed = asyncio.Condition()

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
