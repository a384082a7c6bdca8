"""Claiming under concurrency, through the real services, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.config import Practice
from bot.domain.intake import IntakeRequest
from bot.domain.items import Action, Origin, Refusal, RefusalCode, Status
from bot.services.base import Done
from bot.services.items import ItemServices
from storage.db import create_engine, session_factory
from storage.models import EventRow, ItemRow
from storage.uow import UnitOfWorkFactory
from tests.conftest import _truncate_postgres as truncate_postgres


@pytest.fixture
async def services(
    database_url: str, example_practice: Practice, clock: ManualClock
) -> AsyncIterator[ItemServices]:
    engine = create_engine(database_url)
    yield ItemServices(UnitOfWorkFactory(session_factory(engine)), example_practice, clock)
    await engine.dispose()


def voicemail(**overrides: str) -> IntakeRequest:
    values = {
        "patient_ref": "MRN-20431",
        "patient_name": "Jane Doe",
        "phone": "(555) 201-4477",
        "origin": Origin.VOICEMAIL,
        "lane": "scheduling",
        "request_type": "reschedule",
        "summary": "Needs to move Tuesday's appointment",
        "language": "English",
    }
    values.update(overrides)
    return IntakeRequest(**values)  # type: ignore[arg-type]


async def test_twenty_five_simultaneous_claims_make_one_owner(services: ItemServices) -> None:
    logged = await services.log_request(voicemail(), actor="UFRONT1")
    staff = [f"USTAFF{n:02d}" for n in range(25)]

    results = await asyncio.gather(
        *(services.claim(item_key=logged.item.key, actor=user) for user in staff)
    )

    winners = [r for r in results if isinstance(r, Done)]
    refusals = [r for r in results if isinstance(r, Refusal)]
    assert len(winners) == 1
    assert len(refusals) == 24
    owner = winners[0].item.owner
    assert all(r.code is RefusalCode.ALREADY_OWNED and r.owner == owner for r in refusals)
    item = await services.get(logged.item.key)
    assert item is not None and item.owner == owner and item.status is Status.CLAIMED
    claims = [e for e in await services.history(logged.item.key) if e.action is Action.CLAIM]
    assert len(claims) == 1 and claims[0].actor == owner


async def test_item_keys_are_sequential_and_carry_no_patient_data(services: ItemServices) -> None:
    first = await services.log_request(voicemail(), actor="UFRONT1")
    second = await services.log_request(voicemail(patient_ref="MRN-9"), actor="UFRONT1")
    assert (first.item.key, second.item.key) == ("CQ-1001", "CQ-1002")


async def test_concurrent_intake_never_reuses_a_key(services: ItemServices) -> None:
    results = await asyncio.gather(
        *(services.log_request(voicemail(), actor="UFRONT1") for _ in range(10))
    )
    keys = {done.item.key for done in results}
    assert len(keys) == 10


# Issue 14: 50 simultaneous claims, 100 times over, on PostgreSQL (where claims really run in
# parallel); CAREQUEUE_CLAIM_TRIALS raises the count for a longer local run.
CLAIM_TRIALS = int(os.environ.get("CAREQUEUE_CLAIM_TRIALS", "100"))
CLAIMERS = 50


@pytest.fixture
async def postgres_services(
    postgres_url: str, example_practice: Practice, clock: ManualClock
) -> AsyncIterator[ItemServices]:
    await truncate_postgres(postgres_url)
    # A connection for every claimer: all fifty reach the database at once.
    engine = create_engine(postgres_url, pool_size=CLAIMERS, max_overflow=0)
    yield ItemServices(UnitOfWorkFactory(session_factory(engine)), example_practice, clock)
    await engine.dispose()


@pytest.mark.postgres
async def test_fifty_simultaneous_claims_make_exactly_one_owner_in_every_trial(
    postgres_services: ItemServices,
) -> None:
    services = postgres_services
    staff = [f"USTAFF{n:02d}" for n in range(CLAIMERS)]
    outcomes: list[tuple[int, int]] = []
    owners: dict[str, str] = {}
    for trial in range(CLAIM_TRIALS):
        logged = await services.log_request(voicemail(patient_ref=f"MRN-{trial}"), actor="UFRONT1")
        key = logged.item.key

        results = await asyncio.gather(
            *(services.claim(item_key=key, actor=user) for user in staff)
        )

        winners = [r.item.owner for r in results if isinstance(r, Done)]
        lost = [r for r in results if isinstance(r, Refusal) and r.owner in winners]
        outcomes.append((len(winners), len(lost)))
        owners[key] = winners[0] if winners else ""
    assert outcomes == [(1, CLAIMERS - 1)] * CLAIM_TRIALS
    # What the database kept: each item owned by its one winner, with one claim event.
    async with services._uow.read() as tx:
        kept = dict((await tx.session.execute(select(ItemRow.key, ItemRow.owner))).all())
        claim_events = Counter(
            await tx.session.scalars(select(EventRow.item_key).where(EventRow.action == "claim"))
        )
    assert kept == owners
    assert claim_events == Counter(owners.keys())
