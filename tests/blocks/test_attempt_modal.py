"""The Log call modal, its parser, and the read-only call note."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from blocks.ids import FieldId, ViewId
from blocks.modals.attempt import (
    IDENTITY_LABEL,
    IDENTITY_VERIFIED,
    AttemptFormIncomplete,
    attempt_errors,
    attempt_modal,
    attempt_note_from_view,
    attempt_note_modal,
)
from bot.domain.callbacks import (
    CONFIRMED_MAX,
    NEXT_STEP_MAX,
    Attempt,
    AttemptNote,
    Outcome,
    attempt_problems,
)
from bot.domain.lanes import Lane
from tests.blocks.conftest import (
    CALLBACK_WINDOW,
    HOSTILE_NAME,
    NOW,
    PHONE,
    TZ,
    WORDING,
    assert_valid_view,
    make_claimed,
    make_lane,
    make_patient,
    text_of,
    texts_of,
)

METADATA = json.dumps({"key": "CQ-1042"})


def modal(item: Any = None, lane: Lane | None = None, **options: Any) -> dict[str, Any]:
    view = attempt_modal(
        item or make_claimed(),
        lane or make_lane(),
        practice_name=options.get("practice_name", "Riverside Family Medicine"),
        default_language=options.get("default_language", "English"),
        env=WORDING,
        private_metadata=METADATA,
        tz=options.get("tz"),
    )
    return assert_valid_view(view)


def inputs_of(payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b for b in payload["blocks"] if b["type"] == "input"}


def submitted(**values: Any) -> dict[str, Any]:
    """A view as Slack sends it on submit: state.values[block_id][action_id] = value."""
    shapes = {
        FieldId.OUTCOME: ("static_select", "selected_option"),
        FieldId.IDENTITY: ("checkboxes", "selected_options"),
        FieldId.CONFIRMED: ("plain_text_input", "value"),
        FieldId.NEXT_STEP: ("plain_text_input", "value"),
        FieldId.NEXT_DATE: ("datepicker", "selected_date"),
        FieldId.NEXT_TIME: ("timepicker", "selected_time"),
    }
    state: dict[str, Any] = {}
    for field, (kind, key) in shapes.items():
        value = values.get(field)
        if field is FieldId.OUTCOME and value is not None:
            value = {"text": {"type": "plain_text", "text": value}, "value": value}
        if field is FieldId.IDENTITY:
            value = [{"value": IDENTITY_VERIFIED}] if value else []
        state[field] = {field: {"type": kind, key: value}}
    return {"callback_id": ViewId.ATTEMPT, "private_metadata": METADATA, "state": {"values": state}}


# --- the form ------------------------------------------------------------------------------------


def test_the_modal_names_the_item_and_keeps_only_the_key_in_its_metadata() -> None:
    payload = modal()
    assert payload["callback_id"] == ViewId.ATTEMPT
    assert payload["title"]["text"] == "Log call CQ-1042"
    assert payload["submit"]["text"] == "Log call"
    assert payload["private_metadata"] == METADATA
    assert "Calling about *CQ-1042 · Scheduling help*" in text_of(payload)
    assert "Scheduling · Attempt 1 of 3" in text_of(payload)


def test_the_attempt_number_counts_the_calls_already_logged() -> None:
    assert "Attempt 3 of 3" in text_of(modal(make_claimed(attempts=2)))
    assert "Attempt 4" in text_of(modal(make_claimed(attempts=3)))
    assert "of 3" not in text_of(modal(make_claimed(attempts=3)))


def test_phone_and_preferred_window_are_shown_as_plain_text_only() -> None:
    payload = modal(make_claimed(patient=make_patient(name=HOSTILE_NAME)))
    plain = "\n".join(texts_of(payload, "plain_text"))
    assert f"Callback phone: {PHONE}" in plain
    assert f"Preferred window: {CALLBACK_WINDOW}" in plain
    assert f"Ask for: {HOSTILE_NAME}" in plain
    mrkdwn = "\n".join(texts_of(payload, "mrkdwn"))
    assert PHONE not in mrkdwn and CALLBACK_WINDOW not in mrkdwn and "<!channel>" not in mrkdwn


def test_a_missing_window_says_so() -> None:
    payload = modal(make_claimed(patient=make_patient(callback_window="")))
    assert "Preferred window: not given" in text_of(payload)


def test_the_opening_script_is_in_the_patients_language_with_their_first_name() -> None:
    spanish = text_of(modal(make_claimed(patient=make_patient(name="Ana María López"))))
    assert "Opening (Spanish):\nHola, ¿podría hablar con Ana?" in spanish
    assert "Riverside Family Medicine, por su solicitud de cita" in spanish
    assert "If you reach voicemail (Spanish):\nHola, este mensaje es para Ana." in spanish
    english = text_of(modal(make_claimed(patient=make_patient(language="English"))))
    assert "Opening (English):\nHello, may I speak with Jane?" in english


def test_a_language_without_scripts_falls_back_to_the_default_and_says_so() -> None:
    shown = text_of(modal(make_claimed(patient=make_patient(language="Tagalog"))))
    assert "Opening (in English: none written in Tagalog yet):\nHello" in shown


def test_the_lanes_own_opening_is_used() -> None:
    clinical = make_lane("clinical", "Clinical routing", clinical=True)
    item = make_claimed(lane="clinical", patient=make_patient(language="English"))
    shown = text_of(modal(item, clinical))
    assert "about the message you left for your care team" in shown
    assert "I'm not able to give medical advice" in shown


def test_scripts_never_carry_the_summary_or_the_phone() -> None:
    item = make_claimed()
    scripts = [t for t in texts_of(modal(item), "plain_text") if t.startswith(("Opening", "If"))]
    assert len(scripts) == 2
    for text in scripts:
        assert PHONE not in text and item.summary not in text and "Doe" not in text


def test_inputs_are_outcome_identity_confirmed_next_step_and_next_due() -> None:
    inputs = inputs_of(modal())
    assert list(inputs) == [
        FieldId.OUTCOME,
        FieldId.IDENTITY,
        FieldId.CONFIRMED,
        FieldId.NEXT_STEP,
        FieldId.NEXT_DATE,
        FieldId.NEXT_TIME,
    ]
    for block_id, block in inputs.items():
        assert block["element"]["action_id"] == block_id
    assert inputs[FieldId.OUTCOME].get("optional") is not True
    assert all(inputs[f].get("optional") is True for f in list(inputs)[1:])
    outcome = inputs[FieldId.OUTCOME]["element"]
    assert outcome["type"] == "static_select"
    assert [(o["value"], o["text"]["text"]) for o in outcome["options"]] == [
        (o.value, o.label) for o in Outcome
    ]
    identity = inputs[FieldId.IDENTITY]["element"]
    assert identity["type"] == "checkboxes"
    assert [o["text"]["text"] for o in identity["options"]] == [IDENTITY_LABEL]
    assert inputs[FieldId.CONFIRMED]["element"]["multiline"] is True
    assert inputs[FieldId.CONFIRMED]["element"]["max_length"] == CONFIRMED_MAX == 1000
    assert inputs[FieldId.NEXT_STEP]["element"]["max_length"] == NEXT_STEP_MAX == 300
    assert inputs[FieldId.NEXT_DATE]["element"]["type"] == "datepicker"
    assert inputs[FieldId.NEXT_TIME]["element"]["type"] == "timepicker"


def test_the_longest_item_still_makes_a_valid_modal() -> None:
    patient = make_patient(
        name="N" * 2000, phone="5" * 300, callback_window="W" * 3000, language="L" * 40
    )
    item = make_claimed(
        key="CQ-" + "9" * 40, request_type="R" * 60, patient=patient, summary="S" * 10_000
    )
    lane = dataclasses.replace(make_lane(), name="X" * 60)
    payload = modal(item, lane)
    assert len(payload["title"]["text"]) <= 24


# --- reading the submission ----------------------------------------------------------------------


def test_a_full_submission_becomes_a_note_in_the_practices_time_zone() -> None:
    view = submitted(
        **{
            FieldId.OUTCOME: "reached",
            FieldId.IDENTITY: True,
            FieldId.CONFIRMED: "  Chose Tue 10:30 with Dr. Rivera; text sent.  ",
            FieldId.NEXT_STEP: "None, ready to close",
            FieldId.NEXT_DATE: "2026-11-24",
            FieldId.NEXT_TIME: "09:30",
        }
    )
    note = attempt_note_from_view(view, TZ)
    assert note == AttemptNote(
        outcome=Outcome.REACHED,
        identity_verified=True,
        confirmed="Chose Tue 10:30 with Dr. Rivera; text sent.",
        next_step="None, ready to close",
        next_due=datetime(2026, 11, 24, 14, 30, tzinfo=UTC),
    )


def test_an_unanswered_call_needs_only_the_outcome() -> None:
    note = attempt_note_from_view(submitted(**{FieldId.OUTCOME: "no_answer"}), TZ)
    assert note == AttemptNote(outcome=Outcome.NO_ANSWER)
    assert attempt_problems(note, NOW) == []


def test_a_time_without_a_date_means_today_and_a_date_needs_a_time() -> None:
    view = submitted(**{FieldId.OUTCOME: "busy", FieldId.NEXT_TIME: "15:00"})
    note = attempt_note_from_view(view, TZ, today=date(2026, 11, 23))
    assert note.next_due == datetime(2026, 11, 23, 20, 0, tzinfo=UTC)
    with pytest.raises(AttemptFormIncomplete) as no_day:
        attempt_note_from_view(view, TZ)
    assert FieldId.NEXT_DATE in no_day.value.errors()
    with pytest.raises(AttemptFormIncomplete) as no_time:
        attempt_note_from_view(
            submitted(**{FieldId.OUTCOME: "busy", FieldId.NEXT_DATE: "2026-11-24"}), TZ
        )
    assert no_time.value.errors() == {FieldId.NEXT_TIME: "Choose a time on that day as well."}


@pytest.mark.parametrize(
    "view",
    [
        {},
        {"state": {"values": {}}},
        submitted(),
        submitted(**{FieldId.OUTCOME: "hung_up_angrily"}),
    ],
)
def test_a_submission_without_a_known_outcome_is_refused_on_the_outcome(
    view: dict[str, Any],
) -> None:
    with pytest.raises(AttemptFormIncomplete) as incomplete:
        attempt_note_from_view(view, TZ)
    assert list(incomplete.value.errors()) == [FieldId.OUTCOME]


def test_the_longest_inputs_are_read_whole() -> None:
    view = submitted(
        **{
            FieldId.OUTCOME: "reached",
            FieldId.IDENTITY: True,
            FieldId.CONFIRMED: "c" * CONFIRMED_MAX,
            FieldId.NEXT_STEP: "n" * NEXT_STEP_MAX,
        }
    )
    note = attempt_note_from_view(view, TZ)
    assert len(note.confirmed) == CONFIRMED_MAX and len(note.next_step) == NEXT_STEP_MAX


def test_a_reached_note_that_says_nothing_gets_the_domains_hints_on_its_fields() -> None:
    note = attempt_note_from_view(
        submitted(**{FieldId.OUTCOME: "reached", FieldId.CONFIRMED: "called patient"}), TZ
    )
    errors = attempt_errors(attempt_problems(note, NOW))
    assert set(errors) == {FieldId.IDENTITY, FieldId.CONFIRMED, FieldId.NEXT_STEP}
    assert errors[FieldId.CONFIRMED].startswith("Say what was confirmed with the patient")
    assert errors[FieldId.NEXT_STEP].startswith("Say what happens next")


def test_a_past_next_due_time_is_shown_under_the_date() -> None:
    note = AttemptNote(outcome=Outcome.NO_ANSWER, next_due=NOW - timedelta(minutes=1))
    assert attempt_errors(attempt_problems(note, NOW)) == {
        FieldId.NEXT_DATE: "Choose a time in the future."
    }


def test_every_error_names_an_input_of_the_modal() -> None:
    inputs = set(inputs_of(modal()))
    note = AttemptNote(
        outcome=Outcome.REACHED,
        confirmed="x" * (CONFIRMED_MAX + 1),
        next_step="lvm",
        next_due=NOW,
    )
    errors = attempt_errors(attempt_problems(note, NOW))
    assert errors and set(errors) <= inputs
    assert all(len(message) <= 2000 for message in errors.values())


# --- the read-only note --------------------------------------------------------------------------

ATTEMPT = Attempt(
    number=2,
    outcome=Outcome.REACHED,
    by="U1",
    at=NOW,
    identity_verified=True,
    confirmed="<!channel> Chose *Tue* 10:30; text sent",
    next_step="Send the <https://evil.example|intake> packet",
    next_due_at=NOW + timedelta(days=1),
)


def test_the_call_note_shows_everything_and_submits_nothing() -> None:
    view = attempt_note_modal("CQ-1042", ATTEMPT, TZ, 3)
    payload = assert_valid_view(view)
    assert payload["callback_id"] == ViewId.ATTEMPT_NOTE
    assert "submit" not in payload and payload["close"]["text"] == "Done"
    shown = text_of(payload)
    assert "CQ-1042 · Attempt 2 of 3" in shown
    assert "*Outcome*\nReached" in shown
    assert "*Identity verified*\nYes" in shown
    assert "*Called by*\n<@U1>" in shown
    assert "*When*\n<!date^" in shown and "Mon Nov 23 10:54 AM EST" in shown
    assert "*Next due*\n<!date^" in shown and "Tue Nov 24 10:54 AM EST" in shown


def test_the_call_notes_free_text_is_plain_text() -> None:
    payload = assert_valid_view(attempt_note_modal("CQ-1042", ATTEMPT, TZ, 3))
    plain = "\n".join(texts_of(payload, "plain_text"))
    assert "What was confirmed:\n<!channel> Chose *Tue* 10:30; text sent" in plain
    assert "Next step:\nSend the <https://evil.example|intake> packet" in plain
    mrkdwn = "\n".join(texts_of(payload, "mrkdwn"))
    assert "<!channel>" not in mrkdwn and "evil.example" not in mrkdwn


def test_an_unanswered_call_note_says_what_is_missing() -> None:
    bare = Attempt(number=4, outcome=Outcome.NO_ANSWER, by="U1", at=NOW)
    shown = text_of(assert_valid_view(attempt_note_modal("CQ-1042", bare, TZ, 3)))
    assert "CQ-1042 · Attempt 4" in shown and "of 3" not in shown
    assert "*Identity verified*\nNo" in shown and "*Next due*\n-" in shown
    assert "What was confirmed:\nnothing" in shown


def test_the_next_time_picker_is_in_the_practices_time_zone() -> None:
    view = modal(tz=ZoneInfo("America/New_York"))
    picker = next(b for b in view["blocks"] if b.get("block_id") == FieldId.NEXT_TIME)["element"]
    assert picker["timezone"] == "America/New_York"


def test_inputs_optional_for_an_unanswered_call_say_when_they_are_needed() -> None:
    labels = {
        block["block_id"]: block["label"]["text"]
        for block in modal()["blocks"]
        if block["type"] == "input"
    }

    assert labels[FieldId.IDENTITY] == "Identity (needed if you reached the patient)"
    assert labels[FieldId.CONFIRMED] == "What was confirmed (needed if you reached the patient)"
    assert "needed if you reached the patient" in labels[FieldId.NEXT_STEP]
