"""The card's "More" modals: waiting (who and until when), move (another lane), language."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from blocks.ids import FieldId, ViewId
from blocks.modals.language import language_errors, language_from_view, language_modal
from blocks.modals.move import (
    move_errors,
    move_lane_from_view,
    move_modal,
    move_note_from_view,
    target_text,
)
from blocks.modals.wait import (
    WAITING_ON_MAX,
    WaitForm,
    default_check_back,
    wait_errors,
    wait_form_from_view,
    wait_modal,
)
from bot.domain.items import Status
from bot.domain.lanes import BusinessCalendar, BusinessDuration, OpeningHours, parse_target
from bot.domain.waiting import WaitingParty
from tests.blocks.conftest import (
    NOW,
    TZ,
    assert_valid_view,
    make_claimed,
    make_hostile_item,
    make_lane,
    make_patient,
    text_of,
)

METADATA = json.dumps({"key": "CQ-1042"})
# Mon-Fri 08:00-17:00 in New York; Thanksgiving and the day after closed.
CALENDAR = BusinessCalendar(
    tz=TZ,
    hours={day: OpeningHours(time(8), time(17)) for day in range(5)},
    holidays=frozenset({date(2026, 11, 26), date(2026, 11, 27)}),
)
SCHEDULING = make_lane()
INSURANCE = make_lane("insurance", "Insurance information")
REFERRALS = dataclasses.replace(
    make_lane("referrals", "Referral and document status"),
    response_target=BusinessDuration.parse("1d"),
)
LANES = {lane.key: lane for lane in (SCHEDULING, INSURANCE, REFERRALS)}


def inputs_of(payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b for b in payload["blocks"] if b["type"] == "input"}


def submitted(values: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A view as Slack sends it on submission: state.values[block_id][action_id]."""
    return {"state": {"values": {field: {field: value} for field, value in values.items()}}}


# -- waiting --------------------------------------------------------------------------------


def wait_payload(**changes: Any) -> dict[str, Any]:
    return assert_valid_view(wait_modal(make_claimed(**changes), CALENDAR, NOW, METADATA))


def test_wait_modal_asks_who_it_waits_on_and_when_to_check_back() -> None:
    payload = wait_payload()
    assert payload["callback_id"] == ViewId.WAIT
    assert payload["title"]["text"] == "Waiting: CQ-1042"
    assert payload["private_metadata"] == METADATA
    inputs = inputs_of(payload)
    assert list(inputs) == [
        FieldId.WAITING_FOR,
        FieldId.WAITING_ON,
        FieldId.CHECK_BACK_DATE,
        FieldId.CHECK_BACK_TIME,
    ]
    assert [f for f, block in inputs.items() if block.get("optional")] == [FieldId.WAITING_ON]
    choice = inputs[FieldId.WAITING_FOR]["element"]
    assert choice["type"] == "static_select"
    assert [o["text"]["text"] for o in choice["options"]] == [
        "Payer (insurance)",
        "Referral office",
        "Lab",
        "Pharmacy",
        "Patient",
        "Other",
    ]
    assert "initial_option" not in choice
    waiting_on = inputs[FieldId.WAITING_ON]["element"]
    assert waiting_on["type"] == "plain_text_input" and waiting_on["max_length"] == WAITING_ON_MAX
    assert "only where the practice allows free text" in text_of(inputs[FieldId.WAITING_ON])
    assert inputs[FieldId.CHECK_BACK_DATE]["element"]["type"] == "datepicker"
    assert inputs[FieldId.CHECK_BACK_TIME]["element"]["type"] == "timepicker"


def test_check_back_is_in_practice_time_and_defaults_to_the_next_opening_morning() -> None:
    inputs = inputs_of(wait_payload())
    # Monday 10:54 AM: Tuesday at opening.
    assert inputs[FieldId.CHECK_BACK_DATE]["element"]["initial_date"] == "2026-11-24"
    assert inputs[FieldId.CHECK_BACK_TIME]["element"]["initial_time"] == "08:00"
    assert inputs[FieldId.CHECK_BACK_TIME]["element"]["timezone"] == "America/New_York"
    assert "Practice time (America/New York)" in text_of(inputs[FieldId.CHECK_BACK_TIME])


def test_default_check_back_skips_weekend_and_holidays() -> None:
    wednesday = datetime(2026, 11, 25, 20, 0, tzinfo=TZ)
    assert default_check_back(wednesday, CALENDAR) == datetime(2026, 11, 30, 8, 0, tzinfo=TZ)


def test_wait_modal_says_the_response_clock_pauses_with_the_time_left() -> None:
    shown = text_of(wait_payload(due_at=NOW + timedelta(hours=2, minutes=5)))
    assert "pauses with *2 h 5 min* of business time left" in shown
    overdue = text_of(wait_payload(due_at=NOW - timedelta(minutes=5)))
    assert "already passed" in overdue


def test_an_item_already_waiting_shows_its_current_wait_to_change() -> None:
    check_back = datetime(2026, 11, 25, 14, 30, tzinfo=TZ)
    payload = wait_payload(
        status=Status.WAITING,
        waiting_for="payer",
        waiting_on="Aetna <!here>",
        check_back_at=check_back,
        sla_remaining_minutes=75.0,
    )
    inputs = inputs_of(payload)
    assert inputs[FieldId.WAITING_ON]["element"]["initial_value"] == "Aetna <!here>"
    assert inputs[FieldId.WAITING_FOR]["element"]["initial_option"]["value"] == "payer"
    assert inputs[FieldId.CHECK_BACK_DATE]["element"]["initial_date"] == "2026-11-25"
    assert inputs[FieldId.CHECK_BACK_TIME]["element"]["initial_time"] == "14:30"
    shown = text_of(payload)
    assert "waiting on the payer." in shown and "*1 h 15 min*" in shown
    assert payload["submit"]["text"] == "Save"


def test_wait_modal_shows_no_patient_data() -> None:
    shown = json.dumps(wait_payload(patient=make_hostile_item().patient))
    for secret in ("Jane", "555", "MRN-20431", "chest pain"):
        assert secret not in shown


def test_wait_form_reads_what_was_entered() -> None:
    view = submitted(
        {
            FieldId.WAITING_FOR: {
                "type": "static_select",
                "selected_option": {"text": {"type": "plain_text", "text": "Lab"}, "value": "lab"},
            },
            FieldId.WAITING_ON: {"type": "plain_text_input", "value": "  Quest  "},
            FieldId.CHECK_BACK_DATE: {"type": "datepicker", "selected_date": "2026-11-24"},
            FieldId.CHECK_BACK_TIME: {"type": "timepicker", "selected_time": "09:30"},
        }
    )
    form = wait_form_from_view(view)
    assert form == WaitForm("Quest", WaitingParty.LAB, date(2026, 11, 24), time(9, 30))
    assert form.check_back_at(CALENDAR) == datetime(2026, 11, 24, 14, 30, tzinfo=UTC)


def test_wait_form_reads_nothing_from_an_empty_or_garbled_view() -> None:
    assert wait_form_from_view({}) == WaitForm("", None, None, None)
    garbled = submitted(
        {
            FieldId.CHECK_BACK_DATE: {"type": "datepicker", "selected_date": "tomorrow"},
            FieldId.CHECK_BACK_TIME: {"type": "timepicker", "selected_time": None},
        }
    )
    assert wait_form_from_view(garbled) == WaitForm("", None, None, None)


def test_wait_needs_someone_to_wait_on_and_a_date_and_time() -> None:
    errors = wait_errors(WaitForm("", None, None, None), NOW, CALENDAR)
    assert set(errors) == {FieldId.WAITING_FOR, FieldId.CHECK_BACK_DATE, FieldId.CHECK_BACK_TIME}
    too_long = wait_errors(
        WaitForm("x" * (WAITING_ON_MAX + 1), WaitingParty.OTHER, date(2026, 11, 24), time(9)),
        NOW,
        CALENDAR,
    )
    assert set(too_long) == {FieldId.WAITING_ON}


@pytest.mark.parametrize(
    ("day", "at", "field"),
    [
        (date(2026, 11, 20), time(9), FieldId.CHECK_BACK_DATE),  # last Friday
        (date(2026, 11, 23), time(10, 54), FieldId.CHECK_BACK_TIME),  # this very minute
        (date(2026, 11, 23), time(8), FieldId.CHECK_BACK_TIME),  # earlier today
        (date(2027, 12, 1), time(9), FieldId.CHECK_BACK_DATE),  # a year out: a typo
    ],
)
def test_check_back_must_be_in_the_future_and_within_a_year(
    day: date, at: time, field: FieldId
) -> None:
    errors = wait_errors(WaitForm("", WaitingParty.PAYER, day, at), NOW, CALENDAR)
    assert list(errors) == [field]


def test_a_check_back_later_today_is_fine() -> None:
    assert (
        wait_errors(WaitForm("", WaitingParty.PAYER, date(2026, 11, 23), time(15)), NOW, CALENDAR)
        == {}
    )


def test_time_error_says_what_time_it_is_in_the_practice() -> None:
    errors = wait_errors(
        WaitForm("", WaitingParty.PAYER, date(2026, 11, 23), time(8)), NOW, CALENDAR
    )
    assert errors[FieldId.CHECK_BACK_TIME] == "Pick a time later than now (10:54 AM)."


# -- move -----------------------------------------------------------------------------------


def move_payload(**changes: Any) -> dict[str, Any]:
    metadata = json.dumps({"key": "CQ-1042", "lane": "scheduling"})
    return assert_valid_view(move_modal(make_claimed(**changes), LANES.values(), metadata))


def test_move_offers_the_other_lanes_with_their_response_targets() -> None:
    payload = move_payload()
    assert payload["callback_id"] == ViewId.MOVE and payload["title"]["text"] == "Move CQ-1042"
    select = inputs_of(payload)[FieldId.MOVE_LANE]["element"]
    assert select["type"] == "static_select" and "initial_option" not in select
    assert [o["value"] for o in select["options"]] == ["insurance", "referrals"]
    assert [o["text"]["text"] for o in select["options"]] == [
        "Insurance information · 4 business hours",
        "Referral and document status · 1 business day",
    ]


def test_move_warns_that_the_owner_lets_go() -> None:
    assert "stops being owned" in text_of(move_payload())
    assert "stops being owned" not in text_of(move_payload(owner=None, status=Status.NEW))
    assert "*Scheduling*" in text_of(move_payload())


def test_a_long_lane_name_keeps_its_target_in_the_option() -> None:
    long = make_lane("billing", "B" * 80)
    view = move_modal(make_claimed(), [SCHEDULING, long], METADATA)
    text = assert_valid_view(view)["blocks"][1]["element"]["options"][0]["text"]["text"]
    assert len(text) == 75 and text.endswith("· 4 business hours")


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        ("30m", "30 business min"),
        ("1h", "1 business hour"),
        ("2d", "2 business days"),
        ("same_day", "same day"),
    ],
)
def test_targets_read_as_staff_say_them(amount: str, text: str) -> None:
    assert target_text(parse_target(amount)) == text


def test_move_refuses_no_lane_an_unknown_lane_and_the_current_lane() -> None:
    assert set(move_errors("", LANES, "scheduling")) == {FieldId.MOVE_LANE}
    assert set(move_errors("dermatology", LANES, "scheduling")) == {FieldId.MOVE_LANE}
    same = move_errors("scheduling", LANES, "scheduling")
    assert same == {FieldId.MOVE_LANE: "It is already in Scheduling: choose another lane."}
    assert move_errors("insurance", LANES, "scheduling") == {}


def test_only_a_clinical_item_asks_for_the_not_clinical_note() -> None:
    assert FieldId.MOVE_NOT_CLINICAL not in inputs_of(move_payload())
    clinical = dataclasses.replace(SCHEDULING, clinical=True)
    view = move_modal(make_claimed(), [clinical, *LANES.values()], METADATA)
    note = inputs_of(assert_valid_view(view))[FieldId.MOVE_NOT_CLINICAL]
    assert note["optional"] is True and "clinicians only" in note["label"]["text"]
    escalated = make_claimed(status=Status.ESCALATED)
    assert FieldId.MOVE_NOT_CLINICAL in inputs_of(move_payload(status=Status.ESCALATED))
    retired = dataclasses.replace(escalated, status=Status.NEW, lane="refills")
    assert FieldId.MOVE_NOT_CLINICAL in inputs_of(
        assert_valid_view(move_modal(retired, LANES.values(), METADATA))
    )


def test_move_reads_the_not_clinical_note() -> None:
    typed = {"type": "plain_text_input", "value": "  Asks only to reschedule  "}
    assert move_note_from_view(submitted({FieldId.MOVE_NOT_CLINICAL: typed})) == (
        "Asks only to reschedule"
    )
    assert move_note_from_view({}) == ""


def test_move_reads_the_chosen_lane() -> None:
    chosen = {"type": "static_select", "selected_option": {"value": "insurance"}}
    assert move_lane_from_view(submitted({FieldId.MOVE_LANE: chosen})) == "insurance"
    none = {"type": "static_select", "selected_option": None}
    assert move_lane_from_view(submitted({FieldId.MOVE_LANE: none})) == ""
    assert move_lane_from_view({}) == ""


# -- language -------------------------------------------------------------------------------


def test_language_offers_the_practices_languages_with_the_patients_chosen() -> None:
    item = make_claimed(patient=make_patient(language="Spanish"))
    payload = assert_valid_view(language_modal(item, ("English", "Spanish"), METADATA))
    assert payload["callback_id"] == ViewId.LANGUAGE
    assert payload["title"]["text"] == "Language: CQ-1042"
    select = inputs_of(payload)[FieldId.LANGUAGE_CHOICE]["element"]
    assert [o["value"] for o in select["options"]] == ["English", "Spanish"]
    assert select["initial_option"]["value"] == "Spanish"
    assert "other open items" in text_of(payload)


def test_a_language_the_practice_no_longer_offers_is_not_preselected() -> None:
    item = make_claimed(patient=make_patient(language="Tagalog"))
    payload = assert_valid_view(language_modal(item, ("English", "Spanish"), METADATA))
    assert "initial_option" not in inputs_of(payload)[FieldId.LANGUAGE_CHOICE]["element"]


def test_language_must_be_one_the_practice_offers() -> None:
    languages = ("English", "Spanish")
    assert set(language_errors("", languages)) == {FieldId.LANGUAGE_CHOICE}
    assert set(language_errors("Klingon", languages)) == {FieldId.LANGUAGE_CHOICE}
    assert language_errors("Spanish", languages) == {}


def test_language_reads_the_chosen_language() -> None:
    chosen = {"type": "static_select", "selected_option": {"value": "Spanish"}}
    assert language_from_view(submitted({FieldId.LANGUAGE_CHOICE: chosen})) == "Spanish"
    assert language_from_view({"state": {"values": {}}}) == ""
