"""What differs between SQLite and PostgreSQL in the statements the repositories write."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


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


async def insert_many(
    session: AsyncSession, table: Any, rows: list[dict[str, Any]], match: str | None = None
) -> list[int]:
    """Insert `rows` into `table` with one multi-row INSERT … RETURNING (up to
    SQLAlchemy's batch size, 1000 rows); their new ids, in the order of `rows`.

    SQLAlchemy's own ordered RETURNING (`sort_by_parameter_order`) falls back to one INSERT
    per row on SQLite, which has no way to tie new rowids to parameter sets. Here a column
    `match`, unique among the rows (an item's key, a new card's item), ties each id to its
    row; without one, the ids are taken in ascending order, as both databases give them to
    the rows of one VALUES list (SQLite one rowid after another, PostgreSQL one nextval per
    row, in order).
    """
    if not rows:
        return []
    if match is not None and len({row[match] for row in rows}) != len(rows):
        match = None
    column = table.c[match] if match is not None else table.c.id
    # An executemany: SQLAlchemy's "insertmanyvalues" sends one multi-row INSERT from a
    # statement compiled once (a `.values(rows)` statement is compiled anew each time).
    result = await session.execute(insert(table).returning(table.c.id, column), rows)
    found = result.all()
    if match is None:
        return sorted(int(row_id) for row_id, _ in found)
    ids = {value: int(row_id) for row_id, value in found}
    return [ids[row[match]] for row in rows]
