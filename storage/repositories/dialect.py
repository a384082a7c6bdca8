"""What differs between SQLite and PostgreSQL in the statements the repositories write, and
the statements sent to the database driver directly (`insert_many`, `insert_new`,
`DriverStatement`): the intake API's hot path, where SQLAlchemy's own execution cost
several times what the database did. Their SQL and value conversions are SQLAlchemy's."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession


def _dialect(session: AsyncSession) -> Dialect:
    bind = session.bind
    if bind is None:
        raise RuntimeError("a session for the driver's statements needs a bind")
    return bind.dialect


def is_postgres(session: AsyncSession) -> bool:
    """True on PostgreSQL; a session without a bind counts as SQLite."""
    return session.bind is not None and session.bind.dialect.name == "postgresql"


@asynccontextmanager
async def planned_for_the_tables_as_they_are(session: AsyncSession) -> AsyncIterator[None]:
    """On PostgreSQL, the statements run inside are planned for the tables as they are
    now, not from the generic plan PostgreSQL may keep for a prepared statement; the
    setting ends with the block. For a read by a list of values (an IN list) on a table
    that grows fast: prepared on a table of a few rows, a sequential scan is cheapest for
    a list of 50, and PostgreSQL keeps that plan after five runs until an ANALYZE of the
    table replaces it. A flood of deliveries outruns autovacuum, and each read then
    scanned every row (about 40 ms at 60,000 items, where the index answers in well under
    one): tests/storage/test_generic_plans.py. Only around such reads: planning a batch's
    multi-row INSERTs afresh too cost a burst of deliveries about 13% of its rate. A block
    that raises leaves the setting to the transaction's rollback. SQLite plans each
    statement as it prepares it, by its indexes."""
    if not is_postgres(session):
        yield
        return
    await fetch_in_transaction(session, "SET LOCAL plan_cache_mode = force_custom_plan", [])
    yield
    await fetch_in_transaction(session, "SET LOCAL plan_cache_mode TO DEFAULT", [])


def insert_for(session: AsyncSession) -> Any:
    """The dialect's `insert`, which knows ON CONFLICT (SQLite when the session has no bind)."""
    return postgresql.insert if is_postgres(session) else sqlite.insert


def insert_ignoring_conflict(
    session: AsyncSession, model: Any, values: dict[str, Any], keys: list[str]
):
    return insert_for(session)(model).values(**values).on_conflict_do_nothing(index_elements=keys)


# The most parameters one INSERT carries: both databases take 32,766 (SQLite since 3.32).
MAX_PARAMETERS = 30_000
# An INSERT's text is kept for up to this many rows (a group commit's batches); a larger
# one is written out each time rather than kept in memory.
KEPT_TEXT_ROWS = 64


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
            known = self.head + ", ".join(groups) + self.tail
            if rows <= KEPT_TEXT_ROWS:
                self.texts[rows] = known
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


_SHAPES: dict[tuple[str, str, tuple[str, ...], str, tuple[str, ...]], InsertShape | None] = {}


def insert_shape(
    dialect: Dialect,
    table: Table,
    columns: tuple[str, ...],
    match: str,
    skip_conflicts: tuple[str, ...] = (),
) -> InsertShape | None:
    """The INSERT for rows giving `columns`, returning ids and `match` (with
    `skip_conflicts`, ON CONFLICT on those columns DO NOTHING); None when a column the rows
    leave out has a default that is not a plain value (a function SQLAlchemy would call):
    then SQLAlchemy inserts them itself. Worked out once per shape."""
    cache_key = (dialect.name, table.name, columns, match, skip_conflicts)
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
        tail=(
            f" ON CONFLICT ({', '.join(quote(name) for name in skip_conflicts)}) DO NOTHING"
            if skip_conflicts
            else ""
        )
        + f" RETURNING {quote('id')}, {quote(match)}",
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
    found = await _insert(session, table, rows, match or "id", ())
    if match is None:
        return sorted(int(row_id) for row_id, _ in found)
    ids = {value: int(row_id) for row_id, value in found}
    return [ids[row[match]] for row in rows]


async def insert_new(
    session: AsyncSession,
    table: Any,
    rows: list[dict[str, Any]],
    match: str,
    unique: tuple[str, ...],
) -> dict[Any, int]:
    """`insert_many` for rows that may already be there: a row whose `unique` columns
    another row holds is left out (INSERT … ON CONFLICT DO NOTHING; on PostgreSQL it waits
    for a transaction holding them, then finds its row or, had it rolled back, goes in).
    The new ids by the rows' `match`, which must be unique among them."""
    if not rows:
        return {}
    found = await _insert(session, table, rows, match, unique)
    return {value: int(row_id) for row_id, value in found}


async def _insert(
    session: AsyncSession,
    table: Any,
    rows: list[dict[str, Any]],
    match: str,
    skip_conflicts: tuple[str, ...],
) -> list[Any]:
    """(id, match) of each row inserted."""
    columns = tuple(rows[0])
    shape = insert_shape(_dialect(session), table, columns, match, skip_conflicts)
    if shape is None or any(len(row) != len(columns) for row in rows):
        return await _insert_with_sqlalchemy(session, table, rows, match, skip_conflicts)
    found: list[Any] = []
    per_statement = max(1, MAX_PARAMETERS // (len(columns) + len(shape.defaults)))
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        found += await fetch_in_transaction(
            session, shape.text(len(chunk)), shape.parameters(chunk)
        )
    return found


async def fetch_in_transaction(
    session: AsyncSession, text: str, parameters: list[Any]
) -> list[Any]:
    """Run `text` (the driver's own SQL: $n on PostgreSQL, ? on SQLite) on the driver
    connection of the session's transaction; the rows it returns."""
    postgres, driver = await _driver_of(session)
    async with _in_transaction(driver, postgres) as connection:
        if postgres:
            return list(await connection.fetch(text, *parameters))
        return list(await connection.execute_fetchall(text, parameters))


async def execute_many_in_transaction(
    session: AsyncSession, text: str, rows: list[list[Any]]
) -> None:
    """Run `text` once for each of `rows` (an executemany: one round trip on PostgreSQL,
    one call into SQLite's thread), in the session's transaction."""
    postgres, driver = await _driver_of(session)
    async with _in_transaction(driver, postgres) as connection:
        await connection.executemany(text, rows)


_DRIVER = "carequeue_driver"


async def _driver_of(session: AsyncSession) -> tuple[bool, Any]:
    """(PostgreSQL?, SQLAlchemy's adapted driver connection) of the session's transaction.

    Asking the session for its connection and that for its driver's costs two greenlet
    switches, more than a driver statement itself: the answer is kept in the session for
    as long as its transaction lasts (a commit or rollback ends it: the next transaction
    may have another pooled connection, so it asks again)."""
    transaction = session.sync_session.get_transaction()
    known = session.info.get(_DRIVER)
    if known is not None and transaction is not None and known[0] is transaction:
        return known[1], known[2]
    connection = await session.connection()
    adapted = (await connection.get_raw_connection()).dbapi_connection
    postgres = connection.dialect.name == "postgresql"
    session.info[_DRIVER] = (session.sync_session.get_transaction(), postgres, adapted)
    return postgres, adapted


@asynccontextmanager
async def _in_transaction(adapted: Any, postgres: bool) -> AsyncIterator[Any]:
    """The driver's connection under `adapted`, inside its transaction."""
    if not postgres:
        # SQLite: the connection is inside the BEGIN (IMMEDIATE) storage.db issued.
        yield adapted.driver_connection
        return
    # SQLAlchemy's asyncpg adapter begins the server's transaction at the first statement
    # it runs, under its lock: begin it here if this is the first, as its cursor would.
    async with adapted._execute_mutex:
        if adapted._transaction is None:
            await adapted._start_transaction()
        yield adapted.driver_connection


Binds = tuple[tuple[str, Callable[[Any], Any] | None], ...]


@dataclass
class DriverStatement:
    """A SQLAlchemy Core statement with named bind parameters, compiled once per database
    and run on the driver inside the session's transaction: the SQL and the value
    conversions stay SQLAlchemy's, its per-statement work (several hundred microseconds
    of CPU through the ORM session) does not. For the statements of the intake API's
    batch, where that work was most of a batch's time.

        IS_ACTIVE = DriverStatement(lambda insert: select(T.id).where(T.id == bindparam("t")))
        rows = await IS_ACTIVE.fetch(session, t=7)

    `build` makes the statement, given the database's own `insert` (which knows ON
    CONFLICT); it is called once per database.
    """

    build: Callable[[Callable[..., Any]], Any]
    _compiled: dict[str, tuple[str, Binds]] = field(default_factory=dict)

    def compiled(self, dialect: Dialect) -> tuple[str, Binds]:
        """The driver's SQL for `dialect` and, in order, each parameter's name and bind
        processor."""
        known = self._compiled.get(dialect.name)
        if known is None:
            own_insert = postgresql.insert if dialect.name == "postgresql" else sqlite.insert
            compiled = self.build(own_insert).compile(dialect=dialect)
            binds = tuple(
                (name, compiled.binds[name].type._cached_bind_processor(dialect))
                for name in compiled.positiontup or ()
            )
            known = self._compiled[dialect.name] = (str(compiled), binds)
        return known

    async def fetch(self, session: AsyncSession, **values: Any) -> list[Any]:
        """Run it with `values`; the rows it returns."""
        text, binds = self.compiled(_dialect(session))
        return await fetch_in_transaction(session, text, _bound(binds, values))

    async def execute_many(self, session: AsyncSession, rows: list[dict[str, Any]]) -> None:
        """Run it once for each of `rows` (an executemany)."""
        if not rows:
            return
        text, binds = self.compiled(_dialect(session))
        await execute_many_in_transaction(session, text, [_bound(binds, row) for row in rows])


def _bound(binds: Binds, values: dict[str, Any]) -> list[Any]:
    bound: list[Any] = []
    for name, process in binds:
        value = values[name]
        bound.append(value if process is None or value is None else process(value))
    return bound


async def _insert_with_sqlalchemy(
    session: AsyncSession,
    table: Any,
    rows: list[dict[str, Any]],
    match: str,
    skip_conflicts: tuple[str, ...] = (),
) -> list[Any]:
    """`_insert` through SQLAlchemy (rows it cannot send to the driver)."""
    statement = insert_for(session)(table)
    if skip_conflicts:
        statement = statement.on_conflict_do_nothing(index_elements=list(skip_conflicts))
    # An executemany: SQLAlchemy's "insertmanyvalues" sends one multi-row INSERT from a
    # statement compiled once (a `.values(rows)` statement is compiled anew each time).
    result = await session.execute(statement.returning(table.c.id, table.c[match]), rows)
    return list(result.all())
