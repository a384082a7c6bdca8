"""The practice file's red_flags section: phrases grouped under the escalation rule each
names, the plain list that names none, and every problem check-config reports."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from bot.config import EXAMPLE_PRACTICE, ConfigError, Practice, parse_practice

Edit = Callable[[dict[str, Any]], None]


def practice_after(edit: Edit) -> Practice:
    data = copy.deepcopy(yaml.safe_load(EXAMPLE_PRACTICE.read_text(encoding="utf-8")))
    edit(data)
    return parse_practice(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def problems_after(edit: Edit) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        practice_after(edit)
    return raised.value.problems


def test_each_shipped_group_names_a_rule_of_the_matrix() -> None:
    practice = practice_after(lambda data: None)
    named = set(practice.red_flag_rules.values())
    assert named == {"emergency", "same_day_symptoms", "self_harm", "legal_threat"}
    assert named <= set(practice.escalation.rules)
    assert set(practice.red_flag_rules) == set(practice.red_flags)  # every phrase names one


def test_grouped_phrases_keep_file_order_and_their_rule() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["red_flags"] = {"self_harm": ["kill myself"], "legal_threat": ["lawyer", "sue"]}

    practice = practice_after(edit)
    assert practice.red_flags == ("kill myself", "lawyer", "sue")
    assert dict(practice.red_flag_rules) == {
        "kill myself": "self_harm",
        "lawyer": "legal_threat",
        "sue": "legal_threat",
    }
    assert (
        practice.red_flag_rule(["lawyer", "kill myself"]) == practice.escalation.rules["self_harm"]
    )


def test_a_plain_list_still_reads_and_escalates_under_emergency() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["red_flags"] = ["chest pain", "lawyer"]

    practice = practice_after(edit)
    assert practice.red_flags == ("chest pain", "lawyer")
    assert dict(practice.red_flag_rules) == {}
    assert practice.red_flag_rule(["lawyer"]) == practice.escalation.rules["emergency"]


def test_a_group_naming_no_escalation_rule_is_a_problem_with_the_known_keys() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["red_flags"] = {"emergency": ["chest pain"], "legal": ["lawyer"]}

    [problem] = problems_after(edit)
    assert problem.startswith("red_flags.legal: no escalation rule has the key 'legal' ")
    assert "emergency, self_harm, same_day_symptoms, legal_threat" in problem


def test_phrase_problems_are_reported_with_group_and_index_across_groups() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["red_flags"] = {
            "emergency": ["chest pain", "?!"],
            "self_harm": ["suicidal"],
            "legal_threat": ["Chest-Pain", "suicide", "... lawyer"],
        }

    assert problems_after(edit) == [
        "red_flags.emergency[1]: '?!' has no words (only spaces or punctuation)",
        "red_flags.legal_threat[0]: 'Chest-Pain' matches exactly what 'chest pain' already matches",
        "red_flags.legal_threat[1]: 'suicide' matches exactly what 'suicidal' already matches",
        "red_flags.legal_threat[2]: '... lawyer' has '...' at its start or end; it must "
        "stand between two words",
    ]


def test_a_group_that_is_not_a_list_of_phrases_is_a_problem() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["red_flags"] = {"emergency": "chest pain"}

    [problem] = problems_after(edit)
    assert problem.startswith("red_flags.emergency:")


def test_without_an_escalation_section_groups_only_mark_the_card() -> None:
    def edit(data: dict[str, Any]) -> None:
        del data["escalation"]
        del data["lanes"][5]["escalation"]

    practice = practice_after(edit)
    assert practice.red_flag_rules["abogado"] == "legal_threat"
    assert practice.red_flag_rule(["abogado"]) is None  # nothing to escalate under
