"""The end-of-day digest's numbers, read from a small hand-made day on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.clock import ManualClock
from bot.config import Practice
from bot.domain.digest import Digest
from bot.domain.items import Origin
from bot.domain.waiting import WaitingParty
from bot.services.items import ItemServices
from bot.services.work import WorkServices
from storage.db import create_engine, session_factory
from storage.repositories.digest import DIGEST_LIST_CAP
from storage.uow import UnitOfWorkFactory
from tests.storage.test_claims import voicemail

NEW_YORK = ZoneInfo("America/New_York")
MONDAY = date(2026, 11, 23)
MIDNIGHT = datetime.combine(MONDAY, time(0), tzinfo=NEW_YORK).astimezone(UTC)
CLOSING = datetime.combine(MONDAY, time(17), tzinfo=NEW_YORK).astimezone(UTC)


@dataclass
class Day:
    uow: UnitOfWorkFactory
    items: ItemServices
    work: WorkServices
    clock: ManualClock

    async def digest(self) -> Digest:
        async with self.uow.read() as tx:
            return await tx.digest.digest(MONDAY, since=MIDNIGHT, now=self.clock.now())


@pytest.fixture
async def day(
    database_url: str, example_practice: Practice, clock: ManualClock
) -> AsyncIterator[Day]:
    engine = create_engine(database_url)
    uow = UnitOfWorkFactory(session_factory(engine))
    yield Day(
        uow,
        ItemServices(uow, example_practice, clock),
        WorkServices(uow, example_practice, clock),
        clock,
    )
    await engine.dispose()


async def test_an_empty_practice_has_nothing_to_report(day: Day) -> None:
    digest = await day.digest()

    assert (digest.open, digest.unclaimed, digest.overdue, digest.resolved_today) == (0, 0, 0, 0)
    assert digest.lanes == () and digest.owners == () and digest.overdue_items == ()


async def test_the_days_numbers_per_lane_per_owner_and_today(day: Day) -> None:
    # Monday 9:00. Scheduling: a voicemail (due at close) and two portal messages (4 h).
    voicemail_key = (await day.items.log_request(voicemail(patient_ref="A1"), actor="UF")).item.key
    late = (
        await day.items.log_request(
            voicemail(patient_ref="A2", origin=Origin.PORTAL_MESSAGE),
            actor="UF",
            received_at=day.clock.now() - timedelta(hours=1),
        )
    ).item.key
    closed = (
        await day.items.log_request(
            voicemail(patient_ref="A3", origin=Origin.PORTAL_MESSAGE), actor="UF"
        )
    ).item.key
    billing = (
        await day.items.log_request(
            voicemail(patient_ref="A4", lane="billing", request_type="statement question"),
            actor="UF",
        )
    ).item.key
    await day.items.claim(item_key=late, actor="UANA")
    await day.items.claim(item_key=billing, actor="UANA")
    await day.items.claim(item_key=closed, actor="UBEN")
    await day.work.add_promise(
        item_key=billing,
        actor="UANA",
        text="Call back",
        due_at=day.clock.now() + timedelta(hours=2),
    )
    await day.items.close(
        item_key=closed, actor="UBEN", resolution="appointment booked", told_patient="Booked Tue"
    )

    day.clock.set(CLOSING)
    digest = await day.digest()

    assert (digest.open, digest.unclaimed, digest.overdue) == (3, 1, 2)
    assert (digest.promises_missed, digest.escalations_open, digest.resolved_today) == (1, 0, 1)
    lanes = {lane.lane: lane for lane in digest.lanes}
    assert (lanes["scheduling"].open, lanes["scheduling"].overdue) == (2, 2)
    assert lanes["scheduling"].oldest_received_at == CLOSING - timedelta(hours=9)
    assert (lanes["billing"].open, lanes["billing"].overdue) == (1, 0)
    assert digest.owners == (("UANA", 2),)
    assert [i.key for i in digest.overdue_items] == [late, voicemail_key]
    assert [i.key for i in digest.unclaimed_items] == [voicemail_key]
    assert [i.key for i in digest.resolved_items] == [closed]
    assert digest.resolved_items[0].owner == "UBEN"


async def test_lists_are_capped_but_counts_are_exact(day: Day) -> None:
    for n in range(DIGEST_LIST_CAP + 3):
        await day.items.log_request(voicemail(patient_ref=f"B{n}"), actor="UF")

    digest = await day.digest()

    assert digest.unclaimed == DIGEST_LIST_CAP + 3
    assert len(digest.unclaimed_items) == DIGEST_LIST_CAP


async def test_unkept_promises_and_waiting_items_are_listed_with_their_times(day: Day) -> None:
    kept, missed, parked = [
        (await day.items.log_request(voicemail(patient_ref=f"P{n}"), actor="UF")).item.key
        for n in range(3)
    ]
    for key in (kept, missed, parked):
        await day.items.claim(item_key=key, actor="UANA")
    made = {
        key: await day.work.add_promise(
            item_key=key,
            actor="UANA",
            text="Lab result",
            due_at=day.clock.now() + timedelta(hours=1),
        )
        for key in (kept, missed)
    }
    promise_id = made[kept].event.after["promise_id"]  # type: ignore[union-attr]
    await day.work.fulfil_promise(item_key=kept, actor="UANA", promise_id=promise_id)
    day.clock.advance(timedelta(minutes=30))
    parked_at = day.clock.now()
    await day.work.wait_on(
        item_key=parked,
        actor="UANA",
        waiting_for=WaitingParty.REFERRAL_OFFICE,
        check_back_at=parked_at + timedelta(days=2),
    )

    day.clock.set(CLOSING)
    digest = await day.digest()

    assert digest.promises_missed == 1
    (promise,) = digest.promises_due
    assert promise.item.key == missed and promise.text == "Lab result"
    assert (digest.waiting, [w.item.key for w in digest.waiting_items]) == (1, [parked])
    waiting = digest.waiting_items[0]
    assert (waiting.waiting_for, waiting.since) == ("referral_office", parked_at)
    assert waiting.check_back_at == parked_at + timedelta(days=2)
    assert digest.escalations_open == 0 and digest.escalations == ()
