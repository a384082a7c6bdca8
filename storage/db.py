"""Engine and session set-up for SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.ext.asyncio import AsyncSession as AsyncSession
from sqlalchemy.util import await_only

SQLITE_BUSY_TIMEOUT_MS = 10_000
# Execution option on a connection: its transaction only reads (storage.uow's `read()`).
READ_ONLY = "carequeue_read_only"

# PostgreSQL connection pool, per process. One process on a 2-core machine serves a
# practice; a burst of clicks holds a connection each only for its transaction (a few
# short statements, nothing slow inside), and the outbox, the jobs and the read-only
# look-ups need their own. 20 kept open cover 50 simultaneous clicks without a queue in
# most bursts (SQLAlchemy's 5 + 10 did not: clicks and the outbox waited for each
# other); 10 more open under a spike and close after. 30 at most per process leaves
# room under PostgreSQL's default max_connections (100) for three replicas and psql.
# A pool that cannot give a connection in 10 s is a fault worth an error, not a wait
# beyond Slack's 3-second deadline several times over.
DEFAULT_POOL_SIZE = 20
DEFAULT_MAX_OVERFLOW = 10
DEFAULT_POOL_TIMEOUT_SECONDS = 10.0


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(
    url: str,
    *,
    echo: bool = False,
    pool_size: int | None = None,
    max_overflow: int | None = None,
    pool_timeout: float | None = None,
) -> AsyncEngine:
    """Build the async engine; on SQLite turn on WAL, a busy timeout and foreign keys.

    The pool settings apply to PostgreSQL (None: the defaults above). SQLite keeps
    SQLAlchemy's pool for aiosqlite: it has one writer at a time whatever the pool, and
    its readers are cheap.

    SQLite transactions start with BEGIN IMMEDIATE: a unit of work that reads and then
    writes would otherwise fail with "database is locked" when another writer got in
    between, whatever the busy timeout. Writers queue instead. A connection marked
    READ_ONLY (a read-only unit of work) begins deferred.
    """
    if not is_sqlite(url):
        return create_async_engine(
            url,
            echo=echo,
            pool_pre_ping=True,
            hide_parameters=True,
            pool_size=DEFAULT_POOL_SIZE if pool_size is None else pool_size,
            max_overflow=DEFAULT_MAX_OVERFLOW if max_overflow is None else max_overflow,
            pool_timeout=DEFAULT_POOL_TIMEOUT_SECONDS if pool_timeout is None else pool_timeout,
        )

    kwargs: dict[str, Any] = {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}}
    if ":memory:" in url or make_url(url).database in (None, ""):
        raise ValueError("use a SQLite file, not :memory:, so every connection sees one database")
    # hide_parameters: an error message must never carry a patient field into the logs.
    engine = create_async_engine(url, echo=echo, hide_parameters=True, **kwargs)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the sqlite3 module so BEGIN is ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A reader begins deferred: in WAL it reads a snapshot and never waits for a writer.
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        statement = "BEGIN" if read_only else "BEGIN IMMEDIATE"
        # Every transaction starts here, so straight to aiosqlite: one call into its thread,
        # where SQLAlchemy's execution makes three (cursor, execute, close) and costs as
        # much again in its own bookkeeping. A failure is still SQLAlchemy's error class.
        try:
            await_only(connection.connection.driver_connection.execute_fetchall(statement))
        except Exception as error:
            raise DBAPIError.instance(
                statement, None, error, sqlite3.Error, hide_parameters=True
            ) from error

    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
