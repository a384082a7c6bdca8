"""Language access: requests in another language go to the bilingual lane; a patient's language
follows them to every open item."""

from __future__ import annotations

from blocks.ids import FieldId, More, ViewId
from bot.domain.items import Action, Status
from tests.scenarios.conftest import ASSISTANT, FRONT_DESK, Clinic
from tests.scenarios.test_waiting import claimed_item, open_more_form

PATIENT = {FieldId.PATIENT_REF: "MRN-61002"}


async def test_a_spanish_speaking_request_logged_in_scheduling_lands_in_the_language_lane(
    clinic: Clinic,
) -> None:
    key = await clinic.log_request(**{FieldId.LANE: "scheduling", FieldId.LANGUAGE: "Spanish"})
    await clinic.deliver()

    item = await clinic.deps.services.get(key)
    assert item is not None and item.lane == "language" and item.patient.language == "Spanish"
    card = clinic.card_of("language", key)
    assert clinic.stub.channel_name(card.channel) == "cq-language"
    assert all(not m.text.startswith(f"{key} ") for m in clinic.cards("scheduling"))
    created = (await clinic.deps.services.history(key))[0]
    assert created.action is Action.CREATE and created.after["routed_from"] == "scheduling"


async def test_an_english_request_stays_in_the_lane_it_was_logged_in(clinic: Clinic) -> None:
    key = await clinic.log_request(**{FieldId.LANE: "scheduling", FieldId.LANGUAGE: "English"})
    item = await clinic.deps.services.get(key)
    assert item is not None and item.lane == "scheduling"


async def test_the_language_form_offers_the_practices_languages_with_the_current_one_chosen(
    clinic: Clinic,
) -> None:
    key = await clinic.log_request(**PATIENT)
    await clinic.deliver()
    view = await open_more_form(clinic, FRONT_DESK, key, More.LANGUAGE)
    assert view["callback_id"] == ViewId.LANGUAGE
    select = next(b for b in view["blocks"] if b.get("block_id") == FieldId.LANGUAGE_CHOICE)
    element = select["element"]
    assert [o["value"] for o in element["options"]] == list(clinic.practice.languages)
    assert element["initial_option"]["value"] == "English"


async def test_setting_the_language_changes_it_on_the_patients_other_open_items(
    clinic: Clinic,
) -> None:
    first = await clinic.log_request(**PATIENT)
    second = await clinic.log_request(
        **PATIENT,
        **{FieldId.LANE: "insurance", FieldId.REQUEST_TYPE: "insurance|is my plan accepted"},
    )
    other_patient = await clinic.log_request()
    await clinic.deliver()

    view = await open_more_form(clinic, FRONT_DESK, first, More.LANGUAGE)
    response = await clinic.slack.submit_view(
        FRONT_DESK, view["id"], {FieldId.LANGUAGE_CHOICE: "Spanish"}
    )
    assert response.status == 200 and "errors" not in (response.json or {}), response.body

    for key in (first, second):
        item = await clinic.deps.services.get(key)
        assert item is not None and item.patient.language == "Spanish", key
        actions = [e.action for e in await clinic.deps.services.history(key)]
        assert actions.count(Action.SET_LANGUAGE) == 1, key
    unrelated = await clinic.deps.services.get(other_patient)
    assert unrelated is not None and unrelated.patient.language == "English"


async def test_a_closed_item_of_the_patient_keeps_its_language(clinic: Clinic) -> None:
    closed = await claimed_item(clinic, **PATIENT)
    await clinic.deps.services.close(
        item_key=closed,
        actor=FRONT_DESK,
        resolution="appointment booked",
        told_patient="Booked Fri 9:00",
    )
    open_key = await clinic.log_request(**PATIENT)
    await clinic.deliver()
    view = await open_more_form(clinic, FRONT_DESK, open_key, More.LANGUAGE)
    await clinic.slack.submit_view(FRONT_DESK, view["id"], {FieldId.LANGUAGE_CHOICE: "Spanish"})

    item = await clinic.deps.services.get(closed)
    assert item is not None and item.status is Status.RESOLVED
    assert item.patient.language == "English"


async def test_someone_else_cannot_change_the_language_of_my_item(clinic: Clinic) -> None:
    key = await claimed_item(clinic, **PATIENT)
    view = await open_more_form(clinic, ASSISTANT, key, More.LANGUAGE)
    assert view["callback_id"] == ViewId.STATUS and "owner" in str(view["blocks"])


async def test_the_patients_language_follows_them_to_their_next_request_after_one_closed(
    clinic: Clinic,
) -> None:
    first = await claimed_item(clinic, **PATIENT)
    view = await open_more_form(clinic, FRONT_DESK, first, More.LANGUAGE)
    await clinic.slack.submit_view(FRONT_DESK, view["id"], {FieldId.LANGUAGE_CHOICE: "Spanish"})
    await clinic.deps.services.close(
        item_key=first,
        actor=FRONT_DESK,
        resolution="appointment booked",
        told_patient="Booked Fri 9:00",
    )

    # Logged with the form's default language: the patient's preference is kept.
    again = await clinic.log_request(**{**PATIENT, FieldId.LANGUAGE: "English"})
    # Someone else's request in the default language stays in it.
    other = await clinic.log_request(**{FieldId.PATIENT_REF: "MRN-55555"})

    item = await clinic.deps.services.get(again)
    assert item is not None and item.patient.language == "Spanish"
    unrelated = await clinic.deps.services.get(other)
    assert unrelated is not None and unrelated.patient.language == "English"
