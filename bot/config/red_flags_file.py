"""The practice file's `red_flags:` section: the phrases that mark a request for a human to
look at now, grouped under the escalation rule each one names (`emergency:`, `self_harm:`,
`legal_threat:` ...), or one plain list that escalates under the default rule. Every
problem is reported with its path."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from bot.config.problems import Loc, path_of, validate
from bot.config.schema import RedFlagGroups, RedFlags
from bot.domain.red_flags import phrase_problems


def read_red_flags(
    data: dict[Any, Any], problems: list[str]
) -> tuple[tuple[str, ...], MappingProxyType[str, str]] | None:
    """The phrases in file order and the rule each names (phrase -> rule key; a plain list
    names none). None when the section is unreadable; problems are added to `problems`."""
    raw = data.get("red_flags")
    if raw is None:
        return (), MappingProxyType({})
    found: list[tuple[Loc, str, str | None]] = []  # (where, phrase, rule)
    if isinstance(raw, dict):
        groups = validate(RedFlagGroups, raw, ("red_flags",), problems)
        if groups is None:
            return None
        # Rule keys as written, so a rule with a mistake of its own is not reported twice.
        # Without an escalation section nothing is escalated: a flag only marks the card.
        matrix = data.get("escalation")
        rules = matrix.get("rules") if isinstance(matrix, dict) else None
        written = [r.get("key") for r in rules if isinstance(r, dict)] if rules else []
        for rule, phrases in groups.items():
            if matrix is not None and rule not in written:
                problems.append(
                    f"{path_of(('red_flags', rule))}: no escalation rule has the key "
                    f"{rule!r} (escalation.rules: {', '.join(map(str, written)) or 'none'})"
                )
            found += [(("red_flags", rule, i), p, rule) for i, p in enumerate(phrases)]
    else:
        phrases = validate(RedFlags, raw, ("red_flags",), problems)
        if phrases is None:
            return None
        found += [(("red_flags", i), p, None) for i, p in enumerate(phrases)]
    problems.extend(
        f"{path_of(found[index][0])}: {found[index][1]!r} {problem}"
        for index, problem in phrase_problems(phrase for _, phrase, _ in found)
    )
    rules = {phrase: rule for _, phrase, rule in found if rule is not None}
    return tuple(phrase for _, phrase, _ in found), MappingProxyType(rules)
