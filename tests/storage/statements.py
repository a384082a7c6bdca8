"""Every statement a unit of work sends its database, whichever way it goes: through
SQLAlchemy or straight to the driver (storage/repositories/dialect.py::insert_many)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event

from storage.uow import UnitOfWork

_TRANSACTION = ("BEGIN", "COMMIT", "ROLLBACK")


@asynccontextmanager
async def statements_sent(tx: UnitOfWork) -> AsyncIterator[list[str]]:
    """The first word of each statement `tx` sends inside the block (transaction control
    left out). SQLite's trace callback sees every statement its connection runs; on
    PostgreSQL, SQLAlchemy's cursor events see its own statements and asyncpg's query
    logger the ones sent to the driver directly (it does not see prepared statements,
    which are SQLAlchemy's: the two never count one twice)."""
    sent: list[str] = []
    connection = await tx.session.connection()
    driver = (await connection.get_raw_connection()).driver_connection

    def keep(statement: str) -> None:
        word = statement.split()[0].upper().rstrip(";")
        if word not in _TRANSACTION:
            sent.append(word)

    if connection.dialect.name == "sqlite":
        await driver.set_trace_callback(keep)
        try:
            yield sent
        finally:
            await driver.set_trace_callback(None)
        return

    def through_sqlalchemy(_c: Any, _cursor: Any, statement: str, *_: Any) -> None:
        keep(statement)

    def to_driver(record: Any) -> None:
        keep(record.query)

    sync_engine = connection.sync_engine
    event.listen(sync_engine, "before_cursor_execute", through_sqlalchemy)
    driver.add_query_logger(to_driver)
    try:
        yield sent
    finally:
        driver.remove_query_logger(to_driver)
        event.remove(sync_engine, "before_cursor_execute", through_sqlalchemy)
