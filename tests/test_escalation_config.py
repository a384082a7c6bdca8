"""The practice file's escalation matrix: the shipped policy, and every mistake reported with
its path."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.config import EXAMPLE_PRACTICE, load_practice, parse_practice
from bot.domain.escalation import MANAGER, Urgency
from tests.test_config import problems_after


def test_shipped_matrix_follows_the_practice_policy() -> None:
    matrix = load_practice(EXAMPLE_PRACTICE).escalation
    immediate = {key for key, rule in matrix.rules.items() if rule.urgency is Urgency.IMMEDIATE}
    assert immediate == {"emergency", "self_harm", "same_day_symptoms", "legal_threat"}
    emergency = matrix.rules["emergency"]
    assert emergency.to == ("nurse", "provider_on_call", MANAGER)
    assert emergency.ack_within == timedelta(minutes=5)
    assert "call 911 now and stay on the line" in emergency.guidance
    assert "hang up" not in emergency.guidance
    assert "988" in matrix.rules["self_harm"].guidance
    # The legal threat goes to the manager, not clinical staff; records to its owner.
    assert matrix.rules["legal_threat"].to == (MANAGER,)
    assert not matrix.rules["legal_threat"].clinical
    assert matrix.rules["records_request"].to[0] == "records"
    assert not matrix.rules["records_request"].clinical
    assert "$500" in matrix.rules["billing_dispute"].note
    assert matrix.after_hours == ("provider_on_call",)


def test_roles_name_the_teams_rules_page() -> None:
    roles = load_practice(EXAMPLE_PRACTICE).roles
    assert roles.teams["records"] and roles.teams["billing"]


def test_an_unknown_target_is_reported_with_its_path() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["escalation"]["rules"][0]["to"][1] = "surgeon"

    assert problems_after(edit) == [
        "escalation.rules[0].to[1]: 'surgeon' is not a clinical level (roles.clinical), "
        "'manager' or a team (roles.teams)"
    ]


def test_an_empty_chain_is_reported() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["escalation"]["rules"][2]["to"] = []

    assert problems_after(edit) == ["escalation.rules[2].to: must list at least 1 entry"]


def test_a_business_day_window_is_refused_as_a_wall_clock_duration() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["escalation"]["rules"][0]["ack_within"] = "1d"

    assert problems_after(edit) == [
        "escalation.rules[0].ack_within: must be a wall-clock duration like 5m or 2h "
        "(escalation windows do not pause outside opening hours)"
    ]


def test_a_duplicate_rule_key_and_an_after_hours_team_are_reported() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["escalation"]["rules"][1]["key"] = "emergency"
        data["escalation"]["after_hours"] = ["records"]

    problems = problems_after(edit)

    assert problems[:2] == [
        "escalation.rules[1].key: duplicate rule key 'emergency'",
        "escalation.after_hours[0]: 'records' is not a clinical level in roles.clinical",
    ]
    # The red-flag phrases grouped under the renamed rule now name a rule that is gone.
    assert [p.split(":")[0] for p in problems[2:]] == ["red_flags.self_harm"]


def test_an_unknown_urgency_and_a_team_named_like_a_level_are_reported() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["escalation"]["rules"][0]["urgency"] = "soonish"
        data["roles"]["teams"]["nurse"] = ["U0NURSE09"]

    problems = problems_after(edit)
    assert "roles.teams.nurse: a team may not share its name with a clinical level" in problems
    assert (
        "escalation.rules[0].urgency: must be one of 'immediate' or 'within_2h', not 'soonish'"
        in problems
    )


def test_a_lane_may_name_its_default_rule() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["lanes"][5]["escalation"]["to"] = "nonsense"

    assert problems_after(edit) == [
        "lanes[5].escalation.to: 'nonsense' is not a clinical level, 'manager' or a rule of "
        "the escalation matrix"
    ]
    text = EXAMPLE_PRACTICE.read_text(encoding="utf-8").replace("to: nurse", "to: refill", 1)
    assert parse_practice(text).lane("clinical").escalation.to == "refill"
