"""The weekly metrics, their chart and the QA sample: posted once to the managers' channel
at the practice's weekly time, whichever process gets there; a manager reviews a sampled
item from its button; `/cq metrics` sends a manager the numbers on demand."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from blocks.ids import ActionId, Command, FieldId, ViewId
from bot.domain.event_details import QaReviewed, details_of
from bot.domain.items import Action
from bot.jobs import Jobs
from tests.blocks.conftest import text_of
from tests.scenarios.conftest import FRONT_DESK, MANAGER, Clinic
from tests.scenarios.test_digest import NEW_YORK

NEXT_MONDAY = date(2026, 11, 30)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=NEW_YORK).astimezone(UTC)


async def a_closed_and_an_open_request(clinic: Clinic) -> tuple[str, str]:
    """Monday 9:00: two voicemails; the first is claimed at once and closed."""
    closed, still_open = await clinic.log_request(), await clinic.log_request()
    await clinic.deps.services.claim(item_key=closed, actor=FRONT_DESK)
    result = await clinic.deps.services.close(
        item_key=closed,
        actor=FRONT_DESK,
        resolution="appointment rescheduled",
        told_patient="Moved to Thursday",
    )
    assert not hasattr(result, "code"), result
    await clinic.deliver()
    return closed, still_open


def managers_channel(clinic: Clinic) -> str:
    return clinic.stub.channel_id(clinic.practice.managers_channel)


QA_SCORES = {
    FieldId.QA_GREETING: "5",
    FieldId.QA_EMPATHY: "4",
    FieldId.QA_ACCURACY: "4",
    FieldId.QA_ESCALATION: "3",
    FieldId.QA_CLOSING: "4",
    FieldId.QA_PRIVACY: "yes",
    FieldId.QA_NOTE: "Warm greeting; confirm the callback number next time.",
}


async def review_clicked(clinic: Clinic, user: str) -> tuple[str, dict[str, Any]]:
    """Next Monday's weekly reports sample a closed request; `user` clicks its Review
    button. The closed item's key, and the modal that click left open."""
    closed, _ = await a_closed_and_an_open_request(clinic)
    clinic.clock.set(at(NEXT_MONDAY, 8))
    assert await Jobs(clinic.deps).weekly_reports() == "2026-11-30"
    await clinic.deliver()
    (sample,) = [
        m for m in clinic.stub.messages(managers_channel(clinic)) if m.text.startswith("QA")
    ]
    await clinic.then_wait_for(
        "views.update",
        clinic.slack.click_button(user, sample.channel, sample.ts, ActionId.QA_REVIEW, closed),
    )
    (shown,) = clinic.stub.open_views(user)
    return closed, shown


async def test_at_the_weekly_time_metrics_chart_and_sample_are_posted_once(
    clinic: Clinic,
) -> None:
    closed, _ = await a_closed_and_an_open_request(clinic)
    jobs, other_process = Jobs(clinic.deps), Jobs(clinic.deps)

    # Today's 8:00 passed long before CareQueue first ran: that week is not posted late...
    clinic.clock.set(at(date(2026, 11, 23), 9, 30))
    assert await jobs.weekly_reports() is None
    # ...next Monday's comes at 8:00, once, however many processes look.
    clinic.clock.set(at(NEXT_MONDAY, 7, 59))
    assert await jobs.weekly_reports() is None
    clinic.clock.set(at(NEXT_MONDAY, 8))
    assert await other_process.weekly_reports() == "2026-11-30"
    assert await jobs.weekly_reports() is None
    await clinic.deliver()

    posts = clinic.stub.messages(managers_channel(clinic))
    weekly = [m for m in posts if m.text.startswith("Metrics for 7 days")]
    assert len(weekly) == 1
    shown = text_of(weekly[-1].blocks)
    assert "Metrics · Nov 23 to Nov 30 (7 days)" in shown
    assert "*Same-day callbacks*\n0% (0 of 2)" in shown  # nobody called either patient
    assert "*Scheduling help*" in shown
    assert "Jane" not in str(weekly[-1].blocks)  # no patient data at the default privacy
    charts = clinic.stub.files_in(managers_channel(clinic))
    assert len(charts) == 1 and all(c.data and c.data.startswith(b"\x89PNG") for c in charts)
    assert charts[-1].filename == "first-response-2026-11-30.png"
    samples = [m for m in posts if m.text.startswith("QA sample")]
    assert [s.text for s in samples] == ["QA sample: 1 closed items to review"]
    assert f"*{closed}*" in text_of(samples[0].blocks)


async def test_a_manager_reviews_a_sampled_item_and_the_score_is_its_event(
    clinic: Clinic,
) -> None:
    closed, form = await review_clicked(clinic, MANAGER)
    assert form["callback_id"] == ViewId.QA_REVIEW
    incomplete = await clinic.slack.submit_view(MANAGER, form["id"], {FieldId.QA_GREETING: "5"})
    assert incomplete.json is not None and FieldId.QA_PRIVACY in incomplete.json["errors"]
    done = await clinic.slack.submit_view(MANAGER, form["id"], QA_SCORES)
    assert done.status == 200 and "errors" not in (done.json or {})

    reviews = [
        e for e in await clinic.deps.services.history(closed) if e.action is Action.QA_REVIEW
    ]
    assert len(reviews) == 1 and reviews[0].actor == MANAGER
    review = details_of(reviews[0])
    assert isinstance(review, QaReviewed) and review.scores == (5, 4, 4, 3, 4)
    clinic.clock.advance(timedelta(minutes=1))
    report = await clinic.deps.metrics.report(7)
    assert report.qa_scores.overall.average == 4.0


async def test_only_a_manager_may_review(clinic: Clinic) -> None:
    closed, shown = await review_clicked(clinic, FRONT_DESK)

    assert shown["callback_id"] != ViewId.QA_REVIEW
    assert not any(e.action is Action.QA_REVIEW for e in await clinic.deps.services.history(closed))


async def test_cq_metrics_sends_a_manager_the_numbers_and_chart_by_dm(clinic: Clinic) -> None:
    await a_closed_and_an_open_request(clinic)

    refused = await clinic.slack.slash_command(FRONT_DESK, Command.CQ, text="metrics")
    assert "for the practice's managers" in str(refused.json)
    wrong = await clinic.slack.slash_command(MANAGER, Command.CQ, text="metrics 90d")
    assert "Usage: `/cq metrics [7d|30d]`" in str(wrong.json)
    answered = await clinic.slack.slash_command(MANAGER, Command.CQ, text="metrics 30d")
    assert "on their way to your DM" in str(answered.json)
    await clinic.deliver()

    dm = clinic.stub.workspace.dm_channel(MANAGER)
    (metrics_dm,) = [m for m in clinic.stub.messages(dm) if m.text.startswith("Metrics")]
    assert metrics_dm.text.startswith("Metrics for 30 days: first response avg 0 min")
    assert "*Attempts per resolved item*\n0.0 (0 over 1)" in text_of(metrics_dm.blocks)
    (chart,) = clinic.stub.files_in(dm)
    assert chart.data is not None and chart.data.startswith(b"\x89PNG")
    assert not clinic.stub.messages(managers_channel(clinic))


async def test_reports_queued_during_a_slack_outage_arrive_once_when_it_ends(
    clinic: Clinic,
) -> None:
    await a_closed_and_an_open_request(clinic)
    clinic.clock.set(at(NEXT_MONDAY, 8))
    clinic.stub.set_outage(True)
    assert await Jobs(clinic.deps).weekly_reports() == "2026-11-30"
    for _ in range(30):
        await clinic.deps.outbox.drain_once()
        clinic.clock.advance(timedelta(seconds=10))
    assert not clinic.stub.files_in(managers_channel(clinic))

    clinic.stub.set_outage(False)
    await clinic.deliver()

    posts = clinic.stub.messages(managers_channel(clinic))
    assert sum(m.text.startswith("Metrics for 7 days") for m in posts) == 1
    assert sum(m.text.startswith("QA sample") for m in posts) == 1
    assert len(clinic.stub.files_in(managers_channel(clinic))) == 1


async def test_escalation_accuracy_from_the_event_log_matches_the_escalation_records(
    clinic: Clinic,
) -> None:
    clinic.stub.add_user("U0NURSE02", "rn.kim")
    keys = [
        await clinic.log_request(
            **{FieldId.LANE: "clinical", FieldId.REQUEST_TYPE: "clinical|symptom question"}
        )
        for _ in range(3)
    ]
    await clinic.deliver()
    escalations = clinic.deps.escalations
    for key, appropriate in zip(keys, (True, True, False), strict=True):
        assert not hasattr(
            await escalations.escalate(item_key=key, actor=FRONT_DESK, rule="same_day_symptoms"),
            "code",
        )
        resolved = await escalations.resolve(
            item_key=key,
            actor="U0NURSE01",
            decision="Seen by the nurse",
            told_patient="Appointment today at 15:00",
            appropriate=appropriate,
        )
        assert not hasattr(resolved, "code"), resolved
    clinic.clock.advance(timedelta(minutes=1))

    report = await clinic.deps.metrics.report(7)
    async with clinic.deps.uow.read() as tx:
        (recorded,) = await tx.escalations.accuracy()

    assert report.escalations.count.lanes == {"clinical": 3}
    rate = report.escalations.accuracy_by_rule[recorded.rule]
    assert (rate.done, rate.of) == (recorded.appropriate, recorded.answered) == (2, 3)
    assert report.escalations.accuracy.lanes[recorded.lane].share == 2 / 3


async def sampled(clinic: Clinic) -> tuple[str, Any]:
    """The week's one closed request, and the QA sample post listing it."""
    closed, _ = await a_closed_and_an_open_request(clinic)
    clinic.clock.set(at(NEXT_MONDAY, 8))
    assert await Jobs(clinic.deps).weekly_reports() == "2026-11-30"
    await clinic.deliver()
    channel = managers_channel(clinic)
    (sample,) = [m for m in clinic.stub.messages(channel) if m.text.startswith("QA")]
    return closed, sample


async def review_form(clinic: Clinic, user: str, sample: Any, key: str) -> dict[str, Any]:
    await clinic.then_wait_for(
        "views.update",
        clinic.slack.click_button(user, sample.channel, sample.ts, ActionId.QA_REVIEW, key),
    )
    return clinic.stub.open_views(user)[-1]


async def test_a_guest_clicking_review_is_told_it_needs_a_manager(clinic: Clinic) -> None:
    clinic.stub.add_user("U0GUEST01", "gus")
    closed, sample = await sampled(clinic)
    form = await review_form(clinic, "U0GUEST01", sample, closed)
    said = text_of(form["blocks"])
    assert form["callback_id"] != ViewId.QA_REVIEW
    assert "*manager*" in said and "*staff*" not in said


async def test_a_sampled_request_merged_since_is_not_reviewed_there(clinic: Clinic) -> None:
    """Reopened and merged into the patient's other request after the sample went out: its
    calls are reviewed on the item that holds the request, and the form says so."""
    closed, sample = await sampled(clinic)
    await clinic.deps.services.reopen(item_key=closed, actor=FRONT_DESK)
    item = await clinic.deps.services.get(closed)
    assert item is not None
    other = await clinic.log_request(**{FieldId.PATIENT_REF: item.patient.reference})
    merged = await clinic.deps.work.merge(item_key=closed, actor=FRONT_DESK, into=other)
    assert getattr(merged, "item", None) is not None, merged
    form = await review_form(clinic, MANAGER, sample, closed)
    assert form["callback_id"] != ViewId.QA_REVIEW
    assert f"was merged into {other}" in text_of(form["blocks"])
    reviews = [
        e for e in await clinic.deps.services.history(closed) if e.action is Action.QA_REVIEW
    ]
    assert reviews == []


async def test_a_sampled_item_is_reviewed_once_and_counts_once(clinic: Clinic) -> None:
    """A second Review of the same call used to be recorded too, and both counted in the
    week's QA average."""
    clinic.stub.add_user(MANAGER, "maria")
    closed, sample = await sampled(clinic)
    first = await review_form(clinic, MANAGER, sample, closed)
    done = await clinic.slack.submit_view(MANAGER, first["id"], QA_SCORES)
    assert "errors" not in (done.json or {}), done.body
    again = await review_form(clinic, MANAGER, sample, closed)
    worse = {**QA_SCORES, FieldId.QA_GREETING: "1"}
    answer = await clinic.slack.submit_view(MANAGER, again["id"], worse)
    errors = " ".join((answer.json or {}).get("errors", {}).values())
    assert f"{closed} was reviewed already (by @maria" in errors, answer.body
    reviews = [
        e for e in await clinic.deps.services.history(closed) if e.action is Action.QA_REVIEW
    ]
    assert len(reviews) == 1
