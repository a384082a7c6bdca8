"""The "New patient request" modal, its submission parser and its field errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from blocks.ids import FieldId, ViewId
from blocks.modals.intake import (
    contacted_at_from_view,
    intake_draft_from_view,
    intake_errors,
    intake_modal,
)
from bot.config import Practice
from bot.domain.intake import (
    CALLBACK_WINDOW_MAX,
    NAME_MAX,
    REFERENCE_MAX,
    SUMMARY_MAX,
    FieldProblem,
    IntakeDraft,
    IntakeField,
    validate_intake,
)
from bot.domain.items import Origin
from tests.blocks.conftest import NOW, SOURCE_LINK, TZ, assert_valid_view, make_lane, nodes_of

LANES = [
    make_lane(),
    make_lane("billing", "Billing handoff", request_types=("Copay question", "Payment plan")),
]
LANGUAGES = ["English", "Spanish", "Vietnamese"]

INPUT_ORDER = [
    FieldId.PATIENT_REF,
    FieldId.PATIENT_NAME,
    FieldId.PHONE,
    FieldId.ORIGIN,
    FieldId.LANE,
    FieldId.REQUEST_TYPE,
    FieldId.SUMMARY,
    FieldId.LANGUAGE,
    FieldId.CALLBACK_WINDOW,
    FieldId.CONTACTED_DATE,
    FieldId.CONTACTED_TIME,
]


def modal(prefill: IntakeDraft | None = None, **kwargs: Any) -> dict[str, Any]:
    kwargs = {"now": NOW, "tz": TZ, **kwargs}
    return assert_valid_view(intake_modal(LANES, LANGUAGES, prefill or IntakeDraft(), **kwargs))


def inputs_of(payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b for b in payload["blocks"] if b["type"] == "input"}


def test_intake_modal_is_titled_and_submits_as_log_request() -> None:
    payload = modal()
    assert payload["callback_id"] == ViewId.INTAKE
    assert payload["title"]["text"] == "New patient request"
    assert payload["submit"]["text"] == "Log request"
    assert payload["close"]["text"] == "Cancel"


def test_every_input_uses_its_field_id_as_block_and_action_id() -> None:
    inputs = inputs_of(modal())
    assert list(inputs) == INPUT_ORDER
    for field, block in inputs.items():
        assert block["element"]["action_id"] == field
    # A missed call has only a phone number: Slack cannot make an input required for one
    # origin, so the intake rules ask for these (tests/domain/test_intake.py).
    unless_missed_call = {
        FieldId.PATIENT_REF,
        FieldId.PATIENT_NAME,
        FieldId.REQUEST_TYPE,
        FieldId.SUMMARY,
    }
    optional = {FieldId.CALLBACK_WINDOW, FieldId.CONTACTED_DATE, FieldId.CONTACTED_TIME}
    for f in INPUT_ORDER:
        assert bool(inputs[f].get("optional")) is (f in optional | unless_missed_call), f


def test_text_inputs_are_bounded_by_the_domain_limits() -> None:
    inputs = inputs_of(modal())
    assert inputs[FieldId.PATIENT_REF]["element"]["max_length"] == REFERENCE_MAX
    assert inputs[FieldId.PATIENT_NAME]["element"]["max_length"] == NAME_MAX
    assert inputs[FieldId.SUMMARY]["element"]["max_length"] == SUMMARY_MAX
    assert inputs[FieldId.SUMMARY]["element"]["multiline"] is True
    assert inputs[FieldId.CALLBACK_WINDOW]["element"]["max_length"] == CALLBACK_WINDOW_MAX


def test_origin_offers_every_way_a_request_arrives_by_its_label() -> None:
    options = inputs_of(modal())[FieldId.ORIGIN]["element"]["options"]
    assert [(o["text"]["text"], o["value"]) for o in options] == [
        (o.label, o.value) for o in Origin
    ]


def test_request_types_are_grouped_under_their_lane_with_lane_prefixed_values() -> None:
    element = inputs_of(modal())[FieldId.REQUEST_TYPE]["element"]
    groups = {
        g["label"]["text"]: [o["value"] for o in g["options"]] for g in element["option_groups"]
    }
    assert groups == {
        "Scheduling": [
            "scheduling|Scheduling help",
            "scheduling|Reschedule",
            "scheduling|Cancel appointment",
        ],
        "Billing handoff": ["billing|Copay question", "billing|Payment plan"],
    }


def test_language_starts_on_the_first_practice_language_unless_prefilled() -> None:
    assert inputs_of(modal())[FieldId.LANGUAGE]["element"]["initial_option"]["value"] == "English"
    prefilled = inputs_of(modal(IntakeDraft(language="Spanish")))
    assert prefilled[FieldId.LANGUAGE]["element"]["initial_option"]["value"] == "Spanish"
    unknown = inputs_of(modal(IntakeDraft(language="Klingon")))
    assert unknown[FieldId.LANGUAGE]["element"]["initial_option"]["value"] == "English"


def test_a_practice_without_languages_gets_no_language_input() -> None:
    payload = assert_valid_view(intake_modal(LANES, [], now=NOW, tz=TZ))
    assert FieldId.LANGUAGE not in inputs_of(payload)


def test_message_shortcut_prefill_fills_the_summary_and_shows_where_it_came_from() -> None:
    payload = modal(IntakeDraft(summary="Pt asks to move Thu appt", source_link=SOURCE_LINK))
    inputs = inputs_of(payload)
    assert inputs[FieldId.SUMMARY]["element"]["initial_value"] == "Pt asks to move Thu appt"
    context = payload["blocks"][0]
    assert context["type"] == "context"
    assert context["elements"][0]["text"] == (
        f"From a Slack message: <{SOURCE_LINK}|source message>"
    )
    assert json.loads(payload["private_metadata"]) == {"source_link": SOURCE_LINK}


def test_caller_private_metadata_is_kept_as_given() -> None:
    payload = modal(IntakeDraft(source_link=SOURCE_LINK), private_metadata='{"channel": "C1"}')
    assert payload["private_metadata"] == '{"channel": "C1"}'


def test_a_non_https_source_link_is_not_shown() -> None:
    payload = modal(IntakeDraft(source_link="http://evil.example"))
    assert "evil" not in json.dumps(payload["blocks"])


def test_a_lane_command_preselects_its_lane_and_request_type() -> None:
    inputs = inputs_of(modal(IntakeDraft(lane="billing", request_type="Payment plan")))
    assert inputs[FieldId.LANE]["element"]["initial_option"]["value"] == "billing"
    assert (
        inputs[FieldId.REQUEST_TYPE]["element"]["initial_option"]["value"] == "billing|Payment plan"
    )


def test_every_prefilled_value_starts_in_its_input() -> None:
    prefill = IntakeDraft(
        patient_ref="MRN-20431",
        patient_name="Jane Doe",
        phone="555 201 4477",
        origin="voicemail",
        lane="scheduling",
        request_type="Reschedule",
        summary="Move Thu appt",
        language="Vietnamese",
        callback_window="after 3",
        source_link=SOURCE_LINK,
    )
    payload = modal(prefill)
    assert intake_draft_from_view(submitted(payload)) == prefill


def test_longest_allowed_inputs_still_validate() -> None:
    lanes = [
        make_lane(
            f"lane{n}",
            f"{n}" + "L" * 59,
            request_types=[f"{n}-{t} " + "t" * 90 for t in range(25)],
        )
        for n in range(9)
    ]
    prefill = IntakeDraft(
        patient_ref="R" * REFERENCE_MAX,
        patient_name="N" * NAME_MAX,
        summary="S" * SUMMARY_MAX,
        callback_window="W" * CALLBACK_WINDOW_MAX,
        lane="lane8",
        request_type=lanes[8].request_types[24],
        source_link="https://x.slack.com/archives/C1/p" + "1" * 460,
    )
    payload = assert_valid_view(intake_modal(lanes, LANGUAGES, prefill, now=NOW, tz=TZ))
    element = inputs_of(payload)[FieldId.REQUEST_TYPE]["element"]
    assert [g["label"]["text"][0] for g in element["option_groups"]] == ["8"]  # lane8's only
    assert all(len(g["options"]) == 25 for g in element["option_groups"])
    assert all(len(text["text"]) <= 75 for text in nodes_of(element, "plain_text"))
    assert element["initial_option"]["value"].startswith("lane8|8-24")
    no_lane_yet = assert_valid_view(
        intake_modal(lanes, LANGUAGES, IntakeDraft(summary="S" * SUMMARY_MAX), now=NOW, tz=TZ)
    )
    every_lane = inputs_of(no_lane_yet)[FieldId.REQUEST_TYPE]["element"]
    assert len(every_lane["option_groups"]) == 9
    assert all(len(g["options"]) == 25 for g in every_lane["option_groups"])


def test_the_request_types_follow_the_chosen_lane(example_practice: Practice) -> None:
    lanes = list(example_practice.lanes.values())
    payload = assert_valid_view(
        intake_modal(lanes, LANGUAGES, IntakeDraft(lane="telehealth"), now=NOW, tz=TZ)
    )

    element = inputs_of(payload)[FieldId.REQUEST_TYPE]["element"]
    values = [o["value"] for g in element["option_groups"] for o in g["options"]]
    assert values and all(value.startswith("telehealth|") for value in values)
    assert inputs_of(payload)[FieldId.LANE]["dispatch_action"] is True


# --- parsing a submission --------------------------------------------------------------


def submitted(payload: dict[str, Any], **choices: str) -> dict[str, Any]:
    """The `view` of a view_submission for `payload`, as Slack sends it: each input's initial
    value (or `choices[field]`) under state.values[block_id][action_id]."""
    values: dict[str, Any] = {}
    for block_id, block in inputs_of(payload).items():
        element = block["element"]
        chosen = choices.get(block_id)
        if element["type"] == "static_select":
            option = {"value": chosen} if chosen is not None else element.get("initial_option")
            values[block_id] = {block_id: {"type": "static_select", "selected_option": option}}
        elif element["type"] == "datepicker":
            day = chosen if chosen is not None else element.get("initial_date")
            values[block_id] = {block_id: {"type": "datepicker", "selected_date": day or None}}
        elif element["type"] == "timepicker":
            at = chosen if chosen is not None else element.get("initial_time")
            values[block_id] = {block_id: {"type": "timepicker", "selected_time": at or None}}
        else:
            value = chosen if chosen is not None else element.get("initial_value")
            values[block_id] = {block_id: {"type": "plain_text_input", "value": value}}
    return {
        "callback_id": payload["callback_id"],
        "private_metadata": payload.get("private_metadata", ""),
        "state": {"values": values},
    }


def test_a_submitted_form_becomes_a_draft_with_only_the_request_type_kept() -> None:
    view = submitted(
        modal(),
        **{
            FieldId.PATIENT_REF: "MRN-20431",
            FieldId.PATIENT_NAME: "Jane Doe",
            FieldId.PHONE: "(555) 201-4477",
            FieldId.ORIGIN: "voicemail",
            FieldId.LANE: "scheduling",
            FieldId.REQUEST_TYPE: "scheduling|Reschedule",
            FieldId.SUMMARY: "Move Thursday",
        },
    )
    draft = intake_draft_from_view(view)
    assert draft == IntakeDraft(
        patient_ref="MRN-20431",
        patient_name="Jane Doe",
        phone="(555) 201-4477",
        origin="voicemail",
        lane="scheduling",
        request_type="Reschedule",
        summary="Move Thursday",
        language="English",
        callback_window="",
        source_link="",
    )
    assert not isinstance(
        validate_intake(draft, {lane.key: lane for lane in LANES}, LANGUAGES), list
    )


def test_the_lane_field_wins_over_the_lane_of_the_request_type() -> None:
    view = submitted(
        modal(), **{FieldId.LANE: "scheduling", FieldId.REQUEST_TYPE: "billing|Copay question"}
    )
    draft = intake_draft_from_view(view)
    assert (draft.lane, draft.request_type) == ("scheduling", "Copay question")
    problems = validate_intake(draft, {lane.key: lane for lane in LANES}, LANGUAGES)
    assert isinstance(problems, list)
    assert IntakeField.REQUEST_TYPE in {p.field for p in problems}


def test_a_request_type_containing_the_separator_keeps_everything_after_the_lane() -> None:
    view = submitted(modal(), **{FieldId.LANE: "billing", FieldId.REQUEST_TYPE: "billing|A|B"})
    assert intake_draft_from_view(view).request_type == "A|B"


def test_an_empty_or_partial_submission_reads_as_empty_strings() -> None:
    assert intake_draft_from_view({}) == IntakeDraft()
    view = {
        "state": {
            "values": {
                FieldId.SUMMARY: {FieldId.SUMMARY: {"type": "plain_text_input", "value": None}},
                FieldId.LANE: {FieldId.LANE: {"type": "static_select", "selected_option": None}},
            }
        },
        "private_metadata": "not json",
    }
    assert intake_draft_from_view(view) == IntakeDraft()


@pytest.mark.parametrize(
    ("metadata", "link"),
    [
        ("", ""),
        (json.dumps({"source_link": SOURCE_LINK}), SOURCE_LINK),
        (json.dumps({"source_link": 7}), ""),
        (json.dumps(["x"]), ""),
        ("{broken", ""),
    ],
)
def test_the_source_link_comes_from_private_metadata(metadata: str, link: str) -> None:
    assert intake_draft_from_view({"private_metadata": metadata}).source_link == link


# --- errors ----------------------------------------------------------------------------


def test_every_intake_problem_lands_on_an_input_of_the_modal() -> None:
    problems = validate_intake(
        IntakeDraft(phone="nope", source_link="http://x"),
        {lane.key: lane for lane in LANES},
        LANGUAGES,
    )
    assert isinstance(problems, list)
    errors = intake_errors(problems)
    assert set(errors) <= set(inputs_of(modal()))
    assert errors[FieldId.PHONE].startswith("That is not a phone number")
    assert errors[FieldId.SUMMARY] == (
        "Enter the summary of the request. "
        "This request came from a Slack message: The source link must be an https link."
    )


@pytest.mark.parametrize("field", list(IntakeField))
def test_every_intake_field_has_an_input_to_show_its_error_on(field: IntakeField) -> None:
    errors = intake_errors([FieldProblem(field, "Fix this.")])
    assert len(errors) == 1
    assert next(iter(errors)) in set(FieldId)


def test_error_text_is_kept_under_slacks_limit() -> None:
    errors = intake_errors([FieldProblem(IntakeField.SUMMARY, "x" * 1500)] * 2)
    assert len(errors[FieldId.SUMMARY]) == 2000


# --- when the patient contacted us -----------------------------------------------------


def test_contact_time_starts_at_now_in_the_practice_zone_and_reads_back_in_it() -> None:
    payload = modal()
    inputs = inputs_of(payload)

    assert inputs[FieldId.CONTACTED_DATE]["label"]["text"] == "When did the patient contact us?"
    assert inputs[FieldId.CONTACTED_DATE]["element"]["initial_date"] == "2026-11-23"
    assert inputs[FieldId.CONTACTED_TIME]["element"]["initial_time"] == "10:54"
    assert inputs[FieldId.CONTACTED_TIME]["element"]["timezone"] == "America/New_York"
    assert contacted_at_from_view(submitted(payload), TZ) == NOW.replace(second=0)


def test_an_overnight_voicemail_is_read_at_the_time_picked() -> None:
    view = submitted(
        modal(), **{FieldId.CONTACTED_DATE: "2026-11-22", FieldId.CONTACTED_TIME: "21:40"}
    )

    contacted = contacted_at_from_view(view, TZ)

    assert contacted == datetime(2026, 11, 23, 2, 40, tzinfo=UTC)


def test_clearing_both_pickers_means_now_and_clearing_one_is_a_problem() -> None:
    cleared = submitted(modal(), **{FieldId.CONTACTED_DATE: "", FieldId.CONTACTED_TIME: ""})
    half = submitted(modal(), **{FieldId.CONTACTED_TIME: ""})

    assert contacted_at_from_view(cleared, TZ) is None
    problem = contacted_at_from_view(half, TZ)
    assert isinstance(problem, FieldProblem)
    assert intake_errors([problem]) == {
        FieldId.CONTACTED_DATE: "Pick both a date and a time, or clear both for now."
    }
