"""Database errors in the logs, without what they quote.

SQLAlchemy's `hide_parameters` keeps a statement's parameters out of its own message, but
the driver's message is the database's, and that may quote a value: asyncpg's "invalid
input for query argument $3: 'Jane Doe' …", PostgreSQL's "DETAIL: Key (…)=(…)", a
trigger's or a check's text. A log record factory, installed once per process, replaces
any exception whose chain holds a database error with one that names the error classes,
the SQLSTATE and the statement (parameterised: no values) and keeps the traceback's
frames; its words never reach a log handler.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from sqlalchemy.exc import StatementError

# Driver exceptions come from these packages; their messages are the database's words.
_DRIVER_PACKAGES = ("asyncpg", "sqlite3", "aiosqlite", "psycopg", "psycopg2")
_STATEMENT_SHOWN = 300


class ScrubbedDatabaseError(Exception):
    """Stands in a log record for a database error: classes, SQLSTATE, statement; no values."""


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def is_database_error(error: BaseException) -> bool:
    if isinstance(error, StatementError):
        return True
    module = type(error).__module__.split(".")[0]
    return module in _DRIVER_PACKAGES


def scrubbed(error: BaseException) -> BaseException:
    """`error` itself when no database error is in its chain; otherwise a
    ScrubbedDatabaseError saying which classes, SQLSTATE and statement, with `error`'s
    traceback and no chain."""
    chain = list(_chain(error))
    if not any(is_database_error(link) for link in chain):
        return error
    names, sqlstate, statement = [], None, None
    for link in chain:
        names.append(f"{type(link).__module__}.{type(link).__qualname__}")
        sqlstate = sqlstate or getattr(link, "sqlstate", None) or getattr(link, "pgcode", None)
        if isinstance(link, StatementError) and statement is None:
            statement = " ".join(str(link.statement or "").split())[:_STATEMENT_SHOWN]
    text = " <- ".join(names)
    if sqlstate:
        text += f" sqlstate={sqlstate}"
    if statement:
        text += f" statement=[{statement}]"
    text += " (the database's message is withheld: it may quote patient data)"
    replacement = ScrubbedDatabaseError(text).with_traceback(error.__traceback__)
    replacement.__suppress_context__ = True
    return replacement


_installed = False


def install() -> None:
    """Scrub database errors out of every log record made from now on, whichever logger or
    handler (the error handler's, aiohttp's, the outbox's, a test's). Idempotent."""
    global _installed
    if _installed:
        return
    _installed = True
    make_record = logging.getLogRecordFactory()

    def scrubbing_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        if record.exc_info and record.exc_info[1] is not None:
            clean = scrubbed(record.exc_info[1])
            if clean is not record.exc_info[1]:
                record.exc_info = (type(clean), clean, clean.__traceback__)
                record.exc_text = None
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(
                scrubbed(arg) if isinstance(arg, BaseException) else arg for arg in record.args
            )
        return record

    logging.setLogRecordFactory(scrubbing_factory)
