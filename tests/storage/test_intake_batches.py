"""Requests logged together (the intake API's group commit, `log_many_in`) become exactly
what logging them one at a time makes: the same items, events, cards and outbox rows,
with repeat contacts, a patient's known language, language routing and red flags decided
as if alone; with one statement per table instead of one per request."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.config import Practice
from bot.domain.escalation import RED_FLAG_PROMPT
from bot.domain.integrations import ApiToken
from bot.domain.items import Origin
from bot.services.intake import Intake
from bot.services.intake_api import Delivered, IntakeApiServices, TokenRevoked
from bot.services.items import ItemServices
from storage.db import create_engine, session_factory
from storage.models import CardRow, EventRow, ItemRow, OutboxRow
from storage.uow import UnitOfWorkFactory
from tests.storage.statements import statements_sent
from tests.storage.test_claims import voicemail
from tests.storage.test_units_of_work import CountingUnitOfWorkFactory

ACTOR = "UFRONT1"

# Already in the queue before the batch: open items of two patients, one in Spanish.
HISTORY = [
    voicemail(patient_ref="MRN-1", patient_name="Ana One"),
    voicemail(patient_ref="MRN-2", patient_name="Ben Two", language="Spanish"),
]

BATCH = [
    voicemail(patient_ref="MRN-10", patient_name="Cai Ten"),
    voicemail(patient_ref="MRN-1", patient_name="Ana One", summary="Calling again"),  # repeat
    voicemail(patient_ref="MRN-2", patient_name="Ben Two"),  # Spanish, known: language lane
    voicemail(patient_ref="MRN-11", patient_name="Dee", language="Spanish", lane="clinical"),
    voicemail(patient_ref="MRN-12", patient_name="Eve", summary="Chest pain since last night"),
    voicemail(patient_ref="", patient_name="", summary="", origin=Origin.MISSED_CALL),
    voicemail(patient_ref="MRN-10", patient_name="Cai Ten", summary="And one more thing"),
    voicemail(patient_ref="MRN-13", patient_name="Fay", origin=Origin.PORTAL_MESSAGE),
]


@pytest.fixture
async def two_stores(
    tmp_path: Path, sqlite_template: Path
) -> AsyncIterator[tuple[UnitOfWorkFactory, UnitOfWorkFactory]]:
    """Two fresh SQLite databases: one logs a request at a time, the other all at once."""
    engines = []
    for name in ("alone.db", "together.db"):
        shutil.copy(sqlite_template, tmp_path / name)
        engines.append(create_engine(f"sqlite+aiosqlite:///{tmp_path / name}"))
    yield (
        UnitOfWorkFactory(session_factory(engines[0])),
        UnitOfWorkFactory(session_factory(engines[1])),
    )
    for engine in engines:
        await engine.dispose()


def _without_event_id(payload: dict[str, Any]) -> str:
    """An outbox payload as text, without the event id (a row id)."""
    return json.dumps({k: v for k, v in payload.items() if k != "event_id"}, sort_keys=True)


async def _written(uow: UnitOfWorkFactory) -> dict[str, Any]:
    """Everything intake wrote, without row ids (which only say the order of inserts)."""
    async with uow.read() as tx:
        session = tx.session
        keys = list(await session.scalars(select(ItemRow.key).order_by(ItemRow.number)))
        items = [await tx.items.get(key) for key in keys]
        events = Counter(
            (key, action, actor, repr(before), repr(after))
            for key, action, actor, before, after in await session.execute(
                select(
                    EventRow.item_key,
                    EventRow.action,
                    EventRow.actor,
                    EventRow.before,
                    EventRow.after,
                )
            )
        )
        cards = Counter(
            (key, lane, channel)
            for key, lane, channel in await session.execute(
                select(ItemRow.key, CardRow.lane, CardRow.channel).join(
                    ItemRow, CardRow.item_id == ItemRow.id
                )
            )
        )
        outbox = Counter(
            (kind, channel, key, priority, _without_event_id(payload))
            for kind, channel, key, priority, payload in await session.execute(
                select(
                    OutboxRow.kind,
                    OutboxRow.channel,
                    ItemRow.key,
                    OutboxRow.priority,
                    OutboxRow.payload,
                ).outerjoin(ItemRow, OutboxRow.item_id == ItemRow.id)
            )
        )
    return {"items": items, "events": events, "cards": cards, "outbox": outbox}


async def test_a_batch_writes_what_one_at_a_time_writes(
    two_stores: tuple[UnitOfWorkFactory, UnitOfWorkFactory],
    example_practice: Practice,
    clock: ManualClock,
) -> None:
    alone, together = two_stores
    for uow in (alone, together):
        services = ItemServices(uow, example_practice, clock)
        for request in HISTORY:
            await services.log_request(request, actor=ACTOR)
    clock.advance(timedelta(minutes=5))

    one_by_one = ItemServices(alone, example_practice, clock)
    for request in BATCH:
        await one_by_one.log_request(request, actor=ACTOR)
    at_once = ItemServices(together, example_practice, clock)
    async with together() as tx:
        done = await at_once.log_many_in(tx, [Intake(request, ACTOR) for request in BATCH])
        await tx.commit()

    expected, got = await _written(alone), await _written(together)
    assert [d.item.key for d, _ in done] == [item.key for item in got["items"][len(HISTORY) :]]
    assert got == expected
    # What the batch had to decide, so that the comparison is not of two empty things:
    new = {item.key: item for item in got["items"][len(HISTORY) :]}
    by_ref = {item.patient.reference: item for item in reversed(list(new.values()))}
    assert by_ref["MRN-1"].related_key == got["items"][0].key  # a repeat contact
    assert [i.related_key for i in new.values() if i.patient.reference == "MRN-10"][1]
    assert by_ref["MRN-2"].lane == "language"  # the patient's known language
    assert by_ref["MRN-11"].lane == "clinical"  # kept in the clinical lane
    assert by_ref["MRN-12"].red_flags
    prompt = json.dumps({"template": RED_FLAG_PROMPT})[1:-1]
    assert any(o[2] == by_ref["MRN-12"].key and prompt in o[4] for o in got["outbox"])


async def test_a_batch_is_a_few_statements_whatever_its_size(
    database_url: str, example_practice: Practice, clock: ManualClock
) -> None:
    """Sixteen new patients in one transaction: one read of their context, one counter
    upsert, one INSERT each for items, events and cards (the outbox rows go in one INSERT
    at commit), not sixteen of each."""
    engine = create_engine(database_url)
    uow = UnitOfWorkFactory(session_factory(engine))
    services = ItemServices(uow, example_practice, clock)
    requests = [
        Intake(replace(voicemail(), patient_ref=f"MRN-{n}", phone=f"(555) 200-{n:04d}"), ACTOR)
        for n in range(16)
    ]
    try:
        async with uow() as tx:
            async with statements_sent(tx) as statements:
                done = await services.log_many_in(tx, requests)
                await tx.outbox.write_queued()  # what commit sends first
            await tx.commit()
    finally:
        await engine.dispose()

    assert len({d.item.key for d, _ in done}) == 16
    writes = [s for s in statements if s in ("INSERT", "UPDATE")]
    # counter upsert, items, events, cards, outbox
    assert len(writes) == 5, statements
    assert statements.count("SELECT") <= 2, statements


@pytest.fixture
async def intake_api(
    database_url: str, example_practice: Practice, clock: ManualClock
) -> AsyncIterator[tuple[IntakeApiServices, CountingUnitOfWorkFactory]]:
    """The intake API's use cases on a fresh database, with its units of work counted."""
    engine = create_engine(database_url)
    uow = CountingUnitOfWorkFactory(session_factory(engine))
    items = ItemServices(uow, example_practice, clock)
    api = IntakeApiServices(uow, example_practice, clock, items)
    yield api, uow
    await api.close()
    await engine.dispose()


async def test_deliveries_that_arrive_together_keep_their_own_answers(
    intake_api: tuple[IntakeApiServices, CountingUnitOfWorkFactory],
) -> None:
    """One transaction for five deliveries: a key sent twice makes one item, a key used
    before answers its item, the others are new."""
    api, uow = intake_api
    portal, _ = await api.create_token("Portal")
    before = await _send(api, portal, "MRN-90", "k-before")
    writers = uow.writers
    answers = await asyncio.gather(
        _send(api, portal, "MRN-91", "k-1"),
        _send(api, portal, "MRN-91", "k-1"),  # the same delivery again
        _send(api, portal, "MRN-90", "k-before"),  # retried after it was stored
        _send(api, portal, "MRN-93", "k-2"),
        _send(api, portal, "MRN-91", "k-3"),  # the same patient, another request
    )
    transactions = uow.writers - writers
    refs = await _refs(uow)

    first, again, retried, other, repeat = answers
    assert transactions == 1
    assert first.created and other.created and repeat.created
    assert not again.created and again.item.key == first.item.key
    assert not retried.created and retried.item.key == before.item.key
    assert repeat.item.related_key == first.item.key  # a repeat contact, as if alone
    assert refs == ["MRN-90", "MRN-91", "MRN-91", "MRN-93"]


async def test_a_token_revoked_meanwhile_stores_nothing_and_costs_the_others_nothing(
    intake_api: tuple[IntakeApiServices, CountingUnitOfWorkFactory], clock: ManualClock
) -> None:
    """A token revoked behind the cache's back fails its batch, which is run again piece by
    piece: its delivery stores nothing, the other token's are stored."""
    api, uow = intake_api
    portal, _ = await api.create_token("Portal")
    phones, phones_secret = await api.create_token("Phone system")
    assert await api.authenticate(phones_secret) is not None  # remembered as active
    async with uow() as tx:  # another process revokes it
        await tx.api_tokens.revoke(phones.id, clock.now())
        await tx.commit()
    answers = await asyncio.gather(
        _send(api, portal, "MRN-91", "k-1"),
        _send(api, phones, "MRN-92", "p-1"),
        _send(api, portal, "MRN-93", "k-2"),
        return_exceptions=True,
    )
    refs = await _refs(uow)

    first, revoked, other = answers
    assert isinstance(revoked, TokenRevoked)
    assert isinstance(first, Delivered) and first.created
    assert isinstance(other, Delivered) and other.created
    assert refs == ["MRN-91", "MRN-93"]


async def _send(api: IntakeApiServices, token: ApiToken, ref: str, key: str) -> Delivered:
    request = voicemail(patient_ref=ref)
    return await api.deliver(token, request, received_at=None, idempotency_key=key)


async def _refs(uow: UnitOfWorkFactory) -> list[str]:
    async with uow.read() as tx:
        return sorted(await tx.session.scalars(select(ItemRow.patient_ref)))


async def test_a_burst_that_finds_the_token_unread_reads_it_once(
    intake_api: tuple[IntakeApiServices, CountingUnitOfWorkFactory],
) -> None:
    """Fifty requests arrive before anyone has read their token (a fresh process, or the
    cache period just ended): one read answers them all; a wrong secret is still refused."""
    api, uow = intake_api
    token, secret = await api.create_token("Phone system")
    before = uow.readers

    found = await asyncio.gather(*(api.authenticate(secret) for _ in range(50)))

    assert {t.id if t else None for t in found} == {token.id}
    assert uow.readers - before == 1
    assert await api.authenticate(secret + "x") is None
    assert uow.readers - before == 2  # an unknown secret is read (and not remembered)
