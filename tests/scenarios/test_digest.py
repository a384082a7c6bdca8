"""The end-of-day digest: posted once to the managers' channel at the practice's closing
time on business days, whichever process gets there, with its numbers and linked keys."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.waiting import WaitingParty
from bot.jobs import Jobs
from tests.blocks.conftest import text_of
from tests.scenarios.conftest import FRONT_DESK, Clinic
from tests.scenarios.test_claim import claim_click
from tests.scenarios.test_escalation import chest_pain, escalate_from_card

NEW_YORK = ZoneInfo("America/New_York")
MONDAY = date(2026, 11, 23)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=NEW_YORK).astimezone(UTC)


def managers(clinic: Clinic) -> list[str]:
    channel = clinic.stub.channel_id(clinic.practice.managers_channel)
    return [text_of(m.blocks) for m in clinic.stub.messages(channel)]


async def fridays_digest_was_posted(clinic: Clinic, now: datetime) -> None:
    """Set the clock to Monday `now`, with Friday's digest posted long ago."""
    clinic.clock.set(now)
    async with clinic.deps.uow() as tx:
        assert await tx.job_runs.claim_period("end_of_day_digest", "2026-11-20", now=now)
        await tx.commit()


async def test_at_closing_time_the_digest_is_posted_once_with_its_numbers_and_linked_keys(
    clinic: Clinic,
) -> None:
    # The clock starts on Monday at 9:00. Sunday's closing was Friday's, posted long ago.
    jobs, other_process = Jobs(clinic.deps), Jobs(clinic.deps)
    await fridays_digest_was_posted(clinic, at(MONDAY, 8))
    first = await clinic.log_request()
    second = await clinic.log_request()
    await clinic.deliver()
    assert await claim_click(clinic, FRONT_DESK, second) == 200
    await clinic.deliver()

    clinic.clock.set(at(MONDAY, 16, 59))
    assert await jobs.end_of_day_digest() is None
    clinic.clock.set(at(MONDAY, 17))
    assert await jobs.end_of_day_digest() == "2026-11-23"
    assert await other_process.end_of_day_digest() is None
    assert await jobs.end_of_day_digest() is None
    await clinic.deliver()

    (digest,) = managers(clinic)
    assert "End of day · Mon Nov 23" in digest
    assert "*Open*\n2" in digest and "*Unclaimed*\n1" in digest and "*Overdue*\n2" in digest
    assert "*Scheduling help*: 2 open · 2 overdue · oldest 9 h" in digest
    assert f"<@{FRONT_DESK}>: 1 open" in digest
    card = clinic.card_of("scheduling", first)
    link = f"/archives/{card.channel}/p{card.ts.replace('.', '')}"
    assert re.search(rf"<https://[a-z-]+\.slack\.com{re.escape(link)}\|{first}>", digest)
    channel = clinic.stub.channel_id(clinic.practice.managers_channel)
    assert clinic.stub.messages(channel)[0].text.startswith("End-of-day digest: 2 open")


async def test_a_weekend_posts_nothing_more_and_a_missed_day_is_posted_late_once(
    clinic: Clinic,
) -> None:
    jobs = Jobs(clinic.deps)
    friday, saturday, monday_next = date(2026, 11, 27), date(2026, 11, 28), date(2026, 11, 30)
    # Thanksgiving Thursday and the Friday after are holidays: Wednesday closes at 19:00.
    clinic.clock.set(at(date(2026, 11, 25), 19))
    assert await jobs.end_of_day_digest() == "2026-11-25"
    clinic.clock.set(at(friday, 17))
    assert await jobs.end_of_day_digest() is None
    clinic.clock.set(at(saturday, 12))
    assert await jobs.end_of_day_digest() is None
    # The app is down over Monday's closing and starts again on Tuesday at 7:00.
    clinic.clock.set(at(monday_next + timedelta(days=1), 7))
    assert await Jobs(clinic.deps).end_of_day_digest() == "2026-11-30"
    await clinic.deliver()

    assert [d.splitlines()[0] for d in managers(clinic)] == [
        "End of day · Wed Nov 25",
        "End of day · Mon Nov 30",
    ]


async def test_a_first_start_long_after_closing_does_not_post_yesterdays_digest(
    clinic: Clinic,
) -> None:
    jobs = Jobs(clinic.deps)  # Monday 9:00: Friday closed three days ago, before CareQueue ran

    assert await jobs.end_of_day_digest() is None
    clinic.clock.set(at(MONDAY, 17, 30))
    assert await jobs.end_of_day_digest() == "2026-11-23"
    await clinic.deliver()

    assert [d.splitlines()[0] for d in managers(clinic)] == ["End of day · Mon Nov 23"]


async def test_the_digest_lists_unresolved_escalations_unkept_promises_and_waiting_items(
    clinic: Clinic,
) -> None:
    await fridays_digest_was_posted(clinic, at(MONDAY, 9))
    promised = await clinic.log_request()
    parked = await clinic.log_request()
    pain = await chest_pain(clinic)
    assert await claim_click(clinic, FRONT_DESK, promised) == 200
    assert await claim_click(clinic, FRONT_DESK, parked) == 200
    await clinic.deliver()
    work = clinic.deps.work
    await work.add_promise(
        item_key=promised, actor=FRONT_DESK, text="Lab result", due_at=at(MONDAY, 12)
    )
    await work.wait_on(
        item_key=parked,
        actor=FRONT_DESK,
        waiting_for=WaitingParty.REFERRAL_OFFICE,
        check_back_at=at(MONDAY + timedelta(days=1), 10),
    )
    await escalate_from_card(clinic, pain)
    await clinic.deliver()

    clinic.clock.set(at(MONDAY, 17))
    assert await Jobs(clinic.deps).end_of_day_digest() == "2026-11-23"
    await clinic.deliver()

    (digest,) = managers(clinic)
    assert "*Promises missed*\n1" in digest and "*Escalations open*\n1" in digest
    assert re.search(
        rf"\|{pain}>\* · [^·]+ · Medical emergency · \*(not acknowledged|no response)\*",
        digest,
    )
    assert re.search(rf"\|{promised}>\* · [^·]+ · promised by 12:00 PM · <@{FRONT_DESK}>", digest)
    assert re.search(rf"\|{parked}>\* · [^·]+ · waiting on the referral office for [78] h", digest)
    assert "Lab result" not in digest  # staff's wording stays out at the default privacy level


async def test_a_merged_repeat_request_is_not_counted_as_resolved(clinic: Clinic) -> None:
    """One patient asked twice; the repeat was merged into the first, which was then
    closed: one request resolved, not two."""
    await fridays_digest_was_posted(clinic, at(MONDAY, 9))
    patient = {"intake.patient_ref": "MRN-40771"}
    first = await clinic.log_request(**patient)
    repeat = await clinic.log_request(**patient, **{"intake.summary": "Called again about it"})
    await clinic.deliver()
    merged = await clinic.deps.work.merge(item_key=repeat, actor=FRONT_DESK, into=first)
    assert getattr(merged, "item", None) is not None, merged
    assert await claim_click(clinic, FRONT_DESK, first) == 200
    closed = await clinic.deps.services.close(
        item_key=first,
        actor=FRONT_DESK,
        resolution="appointment rescheduled",
        told_patient="Moved to Thursday 10 AM",
    )
    assert getattr(closed, "item", None) is not None, closed
    clinic.clock.set(at(MONDAY, 17))
    assert await Jobs(clinic.deps).end_of_day_digest() == "2026-11-23"
    await clinic.deliver()

    digest = managers(clinic)[-1]
    assert "*Resolved today*\n1" in digest
    assert f"{first}" in digest and f"{repeat}" not in digest


async def test_a_promise_follows_its_request_into_the_merged_item_and_a_settled_one_is_not_missed(
    clinic: Clinic,
) -> None:
    """A callback promised on a request that was then merged is still owed: it moves to the
    item that keeps the request, is alerted when missed, and the digest lists it there. A
    promise on an item closed before its deadline was settled by the close: not missed."""
    await fridays_digest_was_posted(clinic, at(MONDAY, 9))
    patient = {"intake.patient_ref": "MRN-40772"}
    first = await clinic.log_request(**patient)
    repeat = await clinic.log_request(**patient, **{"intake.summary": "Called again about it"})
    await clinic.deliver()
    assert await claim_click(clinic, FRONT_DESK, first) == 200
    owed = await clinic.deps.work.add_promise(
        item_key=first, actor=FRONT_DESK, text="A call back with a slot", due_at=at(MONDAY, 12)
    )
    assert getattr(owed, "item", None) is not None, owed
    merged = await clinic.deps.work.merge(item_key=first, actor=FRONT_DESK, into=repeat)
    assert getattr(merged, "item", None) is not None, merged
    async with clinic.deps.uow.read() as tx:
        kept_id = await tx.items.id_of(repeat)
        assert kept_id is not None
        assert [p.text for p in await tx.promises.open_for(kept_id)] == ["A call back with a slot"]

    settled = await clinic.log_request()
    await clinic.deliver()
    assert await claim_click(clinic, FRONT_DESK, settled) == 200
    promised = await clinic.deps.work.add_promise(
        item_key=settled, actor=FRONT_DESK, text="Results by three", due_at=at(MONDAY, 15)
    )
    assert getattr(promised, "item", None) is not None, promised
    closed = await clinic.deps.services.close(
        item_key=settled,
        actor=FRONT_DESK,
        resolution="appointment rescheduled",
        told_patient="Results given on the phone at 11",
    )
    assert getattr(closed, "item", None) is not None, closed

    jobs = Jobs(clinic.deps)
    clinic.clock.set(at(MONDAY, 12, 1))
    await jobs.aging()
    clinic.clock.set(at(MONDAY, 17))
    assert await jobs.end_of_day_digest() == "2026-11-23"
    await clinic.deliver()
    digest = managers(clinic)[-1]
    assert "*Promises missed*\n1" in digest
    missed = digest[digest.index("*Promises due since the last close, not kept*") :].splitlines()[1]
    assert repeat in missed and first not in missed


async def test_a_promise_missed_over_the_weekend_is_in_mondays_digest(clinic: Clinic) -> None:
    """Due Saturday, after Friday's digest: each digest counted only its own day, so no
    digest ever listed it. Monday's counts from Friday's close."""
    friday = date(2026, 11, 20)
    jobs = Jobs(clinic.deps)
    clinic.clock.set(at(friday, 9))
    key = await clinic.log_request()
    await clinic.deliver()
    assert await claim_click(clinic, FRONT_DESK, key) == 200
    promised = await clinic.deps.work.add_promise(
        item_key=key,
        actor=FRONT_DESK,
        text="A call back with the results",
        due_at=datetime(2026, 11, 21, 16, 0, tzinfo=UTC),  # Saturday 11:00 in New York
    )
    assert getattr(promised, "item", None) is not None, promised
    clinic.clock.set(at(friday, 17))
    assert await jobs.end_of_day_digest() == "2026-11-20"
    await clinic.deliver()  # its numbers are read as it posts
    clinic.clock.set(at(MONDAY, 17))
    assert await jobs.end_of_day_digest() == "2026-11-23"
    await clinic.deliver()

    fridays, mondays = managers(clinic)[-2:]
    assert "*Promises missed*\n0" in fridays
    assert "*Promises missed*\n1" in mondays and key in mondays
