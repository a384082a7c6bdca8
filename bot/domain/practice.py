"""What a practice file says, as validated domain values: the practice, its lanes, roles and
privacy. Pure (no YAML, no pydantic): bot/config/ builds these from the file."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo

from bot.domain.escalation import EscalationMatrix
from bot.domain.lanes import BusinessCalendar, Lane, LanguageRouting, Privacy, retired_lane


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


@dataclass(frozen=True)
class IntakeApi:
    """How the intake API treats integrations: routing hints to lanes, the largest body,
    and a token bucket per token (`burst` at once, refilled at `per_minute`)."""

    routes: Mapping[str, str] = field(default_factory=dict)  # hint -> lane key
    max_body_bytes: int = 65_536
    per_minute: int = 600
    burst: int = 60


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
    intake_api: IntakeApi = field(default_factory=IntakeApi)
    escalation: EscalationMatrix = field(default_factory=EscalationMatrix)

    @property
    def default_language(self) -> str:
        return self.languages[0]

    def lane(self, key: str) -> Lane:
        """The lane with this key. A key the practice file no longer has (its items still
        open) is a retired lane: shown by key, movable, clinical until someone decides."""
        found = self.lanes.get(key)
        return found if found is not None else retired_lane(key)
