"""Alembic migrations and the SQLAlchemy models describe the same schema, on both stores."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from storage.db import create_engine
from storage.migrate import current_revision, downgrade, head_revision, upgrade
from storage.models import Base


async def test_migrated_schema_matches_the_models(database_url: str) -> None:
    engine = create_engine(database_url)

    def differences(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    try:
        async with engine.connect() as connection:
            diffs = await connection.run_sync(differences)
    finally:
        await engine.dispose()
    assert diffs == []


async def test_migrations_go_down_to_nothing_and_back_up(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        assert await current_revision(engine) == head_revision()
        await downgrade(engine, "base")
        assert await current_revision(engine) is None
        await upgrade(engine)
        assert await current_revision(engine) == head_revision()
    finally:
        await engine.dispose()
