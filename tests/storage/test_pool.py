"""The PostgreSQL connection pool is sized by settings, with defaults chosen for one process."""

from __future__ import annotations

import pytest
from sqlalchemy.pool import QueuePool

from bot.config import ConfigError, Practice, settings_from_env
from bot.deps import build_deps
from storage.db import DEFAULT_MAX_OVERFLOW, DEFAULT_POOL_SIZE, create_engine, is_sqlite


def pool_of(engine: object) -> QueuePool:
    pool = engine.pool  # type: ignore[attr-defined]
    assert isinstance(pool, QueuePool)
    return pool


def test_pool_size_and_overflow_come_from_the_environment() -> None:
    settings = settings_from_env({"DATABASE_POOL_SIZE": "30", "DATABASE_MAX_OVERFLOW": " 0 "})
    assert (settings.database_pool_size, settings.database_max_overflow) == (30, 0)


def test_without_them_the_storage_defaults_apply() -> None:
    settings = settings_from_env({})
    assert (settings.database_pool_size, settings.database_max_overflow) == (None, None)


def test_a_pool_size_that_is_not_a_positive_number_is_refused_with_its_variable() -> None:
    with pytest.raises(ConfigError) as refused:
        settings_from_env({"DATABASE_POOL_SIZE": "0", "DATABASE_MAX_OVERFLOW": "many"})
    problems = "\n".join(refused.value.problems)
    assert "DATABASE_POOL_SIZE" in problems and "DATABASE_MAX_OVERFLOW" in problems


async def test_the_engine_keeps_the_configured_pool(
    database_url: str, example_practice: Practice
) -> None:
    settings = settings_from_env(
        {"DATABASE_POOL_SIZE": "7", "DATABASE_MAX_OVERFLOW": "3"}, database_url=database_url
    )
    deps = build_deps(settings, practice=example_practice)
    try:
        pool = pool_of(deps.engine)
        if is_sqlite(database_url):
            # SQLite keeps SQLAlchemy's pool for aiosqlite: one writer whatever its size.
            assert pool.size() == 5
        else:
            assert (pool.size(), pool._max_overflow) == (7, 3)
    finally:
        await deps.close()


async def test_postgresql_defaults_to_20_connections_and_10_more_in_a_burst(
    database_url: str,
) -> None:
    if is_sqlite(database_url):
        pytest.skip("the pool settings are PostgreSQL's")
    engine = create_engine(database_url)
    try:
        pool = pool_of(engine)
        assert (pool.size(), pool._max_overflow) == (DEFAULT_POOL_SIZE, DEFAULT_MAX_OVERFLOW)
        assert (DEFAULT_POOL_SIZE, DEFAULT_MAX_OVERFLOW) == (20, 10)
    finally:
        await engine.dispose()
