"""Roles through the running app: a click the person's role does not allow is answered with
the role it needs, only to them, and recorded; patient details open by role and relation."""

from __future__ import annotations

import json
from typing import Any

from blocks.ids import ActionId, FieldId, More
from bot.domain.event_details import RoleRefused, details_of
from bot.domain.events import Event
from bot.domain.items import Action, Refusal, RefusalCode, Status
from tests.scenarios.conftest import ASSISTANT, FRONT_DESK, MANAGER, Clinic

NURSE = "U0NURSE01"
GUEST = "U0GUEST01"  # in the workspace, named nowhere in the practice file
PATIENT_NAME = "Jane Q. Doe"
PHONE = "(555) 201-4477"
COMPLAINT = {
    FieldId.LANE: "complaints",
    FieldId.REQUEST_TYPE: "complaints|wait time complaint",
    FieldId.SUMMARY: "Waited an hour past the appointment time on Monday",
}
REFILL = {
    FieldId.LANE: "clinical",
    FieldId.REQUEST_TYPE: "clinical|refill request",
    FieldId.SUMMARY: "Asks for a refill of the blood pressure pills before Friday",
}


async def refusals(clinic: Clinic, key: str) -> list[tuple[Event, RoleRefused]]:
    events = await clinic.deps.services.history(key)
    found = [(e, details_of(e)) for e in events if e.action is Action.REFUSED]
    return [(e, d) for e, d in found if isinstance(d, RoleRefused)]


async def views(clinic: Clinic, key: str) -> list[str]:
    return [e.actor for e in await clinic.deps.services.history(key) if e.action is Action.VIEW]


async def click(clinic: Clinic, user: str, key: str, action: str, lane: str) -> None:
    card = clinic.card_of(lane, key)
    await clinic.then_wait_for(
        "chat.postEphemeral", clinic.slack.click_button(user, card.channel, card.ts, action, key)
    )


def modal_text(view: dict[str, Any]) -> str:
    return str(view.get("blocks"))


async def test_claiming_in_a_lane_you_do_not_work_names_the_role_and_is_recorded(
    clinic: Clinic,
) -> None:
    key = await clinic.log_request(**COMPLAINT)  # assistants do not work complaints
    await clinic.deliver()

    await click(clinic, ASSISTANT, key, ActionId.CLAIM, "complaints")

    [told] = [e for e in clinic.stub.ephemerals() if e.user == ASSISTANT]
    assert "*staff* role in Complaint and review follow-up" in told.text
    assert PATIENT_NAME not in told.text
    item = await clinic.deps.services.get(key)
    assert item is not None and item.owner is None
    [(event, details)] = await refusals(clinic, key)
    assert event.actor == ASSISTANT
    assert (details.attempted, details.reason, details.needed) == ("claim", "not_in_lane", "staff")


async def test_someone_with_no_role_is_told_to_ask_for_one_and_the_card_is_unchanged(
    clinic: Clinic,
) -> None:
    clinic.stub.add_user(GUEST, "gus")
    key = await clinic.log_request()
    await clinic.deliver()
    card_before = clinic.card_of("scheduling", key).blocks

    await click(clinic, GUEST, key, ActionId.CLAIM, "scheduling")
    await clinic.deliver()

    [told] = [e for e in clinic.stub.ephemerals() if e.user == GUEST]
    assert "no role in CareQueue" in told.text and "*staff*" in told.text
    assert clinic.card_of("scheduling", key).blocks == card_before
    [(_, details)] = await refusals(clinic, key)
    assert (details.reason, details.needed) == ("no_role", "staff")


async def test_an_assistant_never_closes_a_clinical_item_even_after_a_clinician_acked(
    clinic: Clinic,
) -> None:
    key = await clinic.log_request(**REFILL)
    assert not hasattr(await clinic.deps.services.claim(item_key=key, actor=ASSISTANT), "code")
    escalations = clinic.deps.escalations
    await escalations.escalate(item_key=key, actor=ASSISTANT, rule="refill")
    await escalations.acknowledge(item_key=key, actor=NURSE)
    await escalations.resolve(
        item_key=key, actor=NURSE, decision="Refill approved", told_patient="Sent", appropriate=True
    )
    acked = await clinic.deps.services.get(key)
    assert acked is not None and acked.clinical_ack_by == NURSE and acked.owner == ASSISTANT
    await clinic.deliver()
    # The Close button says so at the click, before anyone fills in the form.
    view = await clinic.open_from_card(ASSISTANT, key, ActionId.CLOSE, "clinical")

    said = modal_text(view)
    assert "Assistants never close clinical items" in said and "*clinical*" in said
    assert "close.resolution" not in json.dumps(view)  # no form to fill in
    # And the use case itself refuses, whatever asks it.
    closing = await clinic.deps.services.close(
        item_key=key, actor=ASSISTANT, resolution="refill sent to pharmacy", told_patient="Sent."
    )
    assert isinstance(closing, Refusal) and closing.code is RefusalCode.ASSISTANT_CLINICAL
    item = await clinic.deps.services.get(key)
    assert item is not None and item.status is Status.CLAIMED
    assert [(d.attempted, d.needed) for _, d in await refusals(clinic, key)] == [
        ("close", "clinical"),
        ("close", "clinical"),
    ]


async def test_details_open_for_the_owner_the_lanes_staff_and_a_manager_each_recorded(
    clinic: Clinic,
) -> None:
    key = await clinic.log_request(**COMPLAINT)
    await clinic.deps.services.claim(item_key=key, actor=FRONT_DESK)
    await clinic.deliver()

    for user in (FRONT_DESK, MANAGER):  # claimed: Details is in the card's More menu
        view = await clinic.open_from_menu(user, key, More.DETAILS, "complaints")
        assert PATIENT_NAME in modal_text(view) and PHONE in modal_text(view)

    assert await views(clinic, key) == [FRONT_DESK, MANAGER]
    assert await refusals(clinic, key) == []


async def test_details_are_refused_with_the_reason_to_whoever_has_no_relation_to_the_item(
    clinic: Clinic,
) -> None:
    clinic.stub.add_user(GUEST, "gus")
    key = await clinic.log_request(**COMPLAINT)
    await clinic.deliver()

    for user in (ASSISTANT, NURSE, GUEST):  # another lane's assistant, a non-clinical item
        view = await clinic.open_from_card(user, key, ActionId.DETAILS, "complaints")
        shown = modal_text(view)
        assert "patient details of CQ-" in shown and "*staff* of Complaint" in shown, shown
        assert PATIENT_NAME not in shown and PHONE not in shown and "MRN-" not in shown

    assert await views(clinic, key) == []
    refused = await refusals(clinic, key)
    assert [e.actor for e, _ in refused] == [ASSISTANT, NURSE, GUEST]
    assert {(d.attempted, d.reason) for _, d in refused} == {("view", "details_restricted")}


async def test_a_clinician_sees_the_details_of_a_clinical_item_in_any_lane(
    clinic: Clinic,
) -> None:
    key = await clinic.log_request(**REFILL)
    await clinic.deliver()

    view = await clinic.open_from_card(NURSE, key, ActionId.DETAILS, "clinical")

    assert PATIENT_NAME in modal_text(view)
    assert await views(clinic, key) == [NURSE]


async def test_an_item_is_not_handed_off_or_reassigned_to_someone_who_could_not_claim_it(
    clinic: Clinic,
) -> None:
    """Its owner sees who the patient is: giving a complaint to a workspace guest (or to
    another lane's assistant) would pass the record on. The form says who would do."""
    clinic.stub.add_user(GUEST, "gus")
    key = await clinic.log_request(**COMPLAINT)
    done = await clinic.deps.services.claim(item_key=key, actor=MANAGER)
    assert not isinstance(done, Refusal), done
    await clinic.deliver()

    view = await clinic.open_from_card(MANAGER, key, ActionId.HANDOFF, "complaints")
    answer = await clinic.slack.submit_view(
        MANAGER,
        view["id"],
        {FieldId.ASKED: "Wants to complain about the wait", FieldId.NEXT_OWNER: GUEST},
    )
    error = " ".join((answer.json or {}).get("errors", {}).values())
    assert "@gus can't be given CQ-" in error and "*staff* role in Complaint" in error, answer.body
    for person in (GUEST, ASSISTANT):
        refused = await clinic.deps.services.reassign(item_key=key, actor=MANAGER, new_owner=person)
        assert isinstance(refused, Refusal), refused
        assert refused.code is RefusalCode.NEW_OWNER_NOT_PERMITTED

    item = await clinic.deps.services.get(key)
    assert item is not None and item.owner == MANAGER
    shown = await clinic.deps.services.view_details(item_key=key, actor=GUEST)
    assert isinstance(shown, Refusal) and shown.code is RefusalCode.DETAILS_RESTRICTED
