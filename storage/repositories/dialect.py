"""What differs between SQLite and PostgreSQL in the statements the repositories write."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession


def is_postgres(session: AsyncSession) -> bool:
    """True on PostgreSQL; a session without a bind counts as SQLite."""
    return session.bind is not None and session.bind.dialect.name == "postgresql"


def insert_for(session: AsyncSession) -> Any:
    """The dialect's `insert`, which knows ON CONFLICT (SQLite when the session has no bind)."""
    return postgresql.insert if is_postgres(session) else sqlite.insert


def insert_ignoring_conflict(
    session: AsyncSession, model: Any, values: dict[str, Any], keys: list[str]
):
    return insert_for(session)(model).values(**values).on_conflict_do_nothing(index_elements=keys)


# The most parameters one INSERT carries: both databases take 32,766 (SQLite since 3.32).
MAX_PARAMETERS = 30_000


@dataclass
class InsertShape:
    """A multi-row INSERT … RETURNING of some of a table's columns, for one database.

    SQLAlchemy's schema decides everything in it: the quoted names, each column's bind
    processor (so a value is stored exactly as SQLAlchemy would store it: a UTC datetime
    as SQLite's text, a JSON column as its text) and the scalar defaults of the columns
    the rows leave out. Only the execution is the driver's own (see `insert_many`).
    """

    columns: tuple[str, ...]  # what each row gives, in order
    processors: tuple[Callable[[Any], Any] | None, ...]
    defaults: tuple[Any, ...]  # the bound values of the columns the rows leave out
    head: str
    tail: str
    numbered: bool  # asyncpg's $1, $2 … rather than SQLite's ?
    texts: dict[int, str] = field(default_factory=dict)  # the SQL for n rows

    def text(self, rows: int) -> str:
        known = self.texts.get(rows)
        if known is None:
            width = len(self.columns) + len(self.defaults)
            if self.numbered:
                groups = (
                    "(" + ", ".join(f"${row * width + n + 1}" for n in range(width)) + ")"
                    for row in range(rows)
                )
            else:
                groups = ("(" + ", ".join("?" * width) + ")" for _ in range(rows))
            known = self.texts[rows] = self.head + ", ".join(groups) + self.tail
        return known

    def parameters(self, rows: list[dict[str, Any]]) -> list[Any]:
        """The rows' values in order, each through its column's bind processor."""
        values: list[Any] = []
        append, extend = values.append, values.extend
        pairs = tuple(zip(self.columns, self.processors, strict=True))
        for row in rows:
            for name, process in pairs:
                value = row[name]
                append(value if process is None or value is None else process(value))
            extend(self.defaults)
        return values


_SHAPES: dict[tuple[str, str, tuple[str, ...], str], InsertShape | None] = {}


def insert_shape(
    dialect: Dialect, table: Table, columns: tuple[str, ...], match: str
) -> InsertShape | None:
    """The INSERT for rows giving `columns`, returning ids and `match`; None when a column
    the rows leave out has a default that is not a plain value (a function SQLAlchemy
    would call): then SQLAlchemy inserts them itself. Worked out once per shape."""
    cache_key = (dialect.name, table.name, columns, match)
    if cache_key in _SHAPES:
        return _SHAPES[cache_key]
    left_out: list[tuple[str, Any]] = []
    for column in table.columns:
        default = column.default
        if column.name in columns or default is None:
            continue
        if not getattr(default, "is_scalar", False):
            _SHAPES[cache_key] = None
            return None
        left_out.append((column.name, default.arg))  # type: ignore[attr-defined]
    names = (*columns, *(name for name, _ in left_out))
    quote = dialect.identifier_preparer.quote
    processors = tuple(table.c[name].type._cached_bind_processor(dialect) for name in names)
    defaults = tuple(
        value if process is None or value is None else process(value)
        for (_, value), process in zip(left_out, processors[len(columns) :], strict=True)
    )
    shape = InsertShape(
        columns=columns,
        processors=processors[: len(columns)],
        defaults=defaults,
        head=f"INSERT INTO {quote(table.name)} ({', '.join(quote(name) for name in names)})"
        " VALUES ",
        tail=f" RETURNING {quote('id')}, {quote(match)}",
        numbered=dialect.name == "postgresql",
    )
    _SHAPES[cache_key] = shape
    return shape


async def insert_many(
    session: AsyncSession, table: Any, rows: list[dict[str, Any]], match: str | None = None
) -> list[int]:
    """Insert `rows` (dicts with the same columns) into `table` with one multi-row INSERT …
    RETURNING (more than one when they would exceed MAX_PARAMETERS); their new ids, in the
    order of `rows`.

    A column `match`, unique among the rows (an item's key, a new card's item), ties each
    returned id to its row: SQLite documents no order for RETURNING. Without one, the ids
    are taken in ascending order, as both databases give them to the rows of one VALUES
    list (SQLite one rowid after another, PostgreSQL one nextval per row, in order).

    The statement goes to the driver directly, inside the session's transaction: through
    SQLAlchemy, binding a batch's rows cost more than a millisecond a statement on the
    intake API's path (bench/intake_api.py); the SQL and the value conversions are still
    SQLAlchemy's (`insert_shape`).
    """
    if not rows:
        return []
    if match is not None and len({row[match] for row in rows}) != len(rows):
        match = None
    columns = tuple(rows[0])
    connection = await session.connection()
    shape = insert_shape(connection.dialect, table, columns, match or "id")
    if shape is None or any(len(row) != len(columns) for row in rows):
        return await _insert_with_sqlalchemy(session, table, rows, match)
    found: list[Any] = []
    per_statement = max(1, MAX_PARAMETERS // (len(columns) + len(shape.defaults)))
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        found += await fetch_in_transaction(
            connection, shape.text(len(chunk)), shape.parameters(chunk)
        )
    if match is None:
        return sorted(int(row_id) for row_id, _ in found)
    ids = {value: int(row_id) for row_id, value in found}
    return [ids[row[match]] for row in rows]


async def fetch_in_transaction(
    connection: AsyncConnection, text: str, parameters: list[Any]
) -> list[Any]:
    """Run `text` (the driver's own SQL: $n on PostgreSQL, ? on SQLite) on the driver
    connection under `connection`, in its transaction; the rows it returns."""
    adapted = (await connection.get_raw_connection()).dbapi_connection
    driver = adapted.driver_connection  # type: ignore[union-attr]
    if connection.dialect.name == "postgresql":
        # SQLAlchemy's asyncpg adapter begins the server's transaction at the first
        # statement it runs: begin it here if this is the first, as its cursor would.
        async with adapted._execute_mutex:  # type: ignore[union-attr]
            if adapted._transaction is None:  # type: ignore[union-attr]
                await adapted._start_transaction()  # type: ignore[union-attr]
            return list(await driver.fetch(text, *parameters))
    # SQLite: the connection is inside the BEGIN IMMEDIATE storage.db issued.
    return list(await driver.execute_fetchall(text, parameters))


async def _insert_with_sqlalchemy(
    session: AsyncSession, table: Any, rows: list[dict[str, Any]], match: str | None
) -> list[int]:
    column = table.c[match] if match is not None else table.c.id
    # An executemany: SQLAlchemy's "insertmanyvalues" sends one multi-row INSERT from a
    # statement compiled once (a `.values(rows)` statement is compiled anew each time).
    result = await session.execute(insert(table).returning(table.c.id, column), rows)
    found = result.all()
    if match is None:
        return sorted(int(row_id) for row_id, _ in found)
    ids = {value: int(row_id) for row_id, value in found}
    return [ids[row[match]] for row in rows]
