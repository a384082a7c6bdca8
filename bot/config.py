"""The practice file and the process environment, read into typed, validated settings.

`load_practice` turns the YAML a practice manager edits into a frozen `Practice` of
domain values, or raises `ConfigError` listing every problem at once, each with its
path (`lanes[3].response_target: must be a duration like 4h or 1d`), so the app can
refuse to start with a list a person can fix in one pass. `settings_from_env` does
the same for secrets and wiring.
"""

from __future__ import annotations

import difflib
import re
import types
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, time
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Union, get_args, get_origin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from bot.domain.lanes import (
    NEXT_MORNING,
    BusinessCalendar,
    BusinessDuration,
    Cadence,
    EscalationRule,
    FinalStep,
    Lane,
    LanguageRouting,
    OpeningHours,
    Privacy,
    Wait,
)
from bot.domain.practice import ClinicalLevel, Practice, Roles

EXAMPLE_PRACTICE: Path = Path(__file__).resolve().parents[1] / "examples" / "practice.yml"
"""The shipped example practice file, used when no other file is configured."""

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///carequeue.db"

# `escalation.to` names a clinical level or this word.
MANAGER_ESCALATION = "manager"

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SLUG = re.compile(r"^[a-z0-9_-]{1,32}$")
_CHANNEL_NAME = re.compile(r"^#[a-z0-9_-]{1,80}$")
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{8,}$")
_SLACK_ID = re.compile(r"^[UWS][A-Z0-9]{2,}$")
_ITEM_KEY_PREFIX = re.compile(r"^[A-Z]{1,5}$")
_OPENING_HOURS = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")

Loc = tuple[str | int, ...]


class ConfigError(Exception):
    """The configuration cannot be used; `problems` lists every reason, one `path: message` each."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems: list[str] = list(problems)
        super().__init__("\n".join(self.problems))


# --- value validators: each raises ValueError with the sentence a person reads ------------


def _slug(value: str) -> str:
    if not _SLUG.match(value):
        raise ValueError(
            f"{value!r} must be 1 to 32 lowercase letters, digits, _ or - (like new_patient)"
        )
    return value


def _clinical_level_name(value: str) -> str:
    _slug(value)
    if value == MANAGER_ESCALATION:
        raise ValueError(f"{value!r} is reserved for escalating to roles.managers")
    return value


def _item_key_prefix(value: str) -> str:
    if not _ITEM_KEY_PREFIX.match(value):
        raise ValueError(f"{value!r} must be 1 to 5 capital letters, like CQ")
    return value


def _slack_id(value: str) -> str:
    if not _SLACK_ID.match(value):
        raise ValueError(f"{value!r} is not a Slack user id (U… or W…) or user group id (S…)")
    return value


def _channel(value: object) -> str:
    if value is None:
        # The usual cause: `channel: #cq-billing` without quotes is a YAML comment.
        raise ValueError(
            'must be a channel like "#cq-scheduling", in quotes '
            "(YAML reads an unquoted # as the start of a comment)"
        )
    if not isinstance(value, str):
        raise ValueError('must be a channel like "#cq-scheduling" or a channel id like C0123ABCD')
    value = value.strip()
    if _CHANNEL_NAME.match(value) or _CHANNEL_ID.match(value):
        return value
    if _CHANNEL_NAME.match(f"#{value}"):
        raise ValueError(f'{value!r} needs a leading #: write "#{value}"')
    raise ValueError(
        f'{value!r} is not a channel: write "#name" (lowercase letters, digits, - and _) '
        "or a channel id like C0123ABCD"
    )


def _zone(value: object) -> ZoneInfo:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a time zone name like America/New_York")
    try:
        return ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"unknown time zone {value!r}") from None


def _duration(value: object) -> BusinessDuration:
    # parse() owns the wording of the error, so a non-text value goes through it too.
    return BusinessDuration.parse(value if isinstance(value, str) else "")


def _optional_duration(value: object) -> BusinessDuration | None:
    return None if value is None else _duration(value)


def _opening_hours(value: object) -> OpeningHours | None:
    # YAML reads `off` and `no` as false; both mean closed to the person who wrote them.
    if value is None or value is False:
        return None
    if isinstance(value, str) and value.strip().lower() == "closed":
        return None
    match = _OPENING_HOURS.match(value.strip()) if isinstance(value, str) else None
    if not match:
        raise ValueError('must be opening hours like "08:00-17:00", or closed')
    try:
        opens = time(int(match[1]), int(match[2]))
        closes = time(int(match[3]), int(match[4]))
    except ValueError:
        raise ValueError(f"{value!r} is not a time of day: use 24-hour HH:MM-HH:MM") from None
    if opens >= closes:
        raise ValueError("opening time must be before closing time")
    return OpeningHours(opens=opens, closes=closes)


def _no_repeats(values: list[str]) -> list[str]:
    seen: set[str] = set()
    for value in values:
        if value.casefold() in seen:
            raise ValueError(f"{value!r} is listed twice")
        seen.add(value.casefold())
    return values


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Labels = Annotated[list[Label], Field(min_length=1, max_length=25), AfterValidator(_no_repeats)]
Language = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Slug = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_slug)]
SlackId = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_slack_id)]
SlackIds = Annotated[list[SlackId], Field(min_length=1)]
Channel = Annotated[str, PlainValidator(_channel)]
Zone = Annotated[ZoneInfo, PlainValidator(_zone)]
Duration = Annotated[BusinessDuration, PlainValidator(_duration)]
OptionalDuration = Annotated[BusinessDuration | None, PlainValidator(_optional_duration)]
Hours = Annotated[OpeningHours | None, PlainValidator(_opening_hours)]
PositiveInt = Annotated[int, Field(strict=True, ge=1)]


# --- the file's shape: pydantic models, private to this module ----------------------------


class _Section(BaseModel):
    # extra="forbid" is what turns a typo like `chanel:` into a reported problem.
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Document(_Section):
    """Only the top-level keys; each section is validated on its own (see `_read`)."""

    practice: Any
    business_hours: Any
    holidays: Any = None
    privacy: Any = None
    roles: Any
    red_flags: Any = None
    templates_dir: Any = None
    lanes: Any


class _PracticeSection(_Section):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    timezone: Zone
    item_key_prefix: Annotated[
        str, StringConstraints(strip_whitespace=True), AfterValidator(_item_key_prefix)
    ] = "CQ"
    first_item_number: PositiveInt = 1
    languages: Annotated[list[Language], Field(min_length=1), AfterValidator(_no_repeats)] = [
        "English"
    ]
    managers_channel: Channel
    clinical_channel: Channel
    language_routing: LanguageRouting = LanguageRouting.NONE
    language_lane: Slug | None = None


class _BusinessHoursSection(_Section):
    """A weekday left out is closed."""

    mon: Hours = None
    tue: Hours = None
    wed: Hours = None
    thu: Hours = None
    fri: Hours = None
    sat: Hours = None
    sun: Hours = None

    @model_validator(mode="after")
    def _open_some_day(self) -> _BusinessHoursSection:
        # Response targets are counted in business time: with no open day nothing is ever due.
        if all(getattr(self, day) is None for day in _WEEKDAYS):
            raise ValueError("at least one day must be open")
        return self


class _PrivacySection(_Section):
    channel_detail: Privacy = Privacy.NONE
    retention_days: PositiveInt | None = None


class _ClinicalLevelSection(_Section):
    level: Annotated[
        str, StringConstraints(strip_whitespace=True), AfterValidator(_clinical_level_name)
    ]
    members: SlackIds


class _RolesSection(_Section):
    managers: SlackIds
    clinical: list[_ClinicalLevelSection] = []
    bilingual: dict[Language, SlackIds] = {}


class _EscalationSection(_Section):
    to: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
    after: OptionalDuration = None


def _wait(value: object) -> Wait:
    return Wait.parse(str(value))


class _CallbacksSection(_Section):
    """How persistently a lane tries unreached patients, and what happens after the last try."""

    attempts: Annotated[int, Field(ge=1, le=10)] = 3
    cadence: list[Annotated[Wait, PlainValidator(_wait)]] = [
        Wait.parse("2h"),
        Wait.parse(NEXT_MORNING),
    ]
    after_last: FinalStep = FinalStep.SUPERVISOR_REVIEW
    unreachable_resolution: Label | None = None


class _LaneSection(_Section):
    key: Slug
    name: Label
    channel: Channel
    response_target: Duration
    request_types: Labels
    resolutions: Labels
    definition_of_done: Text
    clinical: bool = False
    escalation: _EscalationSection | None = None
    callbacks: _CallbacksSection | None = None


_Holidays = list[date]
_RedFlags = list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]]
_TemplatesDir = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)] | None
_LaneList = Annotated[list[Any], Field(min_length=1)]

_ADAPTERS: dict[object, TypeAdapter[Any]] = {}


# --- reading -------------------------------------------------------------------------------


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
    _validate(_Document, data, (), problems)

    def section(name: str, tp: object, default: object = None) -> Any:
        if name not in data:
            return default  # a missing required section was reported by _Document
        if data[name] is None and default is not None:
            return default
        return _validate(tp, data[name], (name,), problems)

    info: _PracticeSection | None = section("practice", _PracticeSection)
    hours: _BusinessHoursSection | None = section("business_hours", _BusinessHoursSection)
    holidays: list[date] | None = section("holidays", _Holidays, [])
    privacy: _PrivacySection | None = section("privacy", _PrivacySection, _PrivacySection())
    roles: _RolesSection | None = section("roles", _RolesSection)
    _check_roles(data, problems)
    red_flags: list[str] | None = section("red_flags", _RedFlags, [])
    templates_dir = _templates_dir(section("templates_dir", _TemplatesDir), base_dir, problems)
    lanes = _read_lanes(data, problems)
    if info is not None and lanes is not None:
        problems.extend(_language_routing_problems(info, lanes))

    if problems:
        return None
    assert info and hours and holidays is not None and privacy and roles and red_flags is not None
    assert lanes is not None
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
                for weekday, day in enumerate(_WEEKDAYS)
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
        ),
        red_flags=tuple(dict.fromkeys(red_flags)),
        privacy=privacy.channel_detail,
        retention_days=privacy.retention_days,
        templates_dir=templates_dir,
        language_routing=info.language_routing,
        language_lane=info.language_lane,
    )


# The rules that span entries or sections read the raw data, taking only the values
# they need, so that an unrelated mistake (a misspelt setting in lane 0, a bad user
# id in roles) does not hide a duplicate lane key or an unknown escalation target.


def _read_lanes(data: dict[Any, Any], problems: list[str]) -> list[Lane] | None:
    raw = data.get("lanes")
    if "lanes" not in data or _validate(_LaneList, raw, ("lanes",), problems) is None:
        return None
    assert isinstance(raw, list)
    levels = _clinical_levels(data)
    keys: set[str] = set()
    channels: dict[str, str] = {}
    lanes: list[Lane] = []
    for index, item in enumerate(raw):
        loc: Loc = ("lanes", index)
        lane = _validate(_LaneSection, item, loc, problems)
        key, channel = _text_at(item, "key"), _text_at(item, "channel")
        if key is not None:
            if key in keys:
                problems.append(f"{_path((*loc, 'key'))}: duplicate lane key {key!r}")
            keys.add(key)
        if channel is not None:
            if channel in channels:
                problems.append(
                    f"{_path((*loc, 'channel'))}: channel {channel!r} is already used by "
                    f"lane {channels[channel]!r}"
                )
            channels.setdefault(channel, key or f"lanes[{index}]")
        target = _text_at(item, "escalation", "to")
        if target and levels is not None and target not in {*levels, MANAGER_ESCALATION}:
            problems.append(
                f"{_path((*loc, 'escalation', 'to'))}: {target!r} is not a clinical level "
                f"or {MANAGER_ESCALATION!r}"
            )
        if lane is not None and lane.clinical and levels == []:
            problems.append(
                f"{_path((*loc, 'clinical'))}: a clinical lane needs at least one level "
                "in roles.clinical"
            )
        if lane is not None and lane.callbacks is not None:
            problems.extend(_callback_problems(lane, loc))
        if lane is not None:
            lanes.append(_lane(lane))
    return lanes


def _language_routing_problems(info: _PracticeSection, lanes: list[Lane]) -> list[str]:
    if info.language_routing is not LanguageRouting.LANE:
        return []
    if info.language_lane is None:
        return ["practice.language_lane: routing by lane needs the lane's key (e.g. language)"]
    if info.language_lane not in {lane.key for lane in lanes}:
        return [f"practice.language_lane: no lane has the key {info.language_lane!r}"]
    return []


def _callback_problems(lane: _LaneSection, loc: Loc) -> list[str]:
    callbacks = lane.callbacks
    assert callbacks is not None
    at = (*loc, "callbacks")
    problems = []
    if callbacks.attempts > 1 and not callbacks.cadence:
        problems.append(f"{_path((*at, 'cadence'))}: say how long to wait between attempts")
    if callbacks.after_last is FinalStep.CLOSE_UNREACHABLE:
        if not callbacks.unreachable_resolution:
            problems.append(
                f"{_path((*at, 'unreachable_resolution'))}: closing as unreachable needs the "
                "resolution to record (one of the lane's resolutions)"
            )
        elif callbacks.unreachable_resolution not in lane.resolutions:
            problems.append(
                f"{_path((*at, 'unreachable_resolution'))}: "
                f"{callbacks.unreachable_resolution!r} is not one of this lane's resolutions"
            )
    return problems


def _lane(lane: _LaneSection) -> Lane:
    return Lane(
        key=lane.key,
        name=lane.name,
        channel=lane.channel,
        response_target=lane.response_target,
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
    )


def _cadence(section: _CallbacksSection | None) -> Cadence:
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
                f"{_path(('roles', 'clinical', index, 'level'))}: duplicate level {level!r}"
            )
        seen.add(level)

    bilingual = roles.get("bilingual") if isinstance(roles, dict) else None
    languages = _languages(data)
    if isinstance(bilingual, dict) and languages is not None:
        for language in bilingual:
            if isinstance(language, str) and language.strip() not in languages:
                problems.append(
                    f"{_path(('roles', 'bilingual', language))}: not one of practice.languages"
                )


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


def _languages(data: dict[Any, Any]) -> list[str] | None:
    """The names in practice.languages (or its default); None when that list is unreadable."""
    practice = data.get("practice")
    if not isinstance(practice, dict):
        return None
    languages = practice.get("languages", _PracticeSection.model_fields["languages"].default)
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


# --- pydantic errors -> `path: message` ----------------------------------------------------


def _validate(tp: object, value: object, at: Loc, problems: list[str]) -> Any:
    """Validate `value` as `tp`; on failure add one problem per error and return None."""
    adapter = _ADAPTERS.get(tp)
    if adapter is None:
        adapter = _ADAPTERS[tp] = TypeAdapter(tp)
    try:
        return adapter.validate_python(value)
    except ValidationError as exc:
        problems.extend(_describe_errors(exc, tp, at))
        return None


def _describe_errors(exc: ValidationError, tp: object, at: Loc) -> list[str]:
    errors = exc.errors(include_url=False)
    for error in errors:
        error["loc"] = tuple(part for part in error["loc"] if part != "[key]")
    # A misspelt key also makes the real one "missing"; report only the misspelling.
    suggested: set[Loc] = set()
    suggestions: dict[Loc, str] = {}
    for error in errors:
        if error["type"] == "extra_forbidden":
            loc = error["loc"]
            known = _known_keys(tp, loc[:-1])
            match = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
            if match:
                suggestions[loc] = match[0]
                suggested.add((*loc[:-1], match[0]))
    problems: list[str] = []
    for error in errors:
        loc = error["loc"]
        if error["type"] == "missing" and loc in suggested:
            continue
        if error["type"] == "extra_forbidden":
            hint = f" (did you mean {suggestions[loc]!r}?)" if loc in suggestions else ""
            message = f"unknown setting{hint}"
        else:
            message = _message(error)
        problems.append(f"{_path(at + loc)}: {message}")
    return problems


def _message(error: Any) -> str:
    """Pydantic's error, reworded for a practice manager where a plainer sentence is easy."""
    kind: str = error["type"]
    ctx: dict[str, Any] = error.get("ctx") or {}
    value = error.get("input")
    match kind:
        case "missing":
            return "required setting is missing"
        case "value_error" | "assertion_error":
            return str(ctx.get("error", error["msg"]))
        case "string_type":
            return f"must be text, not {_shown(value)}"
        case "string_too_short":
            return "must not be empty"
        case "string_too_long":
            return f"must be at most {ctx['max_length']} characters"
        case "int_type" | "int_parsing" | "int_from_float":
            return f"must be a whole number, not {_shown(value)}"
        case "bool_type" | "bool_parsing":
            return f"must be true or false, not {_shown(value)}"
        case "greater_than_equal":
            return f"must be at least {ctx['ge']}"
        case "list_type":
            return f"must be a list, not {_shown(value)}"
        case "dict_type" | "model_type" | "model_attributes_type":
            return f"must be a set of `name: value` settings, not {_shown(value)}"
        case "too_short":
            count = ctx["min_length"]
            return f"must list at least {count} {'entry' if count == 1 else 'entries'}"
        case "too_long":
            return f"must list at most {ctx['max_length']} entries, not {ctx['actual_length']}"
        case "enum" | "literal_error":
            return f"must be one of {ctx['expected']}, not {_shown(value)}"
        case _ if kind.startswith("date_"):
            return f"must be a date like 2026-12-25, not {_shown(value)}"
        case _:
            return str(error["msg"])


def _shown(value: object) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a set of settings"
    if isinstance(value, str):
        return repr(value)
    return str(value)


def _path(loc: Sequence[object]) -> str:
    """`("lanes", 3, "response_target")` -> `lanes[3].response_target`."""
    text = ""
    for part in loc:
        if isinstance(part, int) and not isinstance(part, bool):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(file)"


def _known_keys(tp: object, loc: Sequence[object]) -> list[str]:
    """The setting names allowed at `loc` inside `tp`, for did-you-mean suggestions."""
    current: object = tp
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel) and isinstance(part, str):
            info = current.model_fields.get(part)
            if info is None:
                return []
            current = info.annotation
        elif get_origin(current) in (list, tuple) and isinstance(part, int):
            current = get_args(current)[0]
        elif get_origin(current) is dict:
            current = get_args(current)[1]
        else:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _unwrap(tp: object) -> object:
    """Strip Annotated and `X | None` down to the type that holds fields."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            arms = [arm for arm in get_args(tp) if arm is not type(None)]
            if len(arms) != 1:
                return tp
            tp = arms[0]
        else:
            return tp


# --- environment ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """Wiring from the environment and command-line flags. Secrets stay out of repr()."""

    slack_bot_token: str | None = field(default=None, repr=False)
    slack_signing_secret: str | None = field(default=None, repr=False)
    slack_app_token: str | None = field(default=None, repr=False)
    slack_api_url: str = DEFAULT_SLACK_API_URL
    # repr=False: a PostgreSQL URL carries its password.
    database_url: str = field(default=DEFAULT_DATABASE_URL, repr=False)
    # PostgreSQL connections kept open, and how many more a burst may open; None keeps
    # the defaults storage.db chooses and explains. SQLite ignores both.
    database_pool_size: int | None = None
    database_max_overflow: int | None = None
    host: str = "127.0.0.1"
    port: int = 3000
    practice_file: Path = EXAMPLE_PRACTICE
    log_level: str = "INFO"
    # Seconds between posts to one channel, counted from Slack's answer (Slack: about 1 a
    # second). Tests and the sandbox may go faster than Slack.
    post_interval: float = 1.0
    # The bot's own identity, so requests never wait for Slack's auth.test to learn it.
    slack_bot_user_id: str | None = None
    slack_bot_id: str | None = None

    @property
    def socket_mode(self) -> bool:
        """True when an app-level token is set: connect over Socket Mode instead of HTTP."""
        return bool(self.slack_app_token)

    @property
    def is_default_sqlite(self) -> bool:
        """True when no DATABASE_URL was given and the embedded SQLite file is used."""
        return self.database_url == DEFAULT_DATABASE_URL


_ENV_VARS: Mapping[str, str] = {
    "slack_bot_token": "SLACK_BOT_TOKEN",
    "slack_signing_secret": "SLACK_SIGNING_SECRET",
    "slack_app_token": "SLACK_APP_TOKEN",
    "slack_api_url": "SLACK_API_URL",
    "database_url": "DATABASE_URL",
    "database_pool_size": "DATABASE_POOL_SIZE",
    "database_max_overflow": "DATABASE_MAX_OVERFLOW",
    "host": "HOST",
    "port": "PORT",
    "practice_file": "CAREQUEUE_PRACTICE_FILE",
    "log_level": "LOG_LEVEL",
    "post_interval": "CAREQUEUE_POST_INTERVAL",
    "slack_bot_user_id": "SLACK_BOT_USER_ID",
    "slack_bot_id": "SLACK_BOT_ID",
}
_BOT_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_BOT_ID = re.compile(r"^B[A-Z0-9]{2,}$")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _seconds(value: object) -> float | None:
    try:
        seconds = float(str(value).strip())
    except ValueError:
        return None
    return seconds if 0 <= seconds <= 60 else None


def settings_from_env(env: Mapping[str, str], **overrides: object) -> Settings:
    """Build `Settings` from environment variables, with command-line values on top.

    An override (keyword named like a `Settings` field) wins when it is not None; an
    empty environment variable counts as unset. `DATABASE_URL` is normalized to the
    async drivers (`postgres://` -> `postgresql+asyncpg://`, `sqlite:///` ->
    `sqlite+aiosqlite:///`). Raises ConfigError listing every bad value (PORT,
    LOG_LEVEL, the pool sizes); TypeError for an override name that is not a setting.
    """
    unknown = sorted(set(overrides) - {f.name for f in fields(Settings)})
    if unknown:
        raise TypeError(f"unknown settings: {', '.join(unknown)}")

    values: dict[str, object] = {}
    sources: dict[str, str] = {}
    for name, variable in _ENV_VARS.items():
        text = env.get(variable, "").strip()
        if text:
            values[name], sources[name] = text, variable
    for name, value in overrides.items():
        if value is not None:
            values[name], sources[name] = value, f"--{name.replace('_', '-')}"

    problems: list[str] = []
    if "port" in values:
        port = _port(values["port"])
        if port is None:
            problems.append(
                f"{sources['port']}: must be a port number from 0 to 65535, "
                f"not {_shown(values['port'])}"
            )
        values["port"] = port
    for name, smallest in (("database_pool_size", 1), ("database_max_overflow", 0)):
        if name in values:
            count = _count(values[name], smallest)
            if count is None:
                problems.append(
                    f"{sources[name]}: must be a whole number of at least {smallest}, "
                    f"not {_shown(values[name])}"
                )
            values[name] = count
    if "log_level" in values:
        level = str(values["log_level"]).strip().upper()
        if level not in _LOG_LEVELS:
            problems.append(
                f"{sources['log_level']}: must be one of {', '.join(_LOG_LEVELS)}, "
                f"not {_shown(values['log_level'])}"
            )
        values["log_level"] = level
    if "post_interval" in values:
        interval = _seconds(values["post_interval"])
        if interval is None:
            problems.append(
                f"{sources['post_interval']}: must be a number of seconds from 0 to 60, "
                f"not {_shown(values['post_interval'])}"
            )
        values["post_interval"] = interval
    problems.extend(_bot_identity_problems(values, sources))
    if problems:
        raise ConfigError(problems)

    if "database_url" in values:
        values["database_url"] = normalize_database_url(str(values["database_url"]))
    if "slack_api_url" in values:
        url = str(values["slack_api_url"])
        values["slack_api_url"] = url if url.endswith("/") else f"{url}/"
    if "practice_file" in values:
        values["practice_file"] = Path(str(values["practice_file"])).expanduser()
    return Settings(**values)  # type: ignore[arg-type]


def _bot_identity_problems(values: Mapping[str, object], sources: Mapping[str, str]) -> list[str]:
    problems = []
    user_id, bot_id = values.get("slack_bot_user_id"), values.get("slack_bot_id")
    if user_id is not None and not _BOT_USER_ID.match(str(user_id)):
        problems.append(
            f"{sources['slack_bot_user_id']}: must be the bot's user id like U0123ABCD "
            f"(auth.test's user_id), not {_shown(user_id)}"
        )
    if bot_id is not None and not _BOT_ID.match(str(bot_id)):
        problems.append(
            f"{sources['slack_bot_id']}: must be a bot id like B0123ABCD (auth.test's bot_id), "
            f"not {_shown(bot_id)}"
        )
    if bot_id is not None and user_id is None:
        problems.append(f"{sources['slack_bot_id']}: set SLACK_BOT_USER_ID with it")
    return problems


def normalize_database_url(url: str) -> str:
    """Point PostgreSQL and SQLite URLs at the async drivers the app runs on."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        return url
    driver = {"postgres": "postgresql+asyncpg", "postgresql": "postgresql+asyncpg"}.get(scheme)
    if scheme == "sqlite":
        driver = "sqlite+aiosqlite"
    return f"{driver}://{rest}" if driver else url


def _count(value: object, smallest: int) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip()
        if not value.isdigit():
            return None
        value = int(value)
    return value if isinstance(value, int) and value >= smallest else None


def _port(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip()
        if not value.isdigit():
            return None
        value = int(value)
    if isinstance(value, int) and 0 <= value <= 65535:
        return value
    return None
