"""Unit of work: one transaction per use case; commits once, rolls back if not committed.
Reads that change nothing use `uow.read()`, which never waits behind a writer."""

from __future__ import annotations

import asyncio
from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.db import READ_ONLY
from storage.repositories.alerts import AlertRepository
from storage.repositories.api import ApiDeliveryRepository, ApiTokenRepository
from storage.repositories.attempts import AttemptRepository
from storage.repositories.cards import CardRepository
from storage.repositories.digest import DigestRepository
from storage.repositories.escalations import EscalationRepository
from storage.repositories.events import EventRepository
from storage.repositories.handoffs import HandoffRepository
from storage.repositories.items import ItemRepository
from storage.repositories.job_runs import JobRunRepository
from storage.repositories.metrics import MetricsRepository
from storage.repositories.morning import MorningRepository
from storage.repositories.once import OnceRepository
from storage.repositories.outbox import OutboxRepository
from storage.repositories.promises import PromiseRepository
from storage.repositories.retention import RetentionRepository
from storage.repositories.worklist import WorkListRepository


class ReadOnlyUnitOfWork(RuntimeError):
    """A unit of work opened with `uow.read()` was asked to commit: it may not write."""


class UnitOfWork:
    """`async with uow_factory() as tx:` ... `await tx.commit()`.

    Repositories share the one session and never commit themselves. A read-only unit of
    work (`uow_factory.read()`) refuses `commit()` and always rolls back.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        writer: asyncio.Lock | None = None,
        *,
        read_only: bool = False,
    ) -> None:
        self._sessions = sessions
        self._writer = writer
        self._session: AsyncSession | None = None
        self.read_only = read_only
        # What one use case read that the next in the same transaction may reuse (a group
        # commit runs several): gone with the transaction.
        self.memo: dict[object, object] = {}

    async def __aenter__(self) -> UnitOfWork:
        if self._writer is not None:
            await self._writer.acquire()
        try:
            self._session = self._sessions()
            await self._session.begin()
            if self.read_only:
                # Check the connection out now, marked so storage.db begins it deferred.
                await self._session.connection(execution_options={READ_ONLY: True})
        except BaseException:
            if self._session is not None:
                await self._session.close()
                self._session = None
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
        self.api_tokens = ApiTokenRepository(self._session)
        self.api_deliveries = ApiDeliveryRepository(self._session)
        self.job_runs = JobRunRepository(self._session)
        self.digest = DigestRepository(self._session)
        self.morning = MorningRepository(self._session)
        self.escalations = EscalationRepository(self._session)
        self.worklist = WorkListRepository(self._session)
        self.alerts = AlertRepository(self._session)
        self.metrics = MetricsRepository(self._session)
        self.retention = RetentionRepository(self._session)
        self.once = OnceRepository(self._session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self._session, None
        assert session is not None
        try:
            try:
                if session.in_transaction():
                    await session.rollback()
            finally:
                # The transaction has ended: the next writer may begin while this
                # session hands its connection back to the pool.
                if self._writer is not None:
                    self._writer.release()
        finally:
            await session.close()

    @property
    def session(self) -> AsyncSession:
        assert self._session is not None, "use the unit of work inside `async with`"
        return self._session

    async def commit(self) -> None:
        if self.read_only:
            raise ReadOnlyUnitOfWork("a unit of work opened with uow.read() cannot commit")
        await self.outbox.write_queued()
        await self.session.commit()


class UnitOfWorkFactory:
    """Makes units of work: `uow()` for a use case that writes, `uow.read()` for one that
    only reads.

        async with uow() as tx:           # writes: commits once
            ...
            await tx.commit()

        async with uow.read() as tx:      # reads: never waits for a writer
            item = await tx.items.get(key)

    On SQLite (one writer at a time) a writing unit of work begins IMMEDIATE and queues
    on an asyncio lock in this process rather than poll SQLite's busy handler; the busy
    timeout still covers other processes. A reading one takes no lock and begins a
    deferred transaction: WAL gives it a consistent snapshot while writers go on. It
    cannot commit (ReadOnlyUnitOfWork) and always rolls back, so a write made in it is
    never kept. Use `read()` for everything that only shows or decides from data: forms,
    queues, Home, the outbox's look-ups. On PostgreSQL both are plain transactions.
    Never open a writing unit of work while holding another: on SQLite that waits forever.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        bind = sessions.kw.get("bind")
        self._writer = (
            asyncio.Lock() if bind is not None and bind.dialect.name == "sqlite" else None
        )

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self.sessions, self._writer)

    def read(self) -> UnitOfWork:
        """A read-only unit of work: no writer lock, a deferred BEGIN, no commit."""
        return UnitOfWork(self.sessions, None, read_only=True)
