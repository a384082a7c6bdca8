"""The red-flag prompt goes through the outbox: committed with the item, sent ahead of the
cards, the same way from every intake path, and never lost to a Slack outage. A request an
integration posted has nobody who logged it: the clinical channel is asked instead."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from blocks.ids import ActionId, FieldId, Shortcut
from bot.clock import ManualClock
from bot.config import Practice
from bot.domain.escalation import EscalationState
from bot.domain.items import Status
from bot.domain.lanes import Privacy
from bot.services.base import SYSTEM, Invalid
from sandbox.stub.records import StoredMessage
from sandbox.stub.server import SlackStub
from storage.models import OutboxRow
from tests.scenarios.conftest import FRONT_DESK, Clinic, start_clinic, stop_clinic, with_privacy
from tests.scenarios.intake_api import PHONE_SYSTEM_REQUEST, Integration, connect

NURSE = "U0NURSE01"  # the example practice's first clinical level
CHEST_PAIN = {
    FieldId.LANE: "clinical",
    FieldId.REQUEST_TYPE: "clinical|symptom question",
    FieldId.SUMMARY: "Chest pain since last night, left arm numb",
}
PORTAL_CHEST_PAIN = {
    **PHONE_SYSTEM_REQUEST,
    "origin": "portal_message",
    "lane": "clinical",
    "request_type": "symptom question",
    "summary": "Chest pain since last night, worse on the stairs",
}


@pytest.fixture
async def portal(clinic: Clinic) -> AsyncIterator[Integration]:
    integration = await connect(clinic, "Patient portal")
    yield integration
    await integration.session.close()


def prompts(clinic: Clinic, channel: str, key: str) -> list[StoredMessage]:
    return [
        m for m in clinic.stub.messages(channel) if m.text == f"{key} may be urgent: escalate now?"
    ]


def clinical_channel(clinic: Clinic) -> str:
    return clinic.stub.channel_id(clinic.practice.clinical_channel)


async def queued_prompts(clinic: Clinic) -> list[tuple[str, int, str]]:
    """The outbox rows of red-flag prompts: (channel, priority, status)."""
    columns = (OutboxRow.channel, OutboxRow.priority, OutboxRow.status, OutboxRow.payload)
    async with clinic.deps.uow.read() as tx:
        rows = (await tx.session.execute(select(*columns))).all()
    return [
        (channel, priority, status)
        for channel, priority, status, payload in rows
        if payload.get("template") == "red_flag_prompt"
    ]


async def test_the_prompt_is_committed_with_the_item_and_sent_ahead_of_its_card(
    clinic: Clinic,
) -> None:
    key = await clinic.log_request(**CHEST_PAIN)
    # Nothing was sent while the form was answered: the prompt waits in the outbox.
    assert prompts(clinic, FRONT_DESK, key) == []
    assert await queued_prompts(clinic) == [(FRONT_DESK, 10, "pending")]

    await clinic.deliver()
    (prompt,) = prompts(clinic, FRONT_DESK, key)
    assert "chest pain" in str(prompt.blocks)
    posts = [c.args.get("channel") for c in clinic.stub.calls_to("chat.postMessage")]
    lane = (clinic.channel("clinical"), clinic.practice.lane("clinical").channel)
    assert posts.index(FRONT_DESK) < min(i for i, to in enumerate(posts) if to in lane)


async def test_log_as_patient_request_on_a_message_asks_whoever_logged_it(
    clinic: Clinic,
) -> None:
    channel = clinic.stub.channel_id("#phone-voicemails")
    posted = clinic.stub.add_message(
        channel, "Voicemail: my husband says he can't breathe, please call", user="UPHONE"
    )
    await clinic.then_wait_for(
        "views.open",
        clinic.slack.message_shortcut(FRONT_DESK, Shortcut.LOG_MESSAGE, channel, posted.ts),
    )
    view = clinic.stub.open_views(FRONT_DESK)[-1]
    response = await clinic.slack.submit_view(
        FRONT_DESK,
        view["id"],
        {
            FieldId.PATIENT_REF: "MRN-77",
            FieldId.PATIENT_NAME: "Ray Park",
            FieldId.PHONE: "555-201-4477",
            FieldId.ORIGIN: "voicemail",
            FieldId.LANE: "clinical",
            FieldId.REQUEST_TYPE: "clinical|symptom question",
        },
    )
    assert response.status == 200 and "errors" not in (response.json or {})
    await clinic.deliver()
    (prompt,) = prompts(clinic, FRONT_DESK, "CQ-1001")
    assert "t breathe" in str(prompt.blocks)
    assert ActionId.RED_FLAG_ESCALATE.value in str(prompt.blocks)


async def test_an_integrations_red_flag_asks_the_clinical_channel_without_the_words(
    clinic: Clinic, portal: Integration
) -> None:
    answer = await portal.post(PORTAL_CHEST_PAIN, headers={"Idempotency-Key": "p-1"})
    assert answer.status == 201, answer.json
    key = answer.json["key"]
    await clinic.deliver()

    (prompt,) = prompts(clinic, clinical_channel(clinic), key)
    shown = str(prompt.blocks)
    assert "came in through the intake API" in shown and "nobody has read it yet" in shown
    # A channel at the default privacy: no words, no patient detail; Details is one click.
    assert "chest" not in shown.lower() and "Jane" not in shown and "4477" not in shown
    assert ActionId.DETAILS.value in shown and ActionId.RED_FLAG_DISMISS.value in shown
    assert [m for m in clinic.stub.messages(FRONT_DESK) if key in m.text] == []


async def test_an_integrations_legal_threat_asks_the_managers_channel_not_clinical(
    clinic: Clinic, portal: Integration
) -> None:
    legal = {
        **PHONE_SYSTEM_REQUEST,
        "lane": "complaints",
        "request_type": "complaint about care or service",
        "summary": "Unhappy with the wait, says his attorney will be in touch",
    }
    answer = await portal.post(legal)
    assert answer.status == 201, answer.json
    key = answer.json["key"]
    await clinic.deliver()
    managers = clinic.stub.channel_id(clinic.practice.managers_channel)
    (prompt,) = prompts(clinic, managers, key)
    assert "Escalate now as Threat of legal action or formal complaint?" in str(prompt.blocks)
    assert prompts(clinic, clinical_channel(clinic), key) == []


async def test_at_full_privacy_the_clinical_channel_sees_the_words(
    database_url: str, example_practice: Practice, clock: ManualClock, stub: SlackStub
) -> None:
    practice = with_privacy(example_practice, Privacy.FULL)
    clinic, runner = await start_clinic(database_url, practice, clock, stub)
    integration = await connect(clinic)
    try:
        answer = await integration.post(PORTAL_CHEST_PAIN)
        await clinic.deliver()
        (prompt,) = prompts(clinic, clinical_channel(clinic), answer.json["key"])
        assert "possible emergency words (chest pain" in str(prompt.blocks)
    finally:
        await integration.session.close()
        await stop_clinic(clinic, runner)


async def posted_by_the_portal(clinic: Clinic, portal: Integration) -> str:
    """The portal posts a chest-pain message; its card and prompt are delivered."""
    clinic.stub.add_user("U0NURSE02", "rn.kim")
    answer = await portal.post(PORTAL_CHEST_PAIN)
    assert answer.status == 201, answer.json
    await clinic.deliver()
    return str(answer.json["key"])


async def test_a_nurse_escalating_from_the_channel_prompt_pages_at_once(
    clinic: Clinic, portal: Integration
) -> None:
    key = await posted_by_the_portal(clinic, portal)
    (prompt,) = prompts(clinic, clinical_channel(clinic), key)

    await clinic.then_wait_for(
        "chat.postEphemeral",
        clinic.slack.click_button(
            NURSE, prompt.channel, prompt.ts, ActionId.RED_FLAG_ESCALATE, key
        ),
    )
    (guidance,) = clinic.stub.ephemerals(NURSE)
    assert "call 911 now and stay on the line" in str(guidance.blocks)
    escalation = await clinic.deps.escalations.current(key)
    assert escalation is not None and escalation.opened_by == NURSE
    assert escalation.state is EscalationState.OPEN


async def test_an_integrations_red_flag_nobody_answers_escalates_by_itself(
    clinic: Clinic, portal: Integration
) -> None:
    key = await posted_by_the_portal(clinic, portal)
    clinic.clock.advance(timedelta(minutes=2))
    assert await clinic.deps.escalations.run_red_flags() == []
    clinic.clock.advance(timedelta(minutes=2))
    assert await clinic.deps.escalations.run_red_flags() == [key]
    item = await clinic.deps.services.get(key)
    assert item is not None and item.status is Status.ESCALATED
    escalation = await clinic.deps.escalations.current(key)
    assert escalation is not None and escalation.opened_by == SYSTEM
    await clinic.deliver()
    assert any(m.text.startswith("Escalation") for m in clinic.stub.messages(NURSE))


async def logged_while_slack_is_down(clinic: Clinic) -> str:
    """Ana opened the form while Slack was up, then Slack went down and she submitted it."""
    view_id = await clinic.open_intake(FRONT_DESK)  # a form needs Slack to open
    clinic.stub.faults.set_outage(True)
    values = {
        FieldId.PATIENT_REF: "MRN-30001",
        FieldId.PATIENT_NAME: "Jane Q. Doe",
        FieldId.PHONE: "(555) 201-4477",
        FieldId.ORIGIN: "voicemail",
        FieldId.LANGUAGE: "English",
        **CHEST_PAIN,
    }
    response = await clinic.slack.submit_view(FRONT_DESK, view_id, values)
    assert response.status == 200 and "errors" not in (response.json or {}), response.body
    # A database slower than the ack budget commits after the answer ("Still saving").
    await clinic.settled()
    # Slack refuses every write: the outbox tries, and keeps the prompt.
    report = await clinic.deps.outbox.drain_once()
    assert report.sent == 0 and report.retried
    assert prompts(clinic, FRONT_DESK, "CQ-1001") == []
    assert await queued_prompts(clinic) == [(FRONT_DESK, 10, "pending")]
    return "CQ-1001"


async def test_slack_down_at_intake_the_prompt_is_delivered_when_it_is_back(
    clinic: Clinic,
) -> None:
    key = await logged_while_slack_is_down(clinic)
    clinic.stub.faults.set_outage(False)
    await clinic.deliver()
    (prompt,) = prompts(clinic, FRONT_DESK, key)
    assert ActionId.RED_FLAG_ESCALATE.value in str(prompt.blocks)
    assert "*Escalate now as Medical emergency?*" in str(prompt.blocks)


async def test_a_long_outage_escalates_the_red_flag_meanwhile_and_the_late_prompt_says_so(
    clinic: Clinic,
) -> None:
    key = await logged_while_slack_is_down(clinic)
    # The escalation needs no Slack: three minutes on, it is escalated while Slack is down.
    clinic.clock.advance(timedelta(minutes=4))
    assert await clinic.deps.escalations.run_red_flags() == [key]
    clinic.stub.faults.set_outage(False)
    await clinic.deliver()
    (prompt,) = prompts(clinic, FRONT_DESK, key)
    assert "It was escalated while this message waited: see the card." in str(prompt.blocks)
    assert ActionId.RED_FLAG_ESCALATE.value not in str(prompt.blocks)
    assert any(m.text.startswith("Escalation") for m in clinic.stub.messages(NURSE))


async def test_a_prompt_still_on_screen_after_the_escalation_ended_pages_nobody_again(
    clinic: Clinic,
) -> None:
    key = await clinic.log_request(**CHEST_PAIN)
    await clinic.deliver()
    (prompt,) = prompts(clinic, FRONT_DESK, key)
    services = clinic.deps.escalations
    assert not isinstance(await services.confirm_red_flag(item_key=key, actor=FRONT_DESK), Invalid)
    first = await services.current(key)
    resolved = await services.resolve(
        item_key=key,
        actor=NURSE,
        decision="Spoke with the patient: pain resolved, seen in clinic at 2 PM today",
        told_patient="Call 911 if it comes back; appointment at 2 PM today",
        appropriate=True,
    )
    assert not isinstance(resolved, Invalid), resolved
    await clinic.deliver()
    pages = len(clinic.stub.calls_to("chat.postMessage"))

    await clinic.slack.click_button(
        FRONT_DESK, prompt.channel, prompt.ts, ActionId.RED_FLAG_ESCALATE, key
    )
    await clinic.settled()
    await clinic.deliver()

    latest = await services.current(key)
    assert latest is not None and first is not None and latest.id == first.id
    assert latest.state is EscalationState.RESOLVED
    (told,) = clinic.stub.ephemerals(FRONT_DESK)[-1:]
    assert "was escalated already and the escalation has ended" in told.text
    assert len(clinic.stub.calls_to("chat.postMessage")) == pages  # nobody paged again
