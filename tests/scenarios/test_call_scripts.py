"""Scripts where they are needed, through signed requests: the Log call modal on a Spanish
patient's item gives the Spanish voicemail with the practice's callback number, and choosing an
outcome rebuilds it with the Spanish script for that outcome, keeping what was typed."""

from __future__ import annotations

import json
from typing import Any

from blocks.ids import FieldId, ViewId
from bot.domain.callbacks import Outcome
from tests.scenarios.conftest import FRONT_DESK, Clinic
from tests.scenarios.test_attempts import CLINICAL, claimed_item, open_log_call

NUMBER = "(555) 201-0000"  # practice.callback_number in the shipped example


def shown(view: dict[str, Any]) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


def section(view: dict[str, Any], label: str) -> str:
    """The text of the one section that starts with `label`."""
    [text] = [
        b["text"]["text"]
        for b in view["blocks"]
        if b["type"] == "section" and b.get("text", {}).get("text", "").startswith(label)
    ]
    return str(text)


async def choose_outcome(
    clinic: Clinic, view: dict[str, Any], outcome: Outcome, typed: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Pick `outcome` in the open Log call modal (with `typed` filled in); return the modal
    the app rebuilt."""
    await clinic.then_wait_for(
        "views.update",
        clinic.slack.act_in_view(
            FRONT_DESK,
            view["id"],
            FieldId.OUTCOME,
            outcome,
            kind="static_select",
            values={**(typed or {}), FieldId.OUTCOME: outcome},
        ),
    )
    [rebuilt] = [v for v in clinic.stub.open_views(FRONT_DESK) if v["id"] == view["id"]]
    return rebuilt


async def spanish_item(clinic: Clinic, **fields: str) -> tuple[str, str]:
    key = await claimed_item(clinic, **{FieldId.LANGUAGE: "Spanish", **fields})
    item = await clinic.deps.services.get(key)
    assert item is not None
    return key, item.lane


async def test_the_spanish_voicemail_gives_the_practices_callback_number(clinic: Clinic) -> None:
    key, lane = await spanish_item(clinic)
    view = await open_log_call(clinic, key, lane=lane)

    voicemail = section(view, "If you reach voicemail (Spanish):")
    assert f"Por favor, devuélvanos la llamada al {NUMBER}" in voicemail
    assert "este mensaje es para Jane." in voicemail and "Riverside Family Medicine" in voicemail
    assert "Doe" not in voicemail and "(555) 201-4477" not in voicemail


async def test_choosing_reached_shows_the_spanish_follow_up_and_keeps_what_was_typed(
    clinic: Clinic,
) -> None:
    key, lane = await spanish_item(clinic)
    view = await open_log_call(clinic, key, lane=lane)
    typed = {FieldId.CONFIRMED: "Eligió el martes 10:30", FieldId.IDENTITY: ["verified"]}

    rebuilt = await choose_outcome(clinic, view, Outcome.REACHED, typed)

    assert rebuilt["callback_id"] == ViewId.ATTEMPT
    assert rebuilt["private_metadata"] == view["private_metadata"]
    text = shown(rebuilt)
    assert "What happens next (Spanish):" in text and "Tendrá noticias nuestras" in text
    assert "Acknowledge the request (Spanish):\\nGracias, Jane." in text
    assert "Opening (Spanish)" not in text
    inputs = {b["block_id"]: b for b in rebuilt["blocks"] if b["type"] == "input"}
    assert inputs[FieldId.OUTCOME]["element"]["initial_option"]["value"] == Outcome.REACHED
    assert inputs[FieldId.CONFIRMED]["element"]["initial_value"] == "Eligió el martes 10:30"
    assert inputs[FieldId.IDENTITY]["element"]["initial_options"][0]["value"] == "verified"

    answer = await clinic.slack.submit_view(
        FRONT_DESK,
        view["id"],
        {
            FieldId.OUTCOME: Outcome.REACHED,
            FieldId.IDENTITY: ["verified"],
            FieldId.CONFIRMED: "Eligió el martes 10:30 con la Dra. Rivera",
            FieldId.NEXT_STEP: "Nothing more, ready to close",
        },
    )
    assert answer.status == 200 and "errors" not in (answer.json or {}), answer.body
    [attempt] = await clinic.deps.work.attempts(key)
    assert attempt.outcome is Outcome.REACHED


async def test_choosing_left_voicemail_shows_only_the_message_with_the_number(
    clinic: Clinic,
) -> None:
    key, lane = await spanish_item(clinic)
    view = await open_log_call(clinic, key, lane=lane)

    rebuilt = await choose_outcome(clinic, view, Outcome.LEFT_VOICEMAIL)

    message = section(rebuilt, "Message to leave (the practice's name and number only) (Spanish):")
    assert f"al {NUMBER}" in message and "Doe" not in message
    text = shown(rebuilt)
    assert "Tendrá noticias" not in text and "Gracias, Jane" not in text


async def test_a_reached_patient_in_the_clinical_lane_hears_the_clinical_boundary(
    clinic: Clinic,
) -> None:
    key = await claimed_item(clinic, **CLINICAL)
    view = await open_log_call(clinic, key, lane="clinical")

    text = shown(await choose_outcome(clinic, view, Outcome.REACHED))

    assert "Clinical question: no medical advice (English):" in text
    assert "I'm not able to give medical advice" in text and "call 911 now" in text


async def test_changing_the_outcome_again_brings_its_scripts_instead(clinic: Clinic) -> None:
    key, lane = await spanish_item(clinic)
    view = await open_log_call(clinic, key, lane=lane)
    first = await choose_outcome(clinic, view, Outcome.REACHED)
    assert first["hash"] != view["hash"]

    second = await choose_outcome(clinic, first, Outcome.NO_ANSWER)

    text = shown(second)
    assert "No script: nobody answered." in text and "Tendrá noticias" not in text
