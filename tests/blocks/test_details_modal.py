"""The Details view: the whole record, one click away, with every typed text shown literally."""

from __future__ import annotations

import json
from typing import Any

from blocks.ids import ViewId
from blocks.modals.details import details_modal
from tests.blocks.conftest import (
    CALLBACK_WINDOW,
    HOSTILE_NAME,
    HOSTILE_SUMMARY,
    PHONE,
    REFERENCE,
    SOURCE_LINK,
    TZ,
    assert_valid_view,
    make_claimed,
    make_hostile_item,
    make_lane,
    make_patient,
    make_resolved,
    texts_of,
)

LANE = make_lane()


def details(item: Any) -> dict[str, Any]:
    return assert_valid_view(details_modal(item, LANE, TZ))


def test_details_is_read_only_and_closes_with_done() -> None:
    payload = details(make_claimed())
    assert payload["callback_id"] == ViewId.DETAILS
    assert payload["title"]["text"] == "Request CQ-1042"
    assert payload["close"]["text"] == "Done"
    assert "submit" not in payload
    assert not [b for b in payload["blocks"] if b["type"] in ("input", "actions")]


def test_details_shows_the_whole_record_for_the_person_working_it() -> None:
    payload = details(make_claimed())
    plain = texts_of(payload, "plain_text")
    mrkdwn = texts_of(payload, "mrkdwn")
    for line in (
        "Patient: Jane Doe",
        f"Reference: {REFERENCE}",
        f"Callback phone: {PHONE}",
        "Language: Spanish",
        f"Callback window: {CALLBACK_WINDOW}",
        "Summary:\nNeeds to move Thursday's appointment to next week.",
    ):
        assert line in plain
    for line in (
        "*Status*\nClaimed",
        "*Owner*\n<@U1>",
        "*Origin*\nVoicemail",
        "*Lane*\nScheduling",
        "*Next action*\nCall the patient back",
        f"<{SOURCE_LINK}|Source message>",
    ):
        assert line in mrkdwn
    assert any(t.startswith("*Received*\n<!date^") for t in mrkdwn)
    assert any(t.startswith("*Due*\n<!date^") and t.endswith("12:54 PM EST>") for t in mrkdwn)


def test_details_shows_hostile_patient_text_literally() -> None:
    payload = details(make_hostile_item())
    assert f"Patient: {HOSTILE_NAME}" in texts_of(payload, "plain_text")
    assert f"Summary:\n{HOSTILE_SUMMARY}" in texts_of(payload, "plain_text")
    for text in texts_of(payload, "mrkdwn"):
        assert "<!channel>" not in text and "evil" not in text


def test_details_of_a_resolved_item_shows_resolution_and_what_the_patient_was_told() -> None:
    payload = details(make_resolved())
    assert any(
        t.startswith("Resolved by <@U1> · appointment booked · <!date^")
        for t in texts_of(payload, "mrkdwn")
    )
    assert (
        "Told patient:\nBooked Tue 9:30 AM with Dr. Rivera; <!here> reminder text sent."
        in texts_of(payload, "plain_text")
    )


def test_missing_optional_details_say_not_given() -> None:
    payload = details(make_claimed(patient=make_patient(callback_window="")))
    assert "Callback window: not given" in texts_of(payload, "plain_text")


def test_long_texts_are_truncated_to_slacks_limits() -> None:
    item = make_claimed(
        key="CQ-" + "1" * 40,
        summary="<" * 5000,
        next_action="&" * 3000,
        patient=make_patient(name="N" * 2500),
    )
    payload = details(item)
    assert len(payload["title"]["text"]) == 24
    summary = next(t for t in texts_of(payload, "plain_text") if t.startswith("Summary:"))
    assert len(summary) == 3000
    assert summary.endswith("\u2026")
    assert "&amp;" in json.dumps(payload)
