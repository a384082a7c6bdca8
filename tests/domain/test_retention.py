"""Retention rules: what redaction leaves of an event, and that every kind of event detail
is classified as patient text or not (a new free-text detail cannot slip past the purge)."""

from __future__ import annotations

import dataclasses

from hypothesis import given
from hypothesis import strategies as st

import bot.domain.event_details as event_details
from bot.domain.retention import (
    EVENT_NOT_PATIENT_TEXT,
    EVENT_PATIENT_TEXT,
    ITEM_REDACTIONS,
    REDACTED,
    redact_event_side,
)


def _string_details() -> set[str]:
    keys = set()
    for kind in vars(event_details).values():
        if isinstance(kind, type) and issubclass(kind, event_details.Details):
            for f in dataclasses.fields(kind):
                if str(f.type) in ("str", "str | None"):
                    keys.add(str(f.metadata.get("key", f.name)))
    return keys


def test_every_text_detail_an_event_stores_is_classified_for_the_purge() -> None:
    unclassified = _string_details() - EVENT_PATIENT_TEXT - EVENT_NOT_PATIENT_TEXT
    assert unclassified == set(), f"say whether these hold patient text: {unclassified}"
    assert not EVENT_PATIENT_TEXT & EVENT_NOT_PATIENT_TEXT


def test_the_items_patient_columns_are_patient_text_in_events_too() -> None:
    assert set(ITEM_REDACTIONS) <= EVENT_PATIENT_TEXT
    assert {"patient_name", "patient_ref", "phone", "summary"} <= set(ITEM_REDACTIONS)


texts = st.text(min_size=1, max_size=30)


@given(
    patient=st.dictionaries(st.sampled_from(sorted(EVENT_PATIENT_TEXT)), texts, max_size=6),
    other=st.dictionaries(
        st.sampled_from(sorted(EVENT_NOT_PATIENT_TEXT)),
        st.one_of(texts, st.integers(), st.none()),
        max_size=6,
    ),
)
def test_redaction_replaces_every_patient_value_and_keeps_every_other(
    patient: dict[str, str], other: dict[str, object]
) -> None:
    side = {**other, **patient}

    redacted = redact_event_side(side)

    assert set(redacted) == set(side)  # the event still says what changed
    assert all(redacted[key] == REDACTED for key in patient)
    assert all(redacted[key] == value for key, value in other.items())
    assert redact_event_side(redacted) == redacted  # a second purge changes nothing


def test_an_empty_note_stays_empty_rather_than_claiming_something_was_written() -> None:
    assert redact_event_side({"confirmed": "", "waiting_on": None}) == {
        "confirmed": "",
        "waiting_on": None,
    }
