"""Reading a delivery's JSON body: every problem by field, or what the intake rules check.

Field names are the API's (openapi.json); the rules are Slack intake's own
(bot/domain/intake.py), so a request is valid or not whichever door it came through.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.domain.intake import (
    CONTACT_LOOKBACK,
    IntakeDraft,
    IntakeField,
    IntakeRequest,
    unstorable,
    validate_intake,
)
from bot.domain.practice import Practice

SOURCE_ID_MAX = 200
IDEMPOTENCY_KEY_MAX = 200
# A phone system's clock may run a little ahead of ours; more than this is a wrong time.
CLOCK_SKEW = timedelta(minutes=5)

# The API's name for each intake field.
API_FIELD: Mapping[IntakeField, str] = {
    IntakeField.PATIENT_REF: "patient_reference",
    IntakeField.PATIENT_NAME: "patient_name",
    IntakeField.PHONE: "callback_phone",
    IntakeField.ORIGIN: "origin",
    IntakeField.LANE: "lane",
    IntakeField.REQUEST_TYPE: "request_type",
    IntakeField.SUMMARY: "summary",
    IntakeField.LANGUAGE: "language",
    IntakeField.CALLBACK_WINDOW: "callback_window",
    IntakeField.SOURCE_LINK: "source_link",
}
TEXT_FIELDS = (*API_FIELD.values(), "route", "contacted_at", "source_id")


@dataclass(frozen=True)
class Problem:
    field: str
    message: str

    def as_json(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


@dataclass(frozen=True)
class Delivery:
    """A valid delivery: the request, when the patient contacted the practice (None: now),
    the source system's own id, and the body's fingerprint (`fingerprint`)."""

    request: IntakeRequest
    contacted_at: datetime | None
    source_id: str
    fingerprint: str


def read_delivery(body: object, practice: Practice, now: datetime) -> Delivery | list[Problem]:
    """Check a parsed JSON body; every problem at once, each under its field.

    Each field is a string (or null, as if left out); unknown fields are refused (a typo
    would otherwise drop a value silently). `lane` is a lane key; `route` is a routing
    hint the practice file maps to one (`intake_api.routes`); one of them is needed.
    `contacted_at` is ISO 8601 with a UTC offset, not in the future.
    """
    if not isinstance(body, dict):
        return [Problem("", "The body must be a JSON object of request fields.")]
    problems: list[Problem] = []
    text: dict[str, str] = {}
    for name, value in body.items():
        if name not in TEXT_FIELDS:
            problems.append(Problem(str(name), "Unknown field."))
        elif value is not None and not isinstance(value, str):
            problems.append(Problem(name, "Must be a string."))
        elif isinstance(value, str):
            text[name] = value

    lane = _lane(text, practice, problems)
    contacted_at = _contacted_at(text.get("contacted_at", ""), now, problems)
    source_id = text.get("source_id", "").strip()
    if (why := unstorable(source_id)) is not None:
        problems.append(Problem("source_id", why))
    elif len(source_id) > SOURCE_ID_MAX:
        problems.append(Problem("source_id", f"Keep it under {SOURCE_ID_MAX} characters."))
    draft = IntakeDraft(
        patient_ref=text.get("patient_reference", ""),
        patient_name=text.get("patient_name", ""),
        phone=text.get("callback_phone", ""),
        origin=text.get("origin", "").strip(),
        lane=lane,
        request_type=text.get("request_type", "").strip(),
        summary=text.get("summary", ""),
        language=text.get("language", ""),
        callback_window=text.get("callback_window", ""),
        source_link=text.get("source_link", ""),
    )
    checked = validate_intake(
        draft, practice.lanes, practice.languages, request_type_required=False
    )
    if isinstance(checked, list):
        for problem in checked:
            field = API_FIELD[problem.field]
            if field == "lane" and problems_at(problems, "route"):
                continue  # said already, under route
            if field == "origin":
                message = "Must be one of the origins in the API document (e.g. voicemail)."
            elif field == "lane":
                message = "Give a lane key of the practice, or a route."
            else:
                message = problem.message
            problems.append(Problem(field, message))
    if problems or isinstance(checked, list):
        return problems
    return Delivery(
        request=checked,
        contacted_at=contacted_at,
        source_id=source_id,
        fingerprint=fingerprint(text),
    )


def fingerprint(fields: Mapping[str, str]) -> str:
    """What makes a delivery the same request again: the SHA-256 of its fields as sent (a
    null field counts as left out; the order of the fields does not count). A retry sends
    the same body; another request under the same idempotency key differs here."""
    canonical = json.dumps(sorted(fields.items()), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def problems_at(problems: list[Problem], field: str) -> bool:
    return any(problem.field == field for problem in problems)


def _lane(text: Mapping[str, str], practice: Practice, problems: list[Problem]) -> str:
    """The lane: `lane`, or the one `route` maps to. Both given must agree (a clinical
    route beside a scheduling lane would otherwise be dropped without a word), and a route
    is always checked."""
    lane, route = text.get("lane", "").strip(), text.get("route", "").strip()
    if not route:
        return lane
    routed = practice.intake_api.routes.get(route)
    if routed is None:
        known = ", ".join(sorted(practice.intake_api.routes)) or "none configured"
        problems.append(Problem("route", f"Unknown route (known: {known})."))
        return lane
    if lane and lane != routed:
        problems.append(
            Problem(
                "route",
                f"Routes to the lane {routed!r}, but lane says {lane!r}: send one of them.",
            )
        )
    return lane or routed


def _contacted_at(value: str, now: datetime, problems: list[Problem]) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        problems.append(
            Problem(
                "contacted_at", "Use ISO 8601 with a UTC offset, e.g. 2026-11-23T08:15:00-05:00."
            )
        )
        return None
    if moment > now + CLOCK_SKEW:
        problems.append(Problem("contacted_at", "Is in the future."))
        return None
    if moment < now - CONTACT_LOOKBACK:  # the modal's rule too (bot.domain.intake)
        problems.append(
            Problem(
                "contacted_at",
                f"Is more than {CONTACT_LOOKBACK.days} days ago: leave it out to log the request "
                "as received now, and say when the patient contacted the practice in the summary.",
            )
        )
        return None
    return min(moment, now)  # a clock running a little ahead counts as now


def read_idempotency_key(value: str | None) -> str | Problem:
    """The `Idempotency-Key` header: "" when absent; printable ASCII, at most 200 characters."""
    key = (value or "").strip()
    if len(key) > IDEMPOTENCY_KEY_MAX or not all(" " <= ch <= "~" for ch in key):
        return Problem(
            "Idempotency-Key",
            f"Use at most {IDEMPOTENCY_KEY_MAX} printable ASCII characters (a UUID is ideal).",
        )
    return key


def parse_json(raw: bytes) -> Any:
    """Parse the body; raises ValueError (UnicodeDecodeError, JSONDecodeError) when it is
    not JSON text."""
    return json.loads(raw.decode("utf-8"))
