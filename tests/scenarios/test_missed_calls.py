"""A missed call is a request with only a phone number: logged from the modal, shown within the
privacy level, and identified by whoever reaches the caller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from blocks.ids import ActionId, FieldId, ViewId
from bot.clock import ManualClock
from bot.config import Practice
from bot.domain.items import Action
from bot.domain.lanes import Privacy
from sandbox.stub.server import SlackStub
from tests.scenarios.conftest import (
    ASSISTANT,
    FRONT_DESK,
    MANAGER,
    Clinic,
    start_clinic,
    stop_clinic,
    with_privacy,
)
from tests.scenarios.test_intake import count_items

PHONE = "(555) 867-5309"
ONLY_A_NUMBER: dict[str, Any] = {
    FieldId.PATIENT_REF: None,
    FieldId.PATIENT_NAME: None,
    FieldId.REQUEST_TYPE: None,
    FieldId.SUMMARY: None,
    FieldId.ORIGIN: "missed_call",
    FieldId.PHONE: PHONE,
}


@pytest.fixture
async def full_clinic(
    database_url: str, example_practice: Practice, clock: ManualClock, stub: SlackStub
) -> AsyncIterator[Clinic]:
    running, runner = await start_clinic(
        database_url, with_privacy(example_practice, Privacy.FULL), clock, stub
    )
    yield running
    await stop_clinic(running, runner)


async def identify(
    clinic: Clinic, user: str, key: str, values: dict[str, str], lane: str = "scheduling"
) -> Any:
    """`user` clicks Identify caller on the card and submits `values` in the modal."""
    view = await clinic.open_from_card(user, key, ActionId.IDENTIFY_CALLER, lane)
    assert view["callback_id"] == ViewId.IDENTIFY_CALLER, view
    return await clinic.slack.submit_view(user, view["id"], values)


async def test_a_missed_call_with_only_a_phone_number_is_logged_from_the_modal(
    clinic: Clinic,
) -> None:
    key = await clinic.log_request(**ONLY_A_NUMBER)
    await clinic.deliver()

    item = await clinic.deps.services.get(key)
    assert item is not None
    assert item.patient.phone == PHONE
    assert (item.patient.name, item.patient.reference, item.summary) == ("", "", "")
    assert item.request_type == "Missed call" and item.caller_unknown
    card = clinic.card_of("scheduling", key)
    rendered = str(card.blocks)
    assert "Missed call · caller not identified yet" in rendered
    assert ActionId.IDENTIFY_CALLER.value in rendered
    # At `none` no part of the number reaches the channel, nor its notification text.
    assert "555" not in rendered and "867" not in card.text


async def test_other_origins_still_need_a_name_reference_and_summary(clinic: Clinic) -> None:
    response = await clinic.submit_intake(**{**ONLY_A_NUMBER, FieldId.ORIGIN: "voicemail"})
    assert response.json is not None and response.json["response_action"] == "errors"
    errors = response.json["errors"]
    for field in (FieldId.PATIENT_REF, FieldId.PATIENT_NAME, FieldId.SUMMARY):
        assert errors.get(field), field
    assert await count_items(clinic) == 0


async def test_a_missed_call_still_needs_a_real_phone_number(clinic: Clinic) -> None:
    response = await clinic.submit_intake(**{**ONLY_A_NUMBER, FieldId.PHONE: "unknown"})
    assert response.json is not None and response.json["response_action"] == "errors"
    assert set(response.json["errors"]) == {FieldId.PHONE}
    assert await count_items(clinic) == 0


async def test_a_missed_call_is_nobodys_repeat_contact(clinic: Clinic) -> None:
    first = await clinic.log_request(**ONLY_A_NUMBER)
    second = await clinic.log_request(**{**ONLY_A_NUMBER, FieldId.PHONE: "(555) 201-9999"})
    for key in (first, second):
        item = await clinic.deps.services.get(key)
        assert item is not None and item.related_key is None and item.repeat_count == 1


async def test_at_full_the_card_shows_the_area_code_and_never_the_number(
    full_clinic: Clinic,
) -> None:
    key = await full_clinic.log_request(**ONLY_A_NUMBER)
    await full_clinic.deliver()
    card = full_clinic.card_of("scheduling", key)
    rendered = str(card.blocks)
    assert "Missed call from (555) \u2026" in rendered
    assert "867" not in rendered and "5309" not in rendered
    assert "555" not in card.text


async def test_identify_caller_fills_in_who_it_was_and_records_it_without_the_name(
    clinic: Clinic,
) -> None:
    key = await clinic.log_request(**ONLY_A_NUMBER)
    await clinic.deliver()
    await clinic.deps.services.claim(item_key=key, actor=FRONT_DESK)
    await clinic.deliver()

    response = await identify(
        clinic,
        FRONT_DESK,
        key,
        {FieldId.CALLER_REF: "MRN-77120", FieldId.CALLER_NAME: "Rosa Delgado"},
    )
    assert response.status == 200 and "errors" not in (response.json or {}), response.body
    await clinic.deliver()

    item = await clinic.deps.services.get(key)
    assert item is not None
    assert (item.patient.reference, item.patient.name) == ("MRN-77120", "Rosa Delgado")
    assert not item.caller_unknown
    [event] = [
        e for e in await clinic.deps.services.history(key) if e.action is Action.IDENTIFY_CALLER
    ]
    assert event.actor == FRONT_DESK
    assert event.after["filled"] == ["name", "reference"]
    assert "Rosa" not in str(event.after) + str(event.before)
    assert "MRN-77120" not in str(event.after) + str(event.before)

    card = clinic.card_of("scheduling", key)
    assert "caller not identified" not in str(card.blocks)
    assert ActionId.IDENTIFY_CALLER.value not in str(card.blocks)
    entries = [m.text for m in clinic.replies(card)]
    assert any(t.startswith("Caller identified by") for t in entries), entries
    assert not any("Rosa" in t for t in entries)


async def test_identify_caller_refuses_a_malformed_reference_next_to_the_field(
    clinic: Clinic,
) -> None:
    key = await clinic.log_request(**ONLY_A_NUMBER)
    await clinic.deliver()
    response = await identify(
        clinic, FRONT_DESK, key, {FieldId.CALLER_REF: "MRN 1 !", FieldId.CALLER_NAME: ""}
    )
    assert response.json is not None and response.json["response_action"] == "errors"
    assert set(response.json["errors"]) == {FieldId.CALLER_REF, FieldId.CALLER_NAME}
    item = await clinic.deps.services.get(key)
    assert item is not None and item.caller_unknown


async def test_only_the_owner_may_identify_the_caller_of_a_claimed_item(clinic: Clinic) -> None:
    key = await clinic.log_request(**ONLY_A_NUMBER)
    await clinic.deps.services.claim(item_key=key, actor=FRONT_DESK)
    await clinic.deliver()
    view = await clinic.open_from_card(ASSISTANT, key, ActionId.IDENTIFY_CALLER)
    assert view["callback_id"] == ViewId.STATUS and "owner" in str(view["blocks"])


async def test_identifying_a_missed_call_links_it_to_the_patients_open_item(
    clinic: Clinic,
) -> None:
    earlier = await clinic.log_request(**{FieldId.PATIENT_REF: "MRN-77120"})
    missed = await clinic.log_request(**ONLY_A_NUMBER)
    await clinic.deliver()

    await identify(
        clinic,
        FRONT_DESK,
        missed,
        {FieldId.CALLER_REF: "MRN-77120", FieldId.CALLER_NAME: "Rosa Delgado"},
    )
    await clinic.deliver()

    item = await clinic.deps.services.get(missed)
    assert item is not None and item.related_key == earlier
    first = await clinic.deps.services.get(earlier)
    assert first is not None and first.repeat_count == 2
    assert f"Merge into {earlier}" in str(clinic.card_of("scheduling", missed).blocks)
    assert "Repeat contact \u00d72" in str(clinic.card_of("scheduling", earlier).blocks)


async def test_two_people_identifying_one_missed_call_as_different_patients_are_not_both_taken(
    clinic: Clinic,
) -> None:
    """Both opened Identify caller on the card; the first answer stands, and the second
    person is told, in the form, instead of a silent "Caller identified" that changed
    nothing (or one patient's name on another's record)."""
    key = await clinic.log_request(**ONLY_A_NUMBER)
    await clinic.deliver()
    first = await clinic.open_from_card(FRONT_DESK, key, ActionId.IDENTIFY_CALLER)
    second = await clinic.open_from_card(MANAGER, key, ActionId.IDENTIFY_CALLER)
    answer = await clinic.slack.submit_view(
        FRONT_DESK,
        first["id"],
        {FieldId.CALLER_REF: "MRN-11111", FieldId.CALLER_NAME: "Alice Adams"},
    )
    assert "errors" not in (answer.json or {}), answer.body
    bob = {FieldId.CALLER_REF: "MRN-22222", FieldId.CALLER_NAME: "Bob Brown"}
    late = await clinic.slack.submit_view(MANAGER, second["id"], bob)
    error = (late.json or {}).get("errors", {}).get(FieldId.CALLER_REF, "")
    assert "identified meanwhile as someone else; nothing was changed" in error
    assert "Alice" not in error and "MRN-11111" not in error
    item = await clinic.deps.services.get(key)
    assert item is not None
    assert (item.patient.reference, item.patient.name) == ("MRN-11111", "Alice Adams")
    identified = [
        e for e in await clinic.deps.services.history(key) if e.action is Action.IDENTIFY_CALLER
    ]
    assert [e.actor for e in identified] == [FRONT_DESK]
