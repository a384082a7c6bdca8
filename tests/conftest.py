"""Fixtures shared by the whole suite: databases (SQLite always, PostgreSQL when asked), a clock."""

from __future__ import annotations

import asyncio
import gc
import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp import web_app
from hypothesis import settings
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.clock import ManualClock
from bot.config import EXAMPLE_PRACTICE, Practice, load_practice
from storage.db import create_engine
from storage.migrate import upgrade
from storage.models import Base

# Property tests judge what a function answers, not how fast a shared CI machine runs it:
# hypothesis's 200 ms per-example deadline failed correct examples under load.
settings.register_profile("carequeue", deadline=None)
settings.load_profile("carequeue")


def forget_stopped_web_apps() -> None:
    """Drop aiohttp's cache of middleware chains, which holds every web app it served.

    aiohttp (3.10 and later) caches each handler's middleware chain in a module-level LRU of
    1,024 entries, keyed by the app: a process that starts one web app (`carequeue run`)
    keeps one, but the suite starts a clinic and a Slack stub per test, and each cached
    chain kept a stopped app alive with its deps, engine and SQLAlchemy caches (about
    10,000 objects a test). After a thousand tests a full garbage collection took 2 to 5 s,
    stalling the event loop mid-test: triggers expired, saves missed the ack budget.
    """
    cached = getattr(web_app, "_cached_build_middleware", None)
    if cached is not None:
        cached.cache_clear()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Keep what importing the product, its libraries and the tests made (about 160,000
    objects, alive for the whole run) out of every later full collection, so a collection
    in the middle of a test walks only what the tests made since."""
    gc.collect()
    gc.freeze()


@pytest.fixture(autouse=True)
def _release_web_apps() -> Iterator[None]:
    yield
    forget_stopped_web_apps()


TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "").strip()

# Monday 23 November 2026, 09:00 in the example practice's zone (America/New_York).
MONDAY_9AM = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


def worker_database_url(url: str, worker: str | None) -> str:
    """The database this pytest process owns: under pytest-xdist each worker (gw0, gw1, …)
    gets its own, named after the given one (`test` -> `test_gw0`), so workers never
    truncate each other's tables; a plain run uses the given database itself."""
    if not worker or worker == "master":
        return url
    given = make_url(url)
    return given.set(database=f"{given.database}_{worker}").render_as_string(hide_password=False)


async def _create_database(maintenance_url: str, url: str) -> None:
    """Create `url`'s database unless it exists, connected to the given (existing) one."""
    name = make_url(url).database
    engine = create_async_engine(maintenance_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            exists = await connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
            if not exists:
                await connection.execute(text(f'CREATE DATABASE "{name}"'))
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
    url = worker_database_url(TEST_DATABASE_URL, os.environ.get("PYTEST_XDIST_WORKER"))
    if url != TEST_DATABASE_URL:
        asyncio.run(_create_database(TEST_DATABASE_URL, url))
    asyncio.run(_reset_postgres(url))
    return url


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
