"""A missed call's card: who it was from is unknown, said within the privacy level; the number
never reaches the channel, only its area code at `full`."""

from __future__ import annotations

import dataclasses
import json

import pytest

from blocks.card import area_code, caller_line, item_card
from blocks.ids import ActionId
from bot.domain.items import Origin, Patient, Status
from bot.domain.lanes import Privacy
from tests.blocks.conftest import (
    CALENDAR,
    NOW,
    TZ,
    WORDING,
    assert_valid_message,
    make_item,
    make_lane,
    make_resolved,
)

UNKNOWN = Patient(reference="", name="", phone="(555) 867-5309", language="English")
MISSED = make_item(
    patient=UNKNOWN, origin=Origin.MISSED_CALL, request_type="Missed call", summary=""
)


def payload(privacy: Privacy, item=MISSED) -> dict:  # type: ignore[no-untyped-def]
    return assert_valid_message(
        item_card(item, make_lane(), privacy, NOW, TZ, WORDING, calendar=CALENDAR)
    )


@pytest.mark.parametrize("level", [Privacy.NONE, Privacy.INITIALS])
def test_below_full_the_card_says_the_caller_is_unknown_without_any_digit(
    level: Privacy,
) -> None:
    shown = payload(level)
    rendered = json.dumps(shown, ensure_ascii=False)
    assert "Missed call · caller not identified yet" in rendered
    assert "555" not in rendered and "867" not in rendered
    assert "555" not in shown["text"]


def test_at_full_the_card_gives_the_area_code_only() -> None:
    shown = payload(Privacy.FULL)
    rendered = json.dumps(shown, ensure_ascii=False)
    assert "Missed call from (555) \u2026 · caller not identified yet" in rendered
    assert "867" not in rendered and "5309" not in rendered
    assert "555" not in shown["text"]


def test_an_international_number_shows_no_part_of_it_even_at_full() -> None:
    item = dataclasses.replace(MISSED, patient=dataclasses.replace(UNKNOWN, phone="+442079460958"))
    assert caller_line(item, Privacy.FULL) == "Missed call · caller not identified yet"
    assert area_code("+442079460958") == ""


def test_an_unknown_caller_gets_identify_caller_until_someone_says_who_it_was() -> None:
    buttons = [
        e.get("action_id") for b in payload(Privacy.NONE)["blocks"] for e in b.get("elements", [])
    ]
    assert ActionId.IDENTIFY_CALLER in buttons
    known = dataclasses.replace(
        MISSED, patient=dataclasses.replace(UNKNOWN, name="Rosa Delgado", reference="MRN-1")
    )
    assert caller_line(known, Privacy.FULL) == ""
    rendered = json.dumps(payload(Privacy.NONE, known))
    assert ActionId.IDENTIFY_CALLER not in rendered and "not identified" not in rendered


def test_a_closed_missed_call_no_longer_asks_who_it_was() -> None:
    closed = make_resolved(patient=UNKNOWN, origin=Origin.MISSED_CALL)
    assert closed.status is Status.RESOLVED
    rendered = json.dumps(payload(Privacy.NONE, closed))
    assert ActionId.IDENTIFY_CALLER not in rendered and "not identified" not in rendered
