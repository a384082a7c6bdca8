"""Every use case answers with one result: done, refused with a reason, or invalid with
what is wrong. None raises for what a person can cause, and a lost race is a refusal."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.domain.callbacks import AttemptNote, Outcome
from bot.domain.items import Refusal, RefusalCode
from bot.domain.waiting import WaitingParty
from bot.services.base import Done, Invalid
from tests.scenarios.conftest import ASSISTANT, FRONT_DESK, MANAGER, Clinic
from tests.scenarios.test_moves_and_repeats import two_requests_from_one_patient


async def _events(clinic: Clinic, key: str) -> int:
    return len(await clinic.deps.services.history(key))


async def test_what_a_form_should_have_refused_is_invalid_and_changes_nothing(
    clinic: Clinic,
) -> None:
    key = await clinic.log_request()
    await clinic.deps.services.claim(item_key=key, actor=FRONT_DESK)
    work = clinic.deps.work
    past = clinic.clock.now() - timedelta(hours=1)
    before = await _events(clinic, key)

    answers = {
        "note": await work.log_attempt(
            item_key=key, actor=FRONT_DESK, note=AttemptNote(outcome=Outcome.REACHED)
        ),
        "check_back_at": await work.wait_on(
            item_key=key, actor=FRONT_DESK, waiting_for=WaitingParty.PAYER, check_back_at=past
        ),
        "promise": await work.add_promise(
            item_key=key, actor=FRONT_DESK, text="a call back", due_at=past
        ),
        "language": await work.set_language(item_key=key, actor=FRONT_DESK, language="Klingon"),
        "lane": await work.move(item_key=key, actor=FRONT_DESK, lane="podiatry"),
        "resolution": await clinic.deps.services.close(
            item_key=key, actor=FRONT_DESK, resolution="not a resolution", told_patient=""
        ),
    }

    for field, answer in answers.items():
        assert isinstance(answer, Invalid), field
        assert field in answer.problems and answer.text
    assert await _events(clinic, key) == before


async def test_keeping_a_promise_that_is_not_open_is_invalid_and_rolls_back(
    clinic: Clinic,
) -> None:
    key = await clinic.log_request()
    await clinic.deps.services.claim(item_key=key, actor=FRONT_DESK)
    before = await _events(clinic, key)

    answer = await clinic.deps.work.fulfil_promise(item_key=key, actor=FRONT_DESK, promise_id=999)

    assert isinstance(answer, Invalid) and "promise" in answer.problems
    assert await _events(clinic, key) == before  # the event of the change was not kept


@pytest.mark.postgres
async def test_a_merge_that_loses_a_race_with_a_change_to_the_open_item_is_a_refusal(
    clinic: Clinic,
) -> None:
    """A repeat request merged while someone changes the item it merges into: the merge
    either happens or is refused as stale, never "something went wrong"."""
    for _ in range(8):
        first, second = await two_requests_from_one_patient(clinic)
        await clinic.deps.services.claim(item_key=first, actor=FRONT_DESK)
        merge, change = await asyncio.gather(
            clinic.deps.work.merge(item_key=second, actor=MANAGER, into=first),
            clinic.deps.services.reassign(item_key=first, actor=MANAGER, new_owner=ASSISTANT),
        )
        assert isinstance(change, Done | Refusal)
        assert isinstance(merge, Done | Refusal), merge
        repeat = await clinic.deps.services.get(second)
        assert repeat is not None
        if isinstance(merge, Refusal):
            assert merge.code is RefusalCode.STALE
            assert repeat.status.is_open  # nothing half-written
        else:
            assert repeat.merged_into == first
