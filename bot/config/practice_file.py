"""Reading the practice file: YAML in, a frozen `Practice` out, or `ConfigError` listing
every problem; each section is checked on its own (schema.py), then the rules across them."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from bot.config.escalation_file import read_escalation
from bot.config.problems import ConfigError, Loc, path_of, validate
from bot.config.red_flags_file import read_red_flags
from bot.config.schema import (
    WEEKDAYS,
    BusinessHoursSection,
    CallbacksSection,
    Document,
    Holidays,
    IntakeApiSection,
    LaneList,
    LaneSection,
    MetricsSection,
    PracticeSection,
    PrivacySection,
    RolesSection,
    TemplatesDir,
)
from bot.config.values import MANAGER_ESCALATION
from bot.domain.lanes import (
    BusinessCalendar,
    BusinessDuration,
    Cadence,
    EscalationRule,
    FinalStep,
    Lane,
    LanguageRouting,
    SameDay,
    Target,
)
from bot.domain.practice import ALL_LANES, ClinicalLevel, IntakeApi, Practice, Roles, WeeklyReports


def parse_practice(text: str, *, base_dir: Path | None = None) -> Practice:
    """Read practice-file YAML into a `Practice`.

    Raises ConfigError listing every problem found, not just the first: YAML syntax
    (with its line), unknown or missing settings, bad values, and rules that span
    sections (unique lane keys and channels, escalation targets that exist, bilingual
    languages the practice offers). A relative `templates_dir` is resolved against
    `base_dir` (the file's folder), or the current directory when it is not given.
    """
    problems: list[str] = []
    data = _load_yaml(text, problems)
    if not isinstance(data, dict):
        raise ConfigError(problems)
    practice = _read(data, base_dir, problems)
    if practice is None:
        raise ConfigError(problems)
    return practice


def load_practice(path: Path) -> Practice:
    """Read and validate the practice file at `path`; ConfigError if it is missing or invalid."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{path}: file not found"]) from None
    except IsADirectoryError:
        raise ConfigError([f"{path}: is a folder, not a practice file"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: cannot be read ({exc})"]) from None
    return parse_practice(text, base_dir=path.resolve().parent)


def check_practice_file(path: Path) -> list[str]:
    """Every problem with the practice file at `path`; an empty list when it is valid."""
    try:
        load_practice(path)
    except ConfigError as exc:
        return exc.problems
    return []


class _Loader(yaml.SafeLoader):
    """SafeLoader that notes keys set twice in one mapping, which PyYAML silently overwrites."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.repeated_keys: list[str] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | date):
                continue  # only plain keys (text, numbers, dates) are compared
            if key in seen:
                self.repeated_keys.append(
                    f"line {key_node.start_mark.line + 1}: {key!r} is set twice in the same "
                    "section; the later one would silently win"
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _load_yaml(text: str, problems: list[str]) -> object:
    loader = _Loader(text)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        reason = exc.problem or exc.context or "cannot be read"
        problems.append(f"{where}: YAML syntax error: {reason}")
        return None
    except yaml.YAMLError as exc:
        problems.append(f"(file): YAML syntax error: {exc}")
        return None
    finally:
        loader.dispose()
    problems.extend(loader.repeated_keys)
    if data is None:
        problems.append("(file): the practice file is empty")
    elif not isinstance(data, dict):
        problems.append("(file): must be a set of sections like `practice:` and `lanes:`")
    return data


def _read(data: dict[Any, Any], base_dir: Path | None, problems: list[str]) -> Practice | None:
    """Validate each section on its own, so one broken section does not hide the others."""
    validate(Document, data, (), problems)

    def section(name: str, tp: object, default: object = None) -> Any:
        if name not in data:
            return default  # a missing required section was reported by Document
        if data[name] is None and default is not None:
            return default
        return validate(tp, data[name], (name,), problems)

    info: PracticeSection | None = section("practice", PracticeSection)
    hours: BusinessHoursSection | None = section("business_hours", BusinessHoursSection)
    holidays: list[date] | None = section("holidays", Holidays, [])
    privacy: PrivacySection | None = section("privacy", PrivacySection, PrivacySection())
    roles: RolesSection | None = section("roles", RolesSection)
    _check_roles(data, problems)
    templates_dir = _templates_dir(section("templates_dir", TemplatesDir), base_dir, problems)
    lanes = _read_lanes(data, problems)
    escalation = read_escalation(data, problems)
    red_flags = read_red_flags(data, problems)
    if info is not None and lanes is not None:
        problems.extend(_language_routing_problems(info, lanes))
    problems.extend(_lane_membership_problems(data, lanes))
    api: IntakeApiSection | None = section("intake_api", IntakeApiSection, IntakeApiSection())
    reports: MetricsSection | None = section("metrics", MetricsSection, MetricsSection())
    if api is not None and lanes and len(lanes) == len(data["lanes"]):
        # Only when every lane read well: a route to a lane with a mistake of its own
        # would only repeat that mistake.
        known = {lane.key for lane in lanes}
        problems.extend(
            f"{path_of(('intake_api', 'routes', hint))}: no lane has the key {lane!r}"
            for hint, lane in api.routes.items()
            if lane not in known
        )

    if problems:
        return None
    assert info and hours and holidays is not None and privacy and roles and red_flags is not None
    assert lanes is not None and api is not None and reports is not None
    return Practice(
        name=info.name,
        timezone=info.timezone,
        item_key_prefix=info.item_key_prefix,
        first_item_number=info.first_item_number,
        languages=tuple(info.languages),
        managers_channel=info.managers_channel,
        clinical_channel=info.clinical_channel,
        calendar=BusinessCalendar(
            tz=info.timezone,
            hours={
                weekday: opening
                for weekday, day in enumerate(WEEKDAYS)
                if (opening := getattr(hours, day)) is not None
            },
            holidays=frozenset(holidays),
        ),
        lanes=MappingProxyType({lane.key: lane for lane in lanes}),
        roles=Roles(
            managers=frozenset(roles.managers),
            clinical=tuple(ClinicalLevel(c.level, tuple(c.members)) for c in roles.clinical),
            bilingual=MappingProxyType(
                {language: tuple(staff) for language, staff in roles.bilingual.items()}
            ),
            teams=MappingProxyType({team: tuple(staff) for team, staff in roles.teams.items()}),
            staff=_by_lane(roles.staff) if roles.staff is not None else None,
            assistants=_by_lane(roles.assistants),
        ),
        red_flags=red_flags[0],
        red_flag_rules=red_flags[1],
        privacy=privacy.channel_detail,
        retention_days=privacy.retention_days,
        templates_dir=templates_dir,
        language_routing=info.language_routing,
        language_lane=info.language_lane,
        callback_number=info.callback_number or "",
        intake_api=IntakeApi(
            routes=MappingProxyType(dict(api.routes)),
            max_body_bytes=api.max_body_bytes,
            per_minute=api.rate_limit.per_minute,
            burst=api.rate_limit.burst,
        ),
        escalation=escalation,
        reports=WeeklyReports(
            weekday=reports.weekly[0],
            at=reports.weekly[1],
            qa_sample=reports.qa_sample,
            chart_weeks=reports.chart_weeks,
        ),
    )


# The rules that span entries or sections read the raw data, taking only the values
# they need, so that an unrelated mistake (a misspelt setting in lane 0, a bad user
# id in roles) does not hide a duplicate lane key or an unknown escalation target.


def _read_lanes(data: dict[Any, Any], problems: list[str]) -> list[Lane] | None:
    raw = data.get("lanes")
    if "lanes" not in data or validate(LaneList, raw, ("lanes",), problems) is None:
        return None
    assert isinstance(raw, list)
    levels = _clinical_levels(data)
    keys: set[str] = set()
    channels: dict[str, str] = {}
    lanes: list[Lane] = []
    for index, item in enumerate(raw):
        loc: Loc = ("lanes", index)
        lane = validate(LaneSection, item, loc, problems)
        key, channel = _text_at(item, "key"), _text_at(item, "channel")
        if key is not None:
            if key in keys:
                problems.append(f"{path_of((*loc, 'key'))}: duplicate lane key {key!r}")
            keys.add(key)
        if channel is not None:
            if channel in channels:
                problems.append(
                    f"{path_of((*loc, 'channel'))}: channel {channel!r} is already used by "
                    f"lane {channels[channel]!r}"
                )
            channels.setdefault(channel, key or f"lanes[{index}]")
        target = _text_at(item, "escalation", "to")
        rules = _escalation_rule_keys(data)
        if target and levels is not None and target not in {*levels, MANAGER_ESCALATION, *rules}:
            problems.append(
                f"{path_of((*loc, 'escalation', 'to'))}: {target!r} is not a clinical level, "
                f"{MANAGER_ESCALATION!r} or a rule of the escalation matrix"
            )
        if lane is not None and lane.clinical and levels == []:
            problems.append(
                f"{path_of((*loc, 'clinical'))}: a clinical lane needs at least one level "
                "in roles.clinical"
            )
        if lane is not None and lane.callbacks is not None:
            problems.extend(_callback_problems(lane, loc))
        if lane is not None:
            problems.extend(_same_day_problems(lane, loc))
        if lane is not None:
            lanes.append(_lane(lane))
    return lanes


def _language_routing_problems(info: PracticeSection, lanes: list[Lane]) -> list[str]:
    if info.language_routing is not LanguageRouting.LANE:
        return []
    if info.language_lane is None:
        return ["practice.language_lane: routing by lane needs the lane's key (e.g. language)"]
    if info.language_lane not in {lane.key for lane in lanes}:
        return [f"practice.language_lane: no lane has the key {info.language_lane!r}"]
    return []


def _callback_problems(lane: LaneSection, loc: Loc) -> list[str]:
    callbacks = lane.callbacks
    assert callbacks is not None
    at = (*loc, "callbacks")
    problems = []
    if callbacks.attempts > 1 and not callbacks.cadence:
        problems.append(f"{path_of((*at, 'cadence'))}: say how long to wait between attempts")
    if callbacks.after_last is FinalStep.CLOSE_UNREACHABLE and lane.clinical:
        problems.append(
            f"{path_of((*at, 'after_last'))}: a clinical lane never closes an unreachable "
            "patient: use supervisor_review, so a clinician decides what happens next"
        )
    elif callbacks.after_last is FinalStep.CLOSE_UNREACHABLE:
        if not callbacks.unreachable_resolution:
            problems.append(
                f"{path_of((*at, 'unreachable_resolution'))}: closing as unreachable needs the "
                "resolution to record (one of the lane's resolutions)"
            )
        elif callbacks.unreachable_resolution not in lane.resolutions:
            problems.append(
                f"{path_of((*at, 'unreachable_resolution'))}: "
                f"{callbacks.unreachable_resolution!r} is not one of this lane's resolutions"
            )
    return problems


def _same_day_problems(lane: LaneSection, loc: Loc) -> list[str]:
    targets = [lane.response_target, *lane.origin_targets.values()]
    same_day = any(isinstance(target, SameDay) for target in targets)
    if not same_day:
        return [
            f"{path_of((*loc, setting))}: only same_day targets have a cut-off; "
            "remove it or use same_day"
            for setting in ("cutoff", "after_cutoff")
            if getattr(lane, setting) is not None
        ]
    problems = []
    if lane.cutoff is None:
        problems.append(
            f"{path_of((*loc, 'cutoff'))}: a same_day target needs the lane's cut-off, "
            'like "15:00" (requests at or after it are due the next business day)'
        )
    if lane.after_cutoff is None and isinstance(lane.response_target, SameDay):
        problems.append(
            f"{path_of((*loc, 'after_cutoff'))}: say how long after the next business day's "
            "opening a request that came after the cut-off is due, like 4h"
        )
    return problems


def _with_cutoff(target: Target, lane: LaneSection) -> Target:
    """A same_day target with the lane's cut-off and after-cut-off target filled in."""
    if not isinstance(target, SameDay):
        return target
    after = lane.after_cutoff
    if after is None and isinstance(lane.response_target, BusinessDuration):
        after = lane.response_target
    return SameDay(cutoff=lane.cutoff, after_cutoff=after or target.after_cutoff)


def _lane(lane: LaneSection) -> Lane:
    return Lane(
        key=lane.key,
        name=lane.name,
        channel=lane.channel,
        response_target=_with_cutoff(lane.response_target, lane),
        origin_targets=tuple(
            (origin, _with_cutoff(target, lane)) for origin, target in lane.origin_targets.items()
        ),
        request_types=tuple(lane.request_types),
        resolutions=tuple(lane.resolutions),
        definition_of_done=lane.definition_of_done,
        clinical=lane.clinical,
        escalation=(
            EscalationRule(to=lane.escalation.to, after=lane.escalation.after)
            if lane.escalation
            else EscalationRule()
        ),
        cadence=_cadence(lane.callbacks),
        warn_at=lane.warn_at,
    )


def _cadence(section: CallbacksSection | None) -> Cadence:
    if section is None:
        return Cadence()
    return Cadence(
        attempts=section.attempts,
        waits=tuple(section.cadence),
        after_last=section.after_last,
        unreachable_resolution=section.unreachable_resolution or "",
    )


def _check_roles(data: dict[Any, Any], problems: list[str]) -> None:
    roles = data.get("roles")
    clinical = roles.get("clinical") if isinstance(roles, dict) else None
    seen: set[str] = set()
    for index, entry in enumerate(clinical if isinstance(clinical, list) else []):
        level = _text_at(entry, "level")
        if level is None:
            continue
        if level in seen:
            problems.append(
                f"{path_of(('roles', 'clinical', index, 'level'))}: duplicate level {level!r}"
            )
        seen.add(level)

    bilingual = roles.get("bilingual") if isinstance(roles, dict) else None
    languages = _languages(data)
    if isinstance(bilingual, dict) and languages is not None:
        for language in bilingual:
            if isinstance(language, str) and language.strip() not in languages:
                problems.append(
                    f"{path_of(('roles', 'bilingual', language))}: not one of practice.languages"
                )


def _by_lane(members: dict[str, list[str]]) -> MappingProxyType[str, tuple[str, ...]]:
    return MappingProxyType({lane: tuple(people) for lane, people in members.items()})


def _lane_membership_problems(data: dict[Any, Any], lanes: list[Lane] | None) -> list[str]:
    """roles.staff and roles.assistants name lanes the file has (or `all`), checked only when
    every lane read well (a lane with a mistake of its own would only repeat it); a lane
    may not be called `all`, which they use for every lane."""
    raw = data.get("lanes")
    if not lanes or not isinstance(raw, list) or len(lanes) != len(raw):
        return []
    keys = {lane.key for lane in lanes}
    if len(keys) != len(lanes):
        return []  # a duplicate key is reported on its lane
    problems = [
        f"{path_of(('lanes', index, 'key'))}: {ALL_LANES!r} is kept for roles.staff and "
        "roles.assistants, where it means every lane: choose another key"
        for index, lane in enumerate(lanes)
        if lane.key == ALL_LANES
    ]
    roles = data.get("roles")
    for section in ("staff", "assistants"):
        named = roles.get(section) if isinstance(roles, dict) else None
        if not isinstance(named, dict):
            continue
        problems.extend(
            f"{path_of(('roles', section, lane))}: no lane has the key {lane!r} "
            f"(use a lane's key, or {ALL_LANES!r} for every lane)"
            for lane in named
            if isinstance(lane, str) and lane.strip() not in {*keys, ALL_LANES}
        )
    return problems


def _clinical_levels(data: dict[Any, Any]) -> list[str] | None:
    """The level names in roles.clinical; None when that list is unreadable."""
    roles = data.get("roles")
    if not isinstance(roles, dict):
        return None
    clinical = roles.get("clinical")
    if clinical is None:
        return []
    if not isinstance(clinical, list):
        return None
    return [level for entry in clinical if (level := _text_at(entry, "level"))]


def _escalation_rule_keys(data: dict[Any, Any]) -> set[str]:
    """The keys of escalation.rules (a lane's `escalation.to` may name its default rule)."""
    escalation = data.get("escalation")
    rules = escalation.get("rules") if isinstance(escalation, dict) else None
    return {
        key for rule in (rules if isinstance(rules, list) else []) if (key := _text_at(rule, "key"))
    }


def _languages(data: dict[Any, Any]) -> list[str] | None:
    """The names in practice.languages (or its default); None when that list is unreadable."""
    practice = data.get("practice")
    if not isinstance(practice, dict):
        return None
    languages = practice.get("languages", PracticeSection.model_fields["languages"].default)
    if not isinstance(languages, list):
        return None
    return [language.strip() for language in languages if isinstance(language, str)]


def _text_at(raw: object, *keys: str) -> str | None:
    """`raw[k1][k2]...` when every step is a mapping and the value is text, else None."""
    for key in keys:
        if not isinstance(raw, dict):
            return None
        raw = raw.get(key)
    return raw.strip() if isinstance(raw, str) else None


def _templates_dir(value: str | None, base_dir: Path | None, problems: list[str]) -> Path | None:
    if value is None:
        return None
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = (base_dir or Path.cwd()) / path
    if not path.is_dir():
        problems.append(f"templates_dir: folder not found: {path}")
        return None
    return path
