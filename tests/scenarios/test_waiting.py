"""Waiting on an outside party pauses the response clock; at check-back the item comes back."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from sqlalchemy import select

from blocks.ids import ActionId, FieldId, More, ViewId, more_value
from bot.app import build_app
from bot.clock import ManualClock
from bot.config import Practice
from bot.domain.items import Action, Status
from bot.domain.lanes import Privacy
from bot.domain.waiting import WaitingParty
from bot.jobs import CHECK_BACKS, Jobs
from bot.server import JOBS_KEY, build_web_app
from bot.services.base import SYSTEM
from sandbox.stub.server import SlackStub
from storage.models import OutboxRow
from tests.scenarios.conftest import ASSISTANT, FRONT_DESK, Clinic, running, with_privacy
from tests.scenarios.test_queue_and_home import open_home

NEW_YORK = ZoneInfo("America/New_York")
TUESDAY = date(2026, 11, 24)  # the clinic's clock starts on Monday 23 November, 09:00


def local(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=NEW_YORK).astimezone(UTC)


async def claimed_item(clinic: Clinic, user: str = FRONT_DESK, **fields: Any) -> str:
    """A portal message logged now (Monday 09:00, due 13:00: scheduling's 4 h) and claimed by
    `user`."""
    key = await clinic.log_request(**{FieldId.ORIGIN: "portal_message", **fields})
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
        clinic.slack.select_option(
            user, card.channel, card.ts, ActionId.MORE, more_value(what, key)
        ),
    )
    return clinic.stub.open_views(user)[-1]


async def wait_on(
    clinic: Clinic,
    key: str,
    waiting_for: str | None,
    day: date,
    at: time,
    user: str = FRONT_DESK,
    lane: str = "scheduling",
    words: str = "",
) -> Any:
    """Submit the Waiting form: `waiting_for` is the choice (a WaitingParty value, None for
    none), `words` what staff type beside it."""
    view = await open_more_form(clinic, user, key, More.WAIT, lane=lane)
    assert view["callback_id"] == ViewId.WAIT, view["callback_id"]
    values: dict[str, Any] = {FieldId.CHECK_BACK_DATE: day, FieldId.CHECK_BACK_TIME: at}
    if waiting_for is not None:
        values[FieldId.WAITING_FOR] = waiting_for
    if words:
        values[FieldId.WAITING_ON] = words
    return await clinic.slack.submit_view(user, view["id"], values)


async def test_owner_marks_waiting_on_the_payer_and_the_response_clock_pauses(
    clinic: Clinic,
) -> None:
    key = await claimed_item(clinic)
    response = await wait_on(clinic, key, "payer", TUESDAY, time(10))
    assert response.status == 200 and "errors" not in (response.json or {}), response.body
    await clinic.deliver()

    item = await clinic.deps.services.get(key)
    assert item is not None and item.status is Status.WAITING and item.owner == FRONT_DESK
    assert item.waiting_for == "payer"
    assert item.check_back_at == local(TUESDAY, time(10))
    # The 4 h target was all but untouched (delivering the card took a paced second or two).
    assert item.sla_remaining_minutes == pytest.approx(240, abs=0.5)
    card = str(clinic.card_of("scheduling", key).blocks)
    assert "Waiting on the payer" in card and ActionId.RESUME.value in card
    assert clinic.stub.open_views(FRONT_DESK) == []


async def test_resume_gives_back_the_business_time_that_was_left(clinic: Clinic) -> None:
    key = await claimed_item(clinic)
    clinic.clock.advance(timedelta(hours=1))  # 10:00: three hours of the target left
    await wait_on(clinic, key, "referral_office", TUESDAY, time(15))
    await clinic.deliver()

    clinic.clock.set(local(TUESDAY, time(9)))  # a day later, before the check-back
    card = clinic.card_of("scheduling", key)
    await clinic.slack.click_button(FRONT_DESK, card.channel, card.ts, ActionId.RESUME, key)
    await clinic.settled()  # a click is answered before its commit
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
    resumes = [e for e in history if e.action is Action.RESUME]
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
    response = await wait_on(
        clinic, key, "other", TUESDAY, time(8), lane="referrals", words="records"
    )
    assert response.status == 200 and "errors" not in (response.json or {}), response.body

    item = await clinic.deps.services.get(key)
    assert item is not None and item.status is Status.WAITING and item.waiting_on == "records"
    assert item.waiting_for == "other"
    # Referrals answer in 1 business day: Monday 09:00-17:00 and Tuesday 08:00-09:00 left.
    assert item.sla_remaining_minutes == pytest.approx(540, abs=0.5)


async def test_someone_else_is_told_only_the_owner_can_mark_it_waiting(clinic: Clinic) -> None:
    key = await claimed_item(clinic)
    view = await open_more_form(clinic, ASSISTANT, key, More.WAIT)
    assert view["callback_id"] == ViewId.STATUS
    assert "owner" in str(view["blocks"])
    item = await clinic.deps.services.get(key)
    assert item is not None and item.status is Status.CLAIMED


async def test_a_check_back_in_the_past_is_refused_on_the_form(clinic: Clinic) -> None:
    key = await claimed_item(clinic)
    response = await wait_on(clinic, key, "payer", date(2026, 11, 20), time(10))
    assert response.json is not None and response.json["response_action"] == "errors"
    assert set(response.json["errors"]) == {FieldId.CHECK_BACK_DATE}
    empty = await wait_on(clinic, key, None, TUESDAY, time(10), words="somebody")
    assert empty.json is not None and set(empty.json["errors"]) == {FieldId.WAITING_FOR}
    item = await clinic.deps.services.get(key)
    assert item is not None and item.status is Status.CLAIMED


async def test_an_item_closed_meanwhile_is_refused_on_the_form(clinic: Clinic) -> None:
    key = await claimed_item(clinic)
    view = await open_more_form(clinic, FRONT_DESK, key, More.WAIT)
    await clinic.deps.services.close(
        item_key=key, actor=FRONT_DESK, resolution="appointment booked", told_patient="Fri 9:00"
    )
    response = await clinic.slack.submit_view(
        FRONT_DESK, view["id"], {FieldId.WAITING_FOR: "payer"}
    )
    assert response.json is not None and response.json["response_action"] == "errors"
    assert "already closed" in response.json["errors"][FieldId.WAITING_FOR]


# -- the check-back job ----------------------------------------------------------------


@dataclasses.dataclass
class FlakyWork:
    """The real services behind a first run that fails; `gate`, when given, holds each run
    until it is set."""

    real: Any
    gate: asyncio.Event | None = None
    calls: int = 0
    started: asyncio.Queue[int] = dataclasses.field(default_factory=asyncio.Queue)
    finished: asyncio.Queue[int] = dataclasses.field(default_factory=asyncio.Queue)

    async def run_check_backs(self) -> list[str]:
        self.calls += 1
        self.started.put_nowait(self.calls)
        try:
            if self.gate is not None:
                await self.gate.wait()
            if self.calls == 1:
                raise RuntimeError("database went away")
            result: list[str] = await self.real.run_check_backs()
            return result
        finally:
            self.finished.put_nowait(self.calls)


async def next_of(turns: asyncio.Queue[int]) -> int:
    """The next run to start or finish (the scheduler runs beside the test on the loop)."""
    return await asyncio.wait_for(turns.get(), timeout=10)


async def test_the_check_back_job_retries_after_a_failing_run_and_logs_keys_only(
    clinic: Clinic, caplog: pytest.LogCaptureFixture
) -> None:
    key = await claimed_item(clinic)
    await wait_on(clinic, key, "payer", TUESDAY, time(8))
    clinic.clock.set(local(TUESDAY, time(8, 5)))
    work = FlakyWork(clinic.deps.work)
    jobs = Jobs(dataclasses.replace(clinic.deps, work=work), check_back_every=3600)

    with caplog.at_level(logging.INFO, logger="bot.jobs"):
        jobs.start()  # the first turn is at once, and fails
        try:
            assert await next_of(work.finished) == 1
            jobs.run_soon()  # the next turn (an hour away) brought forward
            assert await next_of(work.finished) == 2
        finally:
            await jobs.stop()

    item = await clinic.deps.services.get(key)
    assert item is not None and item.status is Status.CLAIMED
    failed = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(failed) == 1 and failed[0].exc_info is not None
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "bot.jobs")
    assert f"resumed 1 item(s): {key}" in logged
    assert "Jane" not in logged and "MRN" not in logged


async def test_a_moved_clock_is_looked_at_at_once_not_at_the_next_tick(clinic: Clinic) -> None:
    key = await claimed_item(clinic)
    await wait_on(clinic, key, "payer", TUESDAY, time(8))
    work = FlakyWork(clinic.deps.work, calls=1)  # past its failing first run
    jobs = Jobs(dataclasses.replace(clinic.deps, work=work), check_back_every=3600)
    jobs.start()
    try:
        assert await next_of(work.finished) == 2  # Monday: nothing due yet
        item = await clinic.deps.services.get(key)
        assert item is not None and item.status is Status.WAITING

        clinic.clock.set(local(TUESDAY, time(8, 1)))  # as the sandbox's clock control does
        jobs.run_soon()
        assert await next_of(work.finished) == 3
    finally:
        await jobs.stop()
    item = await clinic.deps.services.get(key)
    assert item is not None and item.status is Status.CLAIMED


async def test_stopping_the_jobs_lets_a_run_in_progress_finish(clinic: Clinic) -> None:
    gate = asyncio.Event()
    work = FlakyWork(clinic.deps.work, gate=gate, calls=1)
    jobs = Jobs(dataclasses.replace(clinic.deps, work=work), check_back_every=3600)
    jobs.start()
    assert await next_of(work.started) == 2  # the first turn has begun, and is held

    stopping = asyncio.create_task(jobs.stop())
    await asyncio.sleep(0.1)
    assert not stopping.done()  # waits for the run rather than cancelling it
    gate.set()
    await asyncio.wait_for(stopping, timeout=10)
    assert work.finished.get_nowait() == 2 and not jobs.scheduler.running


async def test_the_server_runs_the_jobs_for_its_lifetime(clinic: Clinic) -> None:
    web_app = build_web_app(clinic.deps, build_app(clinic.deps), http_events=True)
    jobs = web_app[JOBS_KEY]
    runner = web.AppRunner(web_app)
    await runner.setup()
    try:
        assert jobs.scheduler.running
        assert jobs.scheduler.get_job(CHECK_BACKS) is not None
    finally:
        await runner.cleanup()
    assert not jobs.scheduler.running


# -- who it waits on: a choice in channels, staff's words only where free text is allowed -----

WORDS = "Lakeside Cardiology <!here>"


async def parked_with_words(clinic: Clinic) -> str:
    """A claimed item parked on the referral office, with staff's words beside the choice;
    the owner's App Home open, so it is republished."""
    key = await claimed_item(clinic)
    await open_home(clinic, FRONT_DESK)
    response = await wait_on(clinic, key, "referral_office", TUESDAY, time(10), words=WORDS)
    assert response.status == 200 and "errors" not in (response.json or {}), response.body
    await clinic.deliver()
    return key


def shown_to_staff(clinic: Clinic, key: str) -> tuple[str, str, str]:
    """(the card, its thread, the owner's App Home) as Slack holds them."""
    card = clinic.card_of("scheduling", key)
    thread = " ".join(f"{m.text} {m.blocks}" for m in clinic.replies(card))
    home = clinic.stub.home_view(FRONT_DESK)
    assert home is not None
    return f"{card.text} {card.blocks}", thread, str(home["blocks"])


async def test_at_level_none_the_words_about_a_wait_stay_off_card_thread_and_home(
    clinic: Clinic,
) -> None:
    key = await parked_with_words(clinic)

    card, thread, home = shown_to_staff(clinic, key)

    assert "Waiting on the referral office" in card
    assert "Waiting on the referral office" in thread
    assert "waiting on the referral office" in home
    for shown in (card, thread, home):
        assert "Lakeside" not in shown
    item = await clinic.deps.services.get(key)
    assert item is not None and item.waiting_on == WORDS  # kept, one click away
    assert item.next_action == "Check back: waiting on the referral office"


async def test_at_level_full_the_words_about_a_wait_show_as_plain_text_on_card_and_thread(
    database_url: str, example_practice: Practice, clock: ManualClock, stub: SlackStub
) -> None:
    full = with_privacy(example_practice, Privacy.FULL)
    async with running(database_url, full, clock, stub) as clinic:
        key = await parked_with_words(clinic)
        card, thread, home = shown_to_staff(clinic, key)
        notified = clinic.card_of("scheduling", key).text

    # Unescaped, so plain_text: in mrkdwn it would read &lt;!here&gt;.
    plain = "'text': 'Waiting on: Lakeside Cardiology <!here>'"
    assert plain in card and plain in thread
    assert "Lakeside" not in notified and "Lakeside" not in home


async def test_escalating_a_waiting_item_ends_the_wait_and_gives_back_its_time(
    clinic: Clinic,
) -> None:
    """Due 13:00, parked on the payer at 9:00 until Thursday with four hours left, then the
    patient calls back with a lab question and it is escalated at 10:00: the wait ends as
    by any other road, and the four hours run again from 10:00, not from Thursday."""
    key = await claimed_item(clinic)  # Monday 9:00, due 13:00
    parked = await clinic.deps.work.wait_on(
        item_key=key,
        actor=FRONT_DESK,
        waiting_for=WaitingParty.PAYER,
        check_back_at=datetime(2026, 11, 26, 15, 0, tzinfo=UTC),
    )
    assert getattr(parked, "item", None) is not None, parked
    clinic.clock.set(datetime(2026, 11, 23, 15, 0, tzinfo=UTC))  # 10:00 in New York
    escalated = await clinic.deps.escalations.escalate(
        item_key=key, actor=FRONT_DESK, rule="lab_results", context="Needs the results explained"
    )
    assert getattr(escalated, "item", None) is not None, escalated
    item = await clinic.deps.services.get(key)
    assert item is not None and item.status is Status.ESCALATED
    assert not item.waiting_for and item.check_back_at is None
    assert item.sla_remaining_minutes is None
    assert item.due_at == datetime(2026, 11, 23, 19, 0, tzinfo=UTC)  # 14:00: four hours on
