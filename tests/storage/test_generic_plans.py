"""Reads by a list of values (an IN list) on tables that grow fast use their indexes
however much the tables grew since the statement was first prepared (PostgreSQL keeps a
prepared statement's generic plan): intake's read of the patients' context, and the read
of the items a token's repeated deliveries made (a portal retrying a batch).

A new practice's first requests prepare such a read on tables of a few rows, where a
sequential scan is cheapest for a list of 50. PostgreSQL settles on that generic plan
after five runs and keeps it for the connection's life, until an ANALYZE of the table
replaces it: a flood of deliveries (a phone system's overnight batch) outruns autovacuum,
and each context read then scanned every item (about 40 ms at 60,000 items,
bench/intake_api.py). SQLite plans each statement as it prepares it, by its indexes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from bot.clock import ManualClock
from bot.config import Practice
from bot.domain.items import Status
from bot.services.intake_api import IntakeApiServices
from bot.services.items import ItemServices
from storage.db import create_engine, session_factory
from storage.models import ApiDeliveryRow, ItemRow
from storage.uow import UnitOfWork, UnitOfWorkFactory
from tests.storage.test_claims import voicemail

pytestmark = pytest.mark.postgres

REFS = [f"MRN-{n}" for n in range(50)]  # a batch of deliveries from 50 patients
KEYS = [f"call-{n}" for n in range(50)]  # and a portal sending those 50 again
KNOWN = 5  # of them, already delivered while the tables were small
GROWN_TO = 100_000
_MADE_ANEW = {"id", "key", "number", "patient_ref"}  # an item copy's own columns in the flood


@dataclass(frozen=True)
class Read:
    """A read by a list, the words that find its prepared statement, and its values."""

    run: Callable[[UnitOfWork, int], Awaitable[int]]  # (tx, token id) -> rows it found
    statement_has: tuple[str, ...]
    values: Callable[[int], list[Any]]  # token id -> the statement's values, in order


async def _contexts(tx: UnitOfWork, _: int) -> int:
    return len(await tx.items.patient_contexts(REFS))


async def _repeated(tx: UnitOfWork, token_id: int) -> int:
    return len(await tx.api_deliveries.items_of(token_id, KEYS))


READS = {
    "patients' context": Read(
        _contexts, ("FROM items", "patient_ref IN"), lambda _: [*REFS, Status.RESOLVED.value]
    ),
    "repeated deliveries": Read(
        _repeated, ("FROM api_deliveries", "idempotency_key IN"), lambda token: [token, *KEYS]
    ),
}


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[tuple[Any, UnitOfWorkFactory]]:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite keeps no generic plans")
    # One connection, so every read below runs on the one that prepared the statement.
    engine = create_engine(database_url, pool_size=1, max_overflow=0)
    yield engine, UnitOfWorkFactory(session_factory(engine))
    await engine.dispose()


@pytest.mark.parametrize("read", READS.values(), ids=READS.keys())
async def test_a_read_by_a_list_uses_its_index_after_the_tables_grew(
    store: tuple[Any, UnitOfWorkFactory],
    example_practice: Practice,
    clock: ManualClock,
    read: Read,
) -> None:
    engine, uow = store
    items = ItemServices(uow, example_practice, clock)
    intake = IntakeApiServices(uow, example_practice, clock, items)
    token, _ = await intake.create_token("Patient portal")
    for ref, key in list(zip(REFS, KEYS, strict=True))[:KNOWN]:  # a new practice's first few
        await intake.deliver(
            token, voicemail(patient_ref=ref), received_at=None, idempotency_key=key
        )
    await _sql(engine, "ANALYZE items", "ANALYZE api_deliveries")  # as autovacuum leaves them
    for _ in range(8):  # past the five runs after which PostgreSQL may keep a generic plan
        async with uow.read() as tx:
            assert await read.run(tx, token.id) == KNOWN
    await _flood(engine)

    async with uow.read() as tx:
        generic_before, custom_before = (await _prepared(tx, read, token.id))[1:]
        assert await read.run(tx, token.id) == KNOWN
        name, generic_after, custom_after = await _prepared(tx, read, token.id)
        # The rest of the transaction (a batch's INSERTs) keeps the usual plan cache.
        assert await (await _driver(tx)).fetchval("SHOW plan_cache_mode") == "auto"
        plan = await _custom_plan(tx, name, read.values(token.id))

    assert (generic_after, custom_after) == (generic_before, custom_before + 1)
    assert "Index" in plan
    assert "Seq Scan on items" not in plan and "Seq Scan on api_deliveries" not in plan


async def _flood(engine: Any) -> None:
    """GROWN_TO more items, each with its delivery, faster than autovacuum analyzes."""
    copied = [c.name for c in ItemRow.__table__.columns if c.name not in _MADE_ANEW]
    await _sql(
        engine,
        f"INSERT INTO items (key, number, patient_ref, {', '.join(copied)})"
        f" SELECT 'F-' || n, 100000 + n, 'FLOOD-' || n, {', '.join(copied)}"
        f" FROM items, generate_series(1, {GROWN_TO}) AS n WHERE patient_ref = '{REFS[0]}'",
        f"INSERT INTO {ApiDeliveryRow.__tablename__}"
        " (token_id, idempotency_key, source_id, item_id, created_at)"
        " SELECT d.token_id, 'flood-' || i.number, '', i.id, d.created_at"
        " FROM items i, api_deliveries d WHERE i.key LIKE 'F-%' AND d.idempotency_key = "
        f"'{KEYS[0]}'",
    )


async def _sql(engine: Any, *statements: str) -> None:
    async with engine.connect() as connection:
        for statement in statements:
            await connection.exec_driver_sql(statement)
        await connection.commit()


async def _driver(tx: UnitOfWork) -> Any:
    connection = await tx.session.connection()
    return (await connection.get_raw_connection()).driver_connection


async def _prepared(tx: UnitOfWork, read: Read, token_id: int) -> tuple[str, int, int]:
    """The read as this connection prepared it: its name, and how many times PostgreSQL
    ran it from its generic plan and from a plan made for the run."""
    rows = await (await _driver(tx)).fetch(
        "SELECT name, statement, generic_plans, custom_plans FROM pg_prepared_statements"
        " WHERE cardinality(parameter_types) = $1",
        len(read.values(token_id)),
    )
    (found,) = [
        (row["name"], row["generic_plans"], row["custom_plans"])
        for row in rows
        if all(words in row["statement"] for words in read.statement_has)
    ]
    return found


async def _custom_plan(tx: UnitOfWork, name: str, values: list[Any]) -> str:
    """The plan PostgreSQL makes for the read on the tables as they are now."""
    driver = await _driver(tx)
    await driver.execute("SET LOCAL plan_cache_mode = force_custom_plan")
    shown = ", ".join(str(v) if isinstance(v, int) else f"'{v}'" for v in values)
    rows = await driver.fetch(f"EXPLAIN EXECUTE {name}({shown})")
    return "\n".join(row[0] for row in rows)
