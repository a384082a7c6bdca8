"""The Close modal: a listed resolution, what the patient was told, and what done means."""

from __future__ import annotations

import json
from typing import Any

import pytest

from blocks.ids import FieldId, ViewId
from blocks.modals.close import close_errors, close_form_from_view, close_modal
from tests.blocks.conftest import assert_valid_view, make_claimed, make_lane, text_of

LANE = make_lane()
ITEM = make_claimed()
METADATA = json.dumps({"item_key": "CQ-1042", "channel": "C1", "ts": "1700000000.000100"})


def modal(**lane_changes: Any) -> dict[str, Any]:
    lane = make_lane(**lane_changes) if lane_changes else LANE
    return assert_valid_view(close_modal(make_claimed(), lane, METADATA))


def inputs_of(payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b for b in payload["blocks"] if b["type"] == "input"}


def test_close_modal_names_the_item_and_keeps_the_callers_metadata() -> None:
    payload = modal()
    assert payload["callback_id"] == ViewId.CLOSE
    assert payload["title"]["text"] == "Close CQ-1042"
    assert payload["private_metadata"] == METADATA
    assert "Closing *CQ-1042 · Scheduling help*" in text_of(payload)


def test_resolutions_come_from_the_lanes_list() -> None:
    inputs = inputs_of(modal())
    assert list(inputs) == [FieldId.RESOLUTION, FieldId.TOLD_PATIENT]
    select = inputs[FieldId.RESOLUTION]["element"]
    assert select["action_id"] == FieldId.RESOLUTION
    assert [o["value"] for o in select["options"]] == list(LANE.resolutions)


def test_what_the_patient_was_told_is_required_and_bounded() -> None:
    told = inputs_of(modal())[FieldId.TOLD_PATIENT]
    assert told["label"]["text"] == "What the patient was told"
    assert told.get("optional") is not True
    assert told["element"]["multiline"] is True
    assert told["element"]["max_length"] == 1000


def test_the_lanes_definition_of_done_is_shown_escaped() -> None:
    shown = text_of(modal(definition_of_done="Booked <!here> & confirmed"))
    assert "*Done in Scheduling means:* Booked &lt;!here&gt; &amp; confirmed" in shown


def test_a_clinical_lane_reminds_that_a_clinician_must_acknowledge() -> None:
    assert "a clinician must acknowledge" in text_of(modal(clinical=True))
    assert "clinician" not in text_of(modal())


def test_a_long_key_still_fits_the_title() -> None:
    view = close_modal(make_claimed(key="CQ-" + "9" * 40), LANE, "")
    assert len(assert_valid_view(view)["title"]["text"]) == 24


def submitted(resolution: str | None, told: str | None) -> dict[str, Any]:
    option = {"value": resolution} if resolution is not None else None
    return {
        "state": {
            "values": {
                FieldId.RESOLUTION: {
                    FieldId.RESOLUTION: {"type": "static_select", "selected_option": option}
                },
                FieldId.TOLD_PATIENT: {
                    FieldId.TOLD_PATIENT: {"type": "plain_text_input", "value": told}
                },
            }
        }
    }


def test_a_submitted_close_reads_as_resolution_and_what_was_told() -> None:
    view = submitted("appointment booked", "  Booked Tue 9:30 AM.\n")
    assert close_form_from_view(view) == ("appointment booked", "Booked Tue 9:30 AM.")
    assert close_form_from_view(submitted(None, None)) == ("", "")
    assert close_form_from_view({}) == ("", "")


def test_a_complete_close_has_no_errors() -> None:
    assert close_errors(ITEM, "appointment booked", "Booked Tue 9:30 AM.", LANE) == {}


@pytest.mark.parametrize(
    ("resolution", "told", "errors"),
    [
        ("", "Told them", {FieldId.RESOLUTION: "Choose a resolution from the Scheduling list."}),
        (
            "made up",
            "Told them",
            {FieldId.RESOLUTION: "Choose a resolution from the Scheduling list."},
        ),
        ("rescheduled", "   ", {FieldId.TOLD_PATIENT: "Write what the patient was told."}),
        (
            "rescheduled",
            "x" * 1001,
            {FieldId.TOLD_PATIENT: "Keep it under 1,000 characters (1,001 now)."},
        ),
    ],
)
def test_a_close_without_a_listed_resolution_or_an_account_is_refused(
    resolution: str, told: str, errors: dict[str, str]
) -> None:
    assert close_errors(ITEM, resolution, told, LANE) == errors


UNREACHABLE = "unable to reach patient after 3 attempts"
UNREACHABLE_LANE = make_lane(resolutions=("appointment booked", UNREACHABLE))


@pytest.mark.parametrize(
    ("attempts", "problem"),
    [
        (0, "This resolution says 3 attempts, and no call is logged."),
        (1, "This resolution says 3 attempts, and only 1 call is logged."),
        (2, "This resolution says 3 attempts, and only 2 calls are logged."),
        (3, None),
    ],
)
def test_a_resolution_that_claims_attempts_needs_them_logged(
    attempts: int, problem: str | None
) -> None:
    item = make_claimed(attempts=attempts)

    errors = close_errors(
        item, UNREACHABLE, "Left two voicemails asking for a call back.", UNREACHABLE_LANE
    )

    if problem is None:
        assert errors == {}
    else:
        assert errors[FieldId.RESOLUTION].startswith(problem)


@pytest.mark.parametrize("told", ["x", "ok", "n/a", "Done", "...", "12345", " - "])
def test_words_to_the_patient_must_say_something(told: str) -> None:
    errors = close_errors(ITEM, "appointment booked", told, LANE)

    assert "Say what the patient was told in a few words" in errors[FieldId.TOLD_PATIENT]
