"""Claiming under concurrency, through the real services, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.clock import ManualClock
from bot.config import Practice
from bot.domain.intake import IntakeRequest
from bot.domain.items import Action, Origin, Refusal, RefusalCode, Status
from bot.services.items import Done, ItemServices
from storage.db import create_engine, session_factory
from storage.uow import UnitOfWorkFactory


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
