"""`insert_many` and `DriverStatement` send SQL to the driver (storage/repositories/dialect.py):
what they store and compare must be exactly what SQLAlchemy would, byte for byte as the
database keeps it, and it must be part of the unit of work's transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import DateTime, bindparam, select, update
from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
from sqlalchemy.ext.asyncio import AsyncEngine

import storage.repositories.dialect as dialect
from bot.domain.aging import FirstLook
from bot.domain.items import Item, Origin, Patient, Status
from storage.db import READ_ONLY, create_engine, session_factory
from storage.models import CardRow, EventRow, ItemRow, OutboxRow, UTCDateTime
from storage.repositories.dialect import DriverStatement
from storage.repositories.items import _new_row
from storage.uow import UnitOfWorkFactory

# A whole second (SQLAlchemy's SQLite format still writes .000000), and one with microseconds.
ON_THE_SECOND = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)
WITH_MICROS = datetime(2026, 12, 4, 9, 30, 12, 345678, tzinfo=UTC)


def _item(n: int) -> Item:
    return Item(
        key=f"CQ-{n}",
        lane="scheduling",
        request_type="reschedule",
        origin=Origin.VOICEMAIL,
        status=Status.NEW,
        patient=Patient(
            reference=f"MRN-{n}",
            name="Zoë O'Brien-Núñez",
            phone="(555) 201-4477",
            language="Spanish",
            callback_window="after 3 pm",
        ),
        summary='Needs a "morning" slot; 日本語 too',
        received_at=WITH_MICROS,
        due_at=ON_THE_SECOND,
        next_action="Call back",
        created_by="UFRONT1",
        red_flags=("chest pain", "fainted"),
    )


def _item_row(n: int) -> dict[str, Any]:
    look = FirstLook(at=ON_THE_SECOND + timedelta(hours=1), stage="on_track")
    return _new_row(_item(n), n, look, WITH_MICROS)


def _event_row(item_id: int, n: int) -> dict[str, Any]:
    return {
        "item_id": item_id,
        "item_key": f"CQ-{n}",
        "action": "create",
        "actor": "UFRONT1",
        "at": ON_THE_SECOND,
        "before": {},
        "after": {"lane": "scheduling", "owner": None, "flags": ["a", "ü"], "n": 1.5},
    }


def _card_row(item_id: int, n: int) -> dict[str, Any]:
    return {"item_id": item_id, "lane": "scheduling", "channel": f"C{n}", "created_at": WITH_MICROS}


def _outbox_row(item_id: int | None, n: int) -> dict[str, Any]:
    return {
        "kind": "card",
        "channel": f"C{n}",
        "item_id": item_id,
        "card_id": None,
        "payload": {"event_id": 7, "text": "ñ"},
        "priority": 10,
        "status": "pending",
        "attempts": 0,
        "failures": 0,
        "backing_off": False,
        "maybe_sent": True,
        "not_before": ON_THE_SECOND,
        "created_at": WITH_MICROS,
        "last_error": "",
    }


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


async def _stored(engine: AsyncEngine, table: str, row_id: int) -> dict[str, Any]:
    """The row as the database keeps it (read by the driver: no SQLAlchemy conversion)."""
    names = [column.name for column in _table(table).columns]
    columns = ", ".join(f'"{name}"' for name in names)
    async with engine.connect() as connection:
        driver = (await connection.get_raw_connection()).driver_connection
        if connection.dialect.name == "postgresql":
            row = await driver.fetchrow(f"SELECT {columns} FROM {table} WHERE id = $1", row_id)
            return dict(zip(names, row, strict=True))
        cursor = await driver.execute(f"SELECT {columns} FROM {table} WHERE id = ?", (row_id,))
        return dict(zip(names, await cursor.fetchone(), strict=True))


TABLES: list[tuple[Any, Callable[[int, int], dict[str, Any]], str | None, set[str]]] = [
    (EventRow.__table__, _event_row, "item_id", {"id", "item_id", "item_key"}),
    (CardRow.__table__, _card_row, None, {"id", "item_id", "channel"}),
    (OutboxRow.__table__, _outbox_row, None, {"id", "item_id", "channel"}),
]


async def test_the_driver_stores_every_column_as_sqlalchemy_does(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One row through `insert_many` (the driver), its twin through SQLAlchemy's own
    executemany: every column the same as the database keeps it, the columns the rows
    leave out (an item's resolution, an outbox row's lease) included."""
    uow = UnitOfWorkFactory(session_factory(engine))

    async def through_sqlalchemy(*_: Any) -> list[int]:
        raise AssertionError("insert_many went through SQLAlchemy, not the driver")

    async with uow() as tx:
        with monkeypatch.context() as patched:
            patched.setattr(dialect, "_insert_with_sqlalchemy", through_sqlalchemy)
            (fast_item,) = await dialect.insert_many(
                tx.session, ItemRow.__table__, [_item_row(1)], match="key"
            )
        ((slow_item, _),) = await dialect._insert_with_sqlalchemy(
            tx.session, ItemRow.__table__, [_item_row(2)], "key"
        )
        pairs = [("items", fast_item, slow_item, {"id", "key", "number", "patient_ref"})]
        for table, row, match, differ in TABLES:
            with monkeypatch.context() as patched:
                patched.setattr(dialect, "_insert_with_sqlalchemy", through_sqlalchemy)
                (fast,) = await dialect.insert_many(tx.session, table, [row(fast_item, 1)], match)
            ((slow, _),) = await dialect._insert_with_sqlalchemy(
                tx.session, table, [row(slow_item, 2)], match or "id"
            )
            pairs.append((table.name, fast, slow, differ))
        await tx.commit()

    for table_name, fast, slow, differ in pairs:
        fast_row = await _stored(engine, table_name, fast)
        slow_row = await _stored(engine, table_name, slow)
        unlike = {
            name: (value, slow_row[name])
            for name, value in fast_row.items()
            if name not in differ and value != slow_row[name]
        }
        assert unlike == {}, table_name
    # What the comparison is of: values that need converting, not only plain text.
    item = await _stored(engine, "items", fast_item)
    assert item["resolution"] == "" and item["closed_at"] is None  # left out: defaults
    assert item["received_at"] is not None and item["red_flags"] == "chest pain\nfainted"
    async with uow.read() as tx:
        read = await tx.items.get("CQ-1")
    assert read is not None and read.received_at == WITH_MICROS and read.due_at == ON_THE_SECOND
    assert read.red_flags == ("chest pain", "fainted")


def _table(name: str) -> Any:
    return {
        t.name: t
        for t in (ItemRow.__table__, EventRow.__table__, CardRow.__table__, OutboxRow.__table__)
    }[name]


@pytest.mark.parametrize("commit", [True, False])
async def test_a_units_first_statement_sent_to_the_driver_is_in_its_transaction(
    engine: AsyncEngine, commit: bool
) -> None:
    """An outbox row is the first thing a unit of work writes (the driver's INSERT opens
    the transaction on PostgreSQL, as SQLAlchemy's cursor would): kept by a commit, gone
    with a rollback."""
    uow = UnitOfWorkFactory(session_factory(engine))
    async with uow() as tx:
        await tx.outbox.enqueue(kind="message", channel="CROLLBACK", now=ON_THE_SECOND)
        await tx.outbox.write_queued()
        if commit:
            await tx.commit()
    async with uow.read() as tx:
        found = await tx.session.scalars(
            select(OutboxRow.id).where(OutboxRow.channel == "CROLLBACK")
        )
        assert len(found.all()) == (1 if commit else 0)


async def test_rows_over_one_statements_parameters_go_in_several_keeping_their_ids(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More rows than one INSERT may carry: several statements, each row's own id."""
    monkeypatch.setattr(dialect, "MAX_PARAMETERS", 3 * 31)  # three items a statement
    uow = UnitOfWorkFactory(session_factory(engine))
    async with uow() as tx:
        rows = [_item_row(n) for n in range(10, 20)]
        ids = await dialect.insert_many(tx.session, ItemRow.__table__, rows, match="key")
        found = dict((await tx.session.execute(select(ItemRow.id, ItemRow.key))).all())
        await tx.commit()
    assert [found[row_id] for row_id in ids] == [row["key"] for row in rows]
    assert len(set(ids)) == 10


async def test_rows_leaving_out_a_column_with_a_computed_default_go_through_sqlalchemy(
    engine: AsyncEngine,
) -> None:
    """An event row without `before` (its default is a function, dict): SQLAlchemy fills it."""
    uow = UnitOfWorkFactory(session_factory(engine))
    async with uow() as tx:
        (item_id,) = await dialect.insert_many(
            tx.session, ItemRow.__table__, [_item_row(30)], match="key"
        )
        row = _event_row(item_id, 30)
        del row["before"]
        (event_id,) = await dialect.insert_many(tx.session, EventRow.__table__, [row])
        before = await tx.session.scalar(select(EventRow.before).where(EventRow.id == event_id))
        await tx.commit()
    assert before == {}


SINCE = DriverStatement(
    lambda _: (
        select(OutboxRow.channel)
        .where(OutboxRow.not_before >= bindparam("since"))
        .order_by(OutboxRow.channel)
    )
)
DEFER = DriverStatement(
    lambda _: (
        update(OutboxRow.__table__)
        .where(OutboxRow.channel == bindparam("which"))
        .values(not_before=bindparam("until"))
    )
)


async def test_a_driver_statement_binds_values_as_sqlalchemy_does(engine: AsyncEngine) -> None:
    """A datetime goes to the driver as SQLAlchemy sends it (on SQLite, its text: a stored
    time compares right only with one in the same format), in a SELECT and in an
    executemany UPDATE: the driver's UPDATE stores what SQLAlchemy's own stores."""
    uow = UnitOfWorkFactory(session_factory(engine))
    later = WITH_MICROS + timedelta(minutes=5)
    async with uow() as tx:
        for channel in ("CA", "CB", "CC"):
            await tx.outbox.enqueue(kind="message", channel=channel, now=WITH_MICROS)
        await tx.outbox.write_queued()
        await DEFER.execute_many(tx.session, [{"which": "CA", "until": later}])
        await tx.session.execute(
            update(OutboxRow).where(OutboxRow.channel == "CC").values(not_before=later)
        )
        from_the_first = await SINCE.fetch(tx.session, since=WITH_MICROS)
        from_later = await SINCE.fetch(tx.session, since=later)
        ids = dict((await tx.session.execute(select(OutboxRow.channel, OutboxRow.id))).all())
        await tx.commit()
    assert [row[0] for row in from_the_first] == ["CA", "CB", "CC"]  # equal times included
    assert [row[0] for row in from_later] == ["CA", "CC"]
    by_driver = await _stored(engine, "outbox", ids["CA"])
    by_sqlalchemy = await _stored(engine, "outbox", ids["CC"])
    assert by_driver["not_before"] == by_sqlalchemy["not_before"]


@settings(max_examples=500, deadline=None)
@given(
    moment=st.datetimes(
        min_value=datetime(1, 1, 2),
        max_value=datetime(9999, 12, 30),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5)), ZoneInfo("Asia/Tokyo")]),
    )
)
def test_a_utc_datetime_binds_on_sqlite_as_sqlalchemys_own_datetime_does(
    moment: datetime,
) -> None:
    """UTCDateTime's one-step SQLite processor writes exactly the text SQLAlchemy's
    DATETIME writes for the same UTC time (stored times compare as text on SQLite), the
    first time and from the texts it keeps (one processor for every example: the same
    instant written in another zone, and the same wall time without a zone, after it)."""
    stock = DateTime().dialect_impl(_SQLITE).bind_processor(_SQLITE)
    assert stock is not None
    expected = stock(moment.astimezone(UTC).replace(tzinfo=None))
    assert _OURS(moment) == expected
    assert _OURS(moment) == expected
    assert _OURS(moment.astimezone(ZoneInfo("America/Chicago"))) == expected
    assert _OURS(None) is None
    with pytest.raises(ValueError, match="naive"):
        _OURS(moment.replace(tzinfo=None))


_SQLITE = SQLiteDialect_aiosqlite()
_OURS = UTCDateTime().bind_processor(_SQLITE)


@pytest.mark.parametrize("first_fold", [0, 1])
def test_the_two_times_of_a_fall_back_night_bind_as_their_own_instants(first_fold: int) -> None:
    """Two times in one zone compare by their wall clocks, fold ignored: the processor's
    kept texts must not give the 1:30 after the clocks went back the text of the 1:30
    before (an hour apart), in either order, nor after either went in as UTC."""
    chicago = ZoneInfo("America/Chicago")
    process = UTCDateTime().bind_processor(_SQLITE)
    assert process is not None
    first = datetime(2026, 11, 1, 1, 30, tzinfo=chicago, fold=first_fold)
    second = first.replace(fold=1 - first_fold)
    for moment in (first, first.astimezone(UTC), second, second.astimezone(UTC), first):
        expected = moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
        assert process(moment) == expected


async def test_after_a_commit_the_driver_statements_follow_the_sessions_next_connection(
    engine: AsyncEngine,
) -> None:
    """A session's next transaction may get another pooled connection; the one it gave back
    may be serving someone else meanwhile. A row inserted through the driver after the
    commit goes in the session's new transaction, not in the other's (which rolls back)."""
    sessions = session_factory(engine)
    async with sessions() as mine, sessions() as other:
        async with mine.begin():
            await dialect.insert_many(mine, OutboxRow.__table__, [_outbox_row(None, 1)])
        # The connection `mine` gave back goes to `other` (a reader: SQLite lets `mine` write).
        await other.connection(execution_options={READ_ONLY: True})
        async with mine.begin():
            await dialect.insert_many(mine, OutboxRow.__table__, [_outbox_row(None, 2)])
        await other.rollback()
    async with sessions() as reader:
        channels = await reader.scalars(select(OutboxRow.channel).order_by(OutboxRow.channel))
        assert channels.all() == ["C1", "C2"]
