"""The practice file and environment settings: the shipped example, every kind of problem."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from datetime import date, time
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import (
    EXAMPLE_PRACTICE,
    ConfigError,
    Practice,
    check_practice_file,
    load_practice,
    parse_practice,
)
from bot.domain.lanes import BusinessDuration, OpeningHours, Privacy, Unit

Edit = Callable[[dict[str, Any]], None]


def example() -> dict[str, Any]:
    return yaml.safe_load(EXAMPLE_PRACTICE.read_text(encoding="utf-8"))


def problems_after(*edits: Edit) -> list[str]:
    data = copy.deepcopy(example())
    for edit in edits:
        edit(data)
    with pytest.raises(ConfigError) as raised:
        parse_practice(yaml.safe_dump(data, sort_keys=False))
    return raised.value.problems


def lane_index(data: dict[str, Any], key: str) -> int:
    return next(i for i, lane in enumerate(data["lanes"]) if lane["key"] == key)


# --- the shipped example ----------------------------------------------------------------


def test_shipped_example_is_valid() -> None:
    assert check_practice_file(EXAMPLE_PRACTICE) == []


def test_shipped_example_has_the_nine_lanes_in_file_order() -> None:
    practice = load_practice(EXAMPLE_PRACTICE)

    assert [
        (lane.key, lane.name, str(lane.response_target)) for lane in practice.lanes.values()
    ] == [
        ("scheduling", "Scheduling help", "4h"),
        ("new_patient", "New-patient intake", "1d"),
        ("insurance", "Insurance information", "4h"),
        ("referrals", "Referral and document status", "1d"),
        ("telehealth", "Telehealth access", "1h"),
        ("clinical", "Prescription and clinical message routing", "2h"),
        ("complaints", "Complaint and review follow-up", "1d"),
        ("language", "Language access (bilingual callbacks)", "4h"),
        ("billing", "Billing handoff", "1d"),
    ]


def test_shipped_example_routes_clinical_lane_to_the_nurse() -> None:
    practice = load_practice(EXAMPLE_PRACTICE)
    clinical = practice.lane("clinical")

    assert clinical.clinical is True
    assert clinical.escalation.to == "nurse"
    assert clinical.escalation.after == BusinessDuration(30, Unit.MINUTES)
    assert "refill request" in clinical.request_types
    assert "routed to clinical team with context" in clinical.resolutions
    assert [level.level for level in practice.roles.clinical] == ["nurse", "provider_on_call"]
    assert [lane.key for lane in practice.lanes.values() if lane.clinical] == ["clinical"]


def test_shipped_example_reads_into_domain_values() -> None:
    practice = load_practice(EXAMPLE_PRACTICE)

    assert practice.timezone.key == "America/New_York"
    assert practice.calendar.tz is practice.timezone
    assert practice.calendar.hours[0] == OpeningHours(time(8), time(17))
    assert 5 not in practice.calendar.hours and 6 not in practice.calendar.hours
    assert date(2026, 11, 26) in practice.calendar.holidays
    assert date(2027, 12, 24) in practice.calendar.holidays
    assert practice.item_key_prefix == "CQ"
    assert practice.first_item_number == 1001
    assert practice.languages == ("English", "Spanish")
    assert practice.default_language == "English"
    assert practice.roles.managers == frozenset({"U0MANAGER1"})
    assert practice.roles.bilingual["Spanish"] == ("U0FRONT02",)
    assert {"chest ... pain", "suicide|suicidal|suicida", "abogado"} <= set(practice.red_flags)
    assert practice.red_flag_rules["abogado"] == "legal_threat"
    assert practice.red_flag_rules["chest ... pain"] == "emergency"
    assert practice.privacy is Privacy.NONE
    assert practice.retention_days == 2555
    assert practice.templates_dir is None


def test_shipped_example_gives_the_voicemails_callback_number() -> None:
    assert load_practice(EXAMPLE_PRACTICE).callback_number == "(555) 201-0000"


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("555.201.0000", "(555) 201-0000"),
        (5552010000, "(555) 201-0000"),
        ("+1 555 201 0000 ext. 12", "(555) 201-0000 ext. 12"),
        ("+44 20 7946 0000", "+442079460000"),
    ],
)
def test_the_callback_number_is_read_as_patients_dial_it(written: object, read: str) -> None:
    data = example()
    data["practice"]["callback_number"] = written
    assert parse_practice(yaml.safe_dump(data)).callback_number == read


def test_a_practice_file_without_a_callback_number_is_still_valid() -> None:
    data = example()
    del data["practice"]["callback_number"]
    assert parse_practice(yaml.safe_dump(data)).callback_number == ""


def test_every_lane_in_the_example_has_types_resolutions_and_a_definition_of_done() -> None:
    for lane in load_practice(EXAMPLE_PRACTICE).lanes.values():
        assert 1 <= len(lane.request_types) <= 25
        assert 1 <= len(lane.resolutions) <= 25
        assert lane.definition_of_done
        assert lane.channel.startswith("#cq-")


def test_practice_is_frozen_and_its_lanes_cannot_be_changed() -> None:
    practice = load_practice(EXAMPLE_PRACTICE)

    with pytest.raises(dataclasses.FrozenInstanceError):
        practice.name = "Other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        practice.lanes["new"] = practice.lane("billing")  # type: ignore[index]


def test_a_lane_that_left_the_practice_file_is_retired_clinical_and_named_by_its_key() -> None:
    practice = load_practice(EXAMPLE_PRACTICE)
    lane = practice.lane("podiatry")

    assert "podiatry" not in practice.lanes
    assert lane.key == "podiatry" and "podiatry" in lane.name
    assert lane.clinical  # nothing says it was not: closing there needs a clinician


# --- each kind of problem, with its exact path ---------------------------------------------


def test_bad_response_target_is_reported_with_its_lane_index() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["lanes"][3]["response_target"] = "4 hours"

    assert problems_after(edit) == [
        "lanes[3].response_target: must be a duration like 4h or 1d, or same_day"
    ]


def test_opening_after_closing_is_reported_for_that_weekday() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["business_hours"]["tue"] = "17:00-08:00"

    assert problems_after(edit) == ["business_hours.tue: opening time must be before closing time"]


def test_badly_written_opening_hours_are_reported() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["business_hours"]["wed"] = "8am to 5pm"

    assert problems_after(edit) == [
        'business_hours.wed: must be opening hours like "08:00-17:00", or closed'
    ]


def test_round_the_clock_hours_are_written_with_24_00() -> None:
    """A 24/7 nurse line: "00:00-24:00" every day is open with no gap at midnight (the
    closest a clock time can say, 23:59, closed the line for a minute each night)."""
    data = copy.deepcopy(example())
    data["business_hours"] = {day: "00:00-24:00" for day in data["business_hours"]}
    data["business_hours"]["sun"] = "08:00-24:00"
    practice = parse_practice(yaml.safe_dump(data, sort_keys=False))
    hours = practice.calendar.hours
    assert hours[0] == OpeningHours(time(0), time(0), until_midnight=True)
    assert hours[6] == OpeningHours(time(8), time(0), until_midnight=True)


@pytest.mark.parametrize("written", ["24:00-24:00", "08:00-24:30", "00:00-00:00"])
def test_24_00_is_only_a_closing_time(written: str) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["business_hours"]["mon"] = written

    [problem] = problems_after(edit)
    assert problem.startswith("business_hours.mon: ")


def test_a_week_with_no_open_day_is_refused() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["business_hours"] = {day: "closed" for day in data["business_hours"]}

    assert problems_after(edit) == ["business_hours: at least one day must be open"]


def test_unknown_time_zone_is_reported() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["practice"]["timezone"] = "America/Nowhere"

    assert problems_after(edit) == ["practice.timezone: unknown time zone 'America/Nowhere'"]


def test_duplicate_lane_key_is_reported_on_the_later_lane() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["lanes"].insert(0, data["lanes"].pop(lane_index(data, "billing")))
        data["lanes"][2]["key"] = "billing"

    assert problems_after(edit) == ["lanes[2].key: duplicate lane key 'billing'"]


def test_two_lanes_on_one_channel_are_reported() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["lanes"][4]["channel"] = data["lanes"][0]["channel"]

    assert problems_after(edit) == [
        "lanes[4].channel: channel '#cq-scheduling' is already used by lane 'scheduling'"
    ]


def test_bilingual_language_the_practice_does_not_offer_is_reported() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["roles"]["bilingual"]["French"] = ["U0FRONT03"]

    assert problems_after(edit) == ["roles.bilingual.French: not one of practice.languages"]


def test_escalation_to_an_unknown_level_is_reported() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["lanes"][5]["escalation"]["to"] = "surgeon"

    assert problems_after(edit) == [
        "lanes[5].escalation.to: 'surgeon' is not a clinical level, 'manager' or a rule of the "
        "escalation matrix"
    ]


def test_escalation_to_manager_is_accepted() -> None:
    text = EXAMPLE_PRACTICE.read_text(encoding="utf-8").replace("to: nurse", "to: manager")

    assert parse_practice(text).lane("clinical").escalation.to == "manager"


def test_duplicate_clinical_level_is_reported() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["roles"]["clinical"][1]["level"] = "nurse"
        del data["escalation"]  # its chains name provider_on_call, which is gone now

    assert problems_after(edit) == ["roles.clinical[1].level: duplicate level 'nurse'"]


def test_clinical_lane_without_clinical_staff_is_reported() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["roles"]["clinical"] = []
        del data["lanes"][5]["escalation"]
        del data["escalation"]  # its chains name the levels, reported on their own

    assert problems_after(edit) == [
        "lanes[5].clinical: a clinical lane needs at least one level in roles.clinical"
    ]


def test_red_flag_phrases_without_words_or_repeating_another_are_problems() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["red_flags"] = ["chest pain", "?!", "Chest-Pain", "... pain", "suicidal", "suicide"]

    assert problems_after(edit) == [
        "red_flags[1]: '?!' has no words (only spaces or punctuation)",
        "red_flags[2]: 'Chest-Pain' matches exactly what 'chest pain' already matches",
        "red_flags[3]: '... pain' has '...' at its start or end; it must stand between two words",
        "red_flags[5]: 'suicide' matches exactly what 'suicidal' already matches",
    ]


def test_an_empty_red_flag_phrase_is_a_problem() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["red_flags"] = ["chest pain", "   "]

    [problem] = problems_after(edit)
    assert problem.startswith("red_flags[1]:")


def test_misspelt_setting_is_reported_with_a_suggestion_and_not_also_as_missing() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["lanes"][0]["chanel"] = data["lanes"][0].pop("channel")

    assert problems_after(edit) == ["lanes[0].chanel: unknown setting (did you mean 'channel'?)"]


def test_misspelt_section_and_weekday_get_suggestions() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["red_flag"] = data.pop("red_flags")
        data["business_hours"]["monday"] = data["business_hours"].pop("mon")

    assert problems_after(edit) == [
        "red_flag: unknown setting (did you mean 'red_flags'?)",
        "business_hours.monday: unknown setting (did you mean 'mon'?)",
    ]


def test_unknown_setting_without_a_close_match_has_no_suggestion() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["practice"]["parking_spaces"] = 12

    assert problems_after(edit) == ["practice.parking_spaces: unknown setting"]


def test_missing_required_setting_is_reported() -> None:
    def edit(data: dict[str, Any]) -> None:
        del data["lanes"][1]["definition_of_done"]

    assert problems_after(edit) == ["lanes[1].definition_of_done: required setting is missing"]


def test_unquoted_channel_explains_the_yaml_comment_trap() -> None:
    text = EXAMPLE_PRACTICE.read_text(encoding="utf-8").replace(
        'channel: "#cq-billing"', "channel: #cq-billing"
    )

    with pytest.raises(ConfigError) as raised:
        parse_practice(text)

    assert raised.value.problems == [
        'lanes[8].channel: must be a channel like "#cq-scheduling", in quotes '
        "(YAML reads an unquoted # as the start of a comment)"
    ]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda d: d["practice"].update(item_key_prefix="cq1"),
            "practice.item_key_prefix: 'cq1' must be 1 to 5 capital letters, like CQ",
        ),
        (
            lambda d: d["practice"].update(first_item_number=0),
            "practice.first_item_number: must be at least 1",
        ),
        (
            lambda d: d["practice"].update(first_item_number="lots"),
            "practice.first_item_number: must be a whole number, not 'lots'",
        ),
        (
            lambda d: d["practice"].update(callback_number="call the front desk"),
            "practice.callback_number: 'call the front desk' is not a phone number: write it as"
            ' patients dial it, like "(555) 201-0000" or "+44 20 7946 0000"',
        ),
        (
            lambda d: d["practice"].update(callback_number="(055) 201-0000"),
            "practice.callback_number: '(055) 201-0000' is not a phone number: write it as"
            ' patients dial it, like "(555) 201-0000" or "+44 20 7946 0000"',
        ),
        (
            lambda d: d["privacy"].update(channel_detail="everything"),
            "privacy.channel_detail: must be one of 'none', 'initials' or 'full', not 'everything'",
        ),
        (
            lambda d: d["roles"].update(managers=["jane"]),
            "roles.managers[0]: 'jane' is not a Slack user id (U… or W…) or user group id (S…)",
        ),
        (
            lambda d: d["holidays"].append("2026-13-01"),
            "holidays[22]: must be a date like 2026-12-25, not '2026-13-01'",
        ),
        (
            lambda d: d["lanes"][0].update(key="Front Desk"),
            "lanes[0].key: 'Front Desk' must be 1 to 32 lowercase letters, digits, _ or - "
            "(like new_patient)",
        ),
        (
            lambda d: d["lanes"][0].update(name="x" * 61),
            "lanes[0].name: must be at most 60 characters",
        ),
        (
            lambda d: d["lanes"][0].update(channel="cq-scheduling"),
            "lanes[0].channel: 'cq-scheduling' needs a leading #: write \"#cq-scheduling\"",
        ),
        (
            lambda d: d["lanes"][0].update(request_types=[]),
            "lanes[0].request_types: must list at least 1 entry",
        ),
        (
            lambda d: d["lanes"][0].update(resolutions=[f"outcome {n}" for n in range(26)]),
            "lanes[0].resolutions: must list at most 25 entries, not 26",
        ),
        (
            lambda d: d["lanes"][0].update(request_types=["cancel", "Cancel"]),
            "lanes[0].request_types: 'Cancel' is listed twice",
        ),
        (
            lambda d: d["lanes"][0].update(escalation="nurse"),
            "lanes[0].escalation: must be a set of `name: value` settings, not 'nurse'",
        ),
        (
            lambda d: d.update(lanes=[]),
            "lanes: must list at least 1 entry",
        ),
        # A huge duration is a typo; read as it stands it would make every due time (or
        # escalation) under it fail, or take seconds on the event loop.
        (
            lambda d: d["lanes"][0].update(response_target="99999999999999999999h"),
            "lanes[0].response_target: must be at most 365d (or 8760h, 525600m): longer is a typo",
        ),
        (
            lambda d: d["lanes"][0].update(response_target="999999999m"),
            "lanes[0].response_target: must be at most 365d (or 8760h, 525600m): longer is a typo",
        ),
        (
            lambda d: d["escalation"]["rules"][0].update(ack_within="99999999999999999999m"),
            "escalation.rules[0].ack_within: must be at most a week (168h or 10080m)",
        ),
        (
            lambda d: d["escalation"]["rules"][0].update(ack_within="99999999h"),
            "escalation.rules[0].ack_within: must be at most a week (168h or 10080m)",
        ),
        (
            lambda d: d.pop("roles"),
            "roles: required setting is missing",
        ),
    ],
)
def test_bad_value_is_reported_in_plain_words(edit: Edit, expected: str) -> None:
    assert problems_after(edit) == [expected]


def test_several_problems_are_all_reported_together() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["practice"]["timezone"] = "America/Nowhere"
        data["business_hours"]["tue"] = "17:00-08:00"
        data["roles"]["managers"] = ["jane"]
        data["roles"]["bilingual"]["French"] = ["U0FRONT03"]
        data["lanes"][0]["chanel"] = data["lanes"][0].pop("channel")
        data["lanes"][2]["key"] = "scheduling"
        data["lanes"][3]["response_target"] = "soon"
        data["lanes"][5]["escalation"]["to"] = "surgeon"

    assert problems_after(edit) == [
        "practice.timezone: unknown time zone 'America/Nowhere'",
        "business_hours.tue: opening time must be before closing time",
        "roles.managers[0]: 'jane' is not a Slack user id (U… or W…) or user group id (S…)",
        "roles.bilingual.French: not one of practice.languages",
        "lanes[0].chanel: unknown setting (did you mean 'channel'?)",
        "lanes[2].key: duplicate lane key 'scheduling'",
        "lanes[3].response_target: must be a duration like 4h or 1d, or same_day",
        "lanes[5].escalation.to: 'surgeon' is not a clinical level, 'manager' or a rule of the "
        "escalation matrix",
    ]


def test_config_error_lists_one_problem_per_line() -> None:
    error = ConfigError(["a: first", "b: second"])

    assert str(error) == "a: first\nb: second"
    assert error.problems == ["a: first", "b: second"]


# --- the file itself ----------------------------------------------------------------------


def test_missing_file_is_reported_by_its_path(tmp_path: Path) -> None:
    missing = tmp_path / "practice.yml"

    with pytest.raises(ConfigError) as raised:
        load_practice(missing)

    assert raised.value.problems == [f"{missing}: file not found"]
    assert check_practice_file(missing) == [f"{missing}: file not found"]


def test_yaml_syntax_error_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "practice.yml"
    path.write_text("practice:\n  name: Riverside\n   timezone: America/New_York\n")

    assert check_practice_file(path) == [
        "line 3, column 12: YAML syntax error: mapping values are not allowed here"
    ]


def test_key_set_twice_is_reported_with_its_line() -> None:
    text = EXAMPLE_PRACTICE.read_text(encoding="utf-8").replace(
        "  sun: closed\n", "  sun: closed\n  mon: closed\n"
    )
    line = text.splitlines().index("  mon: closed") + 1

    with pytest.raises(ConfigError) as raised:
        parse_practice(text)

    assert raised.value.problems == [
        f"line {line}: 'mon' is set twice in the same section; the later one would silently win"
    ]


def test_empty_file_is_reported() -> None:
    with pytest.raises(ConfigError, match="the practice file is empty"):
        parse_practice("# nothing yet\n")


def test_templates_dir_is_resolved_next_to_the_practice_file(tmp_path: Path) -> None:
    (tmp_path / "wording").mkdir()
    path = tmp_path / "practice.yml"
    path.write_text(
        EXAMPLE_PRACTICE.read_text(encoding="utf-8").replace(
            "templates_dir: null", "templates_dir: wording"
        )
    )

    assert load_practice(path).templates_dir == tmp_path / "wording"


def test_missing_templates_dir_is_reported(tmp_path: Path) -> None:
    text = EXAMPLE_PRACTICE.read_text(encoding="utf-8").replace(
        "templates_dir: null", "templates_dir: wording"
    )

    with pytest.raises(ConfigError) as raised:
        parse_practice(text, base_dir=tmp_path)

    assert raised.value.problems == [f"templates_dir: folder not found: {tmp_path / 'wording'}"]


def test_loaded_practice_is_a_practice() -> None:
    assert isinstance(parse_practice(EXAMPLE_PRACTICE.read_text(encoding="utf-8")), Practice)


# --- clinical safety (issue 12) -----------------------------------------------------------


def test_closing_as_unreachable_is_refused_on_a_clinical_lane() -> None:
    def close_unreachable(data: dict[str, Any]) -> None:
        lane = data["lanes"][lane_index(data, "clinical")]
        lane["callbacks"]["after_last"] = "close_unreachable"
        lane["callbacks"]["unreachable_resolution"] = "patient given next step"

    index = lane_index(example(), "clinical")
    assert problems_after(close_unreachable) == [
        f"lanes[{index}].callbacks.after_last: a clinical lane never closes an unreachable "
        "patient: use supervisor_review, so a clinician decides what happens next"
    ]


def test_closing_as_unreachable_is_still_allowed_on_a_non_clinical_lane() -> None:
    lane = parse_practice(EXAMPLE_PRACTICE.read_text(encoding="utf-8")).lane("scheduling")
    assert not lane.clinical and lane.cadence.after_last.value == "close_unreachable"


def test_intake_api_routes_must_name_lanes_of_the_practice() -> None:
    text = EXAMPLE_PRACTICE.read_text(encoding="utf-8").replace(
        "    nurse: clinical", "    nurse: triage"
    )
    with pytest.raises(ConfigError) as caught:
        parse_practice(text)
    assert caught.value.problems == ["intake_api.routes.nurse: no lane has the key 'triage'"]


def test_the_example_practice_routes_intake_api_hints_to_its_lanes() -> None:
    practice = load_practice(EXAMPLE_PRACTICE)
    assert practice.intake_api.routes["appointments"] == "scheduling"
    assert practice.intake_api.max_body_bytes == 65_536
    assert (practice.intake_api.per_minute, practice.intake_api.burst) == (600, 60)


# --- staff and assistants by lane (issue 14) ----------------------------------------------


def test_shipped_example_names_staff_for_every_lane_and_assistants_by_lane() -> None:
    practice = load_practice(EXAMPLE_PRACTICE)

    assert practice.roles.staff is not None and "UFRONT01" in practice.roles.staff["all"]
    assert "UASSIST01" in practice.roles.assistants["scheduling"]
    assert "complaints" not in practice.roles.assistants


def test_staff_of_a_lane_the_file_lacks_is_reported() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["roles"]["staff"]["schedulng"] = ["U0FRONT09"]

    assert problems_after(edit) == [
        "roles.staff.schedulng: no lane has the key 'schedulng' (use a lane's key, or 'all' "
        "for every lane)"
    ]


def test_a_lane_may_not_be_called_all() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["lanes"][lane_index(data, "billing")]["key"] = "all"
        data["roles"]["assistants"].pop("billing")
        data["intake_api"]["routes"].pop("billing")

    assert problems_after(edit) == [
        f"lanes[{lane_index(example(), 'billing')}].key: 'all' is kept for roles.staff and "
        "roles.assistants, where it means every lane: choose another key"
    ]


def test_a_practice_file_without_staff_still_loads() -> None:
    data = copy.deepcopy(example())
    del data["roles"]["staff"], data["roles"]["assistants"]

    practice = parse_practice(yaml.safe_dump(data, sort_keys=False))

    assert practice.roles.staff is None and dict(practice.roles.assistants) == {}
