"""Unit of work: one transaction per use case; commits once, rolls back if not committed."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.repositories import CardRepository, EventRepository, ItemRepository, OutboxRepository


class UnitOfWork:
    """`async with uow_factory() as tx:` ... `await tx.commit()`.

    Repositories share the one session and never commit themselves.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._session: AsyncSession | None = None

    async def __aenter__(self) -> UnitOfWork:
        self._session = self._sessions()
        await self._session.begin()
        self.items = ItemRepository(self._session)
        self.events = EventRepository(self._session)
        self.cards = CardRepository(self._session)
        self.outbox = OutboxRepository(self._session)
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

    @property
    def session(self) -> AsyncSession:
        assert self._session is not None, "use the unit of work inside `async with`"
        return self._session

    async def commit(self) -> None:
        await self.session.commit()


class UnitOfWorkFactory:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self.sessions)
