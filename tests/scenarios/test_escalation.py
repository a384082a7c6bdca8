"""Escalation through Slack: the form, the guidance, the page ahead of queued cards, the
acknowledgment on the card, re-escalation on wall-clock windows, and the scope guard."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from blocks.ids import ActionId, Command, FieldId, More, ViewId, more_value
from bot.domain.escalation import EscalationState
from bot.domain.intake import IntakeRequest
from bot.domain.items import Action, Origin, Refusal, RefusalCode, Status
from bot.jobs import RE_ESCALATION, Jobs
from bot.services.base import Done
from storage.models import EscalationRow
from tests.scenarios.conftest import FRONT_DESK, MANAGER, Clinic

NURSES = ("U0NURSE01", "U0NURSE02")
DOCTOR = "U0DOC001"
# Sunday 22 November 2026, 23:00 in New York: the practice is closed.
SUNDAY_NIGHT = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)

CHEST_PAIN = {
    FieldId.LANE: "clinical",
    FieldId.REQUEST_TYPE: "clinical|symptom question",
    FieldId.SUMMARY: "Chest pain since last night, left arm numb",
}


@pytest.fixture(autouse=True)
def _clinical_staff(clinic: Clinic) -> None:
    for user, name in [("U0NURSE02", "rn.kim"), (DOCTOR, "dr.ortiz")]:
        clinic.stub.add_user(user, name)


async def chest_pain(clinic: Clinic) -> str:
    key = await clinic.log_request(**CHEST_PAIN)
    await clinic.deliver()
    return key


async def escalate_from_card(
    clinic: Clinic, key: str, rule: str = "emergency", user: str = FRONT_DESK
) -> Any:
    card = clinic.card_of("clinical", key)
    await clinic.then_wait_for(
        "views.update",
        clinic.slack.select_option(
            user, card.channel, card.ts, ActionId.MORE, more_value(More.ESCALATE, key)
        ),
    )
    view = clinic.stub.open_views(user)[-1]
    assert view["callback_id"] == ViewId.ESCALATE, view
    return await clinic.slack.submit_view(
        user,
        view["id"],
        {FieldId.ESCALATION_RULE: rule, FieldId.ESCALATION_CONTEXT: "Pain 8/10, sweating"},
    )


def dm_texts(clinic: Clinic, user: str) -> list[str]:
    return [m.text for m in clinic.stub.messages(user)]


def clinical_posts(clinic: Clinic) -> list[str]:
    return [m.text for m in clinic.stub.messages(clinic.practice.clinical_channel)]


async def escalation_rows(clinic: Clinic) -> int:
    async with clinic.deps.uow.read() as tx:
        return int(await tx.session.scalar(select(func.count()).select_from(EscalationRow)) or 0)


async def test_escalating_from_the_card_pages_the_nurses_and_shows_the_guidance(
    clinic: Clinic,
) -> None:
    key = await chest_pain(clinic)
    response = await escalate_from_card(clinic, key)
    assert response.status == 200 and "errors" not in (response.json or {}), response.body
    await clinic.stub.wait_for_call("chat.postEphemeral", timeout=10)

    # The guidance, at once and only to the person who escalated.
    (guidance,) = clinic.stub.ephemerals(FRONT_DESK)
    assert "call 911 now and stay on the line" in str(guidance.blocks)
    await clinic.deliver()
    item = await clinic.deps.services.get(key)
    assert item is not None and item.status is Status.ESCALATED

    # Each nurse gets a DM, the clinical channel one post; their text names only the kind
    # of escalation and the key, never the patient.
    for nurse in NURSES:
        assert dm_texts(clinic, nurse) == [f"Escalation: Medical emergency · {key}"]
    assert clinical_posts(clinic) == [f"Escalation: Medical emergency · {key}"]
    page = clinic.stub.messages(NURSES[0])[0]
    assert "Jane" not in str(page.blocks) and "Chest pain" not in str(page.blocks)
    actions = str(page.blocks)
    for action in (ActionId.ESCALATION_VIEW, ActionId.ESCALATION_ACKNOWLEDGE):
        assert action.value in actions

    card = str(clinic.card_of("clinical", key).blocks)
    assert "Escalated: *Medical emergency*" in card and "acknowledge by" in card
    assert ActionId.CLAIM.value not in card


async def test_acknowledging_shows_who_and_when_and_stops_the_timer(clinic: Clinic) -> None:
    key = await chest_pain(clinic)
    await escalate_from_card(clinic, key)
    await clinic.deliver()
    page = clinic.stub.messages(NURSES[1])[0]
    clinic.clock.advance(timedelta(minutes=2))
    await clinic.slack.click_button(
        NURSES[1], page.channel, page.ts, ActionId.ESCALATION_ACKNOWLEDGE
    )
    await clinic.deliver()

    card = str(clinic.card_of("clinical", key).blocks)
    assert f"acknowledged by <@{NURSES[1]}>" in card
    clinic.clock.advance(timedelta(hours=3))
    assert await clinic.deps.escalations.run_escalations() == []
    assert dm_texts(clinic, DOCTOR) == []


async def test_unacknowledged_it_pages_level_two_once_then_the_manager_once_then_no_response(
    clinic: Clinic,
) -> None:
    key = await chest_pain(clinic)
    await escalate_from_card(clinic, key)
    await clinic.deliver()
    run = clinic.deps.escalations.run_escalations

    clinic.clock.advance(timedelta(minutes=4, seconds=50))
    assert await run() == []
    clinic.clock.advance(timedelta(seconds=15))  # 5 minutes: the window has passed
    assert await run() == [key]
    assert await run() == []  # exactly once
    await clinic.deliver()
    assert dm_texts(clinic, DOCTOR) == [f"Escalation: Medical emergency · {key}"]
    # The first recipients are reminded, once.
    assert dm_texts(clinic, NURSES[0])[1:] == [f"Reminder: escalation {key} (Medical emergency)"]

    clinic.clock.advance(timedelta(minutes=5))
    assert await run() == [key]
    assert await run() == []
    await clinic.deliver()
    assert dm_texts(clinic, MANAGER) == [f"Escalation: Medical emergency · {key}"]
    assert len(dm_texts(clinic, NURSES[0])) == 2  # no second reminder

    clinic.clock.advance(timedelta(minutes=5))
    assert await run() == [key]
    assert await run() == []
    await clinic.deliver()
    card = str(clinic.card_of("clinical", key).blocks)
    assert "*No response*" in card
    managers = [m.text for m in clinic.stub.messages(clinic.practice.managers_channel)]
    assert f"No response: escalation {key} (Medical emergency)" in managers
    thread = " ".join(m.text for m in clinic.replies(clinic.card_of("clinical", key)))
    assert "Not acknowledged in time" in thread and "No response" in thread
    # A late acknowledgment still counts.
    result = await clinic.deps.escalations.acknowledge(item_key=key, actor=DOCTOR)
    assert isinstance(result, Done)


async def test_a_sunday_night_emergency_pages_the_provider_on_call_at_once(
    clinic: Clinic,
) -> None:
    clinic.clock.set(SUNDAY_NIGHT)
    key = await chest_pain(clinic)
    await escalate_from_card(clinic, key)
    await clinic.deliver()
    assert dm_texts(clinic, DOCTOR) == [f"Escalation: Medical emergency · {key}"]
    assert dm_texts(clinic, NURSES[0]) == []
    # Five wall-clock minutes later, not Monday morning, the manager is paged.
    clinic.clock.advance(timedelta(minutes=5))
    assert await clinic.deps.escalations.run_escalations() == [key]
    await clinic.deliver()
    assert dm_texts(clinic, MANAGER) == [f"Escalation: Medical emergency · {key}"]


async def test_the_page_goes_out_before_fifty_queued_card_posts(clinic: Clinic) -> None:
    # The outbox looks at ten due rows at a time here (200 in production), so fifty queued
    # cards are more than one look: only the page's priority puts it in the first.
    outbox = clinic.deps.outbox
    outbox.pacing = dataclasses.replace(outbox.pacing, batch=10)
    for _ in range(50):
        await clinic.log_request()  # 50 scheduling cards queued, not delivered
    key = await clinic.log_request(**CHEST_PAIN)
    result = await clinic.deps.escalations.escalate(
        item_key=key, actor=FRONT_DESK, rule="emergency"
    )
    assert isinstance(result, Done)
    await clinic.deliver()
    posts = [c.args for c in clinic.stub.calls_to("chat.postMessage") if c.response.get("ok")]
    pages = [i for i, args in enumerate(posts) if str(args.get("text")).startswith("Escalation")]
    scheduling = clinic.channel("scheduling")
    cards = [
        i for i, args in enumerate(posts) if args.get("channel") in (scheduling, "#cq-scheduling")
    ]
    assert len(pages) == 3 and len(cards) == 50
    # Every page was handed to Slack before the second of the fifty queued cards.
    assert max(pages) < cards[1], [str(args.get("text"))[:30] for args in posts[:6]]


async def test_front_desk_cannot_close_move_or_merge_an_escalated_item(clinic: Clinic) -> None:
    key = await chest_pain(clinic)
    await escalate_from_card(clinic, key)
    await clinic.deliver()
    services, work = clinic.deps.services, clinic.deps.work
    close = await services.close(
        item_key=key, actor=FRONT_DESK, resolution="patient given next step", told_patient="ok"
    )
    move = await work.move(item_key=key, actor=MANAGER, lane="scheduling")
    for refused in (close, move):
        assert not isinstance(refused, Done)
        assert "escalated to the clinical team" in clinic.deps.renderer.refusal(refused).text
    item = await services.get(key)
    assert item is not None and item.status is Status.ESCALATED and item.lane == "clinical"


async def test_resolving_records_the_decision_and_whether_it_was_the_right_call(
    clinic: Clinic,
) -> None:
    key = await chest_pain(clinic)
    await escalate_from_card(clinic, key)
    await clinic.deliver()
    page = clinic.stub.messages(NURSES[0])[0]
    await clinic.then_wait_for(
        "views.update",
        clinic.slack.click_button(NURSES[0], page.channel, page.ts, ActionId.ESCALATION_RESOLVE),
    )
    view = clinic.stub.open_views(NURSES[0])[-1]
    assert view["callback_id"] == ViewId.ESCALATION_RESOLVE
    response = await clinic.slack.submit_view(
        NURSES[0],
        view["id"],
        {
            FieldId.DECISION: "Sent to the ER by ambulance",
            FieldId.ESCALATION_TOLD: "Called 911 with her on the line",
            FieldId.APPROPRIATE: "yes",
        },
    )
    assert response.status == 200 and "errors" not in (response.json or {}), response.body
    await clinic.deliver()
    item = await clinic.deps.services.get(key)
    assert item is not None and item.status is Status.NEW  # nobody owned it: back to the lane
    escalation = await clinic.deps.escalations.current(key)
    assert escalation is not None and escalation.state is EscalationState.RESOLVED
    assert escalation.appropriate is True and escalation.decision.startswith("Sent to the ER")
    async with clinic.deps.uow.read() as tx:
        (accuracy,) = await tx.escalations.accuracy()
    assert (accuracy.lane, accuracy.rule, accuracy.answered, accuracy.appropriate) == (
        "clinical",
        "emergency",
        1,
        1,
    )
    history = [event.action for event in await clinic.deps.services.history(key)]
    assert Action.ESCALATE in history and Action.RESOLVE_ESCALATION in history


async def test_front_desk_cannot_resolve_a_clinical_escalation(clinic: Clinic) -> None:
    key = await chest_pain(clinic)
    await clinic.deps.escalations.escalate(item_key=key, actor=FRONT_DESK, rule="emergency")
    refused = await clinic.deps.escalations.resolve(
        item_key=key, actor=FRONT_DESK, decision="fine", told_patient="fine", appropriate=False
    )
    assert not isinstance(refused, Done)
    assert "Only a clinician" in clinic.deps.renderer.refusal(refused).text


async def test_cq_escalate_opens_the_form(clinic: Clinic) -> None:
    key = await chest_pain(clinic)
    await clinic.then_wait_for(
        "views.update", clinic.slack.slash_command(FRONT_DESK, Command.CQ, text=f"escalate {key}")
    )
    assert clinic.stub.open_views(FRONT_DESK)[-1]["callback_id"] == ViewId.ESCALATE
    assert await escalation_rows(clinic) == 0


async def test_the_job_re_escalates_every_30_seconds_on_the_apps_clock(clinic: Clinic) -> None:
    key = await chest_pain(clinic)
    await clinic.deps.escalations.escalate(item_key=key, actor=FRONT_DESK, rule="emergency")
    jobs = Jobs(clinic.deps)
    job = jobs.scheduler.get_job(RE_ESCALATION)
    assert job is not None and job.trigger.interval == timedelta(seconds=30)

    assert await jobs.re_escalation() == []
    clinic.clock.advance(timedelta(minutes=5))  # as the sandbox's clock control does
    assert await jobs.re_escalation() == [key]
    await clinic.deliver()
    assert dm_texts(clinic, DOCTOR) == [f"Escalation: Medical emergency · {key}"]


# --- a page or form left over from an escalation that has ended -----------------------------


async def rash_answered_then_emergency(clinic: Clinic) -> tuple[str, Any]:
    """A clinical item escalated for a rash, whose page reached the first nurse; the second
    nurse resolves it; then the patient calls back with chest pain and it is escalated again.
    Returns the key and the first nurse's old page."""
    key, old_page = await rash_escalated(clinic)
    await rash_resolved_then_emergency(clinic, key)
    return key, old_page


async def rash_escalated(clinic: Clinic) -> tuple[str, Any]:
    """A clinical item escalated for a rash; the key and the first nurse's page."""
    key = await chest_pain(clinic)
    await escalate_from_card(clinic, key, rule="same_day_symptoms")
    await clinic.deliver()
    return key, clinic.stub.messages(NURSES[0])[-1]


async def rash_resolved_then_emergency(clinic: Clinic, key: str) -> None:
    """The second nurse resolves the rash; the patient calls back with chest pain."""
    done = await clinic.deps.escalations.resolve(
        item_key=key,
        actor=NURSES[1],
        decision="Rash: seen tomorrow morning",
        told_patient="Appointment tomorrow 9 AM",
        appropriate=True,
    )
    assert isinstance(done, Done), done
    again = await clinic.deps.escalations.escalate(
        item_key=key, actor=FRONT_DESK, rule="emergency", context="Chest pain now"
    )
    assert isinstance(again, Done), again
    await clinic.deliver()


async def still_open_emergency(clinic: Clinic, key: str) -> None:
    escalation = await clinic.deps.escalations.current(key)
    assert escalation is not None and escalation.rule == "emergency"
    assert escalation.state is EscalationState.OPEN and escalation.acknowledged_by is None
    item = await clinic.deps.services.get(key)
    assert item is not None and item.status is Status.ESCALATED


async def test_an_old_pages_acknowledge_never_acknowledges_a_later_escalation(
    clinic: Clinic,
) -> None:
    """Acknowledging stops re-escalation: an old rash page must not silence a new emergency."""
    key, old_page = await rash_answered_then_emergency(clinic)
    await clinic.slack.click_button(
        NURSES[0], old_page.channel, old_page.ts, ActionId.ESCALATION_ACKNOWLEDGE
    )
    await clinic.settled()
    await still_open_emergency(clinic, key)
    (told,) = [m.text for m in clinic.stub.ephemerals(NURSES[0])]
    assert "has ended already (answered by <@U0NURSE02>" in told and "nothing was changed" in told
    # The new page's Acknowledge works.
    new_page = clinic.stub.messages(NURSES[0])[-1]
    await clinic.slack.click_button(
        NURSES[0], new_page.channel, new_page.ts, ActionId.ESCALATION_ACKNOWLEDGE
    )
    await clinic.settled()
    escalation = await clinic.deps.escalations.current(key)
    assert escalation is not None and escalation.acknowledged_by == NURSES[0]


@pytest.mark.parametrize("button", [ActionId.ESCALATION_RESOLVE, ActionId.ESCALATION_NOT_CLINICAL])
async def test_a_resolve_form_opened_for_an_escalation_never_ends_a_later_one(
    clinic: Clinic, button: ActionId
) -> None:
    """The nurse opened Resolve (or Not clinical) on the rash; before she saved it, a
    colleague resolved the rash and the item was escalated again for chest pain."""
    key, page = await rash_escalated(clinic)
    await clinic.then_wait_for(
        "views.update", clinic.slack.click_button(NURSES[0], page.channel, page.ts, button)
    )
    form = clinic.stub.open_views(NURSES[0])[-1]
    assert form["callback_id"] == ViewId.ESCALATION_RESOLVE
    await rash_resolved_then_emergency(clinic, key)

    response = await clinic.slack.submit_view(
        NURSES[0],
        form["id"],
        {
            FieldId.DECISION: "Contact dermatitis, no visit needed",
            FieldId.ESCALATION_TOLD: "Use the cream, call if it spreads",
            FieldId.APPROPRIATE: "no",
        },
    )
    errors = (response.json or {}).get("errors", {})
    assert "has ended already" in errors.get(FieldId.DECISION, ""), response.body
    await still_open_emergency(clinic, key)
    async with clinic.deps.uow.read() as tx:
        accuracy = await tx.escalations.accuracy()
    assert [(a.rule, a.answered) for a in accuracy] == [("same_day_symptoms", 1)]


async def test_resolve_on_an_old_page_says_that_escalation_has_ended(clinic: Clinic) -> None:
    key, old_page = await rash_answered_then_emergency(clinic)
    await clinic.then_wait_for(
        "views.update",
        clinic.slack.click_button(
            NURSES[0], old_page.channel, old_page.ts, ActionId.ESCALATION_NOT_CLINICAL
        ),
    )
    shown = clinic.stub.open_views(NURSES[0])[-1]
    assert shown["callback_id"] != ViewId.ESCALATION_RESOLVE
    assert "has ended already" in str(shown["blocks"])
    await still_open_emergency(clinic, key)


# --- a more urgent reason while escalated --------------------------------------------------


async def test_chest_pain_while_escalated_for_a_rash_pages_the_emergency_chain_at_once(
    clinic: Clinic,
) -> None:
    """Escalated for same-day symptoms (15 minutes to acknowledge), the patient calls back
    with chest pain: the emergency (5 minutes) replaces it, pages anew, and the person on
    the phone gets the 911 guidance, instead of "can't escalate while escalated"."""
    key = await chest_pain(clinic)
    done = await clinic.deps.escalations.escalate(
        item_key=key, actor=FRONT_DESK, rule="same_day_symptoms", context="A spreading rash"
    )
    assert isinstance(done, Done), done
    await clinic.deliver()
    first = await clinic.deps.escalations.current(key)
    assert first is not None and first.rule == "same_day_symptoms"
    pages_before = len(dm_texts(clinic, NURSES[0]))

    response = await escalate_from_card(clinic, key, rule="emergency")
    assert "errors" not in (response.json or {}), response.body
    await clinic.stub.wait_for_call("chat.postEphemeral", timeout=10)
    (guidance,) = clinic.stub.ephemerals(FRONT_DESK)
    assert "call 911 now" in str(guidance.blocks)
    await clinic.deliver()

    now_open = await clinic.deps.escalations.current(key)
    assert now_open is not None and now_open.rule == "emergency" and now_open.state.is_open
    assert now_open.ack_due_at == now_open.opened_at + timedelta(minutes=5)
    async with clinic.deps.uow.read() as tx:
        replaced = await tx.escalations.get(first.id or 0)
    assert replaced is not None and replaced.state is EscalationState.SUPERSEDED
    assert dm_texts(clinic, NURSES[0])[pages_before:] == [f"Escalation: Medical emergency · {key}"]
    # The rash's page can no longer answer anything; the job watches the emergency only.
    clinic.clock.advance(timedelta(minutes=6))
    assert await clinic.deps.escalations.run_escalations() == [key]
    async with clinic.deps.uow.read() as tx:
        still = await tx.escalations.get(first.id or 0)
    assert still is not None and still.state is EscalationState.SUPERSEDED


@pytest.mark.parametrize(
    ("first", "then"),
    [
        ("emergency", "same_day_symptoms"),  # less urgent: the emergency stands
        ("emergency", "self_harm"),  # as urgent: the nurses paged have it
        ("same_day_symptoms", "legal_threat"),  # not clinical: would leave clinical hands
    ],
)
async def test_a_reason_no_more_urgent_leaves_the_open_escalation_alone(
    clinic: Clinic, first: str, then: str
) -> None:
    key = await chest_pain(clinic)
    done = await clinic.deps.escalations.escalate(item_key=key, actor=FRONT_DESK, rule=first)
    assert isinstance(done, Done), done
    await clinic.deliver()
    rows = await escalation_rows(clinic)

    refused = await clinic.deps.escalations.escalate(item_key=key, actor=FRONT_DESK, rule=then)
    assert isinstance(refused, Refusal) and refused.code is RefusalCode.ALREADY_ESCALATED
    assert await escalation_rows(clinic) == rows
    escalation = await clinic.deps.escalations.current(key)
    assert escalation is not None and escalation.rule == first and escalation.state.is_open


async def test_a_clinician_closing_an_escalated_item_ends_its_escalation(clinic: Clinic) -> None:
    """Left open, it stayed in the digest's and Home's counts, and after a reopen and a new
    escalation the re-escalation job paged the old one's next level."""
    key = await chest_pain(clinic)
    await escalate_from_card(clinic, key)
    await clinic.deliver()
    closed = await clinic.deps.services.close(
        item_key=key,
        actor=NURSES[0],
        resolution="directed to urgent care or 911",
        told_patient="Told to call 911 now",
    )
    assert isinstance(closed, Done), closed
    ended = await clinic.deps.escalations.current(key)
    assert ended is not None and ended.state is EscalationState.RESOLVED
    assert ended.resolved_by == NURSES[0] and ended.appropriate is None  # not counted as a call

    reopened = await clinic.deps.services.reopen(item_key=key, actor=FRONT_DESK)
    assert isinstance(reopened, Done), reopened
    again = await clinic.deps.escalations.escalate(item_key=key, actor=FRONT_DESK, rule="emergency")
    assert isinstance(again, Done), again
    acknowledged = await clinic.deps.escalations.acknowledge(item_key=key, actor=NURSES[0])
    assert isinstance(acknowledged, Done), acknowledged
    clinic.clock.advance(timedelta(minutes=10))
    assert await clinic.deps.escalations.run_escalations() == []
    home = await clinic.deps.queues.home(MANAGER)
    assert home.board.escalations_open == 1


async def test_the_managers_home_counts_an_escalation_nobody_answered(clinic: Clinic) -> None:
    """The whole chain paged and nobody acknowledged: the most urgent kind of open
    escalation, counted in the digest, and now on Home too."""
    key = await chest_pain(clinic)
    await escalate_from_card(clinic, key)
    await clinic.deliver()
    for _ in range(6):
        clinic.clock.advance(timedelta(minutes=6))
        await clinic.deps.escalations.run_escalations()
    escalation = await clinic.deps.escalations.current(key)
    assert escalation is not None and escalation.state is EscalationState.NO_RESPONSE
    home = await clinic.deps.queues.home(MANAGER)
    assert home.board.escalations_open == 1


async def test_escalating_where_carequeue_cannot_post_still_gives_the_guidance(
    clinic: Clinic,
) -> None:
    """/cq escalate typed in a DM between two colleagues: Slack refuses the app's ephemeral
    there. The escalation is made, so the person must still get what to tell the patient
    (by DM), and never "your change was not saved"."""
    key = await chest_pain(clinic)
    await clinic.then_wait_for(
        "views.update",
        clinic.slack.slash_command(
            FRONT_DESK, Command.CQ, text=f"escalate {key}", channel="#dm-with-colleague"
        ),
    )
    view = clinic.stub.open_views(FRONT_DESK)[-1]
    assert view["callback_id"] == ViewId.ESCALATE
    clinic.stub.fail_next("chat.postEphemeral", times=1, status=200, error="channel_not_found")
    answer = await clinic.slack.submit_view(
        FRONT_DESK,
        view["id"],
        {FieldId.ESCALATION_RULE: "emergency", FieldId.ESCALATION_CONTEXT: "Chest pain now"},
    )
    assert answer.status == 200

    def guided() -> bool:  # the guidance follows the ack: wait for its DM
        return any("call 911 now" in str(m.blocks) for m in clinic.stub.messages(FRONT_DESK))

    await clinic.stub.wait_until(guided, timeout=10)
    item = await clinic.deps.services.get(key)
    assert item is not None and item.status is Status.ESCALATED
    told = [str(m.blocks) for m in clinic.stub.messages(FRONT_DESK)]
    assert not any("not saved" in text for text in told)


async def test_a_page_whose_escalation_ended_during_an_outage_arrives_without_answers(
    clinic: Clinic,
) -> None:
    """Slack was down while a rash escalation was replaced by an emergency: when Slack came
    back, both pages went out looking current, the rash's with live buttons. The rash's
    page now says it was replaced, with no answers; the emergency's has them."""
    key = await chest_pain(clinic)
    clinic.stub.set_outage(True)
    for rule in ("same_day_symptoms", "emergency"):
        done = await clinic.deps.escalations.escalate(item_key=key, actor=FRONT_DESK, rule=rule)
        assert isinstance(done, Done), done
        await clinic.settled()
        for _ in range(10):
            await clinic.deps.outbox.drain_once()
            clinic.clock.advance(timedelta(seconds=1))
    clinic.stub.set_outage(False)
    await clinic.deliver()

    pages = [m for m in clinic.stub.messages(NURSES[0]) if key in m.text]
    rash = [m for m in pages if "same-day" in m.text]
    emergency = [m for m in pages if "Medical emergency" in m.text]
    assert len(rash) == 1 and len(emergency) == 1, [m.text for m in pages]
    assert "Replaced by a more urgent escalation" in str(rash[0].blocks)
    assert ActionId.ESCALATION_ACKNOWLEDGE.value not in str(rash[0].blocks)
    assert ActionId.ESCALATION_ACKNOWLEDGE.value in str(emergency[0].blocks)


async def test_after_an_outage_the_first_write_is_a_page_not_a_card_tried_before_it(
    clinic: Clinic,
) -> None:
    """While Slack was down, cards were tried and backed off; then an emergency was paged.
    The one call that finds out whether Slack is back was always a row tried before (a
    card): pages, ahead of any card otherwise, came a round later. Now the most urgent row
    goes first."""
    key = await chest_pain(clinic)
    clinic.stub.set_outage(True)
    for n in range(5):  # logged through the use case: the modal needs Slack
        request = IntakeRequest(
            patient_ref=f"MRN-6000{n}",
            patient_name="Jane Q. Doe",
            phone="(555) 201-4477",
            origin=Origin.VOICEMAIL,
            lane="scheduling",
            request_type="reschedule",
            summary="Needs to move Tuesday's appointment",
            language="English",
        )
        logged = await clinic.deps.services.log_request(request, actor=FRONT_DESK)
        assert isinstance(logged, Done), logged
    await clinic.settled()
    for _ in range(10):
        await clinic.deps.outbox.drain_once()
        clinic.clock.advance(timedelta(seconds=1))
    done = await clinic.deps.escalations.escalate(item_key=key, actor=FRONT_DESK, rule="emergency")
    assert isinstance(done, Done), done
    await clinic.settled()
    for _ in range(20):
        await clinic.deps.outbox.drain_once()
        clinic.clock.advance(timedelta(seconds=1))
    before = len(clinic.stub.calls)
    clinic.stub.set_outage(False)
    await clinic.deliver()

    posted = [
        str(c.args.get("text"))
        for c in clinic.stub.calls[before:]
        if c.method == "chat.postMessage" and c.response.get("ok")
    ]
    assert posted and posted[0].startswith("Escalation"), posted[:3]
