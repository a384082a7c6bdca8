"""Intake's read of the patients' context (their last known language and open items) finds
them through the patient-reference index however much the items table grew since the
statement was first prepared (PostgreSQL keeps a prepared statement's generic plan).

A new practice's first requests prepare the read on a table of a few rows, where a
sequential scan is cheapest for a list of 50 patients. PostgreSQL settles on that generic
plan after five runs and keeps it for the connection's life, until an ANALYZE of the table
replaces it: a flood of deliveries (a phone system's overnight batch) outruns autovacuum,
and each read then scanned every item (about 40 ms at 60,000 items, bench/intake_api.py).
SQLite plans each statement as it is prepared, by its indexes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.clock import ManualClock
from bot.config import Practice
from bot.domain.items import Status
from bot.services.items import Intake, ItemServices
from storage.db import create_engine, session_factory
from storage.models import ItemRow
from storage.uow import UnitOfWorkFactory
from tests.storage.test_claims import voicemail

pytestmark = pytest.mark.postgres

REFS = [f"MRN-{n}" for n in range(50)]  # a batch of deliveries from 50 patients
GROWN_TO = 20_000
_MADE_ANEW = {"id", "key", "number", "patient_ref"}


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[tuple[Any, UnitOfWorkFactory]]:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite keeps no generic plans")
    # One connection, so every read below runs on the one that prepared the statement.
    engine = create_engine(database_url, pool_size=1, max_overflow=0)
    yield engine, UnitOfWorkFactory(session_factory(engine))
    await engine.dispose()


async def test_the_context_read_uses_the_patient_index_after_the_table_grew(
    store: tuple[Any, UnitOfWorkFactory], example_practice: Practice, clock: ManualClock
) -> None:
    engine, uow = store
    items = ItemServices(uow, example_practice, clock)
    async with uow() as tx:  # a new practice: a few items, analyzed as autovacuum leaves them
        await items.log_many_in(
            tx, [Intake(voicemail(patient_ref=ref), "UFRONT1", None) for ref in REFS[:5]]
        )
        await tx.commit()
    async with engine.connect() as connection:
        await connection.exec_driver_sql("ANALYZE items")
        await connection.commit()
    for _ in range(8):  # past the five runs after which PostgreSQL may keep a generic plan
        async with uow.read() as tx:
            assert set(await tx.items.patient_contexts(REFS)) == set(REFS[:5])
    async with engine.connect() as connection:  # a flood, faster than autovacuum
        copied = [c.name for c in ItemRow.__table__.columns if c.name not in _MADE_ANEW]
        await connection.exec_driver_sql(
            f"INSERT INTO items (key, number, patient_ref, {', '.join(copied)})"
            f" SELECT 'F-' || n, 100000 + n, 'FLOOD-' || n, {', '.join(copied)}"
            f" FROM items, generate_series(1, {GROWN_TO}) AS n WHERE patient_ref = 'MRN-0'"
        )
        await connection.commit()

    async with uow.read() as tx:
        generic_before, custom_before = (await _prepared_read(tx))[1:]
        found = await tx.items.patient_contexts(REFS)
        assert set(found) == set(REFS[:5])
        name, generic_after, custom_after = await _prepared_read(tx)
        # The rest of the transaction (a batch's INSERTs) keeps the usual plan cache.
        assert await _driver_value(tx, "SHOW plan_cache_mode") == "auto"
        plan = await _custom_plan(tx, name)

    assert (generic_after, custom_after) == (generic_before, custom_before + 1)
    assert "ix_items_patient_ref" in plan
    assert "Seq Scan on items" not in plan


async def _driver(tx: Any) -> Any:
    connection = await tx.session.connection()
    return (await connection.get_raw_connection()).driver_connection


async def _driver_value(tx: Any, query: str, *arguments: Any) -> Any:
    return await (await _driver(tx)).fetchval(query, *arguments)


async def _prepared_read(tx: Any) -> tuple[str, int, int]:
    """The context read for REFS as this connection prepared it: its name, and how many
    times PostgreSQL ran it from its generic plan and from a plan made for the run."""
    driver = await _driver(tx)
    (found,) = [
        (row["name"], row["generic_plans"], row["custom_plans"])
        for row in await driver.fetch(
            "SELECT name, statement, generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE cardinality(parameter_types) = $1",
            len(REFS) + 1,  # the closed status, and the patients
        )
        if "FROM items" in row["statement"] and "patient_ref IN" in row["statement"]
    ]
    return found


async def _custom_plan(tx: Any, name: str) -> str:
    """The plan PostgreSQL makes for the read for REFS on the table as it is now."""
    driver = await _driver(tx)
    await driver.execute("SET LOCAL plan_cache_mode = force_custom_plan")
    values = ", ".join(f"'{value}'" for value in [Status.RESOLVED.value, *REFS])
    rows = await driver.fetch(f"EXPLAIN EXECUTE {name}({values})")
    return "\n".join(row[0] for row in rows)
