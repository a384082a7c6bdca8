"""The practice file's `escalation:` section: the matrix of reasons to escalate, whom each
pages in turn (clinical levels, `manager`, a team from roles.teams) and how fast, and who
is paged first outside opening hours. Every problem is reported with its path."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from bot.config.problems import Loc, path_of, validate
from bot.config.schema import EscalationMatrixSection, EscalationRuleSection
from bot.domain.escalation import MANAGER, EscalationMatrix, EscalationRule


def read_escalation(data: dict[Any, Any], problems: list[str]) -> EscalationMatrix:
    """The matrix the file describes; an empty one when the section is left out (nothing
    can be escalated then). Problems are added to `problems`."""
    raw = data.get("escalation")
    levels, teams = _levels(data), _teams(data)
    # Unreadable roles were reported already: checking targets against them says nothing.
    roles_readable = isinstance(data.get("roles"), dict)
    problems.extend(_team_name_problems(levels, teams))
    if raw is None:
        return EscalationMatrix(levels=frozenset(levels))
    section = validate(EscalationMatrixSection, raw, ("escalation",), problems)
    if section is None:
        return EscalationMatrix(levels=frozenset(levels))
    known = {*levels, MANAGER, *teams}
    rules: dict[str, EscalationRule] = {}
    for index, entry in enumerate(section.rules):
        loc: Loc = ("escalation", "rules", index)
        rule = validate(EscalationRuleSection, entry, loc, problems)
        if rule is None:
            continue
        if rule.key in rules:
            problems.append(f"{path_of((*loc, 'key'))}: duplicate rule key {rule.key!r}")
        for position, target in enumerate(rule.to):
            if roles_readable and target not in known:
                problems.append(
                    f"{path_of((*loc, 'to', position))}: {target!r} is not a clinical level "
                    f"(roles.clinical), {MANAGER!r} or a team (roles.teams)"
                )
        if len(set(rule.to)) != len(rule.to):
            problems.append(f"{path_of((*loc, 'to'))}: a target is listed twice")
        rules.setdefault(
            rule.key,
            EscalationRule(
                key=rule.key,
                label=rule.label,
                urgency=rule.urgency,
                to=tuple(rule.to),
                ack_within=rule.ack_within,
                guidance=rule.guidance,
                clinical=any(target in levels for target in rule.to),
                note=rule.note or "",
            ),
        )
    for position, target in enumerate(section.after_hours):
        if roles_readable and target not in levels:
            problems.append(
                f"{path_of(('escalation', 'after_hours', position))}: {target!r} is not a "
                "clinical level in roles.clinical"
            )
    return EscalationMatrix(
        rules=MappingProxyType(rules),
        after_hours=tuple(section.after_hours),
        levels=frozenset(levels),
    )


def _team_name_problems(levels: list[str], teams: dict[str, Any]) -> list[str]:
    return [
        f"{path_of(('roles', 'teams', name))}: a team may not share its name with "
        + ("the managers" if name == MANAGER else "a clinical level")
        for name in teams
        if name == MANAGER or name in levels
    ]


def _levels(data: dict[Any, Any]) -> list[str]:
    roles = data.get("roles")
    clinical = roles.get("clinical") if isinstance(roles, dict) else None
    if not isinstance(clinical, list):
        return []
    return [
        entry["level"].strip()
        for entry in clinical
        if isinstance(entry, dict) and isinstance(entry.get("level"), str)
    ]


def _teams(data: dict[Any, Any]) -> dict[str, Any]:
    roles = data.get("roles")
    teams = roles.get("teams") if isinstance(roles, dict) else None
    if not isinstance(teams, dict):
        return {}
    return {str(name).strip(): members for name, members in teams.items()}
