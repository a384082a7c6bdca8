"""Aging: a warning before the breach, the breach in the card's thread and to the owner, twice
the target to the managers, each once however often and wherever the job runs; cards
re-rendered once per threshold; alerts that are no longer true edited to say so; promise
reminders and missed promises."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from blocks.ids import FieldId
from bot.deps import build_deps
from bot.domain.callbacks import AttemptNote
from bot.domain.callbacks import Outcome as CallOutcome
from bot.domain.items import Status
from bot.jobs import AGING, Jobs
from sandbox.stub.records import StoredMessage
from tests.blocks.conftest import text_of
from tests.scenarios.conftest import ASSISTANT, FRONT_DESK, Clinic
from tests.scenarios.test_claim import claim_click

NEW_YORK = ZoneInfo("America/New_York")
MONDAY = date(2026, 11, 23)
TUESDAY = date(2026, 11, 24)
PHONE_CALL = {"intake.origin": "phone_call"}  # Scheduling's 4 h target (not same-day)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=NEW_YORK).astimezone(UTC)


def alerts_in_thread(clinic: Clinic, key: str) -> list[StoredMessage]:
    card = clinic.card_of("scheduling", key)
    return [m for m in clinic.replies(card) if m.text.startswith((":", "\u2705"))]


def thread_alerts(clinic: Clinic, key: str, word: str) -> list[StoredMessage]:
    return [m for m in alerts_in_thread(clinic, key) if word in m.text]


def dms(clinic: Clinic, user: str) -> list[StoredMessage]:
    return clinic.stub.messages(user)


def managers(clinic: Clinic) -> list[StoredMessage]:
    return clinic.stub.messages(clinic.stub.channel_id(clinic.practice.managers_channel))


async def run_everywhere(clinic: Clinic, *processes: Jobs, times: int = 2) -> None:
    """Every process runs the aging job, more than once, then the outbox delivers."""
    for _ in range(times):
        for jobs in processes:
            await jobs.aging()
    await clinic.deliver()


async def test_each_alert_goes_once_across_runs_and_processes_and_is_edited_when_claimed(
    clinic: Clinic,
) -> None:
    one, other = Jobs(clinic.deps), Jobs(clinic.deps)
    key = await clinic.log_request(**PHONE_CALL)  # 9:00, due 13:00 (4 business hours)
    await clinic.deliver()
    await run_everywhere(clinic, one, other)
    assert alerts_in_thread(clinic, key) == []

    # 75% of the target: 12:00. Nobody owns it, so the warning goes in the card's thread.
    clinic.clock.set(at(MONDAY, 11, 59))
    await run_everywhere(clinic, one, other)
    assert alerts_in_thread(clinic, key) == []
    clinic.clock.set(at(MONDAY, 12))
    await run_everywhere(clinic, one, other, times=3)
    (warning,) = alerts_in_thread(clinic, key)
    assert f"{key} (Scheduling help) is due soon" in warning.text
    assert "Nobody has claimed it yet" in warning.text
    assert "Jane" not in str(warning.blocks) and "201-4477" not in str(warning.blocks)

    assert await claim_click(clinic, FRONT_DESK, key) == 200
    await clinic.deliver()
    await run_everywhere(clinic, one, other)
    (warning,) = alerts_in_thread(clinic, key)
    assert warning.edited == 1
    assert f"Claimed by <@{FRONT_DESK}> at 12:00 PM" in text_of(warning.blocks)
    assert "no longer waiting for an owner" in warning.text

    # The due time: one alert in the thread, one DM to the owner.
    clinic.clock.set(at(MONDAY, 13))
    await run_everywhere(clinic, one, other)
    (breach,) = thread_alerts(clinic, key, "is overdue")
    assert warning.edited == 1  # cleared by the claim: the breach leaves it alone
    assert f"Owner <@{FRONT_DESK}>" in breach.text
    (dm,) = dms(clinic, FRONT_DESK)
    assert f"{key} (Scheduling help) is overdue" in dm.text
    card = clinic.card_of("scheduling", key)
    assert f"/archives/{card.channel}/p{card.ts.replace('.', '')}|Open the card" in str(dm.blocks)
    assert managers(clinic) == []

    # Twice the target (4 more business hours: 17:00) goes to the managers, once.
    clinic.clock.set(at(MONDAY, 17))
    await run_everywhere(clinic, one, other)
    clinic.clock.set(at(TUESDAY, 9))
    await run_everywhere(clinic, one, other)
    (twice,) = managers(clinic)
    assert "has waited twice its response target" in twice.text
    assert len(thread_alerts(clinic, key, "is overdue")) == 1 and len(dms(clinic, FRONT_DESK)) == 1


async def log_late_calls(clinic: Clinic, count: int) -> list[str]:
    """`count` 8:00 calls logged at 11:30, past their 11:00 warning: each due a look."""
    clinic.clock.set(at(MONDAY, 11, 30))
    late = {FieldId.CONTACTED_DATE: MONDAY, FieldId.CONTACTED_TIME: time(8)}
    return [await clinic.log_request(**PHONE_CALL, **late) for _ in range(count)]


async def due_a_look(clinic: Clinic) -> int:
    async with clinic.deps.uow.read() as tx:
        return len(await tx.alerts.due_for_aging(clinic.clock.now(), limit=100))


async def test_a_new_item_costs_the_aging_job_no_look_until_its_first_threshold(
    clinic: Clinic,
) -> None:
    key = await clinic.log_request(**PHONE_CALL)  # 9:00, warning at 12:00, due 13:00
    async with clinic.deps.uow.read() as tx:
        assert await tx.alerts.due_for_aging(at(MONDAY, 11, 59), limit=10) == []
        assert len(await tx.alerts.due_for_aging(at(MONDAY, 12), limit=10)) == 1
    jobs = Jobs(clinic.deps)
    await clinic.deliver()
    clinic.clock.set(at(MONDAY, 12))
    await run_everywhere(clinic, jobs)
    (warning,) = alerts_in_thread(clinic, key)
    assert f"{key} (Scheduling help) is due soon" in warning.text


async def test_a_call_logged_past_its_warning_is_alerted_on_the_next_run(clinic: Clinic) -> None:
    (key,) = await log_late_calls(clinic, 1)  # warning 11:00, due 12:00
    assert await due_a_look(clinic) == 1
    await clinic.deliver()
    await run_everywhere(clinic, Jobs(clinic.deps))
    (warning,) = alerts_in_thread(clinic, key)
    assert f"{key} (Scheduling help) is due soon" in warning.text


async def test_a_stopping_process_ends_an_aging_run_between_items_and_the_rest_wait(
    clinic: Clinic,
) -> None:
    keys = await log_late_calls(clinic, 6)
    asked = 0

    def keep_going() -> bool:
        nonlocal asked
        asked += 1
        return asked <= 3  # the process is told to stop after the second item

    acted = await Jobs(clinic.deps).aging_services.run_aging(keep_going=keep_going)

    assert acted == keys[:2]
    assert await due_a_look(clinic) == 4
    assert await Jobs(clinic.deps).aging() == keys[2:]
    assert await due_a_look(clinic) == 0


async def test_a_stopped_job_runner_starts_no_aging_look(clinic: Clinic) -> None:
    jobs = Jobs(clinic.deps)
    jobs.start()
    await jobs.stop()
    await log_late_calls(clinic, 2)

    assert await jobs.aging() == []
    assert await due_a_look(clinic) == 2


async def test_closing_an_overdue_item_edits_every_alert_it_raised(clinic: Clinic) -> None:
    jobs = Jobs(clinic.deps)
    key = await clinic.log_request(**PHONE_CALL)
    await clinic.deliver()
    assert await claim_click(clinic, FRONT_DESK, key) == 200
    await clinic.deliver()
    clinic.clock.set(at(MONDAY, 17, 30))  # past twice the target: breach and managers
    await run_everywhere(clinic, jobs)
    assert len(thread_alerts(clinic, key, "is overdue")) == 1
    assert len(dms(clinic, FRONT_DESK)) == 1 and len(managers(clinic)) == 1

    clinic.clock.set(at(TUESDAY, 8, 10))
    done = await clinic.deps.services.close(
        item_key=key,
        actor=FRONT_DESK,
        resolution="appointment rescheduled",
        told_patient="New time confirmed",
    )
    assert done.item.status is Status.RESOLVED  # type: ignore[union-attr]
    await clinic.deliver()
    await run_everywhere(clinic, jobs)

    edited = [*thread_alerts(clinic, key, key), *dms(clinic, FRONT_DESK), *managers(clinic)]
    assert len(edited) == 3
    for message in edited:
        assert message.edited == 1
        assert f"Closed by <@{FRONT_DESK}> at 8:10 AM — no longer overdue" in message.text


async def test_the_card_is_re_rendered_once_at_each_threshold_not_every_minute(
    clinic: Clinic,
) -> None:
    jobs = Jobs(clinic.deps)
    key = await clinic.log_request(**PHONE_CALL)
    await clinic.deliver()
    card_edits = lambda: clinic.card_of("scheduling", key).edited  # noqa: E731
    before = card_edits()
    for minute in range(0, 60, 10):  # on track all morning: no edit
        clinic.clock.set(at(MONDAY, 10, minute))
        await run_everywhere(clinic, jobs)
    assert card_edits() == before

    clinic.clock.set(at(MONDAY, 12, 1))  # due soon (the last hour of 4)
    await run_everywhere(clinic, jobs)
    clinic.clock.set(at(MONDAY, 12, 30))
    await run_everywhere(clinic, jobs)
    assert card_edits() == before + 1
    assert "due soon" in text_of(clinic.card_of("scheduling", key).blocks)

    clinic.clock.set(at(MONDAY, 13, 5))  # overdue
    await run_everywhere(clinic, jobs)
    assert card_edits() == before + 2
    assert "overdue" in text_of(clinic.card_of("scheduling", key).blocks)
    # Nothing is due a look until the next threshold: the scan reads no item.
    async with clinic.deps.uow.read() as tx:
        assert await tx.alerts.due_for_aging(clinic.clock.now(), limit=10) == []
    assert await jobs.aging() == []


async def test_a_warning_in_the_thread_says_overdue_once_the_breach_replaces_it(
    clinic: Clinic,
) -> None:
    jobs = Jobs(clinic.deps)
    key = await clinic.log_request(**PHONE_CALL)
    await clinic.deliver()
    clinic.clock.set(at(MONDAY, 12, 5))
    await run_everywhere(clinic, jobs)
    clinic.clock.set(at(MONDAY, 13))
    await run_everywhere(clinic, jobs)

    warning, breach = alerts_in_thread(clinic, key)
    assert warning.edited == 1 and "was due soon, overdue since 1:00 PM" in warning.text
    assert "is overdue" in breach.text and breach.edited == 0


async def test_a_promise_reminds_its_owner_before_and_an_unkept_one_alerts_at_its_deadline(
    clinic: Clinic,
) -> None:
    jobs = Jobs(clinic.deps)
    key = await clinic.log_request()  # a voicemail: due by today's close
    await clinic.deliver()
    assert await claim_click(clinic, ASSISTANT, key) == 200
    await clinic.deliver()
    # Promised for 8:15 tomorrow: 7:45 is before opening, so the reminder comes at the last
    # open moment before it, Monday just before 17:00.
    made = await clinic.deps.work.add_promise(
        item_key=key, actor=ASSISTANT, text="Call back with the new slot", due_at=at(TUESDAY, 8, 15)
    )
    assert not hasattr(made, "problems")
    await clinic.deliver()

    clinic.clock.set(at(MONDAY, 16, 58))
    await run_everywhere(clinic, jobs)
    assert [m for m in dms(clinic, ASSISTANT) if "promise" in m.text] == []
    clinic.clock.set(at(MONDAY, 16, 59))
    await run_everywhere(clinic, jobs)
    (reminder,) = [m for m in dms(clinic, ASSISTANT) if "promise" in m.text]
    assert f"A promise to the patient on {key}" in reminder.text and "falls due" in reminder.text
    assert "Call back with the new slot" not in str(reminder.blocks)

    clinic.clock.set(at(TUESDAY, 8, 15))
    await run_everywhere(clinic, jobs)
    clinic.clock.set(at(TUESDAY, 8, 16))
    await run_everywhere(clinic, jobs)
    (missed,) = thread_alerts(clinic, key, "was not kept")
    assert f"Owner <@{ASSISTANT}>" in missed.text
    assert len([m for m in dms(clinic, ASSISTANT) if "was not kept" in m.text]) == 1


async def test_keeping_a_promise_edits_its_reminder(clinic: Clinic) -> None:
    jobs = Jobs(clinic.deps)
    key = await clinic.log_request()
    await clinic.deliver()
    assert await claim_click(clinic, ASSISTANT, key) == 200
    await clinic.deliver()
    await clinic.deps.work.add_promise(
        item_key=key, actor=ASSISTANT, text="Call back", due_at=at(MONDAY, 11)
    )
    clinic.clock.set(at(MONDAY, 10, 30))
    await run_everywhere(clinic, jobs)
    (reminder,) = [m for m in dms(clinic, ASSISTANT) if "promise" in m.text]

    async with clinic.deps.uow.read() as tx:
        item_id = await tx.items.id_of(key)
        (promise,) = await tx.promises.open_for(item_id or 0)
    clinic.clock.set(at(MONDAY, 10, 40))
    await clinic.deps.work.fulfil_promise(item_key=key, actor=ASSISTANT, promise_id=promise.id)
    await clinic.deliver()
    await run_everywhere(clinic, jobs)
    clinic.clock.set(at(MONDAY, 11, 5))
    await run_everywhere(clinic, jobs)

    (reminder,) = [m for m in dms(clinic, ASSISTANT) if "promise" in m.text.lower()]
    assert reminder.edited == 1 and "Promise kept" in reminder.text
    assert thread_alerts(clinic, key, "was not kept") == []


async def test_the_aging_job_is_scheduled_with_the_others(clinic: Clinic) -> None:
    jobs = Jobs(clinic.deps)
    assert jobs.scheduler.get_job(AGING) is not None


async def test_a_logged_call_with_a_new_due_time_edits_the_overdue_alert(clinic: Clinic) -> None:
    jobs = Jobs(clinic.deps)
    key = await clinic.log_request(**PHONE_CALL)
    await clinic.deliver()
    assert await claim_click(clinic, FRONT_DESK, key) == 200
    await clinic.deliver()
    clinic.clock.set(at(MONDAY, 13, 30))
    await run_everywhere(clinic, jobs)
    (breach,) = thread_alerts(clinic, key, "is overdue")

    clinic.clock.set(at(MONDAY, 13, 40))
    logged = await clinic.deps.work.log_attempt(
        item_key=key, actor=FRONT_DESK, note=AttemptNote(outcome=CallOutcome.NO_ANSWER)
    )
    assert not hasattr(logged, "problems")
    await clinic.deliver()
    await run_everywhere(clinic, jobs)

    (breach,) = thread_alerts(clinic, key, key)
    assert breach.edited == 1
    assert "Updated at 1:40 PM, now due Mon 3:40 PM — no longer overdue" in breach.text
    (dm,) = dms(clinic, FRONT_DESK)
    assert dm.edited == 1 and "no longer overdue" in dm.text


async def test_two_processes_running_at_the_same_moment_raise_each_alert_once(
    clinic: Clinic,
) -> None:
    """A second CareQueue process on the same database (its own engine, outbox and jobs),
    both running the job at the same moment: on PostgreSQL their transactions really race."""
    other_deps = build_deps(clinic.deps.settings, practice=clinic.practice, clock=clinic.clock)
    try:
        one, other = Jobs(clinic.deps), Jobs(other_deps)
        keys = [await clinic.log_request(**PHONE_CALL) for _ in range(3)]
        await clinic.deliver()
        clinic.clock.set(at(MONDAY, 17, 30))  # breach and twice the target for each
        for _ in range(2):
            await asyncio.gather(one.aging(), other.aging(), one.aging(), other.aging())
        await clinic.deliver()
        await other_deps.outbox.drain_until_idle(advance=clinic.clock.advance)
    finally:
        await other_deps.close()

    for key in keys:
        assert len(thread_alerts(clinic, key, "is overdue")) == 1
    assert sorted(m.text.split(" ")[1] for m in managers(clinic)) == sorted(keys)


async def test_twice_the_target_after_a_move_is_one_new_lane_target_past_the_new_due_time(
    clinic: Clinic,
) -> None:
    """Logged at 9:00 in Scheduling (4 h), moved at 10:00 to Telehealth (1 h): due 11:00, and
    the managers hear at 12:00 that it waited twice its target, not an hour later (the two
    hours since it was received are not Telehealth's target)."""
    jobs = Jobs(clinic.deps)
    key = await clinic.log_request(**PHONE_CALL)
    clinic.clock.set(at(MONDAY, 10))
    moved = await clinic.deps.work.move(item_key=key, actor=FRONT_DESK, lane="telehealth")
    assert getattr(moved, "item", None) is not None, moved
    await clinic.deliver()
    item = await clinic.deps.services.get(key)
    assert item is not None and item.due_at == at(MONDAY, 11)

    clinic.clock.set(at(MONDAY, 11, 59))
    await run_everywhere(clinic, jobs)
    assert managers(clinic) == []
    clinic.clock.set(at(MONDAY, 12))
    await run_everywhere(clinic, jobs)
    (twice,) = managers(clinic)
    assert key in twice.text and "has waited twice its response target" in twice.text
