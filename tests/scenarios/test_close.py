"""Closing needs the lane's definition of done; closed cards show the outcome and offer Reopen."""

from __future__ import annotations

from blocks.ids import ActionId, FieldId
from bot.domain.items import Status
from tests.scenarios.conftest import ASSISTANT, FRONT_DESK, Clinic


async def claimed_item(clinic: Clinic, lane: str = "scheduling", **fields: str) -> str:
    key = await clinic.log_request(**fields)
    result = await clinic.deps.services.claim(item_key=key, actor=FRONT_DESK)
    assert not hasattr(result, "code"), result
    await clinic.deliver()
    return key


async def open_close_modal(clinic: Clinic, user: str, key: str, lane: str = "scheduling") -> str:
    card = clinic.card_of(lane, key)
    await clinic.then_wait_for(
        "views.update", clinic.slack.click_button(user, card.channel, card.ts, ActionId.CLOSE, key)
    )
    view = clinic.stub.open_views(user)[-1]
    assert view["callback_id"] == "view.close", view["callback_id"]
    return view["id"]


async def test_close_asks_for_resolution_and_what_the_patient_was_told(clinic: Clinic) -> None:
    key = await claimed_item(clinic)
    view_id = await open_close_modal(clinic, FRONT_DESK, key)

    empty = await clinic.slack.submit_view(FRONT_DESK, view_id, {})
    assert empty.json is not None and empty.json["response_action"] == "errors"
    assert set(empty.json["errors"]) == {FieldId.RESOLUTION, FieldId.TOLD_PATIENT}
    item = await clinic.deps.services.get(key)
    assert item is not None and item.status is Status.CLAIMED


async def test_closed_card_shows_the_outcome_and_offers_reopen(clinic: Clinic) -> None:
    key = await claimed_item(clinic)
    view_id = await open_close_modal(clinic, FRONT_DESK, key)
    response = await clinic.slack.submit_view(
        FRONT_DESK,
        view_id,
        {
            FieldId.RESOLUTION: "appointment rescheduled",
            FieldId.TOLD_PATIENT: "Moved to Thursday 10:30; confirmation text sent.",
        },
    )
    assert response.status == 200 and "errors" not in (response.json or {})
    await clinic.deliver()

    card = clinic.card_of("scheduling", key)
    rendered = str(card.blocks)
    assert "appointment rescheduled" in rendered
    assert "card.reopen" in rendered and "card.claim" not in rendered
    item = await clinic.deps.services.get(key)
    assert item is not None and item.status is Status.RESOLVED and item.closed_by == FRONT_DESK


async def test_someone_else_cannot_close_my_item(clinic: Clinic) -> None:
    key = await claimed_item(clinic)
    view_id = await open_close_modal(clinic, ASSISTANT, key)
    response = await clinic.slack.submit_view(
        ASSISTANT,
        view_id,
        {FieldId.RESOLUTION: "appointment booked", FieldId.TOLD_PATIENT: "Booked Friday 9:00."},
    )
    assert response.json is not None and response.json["response_action"] == "errors"
    assert "owner" in response.json["errors"][FieldId.RESOLUTION]
    item = await clinic.deps.services.get(key)
    assert item is not None and item.status is Status.CLAIMED


async def test_front_desk_cannot_close_a_clinical_item_without_a_clinical_ack(
    clinic: Clinic,
) -> None:
    key = await claimed_item(
        clinic,
        **{FieldId.LANE: "clinical", FieldId.REQUEST_TYPE: "clinical|medication question"},
    )
    view_id = await open_close_modal(clinic, FRONT_DESK, key, lane="clinical")
    response = await clinic.slack.submit_view(
        FRONT_DESK,
        view_id,
        {
            FieldId.RESOLUTION: "routed to clinical team with context",
            FieldId.TOLD_PATIENT: "A nurse will call you back today.",
        },
    )
    assert response.json is not None and response.json["response_action"] == "errors"
    assert "clinic" in response.json["errors"][FieldId.RESOLUTION].lower()


async def test_reopen_makes_the_reopener_owner_with_a_fresh_due_time(clinic: Clinic) -> None:
    key = await claimed_item(clinic)
    await clinic.deps.services.close(
        item_key=key, actor=FRONT_DESK, resolution="appointment booked", told_patient="Fri 9:00"
    )
    await clinic.deliver()
    card = clinic.card_of("scheduling", key)
    await clinic.slack.click_button(ASSISTANT, card.channel, card.ts, ActionId.REOPEN, key)
    await clinic.deliver()
    item = await clinic.deps.services.get(key)
    assert item is not None and item.status is Status.CLAIMED and item.owner == ASSISTANT
    assert item.resolution == "" and item.due_at > clinic.clock.now()
    assert "card.close" in str(clinic.card_of("scheduling", key).blocks)
