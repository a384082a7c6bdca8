"""What a practice file says, as validated domain values: the practice, its lanes, roles and
privacy. Pure (no YAML, no pydantic): bot/config/ builds these from the file."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo

from bot.domain.escalation import EscalationMatrix, EscalationRule
from bot.domain.lanes import BusinessCalendar, Lane, LanguageRouting, Privacy, retired_lane

# In roles.staff and roles.assistants: the people listed under it work every lane.
ALL_LANES = "all"


@dataclass(frozen=True)
class ClinicalLevel:
    """One on-call level (nurse, provider on call, ...) and the people paged at that level."""

    level: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class Roles:
    """Who is who in Slack: user ids (U…/W…) or user group ids (S…)."""

    managers: frozenset[str]
    clinical: tuple[ClinicalLevel, ...]  # in escalation order
    bilingual: Mapping[str, tuple[str, ...]]  # language -> staff who call back in it
    # Non-clinical owners an escalation rule pages by name: records, billing, ...
    teams: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    # Who works which lanes: lane key (or ALL_LANES) -> people. None: the file names no
    # staff, and everyone in the workspace is staff in every lane (files written before
    # roles.staff existed keep working as they did).
    staff: Mapping[str, tuple[str, ...]] | None = None
    # The same for assistants, who do what staff do but never close a clinical item.
    assistants: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class IntakeApi:
    """How the intake API treats integrations: routing hints to lanes, the largest body,
    and a token bucket per token (`burst` at once, refilled at `per_minute`)."""

    routes: Mapping[str, str] = field(default_factory=dict)  # hint -> lane key
    max_body_bytes: int = 65_536
    per_minute: int = 600
    burst: int = 60


@dataclass(frozen=True)
class WeeklyReports:
    """When the weekly metrics and the QA sample go to the managers: a weekday (0 = Monday)
    and a local time; how many closed items the QA sample holds, and how many weeks the
    first-response chart shows."""

    weekday: int = 0
    at: time = time(8, 0)
    qa_sample: int = 5
    chart_weeks: int = 8


@dataclass(frozen=True)
class Practice:
    """Everything the practice file says, as validated domain values."""

    name: str
    timezone: ZoneInfo
    item_key_prefix: str
    first_item_number: int
    languages: tuple[str, ...]  # the first is the practice's default
    managers_channel: str
    clinical_channel: str
    calendar: BusinessCalendar
    lanes: Mapping[str, Lane]  # in file order
    roles: Roles
    red_flags: tuple[str, ...]
    privacy: Privacy
    retention_days: int | None
    templates_dir: Path | None
    language_routing: LanguageRouting = LanguageRouting.NONE
    language_lane: str | None = None
    # What a voicemail asks the patient to call back on; empty when the file gives none.
    callback_number: str = ""
    intake_api: IntakeApi = field(default_factory=IntakeApi)
    escalation: EscalationMatrix = field(default_factory=EscalationMatrix)
    # phrase -> the escalation rule it names; a phrase not here escalates under the default
    red_flag_rules: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    reports: WeeklyReports = field(default_factory=WeeklyReports)

    @property
    def default_language(self) -> str:
        return self.languages[0]

    def lane(self, key: str) -> Lane:
        """The lane with this key. A key the practice file no longer has (its items still
        open) is a retired lane: shown by key, movable, clinical until someone decides."""
        found = self.lanes.get(key)
        return found if found is not None else retired_lane(key)

    def red_flag_rule(self, flags: Iterable[str]) -> EscalationRule | None:
        """The escalation rule for red-flag phrases found at intake: the most urgent of the
        rules they name (bot/domain/escalation.py), the default for a phrase naming none."""
        return self.escalation.red_flag_rule(tuple(self.red_flag_rules.get(f) for f in flags))
