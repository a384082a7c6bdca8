"""The morning summary: posted once to the managers' channel at the practice's opening time
on business days, whichever process gets there, with the night's arrivals, red flags and
clinical lanes first; a morning missed while CareQueue was down is posted late, once."""

from __future__ import annotations

from datetime import date, timedelta

from blocks.ids import FieldId
from bot.domain.items import Refusal
from bot.jobs import Jobs
from tests.scenarios.conftest import FRONT_DESK, Clinic
from tests.scenarios.test_digest import MONDAY, at, managers
from tests.scenarios.test_escalation import CHEST_PAIN

FRIDAY = date(2026, 11, 20)
REFILL = {**CHEST_PAIN, FieldId.SUMMARY: "Needs a refill of her usual prescription"}


async def test_at_opening_the_nights_requests_are_summarised_once_red_flags_first(
    clinic: Clinic,
) -> None:
    jobs, other_process = Jobs(clinic.deps), Jobs(clinic.deps)
    # CareQueue has been running since Friday's opening.
    clinic.clock.set(at(FRIDAY, 8, 30))
    assert await jobs.morning_summary() == "2026-11-20"
    clinic.clock.set(at(FRIDAY, 10))
    from_friday = await clinic.log_request()
    friday_pain = await clinic.log_request(**CHEST_PAIN)  # nobody has answered its red flag
    clinic.clock.set(at(MONDAY, 2))
    assert await jobs.morning_summary() is None
    routine = await clinic.log_request()
    refill = await clinic.log_request(**REFILL)
    pain = await clinic.log_request(**CHEST_PAIN)
    await clinic.deliver()

    clinic.clock.set(at(MONDAY, 7, 59))
    assert await jobs.morning_summary() is None
    clinic.clock.set(at(MONDAY, 8))
    assert await jobs.morning_summary() == "2026-11-23"
    assert await other_process.morning_summary() is None
    assert await Jobs(clinic.deps).morning_summary() is None  # a restart
    await clinic.deliver()

    friday, monday = managers(clinic)
    assert friday.startswith("Good morning · Fri Nov 20")
    assert monday.startswith("Good morning · Mon Nov 23")
    assert "*Arrived since close*\n3" in monday and "*Red flags open*\n2" in monday
    assert "*Open*\n5" in monday and "Since Fri 4:00 PM · as of 8:00 AM" in monday
    first = monday[monday.index("*Start here* (4)") :].splitlines()[1:5]
    assert first[0].startswith("🚩 red flag · ") and f"|{friday_pain}>" in first[0]
    assert first[1].startswith("🚩 red flag · ") and f"|{pain}>" in first[1]
    assert first[2].startswith("🩺 clinical · ") and f"|{refill}>" in first[2]
    assert first[3].startswith("*<") and f"|{routine}>" in first[3]
    assert f"|{from_friday}>" not in monday  # arrived during opening hours, before the close
    assert "Jane" not in monday and "Chest pain" not in monday and "refill" not in monday


async def test_a_morning_missed_while_down_is_posted_late_once_and_weekends_post_nothing(
    clinic: Clinic,
) -> None:
    clinic.clock.set(at(FRIDAY, 8, 30))
    assert await Jobs(clinic.deps).morning_summary() == "2026-11-20"
    clinic.clock.set(at(FRIDAY + timedelta(days=1), 9))  # Saturday
    assert await Jobs(clinic.deps).morning_summary() is None
    # Down over the weekend and all Monday morning; started again at 11:00.
    clinic.clock.set(at(MONDAY, 11))
    jobs = Jobs(clinic.deps)
    assert await jobs.morning_summary() == "2026-11-23"
    assert await jobs.morning_summary() is None
    await clinic.deliver()

    assert [m.splitlines()[0] for m in managers(clinic)] == [
        "Good morning · Fri Nov 20",
        "Good morning · Mon Nov 23",
    ]
    assert "as of 11:00 AM" in managers(clinic)[-1]


async def test_a_first_start_long_after_opening_does_not_post_that_mornings_summary(
    clinic: Clinic,
) -> None:
    clinic.clock.set(at(MONDAY, 10))
    jobs = Jobs(clinic.deps)

    assert await jobs.morning_summary() is None
    clinic.clock.set(at(MONDAY + timedelta(days=1), 8, 1))
    assert await jobs.morning_summary() == "2026-11-24"
    await clinic.deliver()

    assert [m.splitlines()[0] for m in managers(clinic)] == ["Good morning · Tue Nov 24"]


async def test_a_red_flag_answered_by_an_escalation_is_not_counted_open(clinic: Clinic) -> None:
    """Friday's chest pain was escalated from its prompt and a nurse resolved it: Monday's
    summary does not list it again as a flag nobody answered."""
    jobs = Jobs(clinic.deps)
    clinic.clock.set(at(FRIDAY, 8, 30))
    assert await jobs.morning_summary() == "2026-11-20"
    clinic.clock.set(at(FRIDAY, 10))
    pain = await clinic.log_request(**CHEST_PAIN)
    escalated = await clinic.deps.escalations.confirm_red_flag(item_key=pain, actor=FRONT_DESK)
    assert not isinstance(escalated, Refusal), escalated
    resolved = await clinic.deps.escalations.resolve(
        item_key=pain,
        actor="U0NURSE01",
        decision="Heartburn, no cardiac signs",
        told_patient="Seen Monday morning",
        appropriate=True,
    )
    assert not isinstance(resolved, Refusal), resolved
    unanswered = await clinic.log_request(**CHEST_PAIN)  # nobody has answered this one
    clinic.clock.set(at(MONDAY, 8))
    assert await jobs.morning_summary() == "2026-11-23"
    await clinic.deliver()

    monday = managers(clinic)[-1]
    assert "*Red flags open*\n1" in monday
    flagged = [line for line in monday.splitlines() if line.startswith("🚩 red flag")]
    assert len(flagged) == 1 and f"*{unanswered}*" in flagged[0]
