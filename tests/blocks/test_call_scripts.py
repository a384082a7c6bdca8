"""The Log call modal's scripts: the one that fits the moment, in the patient's language, with
the practice's callback number in the voicemail and nothing about the patient beyond the first
name; the form rebuilt after an outcome keeps what was filled in."""

from __future__ import annotations

import json
from datetime import date, time
from typing import Any

import pytest

from blocks.ids import FieldId, ViewId
from blocks.modals.attempt import (
    IDENTITY_VERIFIED,
    AttemptDraft,
    attempt_draft_from_view,
    attempt_modal,
)
from blocks.modals.call_scripts import NO_CALLBACK_NUMBER
from bot.domain.callbacks import Outcome
from bot.domain.items import Item, Patient
from bot.domain.lanes import Lane
from tests.blocks.conftest import (
    PHONE,
    REFERENCE,
    TZ,
    WORDING,
    assert_valid_view,
    make_claimed,
    make_lane,
    make_patient,
    texts_of,
)

NUMBER = "(555) 201-0000"
PRACTICE = "Riverside Family Medicine"
CLINICAL_LANE = make_lane("clinical", "Clinical routing", clinical=True)
# Words a script must never say to whoever hears it: the record's medical and personal detail.
PRIVATE = ("Doe", PHONE, REFERENCE, "Thursday's appointment", "lisinopril")


def modal(
    outcome: Outcome | None = None,
    *,
    language: str = "Spanish",
    item: Item | None = None,
    lane: Lane | None = None,
    callback_number: str = NUMBER,
    draft: AttemptDraft | None = None,
) -> dict[str, Any]:
    item = item or make_claimed(patient=make_patient(language=language))
    view = attempt_modal(
        item,
        lane or make_lane(),
        practice_name=PRACTICE,
        default_language="English",
        env=WORDING,
        private_metadata=json.dumps({"key": item.key}),
        tz=TZ,
        callback_number=callback_number,
        draft=draft or AttemptDraft(outcome=outcome),
    )
    return assert_valid_view(view)


def scripts(payload: dict[str, Any]) -> dict[str, str]:
    """Each script shown, by its label (with the language), as a person reads it."""
    shown = {}
    for text in texts_of(payload, "plain_text"):
        heading, _, words = text.partition("):\n")
        if words:
            shown[f"{heading})"] = words
    return shown


def inputs_of(payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b for b in payload["blocks"] if b["type"] == "input"}


# --- which script, in which language ------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "opening", "voicemail"),
    [
        ("English", "Hello, may I speak with Jane?", "Please call us back at (555) 201-0000"),
        ("Spanish", "Hola, ¿podría hablar con Jane?", "devuélvanos la llamada al (555) 201-0000"),
    ],
)
def test_before_the_outcome_the_opening_and_the_voicemail_with_the_practices_number(
    language: str, opening: str, voicemail: str
) -> None:
    shown = scripts(modal(language=language))
    assert list(shown) == [f"Opening ({language})", f"If you reach voicemail ({language})"]
    assert shown[f"Opening ({language})"].startswith(opening)
    left = shown[f"If you reach voicemail ({language})"]
    assert voicemail in left and PRACTICE in left and "Jane" in left
    assert not [word for word in PRIVATE if word in left]


@pytest.mark.parametrize(
    ("language", "acknowledgment", "next_steps"),
    [
        ("English", "Thank you, Jane. We have your request", "You will hear from us by [when]"),
        ("Spanish", "Gracias, Jane. Recibimos su solicitud", "Tendrá noticias nuestras"),
    ],
)
def test_a_reached_patient_gets_the_acknowledgment_and_what_happens_next(
    language: str, acknowledgment: str, next_steps: str
) -> None:
    shown = scripts(modal(Outcome.REACHED, language=language))
    assert list(shown) == [
        f"Acknowledge the request ({language})",
        f"What happens next ({language})",
    ]
    assert shown[f"Acknowledge the request ({language})"].startswith(acknowledgment)
    follow_up = shown[f"What happens next ({language})"]
    assert next_steps in follow_up and NUMBER in follow_up
    assert "Opening" not in " ".join(shown)
    assert "After “Reached”: what to say." in texts_of(modal(Outcome.REACHED), "plain_text")


@pytest.mark.parametrize(
    ("language", "boundary"),
    [("English", "I'm not able to give medical advice"), ("Spanish", "No puedo darle consejo")],
)
def test_a_clinical_matter_gets_the_clinical_boundary_with_911(
    language: str, boundary: str
) -> None:
    clinical_item = make_claimed(lane="clinical", patient=make_patient(language=language))
    in_lane = scripts(modal(Outcome.REACHED, item=clinical_item, lane=CLINICAL_LANE))
    label = f"Clinical question: no medical advice ({language})"
    assert in_lane[label].startswith(boundary) and "911" in in_lane[label]
    flagged = make_claimed(red_flags=("chest ... pain",), patient=make_patient(language=language))
    assert label in scripts(modal(Outcome.REACHED, item=flagged))
    assert label not in scripts(modal(Outcome.REACHED, language=language))


@pytest.mark.parametrize(
    ("language", "ask"),
    [("English", "Could you help me with [what is missing]?"), ("Spanish", "¿Me podría ayudar")],
)
def test_an_unidentified_caller_is_asked_for_what_is_missing(language: str, ask: str) -> None:
    unknown = make_claimed(patient=Patient("", "", PHONE, language))
    shown = scripts(modal(Outcome.REACHED, item=unknown))
    assert ask in shown[f"Ask for what is missing ({language})"]
    assert f"Acknowledge the request ({language})" in shown
    assert f"Ask for what is missing ({language})" not in scripts(modal(Outcome.REACHED))


@pytest.mark.parametrize("outcome", [Outcome.LEFT_VOICEMAIL, Outcome.WILL_CALL_BACK])
def test_a_message_left_is_the_voicemail_only_with_the_number(outcome: Outcome) -> None:
    clinical_item = make_claimed(lane="clinical")
    shown = scripts(modal(outcome, item=clinical_item, lane=CLINICAL_LANE))
    [(label, words)] = shown.items()
    assert label == "Message to leave (the practice's name and number only) (Spanish)"
    assert f"al {NUMBER}" in words and "Jane" in words
    assert "médic" not in words and not [word for word in PRIVATE if word in words]


@pytest.mark.parametrize(
    ("outcome", "says"),
    [
        (Outcome.NO_ANSWER, "No script: nobody answered."),
        (Outcome.BUSY, "No script: the line was busy."),
        (Outcome.WRONG_NUMBER, "say nothing about the patient or their request"),
        (Outcome.PORTAL_MESSAGE_SENT, "No script: a portal message is written in the portal."),
    ],
)
def test_nobody_to_talk_to_shows_no_script_and_says_why(outcome: Outcome, says: str) -> None:
    payload = modal(outcome)
    assert scripts(payload) == {}
    assert any(says in text for text in texts_of(payload, "plain_text"))


def test_a_script_missing_in_the_patients_language_falls_back_to_english_and_says_so() -> None:
    shown = scripts(modal(Outcome.REACHED, language="Tagalog"))
    assert list(shown) == [
        "Acknowledge the request (in English: none written in Tagalog yet)",
        "What happens next (in English: none written in Tagalog yet)",
    ]


def test_without_a_callback_number_the_voicemail_says_the_file_gives_none() -> None:
    payload = modal(callback_number="")
    left = scripts(payload)["If you reach voicemail (Spanish)"]
    assert not any(ch.isdigit() for ch in left)
    assert NO_CALLBACK_NUMBER in texts_of(payload, "plain_text")
    assert NO_CALLBACK_NUMBER not in texts_of(modal(), "plain_text")


def test_no_script_of_any_moment_carries_the_patients_record() -> None:
    item = make_claimed(
        lane="clinical",
        summary="lisinopril refill, chest pain since Sunday",
        patient=make_patient(name="Jane Q. Doe", language="Spanish"),
    )
    for outcome in (None, *Outcome):
        for words in scripts(modal(outcome, item=item, lane=CLINICAL_LANE)).values():
            assert not [word for word in (*PRIVATE, "Q.", "chest") if word in words], words


# --- the form follows the outcome and keeps what was filled in ---------------------------------


def test_the_outcome_select_tells_the_app_when_it_changes() -> None:
    outcome = inputs_of(modal())[FieldId.OUTCOME]
    assert outcome["dispatch_action"] is True
    assert "initial_option" not in outcome["element"]


def test_the_rebuilt_form_keeps_everything_filled_in() -> None:
    draft = AttemptDraft(
        outcome=Outcome.REACHED,
        identity_verified=True,
        confirmed="Chose Tuesday 10:30",
        next_step="Mail the packet",
        next_date=date(2026, 11, 24),
        next_time=time(9, 30),
    )
    inputs = inputs_of(modal(draft=draft))
    assert inputs[FieldId.OUTCOME]["element"]["initial_option"]["value"] == Outcome.REACHED
    assert inputs[FieldId.IDENTITY]["element"]["initial_options"][0]["value"] == IDENTITY_VERIFIED
    assert inputs[FieldId.CONFIRMED]["element"]["initial_value"] == "Chose Tuesday 10:30"
    assert inputs[FieldId.NEXT_STEP]["element"]["initial_value"] == "Mail the packet"
    assert inputs[FieldId.NEXT_DATE]["element"]["initial_date"] == "2026-11-24"
    assert inputs[FieldId.NEXT_TIME]["element"]["initial_time"] == "09:30"


def test_the_open_forms_state_is_read_as_it_stands() -> None:
    view = {
        "callback_id": ViewId.ATTEMPT,
        "state": {
            "values": {
                FieldId.OUTCOME: {FieldId.OUTCOME: {"selected_option": {"value": "reached"}}},
                FieldId.IDENTITY: {
                    FieldId.IDENTITY: {"selected_options": [{"value": IDENTITY_VERIFIED}]}
                },
                FieldId.CONFIRMED: {FieldId.CONFIRMED: {"value": "  Chose Tuesday  "}},
                FieldId.NEXT_DATE: {FieldId.NEXT_DATE: {"selected_date": "2026-11-24"}},
                FieldId.NEXT_TIME: {FieldId.NEXT_TIME: {"selected_time": "nonsense"}},
            }
        },
    }
    assert attempt_draft_from_view(view) == AttemptDraft(
        outcome=Outcome.REACHED,
        identity_verified=True,
        confirmed="  Chose Tuesday  ",
        next_date=date(2026, 11, 24),
    )
    assert attempt_draft_from_view({}) == AttemptDraft()
