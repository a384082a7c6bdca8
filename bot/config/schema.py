"""The practice file's shape: one pydantic model per section, written in the value types
of bot/config/values.py. bot/config/practice_file.py reads a file through them."""

from __future__ import annotations

from datetime import date, time
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from bot.config.values import (
    CadenceWait,
    Channel,
    ClinicalLevelName,
    ClockTime,
    Duration,
    Hours,
    ItemKeyPrefix,
    Label,
    Labels,
    Language,
    Languages,
    OptionalDuration,
    OriginName,
    PhoneNumber,
    PositiveInt,
    ResponseTarget,
    ShareOfTarget,
    SlackIds,
    Slug,
    Text,
    WallDuration,
    WeeklyTime,
    Zone,
)
from bot.domain.escalation import Urgency
from bot.domain.lanes import NEXT_MORNING, FinalStep, LanguageRouting, Privacy, Wait

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""The keys of `business_hours`, Monday first (the order of `date.weekday()`)."""


class _Section(BaseModel):
    # extra="forbid" is what turns a typo like `chanel:` into a reported problem.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Document(_Section):
    """Only the top-level keys; each section is validated on its own (see
    practice_file.py's `_read`)."""

    practice: Any
    business_hours: Any
    holidays: Any = None
    privacy: Any = None
    roles: Any
    red_flags: Any = None
    templates_dir: Any = None
    intake_api: Any = None
    lanes: Any
    escalation: Any = None
    metrics: Any = None


class PracticeSection(_Section):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    timezone: Zone
    item_key_prefix: ItemKeyPrefix = "CQ"
    first_item_number: PositiveInt = 1
    languages: Languages = ["English"]
    managers_channel: Channel
    clinical_channel: Channel
    language_routing: LanguageRouting = LanguageRouting.NONE
    language_lane: Slug | None = None
    # The number a voicemail asks the patient to call back on (the practice's, never theirs).
    callback_number: PhoneNumber = None


class BusinessHoursSection(_Section):
    """A weekday left out is closed."""

    mon: Hours = None
    tue: Hours = None
    wed: Hours = None
    thu: Hours = None
    fri: Hours = None
    sat: Hours = None
    sun: Hours = None

    @model_validator(mode="after")
    def _open_some_day(self) -> BusinessHoursSection:
        # Response targets are counted in business time: with no open day nothing is ever due.
        if all(getattr(self, day) is None for day in WEEKDAYS):
            raise ValueError("at least one day must be open")
        return self


class PrivacySection(_Section):
    channel_detail: Privacy = Privacy.NONE
    retention_days: PositiveInt | None = None


class ClinicalLevelSection(_Section):
    level: ClinicalLevelName
    members: SlackIds


class RolesSection(_Section):
    managers: SlackIds
    clinical: list[ClinicalLevelSection] = []
    bilingual: dict[Language, SlackIds] = {}
    # Non-clinical owners an escalation rule may page by name (records, billing, ...).
    teams: dict[Slug, SlackIds] = {}
    # Who works which lanes: a lane key (or `all`) -> people. Left out, everyone in the
    # workspace is staff in every lane.
    staff: dict[Slug, SlackIds] | None = None
    # The same for assistants (never close a clinical item).
    assistants: dict[Slug, SlackIds] = {}


class EscalationSection(_Section):
    to: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
    after: OptionalDuration = None


class EscalationRuleSection(_Section):
    """One reason in the escalation matrix: whom it pages, in turn, and how fast."""

    key: Slug
    label: Label
    urgency: Urgency
    to: Annotated[list[Slug], Field(min_length=1)]
    ack_within: WallDuration
    guidance: Text
    note: Text | None = None


class EscalationMatrixSection(_Section):
    rules: Annotated[list[Any], Field(min_length=1)]
    after_hours: list[Slug] = []


class CallbacksSection(_Section):
    """How persistently a lane tries unreached patients, and what happens after the last try."""

    attempts: Annotated[int, Field(ge=1, le=10)] = 3
    cadence: list[CadenceWait] = [
        Wait.parse("2h"),
        Wait.parse(NEXT_MORNING),
    ]
    after_last: FinalStep = FinalStep.SUPERVISOR_REVIEW
    unreachable_resolution: Label | None = None


class LaneSection(_Section):
    key: Slug
    name: Label
    channel: Channel
    response_target: ResponseTarget
    # Targets for requests that arrive by a given origin (portal_message: 4h, voicemail:
    # same_day); other origins get response_target.
    origin_targets: dict[OriginName, ResponseTarget] = {}
    # same_day targets: requests at or after `cutoff` are due `after_cutoff` after the next
    # business day's opening (default: the lane's response_target when that is a duration).
    cutoff: ClockTime | None = None
    after_cutoff: Duration | None = None
    # Aging alerts: the owner (or, unowned, the card's thread) is warned at this share of
    # the response target.
    warn_at: ShareOfTarget = 0.75
    request_types: Labels
    resolutions: Labels
    definition_of_done: Text
    clinical: bool = False
    escalation: EscalationSection | None = None
    callbacks: CallbacksSection | None = None


class RateLimitSection(_Section):
    """A token bucket per integration token: `burst` requests at once, refilled at
    `per_minute`."""

    per_minute: Annotated[int, Field(strict=True, ge=1, le=100_000)] = 600
    burst: Annotated[int, Field(strict=True, ge=1, le=10_000)] = 60


class IntakeApiSection(_Section):
    """The intake API: routing hints an integration may send instead of a lane key, the
    largest body accepted, and how fast one token may post."""

    routes: dict[Slug, Slug] = {}
    max_body_bytes: Annotated[int, Field(strict=True, ge=1024, le=1_048_576)] = 65_536
    rate_limit: RateLimitSection = RateLimitSection()


class MetricsSection(_Section):
    """The weekly metrics and QA sample to the managers' channel: when, how many items the
    sample holds (0: no sample), how many weeks the first-response chart shows."""

    weekly: WeeklyTime = (0, time(8, 0))
    qa_sample: Annotated[int, Field(strict=True, ge=0, le=40)] = 5
    chart_weeks: Annotated[int, Field(strict=True, ge=1, le=26)] = 8


Holidays = list[date]
RedFlags = list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]]
# rule key (escalation.rules) -> its phrases
RedFlagGroups = dict[
    Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)], RedFlags
]
TemplatesDir = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)] | None
LaneList = Annotated[list[Any], Field(min_length=1)]
