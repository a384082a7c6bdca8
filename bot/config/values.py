"""What each value in the practice file may be: types whose validators raise ValueError
with the sentence a person reads (`'cq' must be 1 to 5 capital letters, like CQ`)."""

from __future__ import annotations

import re
from datetime import time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field, PlainValidator, StringConstraints

from bot.domain.intake import normalize_phone
from bot.domain.items import Origin
from bot.domain.lanes import BusinessDuration, OpeningHours, Target, Wait, parse_target

# `escalation.to` names a clinical level or this word.
MANAGER_ESCALATION = "manager"

_SLUG = re.compile(r"^[a-z0-9_-]{1,32}$")
_CHANNEL_NAME = re.compile(r"^#[a-z0-9_-]{1,80}$")
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{8,}$")
_SLACK_ID = re.compile(r"^[UWS][A-Z0-9]{2,}$")
_ITEM_KEY_PREFIX = re.compile(r"^[A-Z]{1,5}$")
_WALL_DURATION = re.compile(r"^\s*(\d+)\s*(m|h)\s*$")
_OPENING_HOURS = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")
_CLOCK_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_PERCENT = re.compile(r"^\s*(\d{1,2})\s*%\s*$")


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


def _phone_number(value: object) -> str | None:
    if value is None:
        return None
    # An unquoted 5552010000 reads as a number in YAML: it is still a phone number.
    written = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    readable = normalize_phone(written)
    if readable is None:
        raise ValueError(
            f"{written or value!r} is not a phone number: write it as patients dial it, "
            'like "(555) 201-0000" or "+44 20 7946 0000"'
        )
    return readable


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


def _target(value: object) -> Target:
    return parse_target(value if isinstance(value, str) else "")


def _origin(value: object) -> str:
    known = [origin.value for origin in Origin]
    if not isinstance(value, str) or value.strip() not in known:
        raise ValueError(f"{value!r} is not an origin: use one of {', '.join(known)}")
    return value.strip()


def _clock_time(value: object) -> time:
    # YAML 1.1 reads an unquoted 15:00 as the number 900 (sexagesimal): ask for quotes.
    match = _CLOCK_TIME.match(value.strip()) if isinstance(value, str) else None
    if not match:
        raise ValueError('must be a time of day in quotes, like "15:00"')
    try:
        return time(int(match[1]), int(match[2]))
    except ValueError:
        raise ValueError(f"{value!r} is not a time of day: use 24-hour HH:MM") from None


def _share_of_target(value: object) -> float:
    """`warn_at: 75%`: the share of a lane's response target after which its owner is warned."""
    match = _PERCENT.match(value) if isinstance(value, str) else None
    if not match or not 1 <= int(match[1]) <= 99:
        raise ValueError('must be a share of the response target from 1% to 99%, like "75%"')
    return int(match[1]) / 100


_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _weekly_time(value: object) -> tuple[int, time]:
    """ "Mon 08:00" -> (0, 08:00): a weekday (its first three letters) and a time of day."""
    day, _, at = value.strip().partition(" ") if isinstance(value, str) else ("", "", "")
    if day[:3].casefold() not in _WEEKDAYS or not at.strip():
        raise ValueError('must be a weekday and a time of day in quotes, like "Mon 08:00"')
    try:
        return _WEEKDAYS.index(day[:3].casefold()), _clock_time(at.strip())
    except ValueError:
        raise ValueError(
            f'{value!r} is not a weekday and a time of day: use "Mon 08:00" (24-hour HH:MM)'
        ) from None


def _optional_duration(value: object) -> BusinessDuration | None:
    return None if value is None else _duration(value)


# The longest wall-clock window (an escalation's acknowledgment): a week. Longer is a typo,
# and a window of millions of hours would make every escalation under it fail.
WALL_MOST = timedelta(days=7)


def _wall_duration(value: object) -> timedelta:
    match = _WALL_DURATION.match(value) if isinstance(value, str) else None
    if not match or int(match[1]) <= 0:
        raise ValueError(
            "must be a wall-clock duration like 5m or 2h (escalation windows do not pause "
            "outside opening hours)"
        )
    minutes = int(match[1]) * (60 if match[2] == "h" else 1)
    if minutes > WALL_MOST.total_seconds() // 60:
        raise ValueError("must be at most a week (168h or 10080m)")
    return timedelta(minutes=minutes)


def _opening_hours(value: object) -> OpeningHours | None:
    # YAML reads `off` and `no` as false; both mean closed to the person who wrote them.
    if value is None or value is False:
        return None
    if isinstance(value, str) and value.strip().lower() == "closed":
        return None
    match = _OPENING_HOURS.match(value.strip()) if isinstance(value, str) else None
    if not match:
        raise ValueError('must be opening hours like "08:00-17:00", or closed')
    # "24:00" closes at the end of the day: "00:00-24:00" is open round the clock.
    until_midnight = (int(match[3]), int(match[4])) == (24, 0)
    try:
        opens = time(int(match[1]), int(match[2]))
        closes = time(0) if until_midnight else time(int(match[3]), int(match[4]))
    except ValueError:
        raise ValueError(
            f"{value!r} is not a time of day: use 24-hour HH:MM-HH:MM (24:00 for the end of"
            " the day)"
        ) from None
    if opens >= closes and not until_midnight:
        raise ValueError("opening time must be before closing time")
    return OpeningHours(opens=opens, closes=closes, until_midnight=until_midnight)


def _no_repeats(values: list[str]) -> list[str]:
    seen: set[str] = set()
    for value in values:
        if value.casefold() in seen:
            raise ValueError(f"{value!r} is listed twice")
        seen.add(value.casefold())
    return values


def _wait(value: object) -> Wait:
    return Wait.parse(str(value))


# The types bot/config/schema.py writes the practice file's sections in.
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Labels = Annotated[list[Label], Field(min_length=1, max_length=25), AfterValidator(_no_repeats)]
Language = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Languages = Annotated[list[Language], Field(min_length=1), AfterValidator(_no_repeats)]
Slug = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_slug)]
ClinicalLevelName = Annotated[
    str, StringConstraints(strip_whitespace=True), AfterValidator(_clinical_level_name)
]
ItemKeyPrefix = Annotated[
    str, StringConstraints(strip_whitespace=True), AfterValidator(_item_key_prefix)
]
SlackId = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_slack_id)]
SlackIds = Annotated[list[SlackId], Field(min_length=1)]
Channel = Annotated[str, PlainValidator(_channel)]
Zone = Annotated[ZoneInfo, PlainValidator(_zone)]
PhoneNumber = Annotated[str | None, PlainValidator(_phone_number)]
Duration = Annotated[BusinessDuration, PlainValidator(_duration)]
ResponseTarget = Annotated[Target, PlainValidator(_target)]
OriginName = Annotated[str, PlainValidator(_origin)]
ClockTime = Annotated[time, PlainValidator(_clock_time)]
ShareOfTarget = Annotated[float, PlainValidator(_share_of_target)]
WeeklyTime = Annotated[tuple[int, time], PlainValidator(_weekly_time)]
OptionalDuration = Annotated[BusinessDuration | None, PlainValidator(_optional_duration)]
WallDuration = Annotated[timedelta, PlainValidator(_wall_duration)]
Hours = Annotated[OpeningHours | None, PlainValidator(_opening_hours)]
CadenceWait = Annotated[Wait, PlainValidator(_wait)]
PositiveInt = Annotated[int, Field(strict=True, ge=1)]
