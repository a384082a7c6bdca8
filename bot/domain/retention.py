"""Retention of closed items: which are due for redaction, and what redaction leaves of an
item and of its events. Pure rules; the purge (bot/services/retention.py) applies them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

# What stays where patient text was: the record still says something was there.
REDACTED = "redacted"

# The item's own columns that hold the patient or what they said, and what each becomes.
# Empty where a placeholder would read as data (a phone number, a link, a wait).
ITEM_REDACTIONS: Mapping[str, str] = {
    "patient_ref": REDACTED,
    "patient_name": REDACTED,
    "phone": "",
    "callback_window": "",
    "summary": REDACTED,
    "source_link": "",
    "told_patient": REDACTED,
    "waiting_on": "",
    "next_action": REDACTED,
}

# Keys of an event's `before` / `after` whose values are patient text: what someone wrote
# about the patient (a call note, a handoff, a promise, a decision) or an item column above.
EVENT_PATIENT_TEXT = frozenset(
    {
        *ITEM_REDACTIONS,
        "asked",
        "confirmed",
        "unresolved",
        "promised",
        "not_to_promise",
        "next_step",
        "promise_text",
        "patient_told",
        "decision",
        "not_clinical",
        "context",
        "coaching_note",  # a QA reviewer's words on a call may quote the patient
    }
)
# The other string keys events store: practice configuration (lanes, rules, outcomes,
# resolutions), Slack user ids and item keys. Kept: they are what the audit trail is for.
EVENT_NOT_PATIENT_TEXT = frozenset(
    {
        "waiting_for",  # a choice from a list: payer, lab, …
        "attempted",  # a refused action's name, why and the role it needed: CareQueue's words
        "reason",
        "needed",
        "lane",
        "from_lane",
        "routed_from",
        "request_type",
        "origin",
        "status",
        "outcome",
        "final",
        "resolution",
        "rule",
        "target",
        "language",
        "kept_for_language",
        "owner",
        "reminded",
        "red_flag_dismissed_by",
        "related_key",
        "into",
        "merged",
        "from",
    }
)


def retention_cutoff(now: datetime, retention_days: int) -> datetime:
    """Items closed before this moment are due: `retention_days` whole days of wall-clock
    time, not business days (a record-retention period is a calendar period)."""
    return now - timedelta(days=retention_days)


def redact_event_side(side: Mapping[str, Any]) -> dict[str, Any]:
    """An event's `before` or `after` without patient text: each such value that said
    something becomes "redacted"; whatever else it recorded stays as it was."""
    return {
        key: REDACTED if key in EVENT_PATIENT_TEXT and _says_something(value) else value
        for key, value in side.items()
    }


def _says_something(value: Any) -> bool:
    return value not in (None, "", [], {})
