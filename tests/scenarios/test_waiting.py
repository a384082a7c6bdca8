"""Waiting on an outside party pauses the response clock; at check-back the item comes back."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from blocks.ids import Action, Field, More, View, more_value
from bot.domain.items import Action as ItemAction
from bot.domain.items import Status
from bot.jobs import check_back_loop
from bot.services.base import SYSTEM
from storage.models import OutboxRow
from tests.scenarios.conftest import ASSISTANT, FRONT_DESK, Clinic

NEW_YORK = ZoneInfo("America/New_York")
TUESDAY = date(2026, 11, 24)  # the clinic's clock starts on Monday 23 November, 09:00


def local(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=NEW_YORK).astimezone(UTC)


async def claimed_item(clinic: Clinic, user: str = FRONT_DESK, **fields: Any) -> str:
    """A request logged now (Monday 09:00, due 13:00 in scheduling) and claimed by `user`."""
    key = await clinic.log_request(**fields)
    result = await clinic.deps.services.claim(item_key=key, actor=user)
    assert not hasattr(result, "code"), result
    await clinic.deliver()
    return key


async def open_more_form(
    clinic: Clinic, user: str, key: str, what: More, lane: str = "scheduling"
) -> dict[str, Any]:
    """`user` picks `what` in the card's More menu; returns the modal it opened and filled."""
    card = clinic.card_of(lane, key)
    await clinic.then_wait_for(
        "views.update",
        clinic.slack.select_option(user, card.channel, card.ts, Action.MORE, more_value(what, key)),
    )
    return clinic.stub.open_views(user)[-1]


async def wait_on(
    clinic: Clinic,
    key: str,
    waiting_on: str,
    day: date,
    at: time,
    user: str = FRONT_DESK,
    lane: str = "scheduling",
) -> Any:
    view = await open_more_form(clinic, user, key, More.WAIT, lane=lane)
    assert view["callback_id"] == View.WAIT, view["callback_id"]
    return await clinic.slack.submit_view(
        user,
        view["id"],
        {Field.WAITING_ON: waiting_on, Field.CHECK_BACK_DATE: day, Field.CHECK_BACK_TIME: at},
    )


async def test_owner_marks_waiting_on_the_payer_and_the_response_clock_pauses(
    clinic: Clinic,
) -> None:
    key = await claimed_item(clinic)
    response = await wait_on(clinic, key, "payer", TUESDAY, time(10))
    assert response.status == 200 and "errors" not in (response.json or {}), response.body
    await clinic.deliver()

    item = await clinic.deps.services.get(key)
    assert item is not None and item.status is Status.WAITING and item.owner == FRONT_DESK
    assert item.waiting_on == "payer"
    assert item.check_back_at == local(TUESDAY, time(10))
    # The 4 h target was all but untouched (delivering the card took a paced second or two).
    assert item.sla_remaining_minutes == pytest.approx(240, abs=0.5)
    card = str(clinic.card_of("scheduling", key).blocks)
    assert "payer" in card and Action.RESUME.value in card
    assert clinic.stub.open_views(FRONT_DESK) == []


async def test_resume_gives_back_the_business_time_that_was_left(clinic: Clinic) -> None:
    key = await claimed_item(clinic)
    clinic.clock.advance(timedelta(hours=1))  # 10:00: three hours of the target left
    await wait_on(clinic, key, "referral office", TUESDAY, time(15))
    await clinic.deliver()

    clinic.clock.set(local(TUESDAY, time(9)))  # a day later, before the check-back
    card = clinic.card_of("scheduling", key)
    await clinic.slack.click_button(FRONT_DESK, card.channel, card.ts, Action.RESUME, key)
    item = await clinic.deps.services.get(key)
    assert item is not None and item.status is Status.CLAIMED and item.owner == FRONT_DESK
    assert item.due_at == local(TUESDAY, time(12))
    assert item.waiting_on == "" and item.check_back_at is None


async def test_at_check_back_the_item_comes_back_to_its_owner_once(clinic: Clinic) -> None:
    key = await claimed_item(clinic)
    await wait_on(clinic, key, "payer", TUESDAY, time(8))
    await clinic.deliver()

    clinic.clock.set(local(TUESDAY, time(7, 59)))
    assert await clinic.deps.work.run_check_backs() == []
    clinic.clock.set(local(TUESDAY, time(8, 5)))
    assert await clinic.deps.work.run_check_backs() == [key]
    assert await clinic.deps.work.run_check_backs() == []

    item = await clinic.deps.services.get(key)
    assert item is not None and item.status is Status.CLAIMED and item.owner == FRONT_DESK
    assert item.due_at == local(TUESDAY, time(12, 5))  # the four hours it had left
    history = await clinic.deps.services.history(key)
    resumes = [e for e in history if e.action is ItemAction.RESUME]
    assert [e.actor for e in resumes] == [SYSTEM]
    async with clinic.deps.uow() as tx:
        dms = await tx.session.scalars(
            select(OutboxRow.payload).where(OutboxRow.channel == FRONT_DESK)
        )
        templates = [payload["template"] for payload in dms]
    assert templates == ["check_back_dm"]


async def test_the_check_back_dm_names_the_item_but_no_patient(clinic: Clinic) -> None:
    key = await claimed_item(clinic)
    await wait_on(clinic, key, "payer", TUESDAY, time(8))
    clinic.clock.set(local(TUESDAY, time(8, 5)))
    await clinic.deps.work.run_check_backs()
    await clinic.deliver()
    dms = clinic.stub.messages(FRONT_DESK)
    assert len(dms) == 1 and key in dms[0].text
    assert "Jane" not in dms[0].text and "201-4477" not in str(dms[0].blocks)


async def test_a_wait_after_a_move_pauses_the_new_lanes_clock_not_the_old_one(
    clinic: Clinic,
) -> None:
    key = await claimed_item(clinic)
    await wait_on(clinic, key, "payer", TUESDAY, time(8))  # 4 h left in scheduling
    await clinic.deps.work.move(item_key=key, actor=FRONT_DESK, lane="referrals")
    await clinic.deps.services.claim(item_key=key, actor=FRONT_DESK)
    await clinic.deliver()
    response = await wait_on(clinic, key, "records", TUESDAY, time(8), lane="referrals")
    assert response.status == 200 and "errors" not in (response.json or {}), response.body

    item = await clinic.deps.services.get(key)
    assert item is not None and item.status is Status.WAITING and item.waiting_on == "records"
    # Referrals answer in 1 business day: Monday 09:00-17:00 and Tuesday 08:00-09:00 left.
    assert item.sla_remaining_minutes == pytest.approx(540, abs=0.5)


async def test_someone_else_is_told_only_the_owner_can_mark_it_waiting(clinic: Clinic) -> None:
    key = await claimed_item(clinic)
    view = await open_more_form(clinic, ASSISTANT, key, More.WAIT)
    assert view["callback_id"] == View.STATUS
    assert "owner" in str(view["blocks"])
    item = await clinic.deps.services.get(key)
    assert item is not None and item.status is Status.CLAIMED


async def test_a_check_back_in_the_past_is_refused_on_the_form(clinic: Clinic) -> None:
    key = await claimed_item(clinic)
    response = await wait_on(clinic, key, "payer", date(2026, 11, 20), time(10))
    assert response.json is not None and response.json["response_action"] == "errors"
    assert set(response.json["errors"]) == {Field.CHECK_BACK_DATE}
    empty = await wait_on(clinic, key, "  ", TUESDAY, time(10))
    assert empty.json is not None and set(empty.json["errors"]) == {Field.WAITING_ON}
    item = await clinic.deps.services.get(key)
    assert item is not None and item.status is Status.CLAIMED


async def test_an_item_closed_meanwhile_is_refused_on_the_form(clinic: Clinic) -> None:
    key = await claimed_item(clinic)
    view = await open_more_form(clinic, FRONT_DESK, key, More.WAIT)
    await clinic.deps.services.close(
        item_key=key, actor=FRONT_DESK, resolution="appointment booked", told_patient="Fri 9:00"
    )
    response = await clinic.slack.submit_view(FRONT_DESK, view["id"], {Field.WAITING_ON: "payer"})
    assert response.json is not None and response.json["response_action"] == "errors"
    assert "already closed" in response.json["errors"][Field.WAITING_ON]


# -- the check-back loop ------------------------------------------------------------------


@dataclasses.dataclass
class FlakyWork:
    """The real services behind a first run that fails; stops the loop after `runs` runs."""

    real: Any
    stop: asyncio.Event
    runs: int = 2
    calls: int = 0

    async def run_check_backs(self) -> list[str]:
        self.calls += 1
        try:
            if self.calls == 1:
                raise RuntimeError("database went away")
            result: list[str] = await self.real.run_check_backs()
            return result
        finally:
            if self.calls >= self.runs:
                self.stop.set()


async def test_check_back_loop_retries_after_a_failing_run_and_logs_keys_only(
    clinic: Clinic, caplog: pytest.LogCaptureFixture
) -> None:
    key = await claimed_item(clinic)
    await wait_on(clinic, key, "payer", TUESDAY, time(8))
    clinic.clock.set(local(TUESDAY, time(8, 5)))
    stop = asyncio.Event()
    work = FlakyWork(clinic.deps.work, stop)
    deps = dataclasses.replace(clinic.deps, work=work)

    with caplog.at_level(logging.INFO, logger="bot.jobs"):
        await asyncio.wait_for(check_back_loop(deps, stop, every=0), timeout=10)

    assert work.calls == 2
    item = await clinic.deps.services.get(key)
    assert item is not None and item.status is Status.CLAIMED
    failed = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(failed) == 1 and failed[0].exc_info is not None
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "bot.jobs")
    assert key in logged and "Jane" not in logged and "MRN" not in logged


async def test_check_back_loop_stops_when_told(clinic: Clinic) -> None:
    stop = asyncio.Event()
    loop = asyncio.create_task(check_back_loop(clinic.deps, stop, every=3600))
    stop.set()
    await asyncio.wait_for(loop, timeout=10)
    assert loop.done() and loop.exception() is None
