"""Unit of work: one transaction per use case; commits once, rolls back if not committed."""

from __future__ import annotations

import asyncio
from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.repositories import (
    AttemptRepository,
    CardRepository,
    EventRepository,
    HandoffRepository,
    ItemRepository,
    OutboxRepository,
    PromiseRepository,
)


class UnitOfWork:
    """`async with uow_factory() as tx:` ... `await tx.commit()`.

    Repositories share the one session and never commit themselves.
    """

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], writer: asyncio.Lock | None = None
    ) -> None:
        self._sessions = sessions
        self._writer = writer
        self._session: AsyncSession | None = None

    async def __aenter__(self) -> UnitOfWork:
        if self._writer is not None:
            await self._writer.acquire()
        try:
            self._session = self._sessions()
            await self._session.begin()
        except BaseException:
            if self._writer is not None:
                self._writer.release()
            raise
        self.items = ItemRepository(self._session)
        self.events = EventRepository(self._session)
        self.cards = CardRepository(self._session)
        self.outbox = OutboxRepository(self._session)
        self.attempts = AttemptRepository(self._session)
        self.promises = PromiseRepository(self._session)
        self.handoffs = HandoffRepository(self._session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._session is not None
        try:
            if self._session.in_transaction():
                await self._session.rollback()
        finally:
            await self._session.close()
            self._session = None
            if self._writer is not None:
                self._writer.release()

    @property
    def session(self) -> AsyncSession:
        assert self._session is not None, "use the unit of work inside `async with`"
        return self._session

    async def commit(self) -> None:
        await self.session.commit()


class UnitOfWorkFactory:
    """Makes units of work. On SQLite (one writer at a time, and every transaction here
    begins IMMEDIATE) units of work queue on an asyncio lock in this process rather than
    poll SQLite's busy handler; the busy timeout still covers other processes.
    Never open a unit of work while holding another: on SQLite that waits forever."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        bind = sessions.kw.get("bind")
        self._writer = (
            asyncio.Lock() if bind is not None and bind.dialect.name == "sqlite" else None
        )

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self.sessions, self._writer)
