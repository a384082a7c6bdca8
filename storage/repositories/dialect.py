"""What differs between SQLite and PostgreSQL in the statements the repositories write."""

from __future__ import annotations

from typing import Any

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
