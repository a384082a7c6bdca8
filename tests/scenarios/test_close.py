"""Closing needs the lane's definition of done; closed cards show the outcome and offer Reopen."""

from __future__ import annotations

import pytest

from blocks.ids import ActionId, FieldId, More, more_value
from bot.domain.items import Action, Status
from tests.scenarios.conftest import ASSISTANT, FRONT_DESK, MANAGER, Clinic


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
    (line,) = card.blocks  # one line, its ⋯ beside it
    assert line["text"]["text"].startswith(
        f":white_check_mark: *{key}* · Scheduling help · reschedule · appointment rescheduled"
        f" · closed by <@{FRONT_DESK}> "
    )
    assert more_value(More.REOPEN, key) in str(line["accessory"])
    assert "card.claim" not in str(card.blocks)
    item = await clinic.deps.services.get(key)
    assert item is not None and item.status is Status.RESOLVED and item.closed_by == FRONT_DESK


async def refusal_at_close_click(clinic: Clinic, user: str, key: str, lane: str) -> str:
    """Click Close as `user`: the form does not open; the modal says why. Its text."""
    card = clinic.card_of(lane, key)
    await clinic.then_wait_for(
        "views.update", clinic.slack.click_button(user, card.channel, card.ts, ActionId.CLOSE, key)
    )
    view = clinic.stub.open_views(user)[-1]
    assert view["callback_id"] == "view.status", view["callback_id"]
    return str(view["blocks"])


async def test_someone_else_is_refused_at_the_click_before_filling_the_form(
    clinic: Clinic,
) -> None:
    key = await claimed_item(clinic)

    shown = await refusal_at_close_click(clinic, ASSISTANT, key, "scheduling")

    assert "Only the owner" in shown and f"<@{FRONT_DESK}>" in shown
    item = await clinic.deps.services.get(key)
    assert item is not None and item.status is Status.CLAIMED


async def test_front_desk_is_refused_at_the_click_on_a_clinical_item_without_a_clinical_ack(
    clinic: Clinic,
) -> None:
    key = await claimed_item(
        clinic,
        **{FieldId.LANE: "clinical", FieldId.REQUEST_TYPE: "clinical|medication question"},
    )

    shown = await refusal_at_close_click(clinic, FRONT_DESK, key, "clinical")

    assert "clinic" in shown.lower()
    item = await clinic.deps.services.get(key)
    assert item is not None and item.status is Status.CLAIMED


async def test_a_form_opened_before_the_item_was_released_is_refused_on_submit(
    clinic: Clinic,
) -> None:
    key = await claimed_item(clinic)
    view_id = await open_close_modal(clinic, FRONT_DESK, key)
    await clinic.deps.services.release(item_key=key, actor=FRONT_DESK)

    response = await clinic.slack.submit_view(
        FRONT_DESK,
        view_id,
        {FieldId.RESOLUTION: "appointment booked", FieldId.TOLD_PATIENT: "Booked Friday 9:00."},
    )

    assert response.json is not None and response.json["response_action"] == "errors"
    assert "claim" in response.json["errors"][FieldId.RESOLUTION].lower()
    item = await clinic.deps.services.get(key)
    assert item is not None and item.status is Status.NEW


@pytest.mark.parametrize("posted", ["now", "before the one-line card"])
async def test_reopen_makes_the_reopener_owner_with_a_fresh_due_time(
    clinic: Clinic, posted: str
) -> None:
    key = await claimed_item(clinic)
    await clinic.deps.services.close(
        item_key=key, actor=FRONT_DESK, resolution="appointment booked", told_patient="Fri 9:00"
    )
    await clinic.deliver()
    card = clinic.card_of("scheduling", key)
    if posted == "now":  # one line: Reopen is in the ⋯ beside it
        reopen = more_value(More.REOPEN, key)
        await clinic.slack.select_option(ASSISTANT, card.channel, card.ts, ActionId.MORE, reopen)
    else:  # as an earlier version posted it, with a Reopen button
        button = {"type": "button", "action_id": ActionId.REOPEN, "value": key}
        text = {"type": "plain_text", "text": "Reopen"}
        card.blocks.append({"type": "actions", "elements": [{**button, "text": text}]})
        await clinic.slack.click_button(ASSISTANT, card.channel, card.ts, ActionId.REOPEN, key)
    await clinic.settled()
    await clinic.deliver()
    item = await clinic.deps.services.get(key)
    assert item is not None and item.status is Status.CLAIMED and item.owner == ASSISTANT
    assert item.resolution == "" and item.due_at > clinic.clock.now()
    assert "card.close" in str(clinic.card_of("scheduling", key).blocks)


async def test_unable_to_reach_after_3_attempts_needs_three_logged_calls_and_real_words(
    clinic: Clinic,
) -> None:
    key = await claimed_item(clinic)
    view_id = await open_close_modal(clinic, FRONT_DESK, key)

    response = await clinic.slack.submit_view(
        FRONT_DESK,
        view_id,
        {FieldId.RESOLUTION: "unable to reach patient after 3 attempts", FieldId.TOLD_PATIENT: "x"},
    )

    assert response.json is not None and response.json["response_action"] == "errors"
    errors = response.json["errors"]
    assert "says 3 attempts, and no call is logged" in errors[FieldId.RESOLUTION]
    assert "Say what the patient was told" in errors[FieldId.TOLD_PATIENT]
    refused = await clinic.deps.services.close(
        item_key=key,
        actor=FRONT_DESK,
        resolution="unable to reach patient after 3 attempts",
        told_patient="Left a voicemail asking them to call back.",
    )
    assert "no call is logged" in getattr(refused, "text", "")
    item = await clinic.deps.services.get(key)
    assert item is not None and item.status is Status.CLAIMED


DONE = {
    FieldId.RESOLUTION: "appointment rescheduled",
    FieldId.TOLD_PATIENT: "Moved to Thursday 10:30; confirmation text sent.",
}


async def test_the_second_of_two_close_forms_is_told_who_closed_it_and_when(
    clinic: Clinic,
) -> None:
    clinic.stub.add_user(MANAGER, "maria")
    key = await claimed_item(clinic)
    mine = await open_close_modal(clinic, FRONT_DESK, key)
    theirs = await open_close_modal(clinic, MANAGER, key)
    first = await clinic.slack.submit_view(FRONT_DESK, mine, DONE)
    assert "errors" not in (first.json or {}), first.body
    late = await clinic.slack.submit_view(MANAGER, theirs, DONE)
    error = (late.json or {}).get("errors", {}).get(FieldId.RESOLUTION, "")
    assert error.startswith(f"{key} is already closed (by @ana at Mon Nov 23 9:00 AM"), error
    closes = [e for e in await clinic.deps.services.history(key) if e.action is Action.CLOSE]
    assert [e.actor for e in closes] == [FRONT_DESK]


async def test_a_close_form_opened_before_a_move_says_where_the_item_went(
    clinic: Clinic,
) -> None:
    """Its list held Scheduling's resolutions: "choose one from Billing's list" under it
    could not be met."""
    key = await claimed_item(clinic)
    view_id = await open_close_modal(clinic, FRONT_DESK, key)
    moved = await clinic.deps.work.move(item_key=key, actor=FRONT_DESK, lane="billing")
    assert getattr(moved, "item", None) is not None, moved
    answer = await clinic.slack.submit_view(FRONT_DESK, view_id, DONE)
    error = (answer.json or {}).get("errors", {}).get(FieldId.RESOLUTION, "")
    moved_to = f"{key} was moved to Billing handoff since this form opened"
    assert error == f"{moved_to}: close it from its card there."
    item = await clinic.deps.services.get(key)
    assert item is not None and item.status.is_open
