"""What a valid patient request is, whichever door it came through (modal, shortcut, intake API)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from bot.domain.items import Origin
from bot.domain.lanes import Lane

SUMMARY_MAX = 2000
NAME_MAX = 200
REFERENCE_MAX = 64
CALLBACK_WINDOW_MAX = 200
SOURCE_LINK_MAX = 500
# The request type of a missed call nobody has spoken to yet: not on any lane's list.
MISSED_CALL_TYPE = Origin.MISSED_CALL.label

_PHONE_DECORATION = re.compile(r"[\s().\-]")
_EXTENSION = re.compile(r"^(?P<number>.+?)\s*(?:ext\.?|x|#)\s*(?P<ext>[0-9]{1,6})$", re.IGNORECASE)
_ASCII_DIGITS = frozenset("0123456789")
_ORIGINS = frozenset(origin.value for origin in Origin)
_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-_/.]*$")


class IntakeField(StrEnum):
    PATIENT_REF = "patient_ref"
    PATIENT_NAME = "patient_name"
    PHONE = "phone"
    ORIGIN = "origin"
    LANE = "lane"
    REQUEST_TYPE = "request_type"
    SUMMARY = "summary"
    LANGUAGE = "language"
    CALLBACK_WINDOW = "callback_window"
    SOURCE_LINK = "source_link"
    CONTACTED_AT = "contacted_at"


UNSTORABLE = "\x00"
UNSTORABLE_MESSAGE = "Contains a NUL character (U+0000), which cannot be stored: remove it."
# Half of a UTF-16 pair with no other half (JSON's "\ud800"): not a character at all, it
# cannot be encoded as UTF-8 (nor stored, nor hashed).
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
LONE_SURROGATE_MESSAGE = (
    "Contains an invalid character (half of a UTF-16 surrogate pair, U+D800 to U+DFFF),"
    " which cannot be stored: remove it."
)


def unstorable(text: str) -> str | None:
    """Why `text` cannot be stored as it is (a NUL, a lone surrogate); None when it can."""
    if UNSTORABLE in text:
        return UNSTORABLE_MESSAGE
    if LONE_SURROGATE.search(text):
        return LONE_SURROGATE_MESSAGE
    return None


@dataclass(frozen=True)
class IntakeDraft:
    """Raw text as a person or system typed it; nothing checked yet."""

    patient_ref: str = ""
    patient_name: str = ""
    phone: str = ""
    origin: str = ""
    lane: str = ""
    request_type: str = ""
    summary: str = ""
    language: str = ""
    callback_window: str = ""
    source_link: str = ""


@dataclass(frozen=True)
class IntakeRequest:
    """A request that passed every check, ready to become an item."""

    patient_ref: str
    patient_name: str
    phone: str
    origin: Origin
    lane: str
    request_type: str
    summary: str
    language: str
    callback_window: str = ""
    source_link: str = ""


@dataclass(frozen=True)
class FieldProblem:
    field: IntakeField
    message: str


def _visible(text: str) -> bool:
    """True when `text` shows something: zero-width and other format characters do not count."""
    return any(not ch.isspace() and unicodedata.category(ch) != "Cf" for ch in text)


def normalize_phone(text: str) -> str | None:
    """Return a readable callback number, or None when `text` is not a phone number.

    Accepts North American numbers (10 digits, optional leading 1 or +1; area codes never
    start with 0 or 1) and international numbers written with a leading + (8 to 15
    digits), with an optional extension. Only ASCII digits count: str.isdigit() would
    accept Arabic-Indic or full-width digits, which no phone can dial.
    """
    raw = text.strip()
    extension = ""
    match = _EXTENSION.match(raw)
    if match:
        raw, extension = match.group("number"), match.group("ext")
    compact = _PHONE_DECORATION.sub("", raw)
    international = compact.startswith("+")
    digits = compact.removeprefix("+")
    if not digits or not set(digits) <= _ASCII_DIGITS:
        return None
    suffix = f" ext. {extension}" if extension else ""
    if international and digits.startswith("1") and len(digits) != 11:
        return None  # +1 is North America: exactly ten digits follow
    if len(digits) == 11 and digits.startswith("1"):
        national = digits[1:]
    elif len(digits) == 10 and not international:
        national = digits
    else:
        national = ""
    if national:
        if national[0] in "01":
            return None
        return f"({national[:3]}) {national[3:6]}-{national[6:]}{suffix}"
    if international and 8 <= len(digits) <= 15:
        return f"+{digits}{suffix}"
    return None


def _text(
    field: IntakeField,
    value: str,
    what: str,
    limit: int,
    *,
    required: bool,
    problems: list[FieldProblem],
) -> str:
    """`value` stripped; a problem noted when it is missing (if `required`) or too long."""
    value = value.strip()
    if not _visible(value):
        if required:
            problems.append(FieldProblem(field, f"Enter the {what}."))
        return ""
    if len(value) > limit:
        problems.append(
            FieldProblem(field, f"Keep the {what} under {limit:,} characters ({len(value):,} now).")
        )
    return value


def check_caller(
    patient_ref: str, patient_name: str, *, required: bool = True
) -> tuple[str, str, list[FieldProblem]]:
    """Check who asked: the patient reference and name, stripped, and every problem.

    Both are needed unless not `required` (a missed call); given ones are always checked.
    """
    problems: list[FieldProblem] = []

    reference = _text(
        IntakeField.PATIENT_REF,
        patient_ref,
        "patient reference number",
        REFERENCE_MAX,
        required=required,
        problems=problems,
    )
    if reference and len(reference) <= REFERENCE_MAX and not _REFERENCE.match(reference):
        problems.append(
            FieldProblem(
                IntakeField.PATIENT_REF, "Use letters, digits and - _ / . only (e.g. MRN-20431)."
            )
        )
    name = _text(
        IntakeField.PATIENT_NAME,
        patient_name,
        "patient's name",
        NAME_MAX,
        required=required,
        problems=problems,
    )
    return reference, name, problems


def validate_intake(
    draft: IntakeDraft,
    lanes: Mapping[str, Lane],
    languages: Sequence[str],
    *,
    request_type_required: bool = True,
) -> IntakeRequest | list[FieldProblem]:
    """Check a draft request; return the clean request or every problem, each with its field.

    Refuses: a NUL character in any field (PostgreSQL text cannot hold one); a missing
    reference, name or summary; a phone number that is not one; an unknown origin, lane or
    language; a request type not in the lane's list; text over its limit (the summary's is
    SUMMARY_MAX characters).

    A missed call is a request with only a phone number: with that origin the phone is
    all it needs. Reference, name, summary and request type may be left blank (the
    request type then reads "Missed call"); whoever reaches the caller fills in who it
    was (Identify caller). What is given is still checked.

    Without `request_type_required` (the intake API: a phone system knows no request
    types) a request without one reads as its origin ("Portal message") until staff
    work it.
    """
    # PostgreSQL text cannot hold a NUL, nor UTF-8 a lone surrogate; nobody types one:
    # say where it is.
    problems: list[FieldProblem] = [
        FieldProblem(IntakeField(field.name), why)
        for field in fields(draft)
        if (why := unstorable(getattr(draft, field.name))) is not None
    ]
    missed_call = draft.origin == Origin.MISSED_CALL.value

    reference, name, who = check_caller(
        draft.patient_ref, draft.patient_name, required=not missed_call
    )
    problems.extend(who)
    summary = _text(
        IntakeField.SUMMARY,
        draft.summary,
        "summary of the request",
        SUMMARY_MAX,
        required=not missed_call,
        problems=problems,
    )

    phone = normalize_phone(draft.phone) if draft.phone.strip() else None
    if not draft.phone.strip():
        problems.append(FieldProblem(IntakeField.PHONE, "Enter a callback phone number."))
    elif phone is None:
        problems.append(
            FieldProblem(
                IntakeField.PHONE,
                "That is not a phone number: use 10 digits like (555) 201-4477, or +country code.",
            )
        )

    try:
        origin: Origin | None = Origin(draft.origin)
    except ValueError:
        origin = None
        problems.append(
            FieldProblem(IntakeField.ORIGIN, "Choose how the request reached the practice.")
        )

    lane = lanes.get(draft.lane)
    request_type = draft.request_type
    untyped = not request_type.strip()
    if untyped and missed_call:
        request_type = MISSED_CALL_TYPE
    elif untyped and not request_type_required and draft.origin in _ORIGINS:
        request_type = Origin(draft.origin).label
    if lane is None:
        problems.append(FieldProblem(IntakeField.LANE, "Choose a lane."))
    elif request_type not in lane.request_types and not (
        untyped and (missed_call or not request_type_required)
    ):
        problems.append(
            FieldProblem(
                IntakeField.REQUEST_TYPE, f"Choose a request type from the {lane.name} list."
            )
        )

    language = draft.language.strip() or (languages[0] if languages else "")
    if languages and language not in languages:
        problems.append(
            FieldProblem(IntakeField.LANGUAGE, "Choose one of the practice's languages.")
        )

    window = draft.callback_window.strip()
    if len(window) > CALLBACK_WINDOW_MAX:
        problems.append(
            FieldProblem(
                IntakeField.CALLBACK_WINDOW,
                f"Keep the callback window under {CALLBACK_WINDOW_MAX} characters.",
            )
        )
    link = draft.source_link.strip()
    parsed = urlsplit(link)
    if len(link) > SOURCE_LINK_MAX or (link and (parsed.scheme != "https" or not parsed.netloc)):
        problems.append(
            FieldProblem(IntakeField.SOURCE_LINK, "The source link must be an https link.")
        )

    if problems or origin is None or lane is None or phone is None:
        return problems
    return IntakeRequest(
        patient_ref=reference,
        patient_name=name,
        phone=phone,
        origin=origin,
        lane=lane.key,
        request_type=request_type,
        summary=summary,
        language=language,
        callback_window=window,
        source_link=link,
    )


CONTACT_LOOKBACK = timedelta(days=7)
# Pickers and clocks disagree by seconds: a contact time this far ahead of `now` is "now".
CONTACT_CLOCK_SKEW = timedelta(minutes=2)


def received_time(contacted_at: datetime | None, now: datetime) -> datetime | FieldProblem:
    """When the patient contacted the practice, which is the item's received time (targets
    count from the patient's wait, not from when staff logged it): `contacted_at`, or `now`
    when it was not given.

    Refuses a time in the future (beyond CONTACT_CLOCK_SKEW, which counts as now) and one
    more than CONTACT_LOOKBACK ago: a request that old is better logged as received now
    with its date in the summary than counted as a week overdue from a mistyped date.
    """
    if contacted_at is None:
        return now
    if contacted_at > now + CONTACT_CLOCK_SKEW:
        return FieldProblem(
            IntakeField.CONTACTED_AT,
            "That is in the future: pick when the patient called, wrote or came in.",
        )
    if contacted_at < now - CONTACT_LOOKBACK:
        return FieldProblem(
            IntakeField.CONTACTED_AT,
            f"That is more than {CONTACT_LOOKBACK.days} days ago: clear the date and time to "
            "log it as received now, and say when the patient contacted us in the summary.",
        )
    return min(contacted_at, now)
