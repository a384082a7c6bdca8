"""Fixtures shared by the whole suite: databases (SQLite always, PostgreSQL when asked), a clock."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import text

from bot.clock import ManualClock
from bot.config import EXAMPLE_PRACTICE, Practice, load_practice
from storage.db import create_engine
from storage.migrate import upgrade
from storage.models import Base

# Property tests judge what a function answers, not how fast a shared CI machine runs it:
# hypothesis's 200 ms per-example deadline failed correct examples under load.
settings.register_profile("carequeue", deadline=None)
settings.load_profile("carequeue")

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "").strip()

# Monday 23 November 2026, 09:00 in the example practice's zone (America/New_York).
MONDAY_9AM = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


async def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
        await upgrade(engine)
    finally:
        await engine.dispose()


async def _truncate_postgres(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file, copied for each test (migrating each time is slower)."""
    path = tmp_path_factory.mktemp("db") / "template.db"
    asyncio.run(_migrate(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_url() -> str:
    if not TEST_DATABASE_URL:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
    asyncio.run(_reset_postgres(TEST_DATABASE_URL))
    return TEST_DATABASE_URL


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """A freshly migrated, empty database of each kind."""
    if request.param == "sqlite":
        path = tmp_path / "carequeue.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite+aiosqlite:///{path}"
    url = request.getfixturevalue("postgres_url")
    asyncio.run(_truncate_postgres(url))
    return url


@pytest.fixture(scope="session")
def example_practice() -> Practice:
    return load_practice(EXAMPLE_PRACTICE)


@pytest.fixture
def clock() -> Iterator[ManualClock]:
    yield ManualClock(MONDAY_9AM)
