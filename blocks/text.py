"""Small text helpers every builder shares: Slack escaping, mentions, dates, ages and labels.

Pure functions: the caller passes `now` and the practice's time zone.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from bot.domain.items import Origin, Status
from bot.domain.sla import DueState, Urgency

ELLIPSIS = "\u2026"
DEFAULT_DATE_FORMAT = "{date_short_pretty} {time}"

_USER_ID = re.compile(r"^[UW][A-Z0-9]+$")

_STATUS_LABELS: Mapping[Status, str] = {
    Status.NEW: "New",
    Status.CLAIMED: "Claimed",
    Status.WAITING: "Waiting",
    Status.ESCALATED: "Escalated",
    Status.RESOLVED: "Resolved",
}

# How a thread entry says where a request came from: "Logged by <@U1> from a voicemail".
_ORIGIN_PHRASES: Mapping[Origin, str] = {
    Origin.PHONE_CALL: "from a phone call",
    Origin.VOICEMAIL: "from a voicemail",
    Origin.MISSED_CALL: "from a missed call",
    Origin.PORTAL_MESSAGE: "from a portal message",
    Origin.WEB_FORM: "from a web form",
    Origin.EMAIL: "from an email",
    Origin.TEXT_REPLY: "from a text or reminder reply",
    Origin.REFERRAL_PARTNER: "from a referral partner",
    Origin.IN_PERSON: "in person",
}


def escape(s: str) -> str:
    """Escape `&`, `<`, `>` so text from a person or system cannot ping anyone or forge a link."""
    return html.escape(s, quote=False)


def truncate(s: str, limit: int) -> str:
    """Cut `s` to at most `limit` characters, ending with an ellipsis when anything was cut."""
    if len(s) <= limit:
        return s
    if limit <= 0:
        return ""
    return s[: limit - 1].rstrip() + ELLIPSIS


def escape_within(s: str, limit: int) -> str:
    """Escape `s` and fit it in `limit` characters without cutting an `&amp;` entity in half."""
    escaped = escape(s)
    if len(escaped) <= limit:
        return escaped
    if limit <= 0:
        return ""
    kept: list[str] = []
    used = 0
    for char in s:
        piece = escape(char)
        if used + len(piece) > limit - 1:
            break
        kept.append(piece)
        used += len(piece)
    return "".join(kept).rstrip() + ELLIPSIS


# Slack's mrkdwn markers, each swapped for a look-alike that formats nothing: a person's words
# inside a line of mrkdwn (a name or a promise in the managers' digest) then read as typed and
# cannot bold, strike or code anything, or start a heading-like line of their own.
_MARKERS = str.maketrans({"*": "\u2217", "_": "\u02cd", "~": "\u223c", "`": "\u02cb"})
_WHITESPACE = re.compile(r"\s+")


def inline_text(s: str, limit: int) -> str:
    """Someone's words as one inert run of mrkdwn: on one line (line breaks and runs of spaces
    become one space, so nothing starts a new line or a quote), formatting markers swapped for
    look-alikes, escaped (`escape_within`) and cut to `limit`."""
    flat = _WHITESPACE.sub(" ", s).strip().translate(_MARKERS)
    return escape_within(flat, limit)


def mention(user_id: str) -> str:
    """`<@U123>` for a Slack user id; anything that is not one is shown escaped, not linked."""
    if _USER_ID.match(user_id):
        return f"<@{user_id}>"
    return escape(user_id)


def safe_link(url: str, label: str) -> str | None:
    """A mrkdwn link `<https://…|label>`, or None when `url` is not a plain https address.

    The URL is escaped and a `|` inside it is percent-encoded, so it cannot rename itself.
    """
    url = url.strip()
    if not url.startswith("https://") or any(c.isspace() for c in url):
        return None
    return f"<{escape(url.replace('|', '%7C'))}|{escape(label)}>"


def _as_aware(at: datetime) -> datetime:
    # Storage returns aware UTC times; a naive time can only have come from UTC too.
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def local_date(at: datetime, tz: ZoneInfo) -> date:
    """The calendar day `at` falls on in the practice's zone."""
    return _as_aware(at).astimezone(tz).date()


def clock_time(at: datetime, tz: ZoneInfo) -> str:
    """The time of day in the practice's zone, as staff say it: `10:42 AM`."""
    local = _as_aware(at).astimezone(tz)
    hour = local.hour % 12 or 12
    return f"{hour}:{local:%M} {local:%p}"


def weekday_time(at: datetime, tz: ZoneInfo) -> str:
    """A short day and time in the practice's zone: `Mon 2:30 PM` (used in notifications)."""
    local = _as_aware(at).astimezone(tz)
    return f"{local:%a} {clock_time(local, tz)}"


def practice_time(at: datetime, tz: ZoneInfo) -> str:
    """The full time in the practice's zone: `Mon Nov 23 10:42 AM EST`."""
    local = _as_aware(at).astimezone(tz)
    return f"{local:%a %b} {local.day} {clock_time(local, tz)} {local.tzname()}"


def slack_date(at: datetime, tz: ZoneInfo, fmt: str = DEFAULT_DATE_FORMAT) -> str:
    """`<!date^EPOCH^FMT|FALLBACK>`: each reader sees their own zone; fallback in the practice's."""
    epoch = int(_as_aware(at).timestamp())
    return f"<!date^{epoch}^{fmt}|{practice_time(at, tz)}>"


def age_text(received: datetime, now: datetime) -> str:
    """How long ago something arrived, in wall-clock time: `12 min`, `3 h 5 min`, `2 d 4 h`."""
    minutes = max(0, int((_as_aware(now) - _as_aware(received)).total_seconds() // 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


def status_label(status: Status) -> str:
    """How a status reads on a card: `New`, `Claimed`, `Resolved`…"""
    return _STATUS_LABELS[status]


def origin_phrase(origin: Origin) -> str:
    """How a request's arrival reads in a sentence: `from a voicemail`, `in person`."""
    return _ORIGIN_PHRASES[origin]


def slack_ago(at: datetime, now: datetime) -> str:
    """`<!date^EPOCH^{ago}|…>`: Slack says how long ago for each reader whenever they look
    ("22 hours ago"), so an age never goes stale; the fallback is the age at `now`."""
    epoch = int(_as_aware(at).timestamp())
    return f"<!date^{epoch}^{{ago}}|{age_text(at, now)} ago>"


def business_time_text(minutes: int) -> str:
    """Business minutes as staff say them: `40 min`, `1 h 15 min`, `12 h` (hours, never days:
    a business day is not 24 hours)."""
    hours, rest = divmod(max(0, minutes), 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest} min" if rest else f"{hours} h"


_URGENCY_MARKERS: Mapping[Urgency, str] = {
    Urgency.ON_TRACK: ":large_green_circle:",
    Urgency.DUE_SOON: ":large_yellow_circle:",
    Urgency.OVERDUE: ":red_circle:",
}


def due_state_text(state: DueState) -> str:
    """The due state with a marker seen at a glance: `:large_green_circle: due in 40 min`,
    `:large_yellow_circle: *due soon* · 20 min left`, `:red_circle: *overdue 1 h 15 min*`
    (business time)."""
    marker = _URGENCY_MARKERS[state.urgency]
    amount = business_time_text(state.minutes)
    if state.urgency is Urgency.ON_TRACK:
        return f"{marker} due in {amount}"
    if state.urgency is Urgency.DUE_SOON:
        return f"{marker} *due soon* · {amount} left" if state.minutes else f"{marker} *due soon*"
    return f"{marker} *overdue {amount}*" if state.minutes else f"{marker} *overdue*"
