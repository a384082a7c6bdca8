"""The Handoff and Promise modals, their parsers and field errors, and the read-only note."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from blocks.ids import FieldId, ViewId
from blocks.modals.form import item_metadata, metadata_key
from blocks.modals.handoff import (
    handoff_errors,
    handoff_modal,
    handoff_note_from_view,
    handoff_note_modal,
)
from blocks.modals.promise import promise_errors, promise_from_view, promise_modal
from bot.domain.handoff import FIELD_MAX, PROMISE_MAX, HandoffNote, Promise, handoff_problems
from tests.blocks.conftest import NOW, TZ, assert_valid_view, make_claimed, make_lane, text_of

LANES = [
    make_lane(),
    make_lane("insurance", "Insurance information"),
    make_lane("referrals", "Referral and document status"),
]
LANE_KEYS = frozenset(lane.key for lane in LANES)
METADATA = item_metadata("CQ-1042")
HOSTILE = "<!here> call *now* <https://evil.example|portal> & _soon_"


def modal(**item_changes: Any) -> dict[str, Any]:
    return assert_valid_view(handoff_modal(make_claimed(**item_changes), LANES, METADATA, TZ))


def inputs_of(payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b for b in payload["blocks"] if b["type"] == "input"}


def texts_of_type(payload: Any, kind: str) -> list[str]:
    """Every text object of one type ("plain_text" or "mrkdwn") in a payload."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == kind and isinstance(node.get("text"), str):
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(payload)
    return found


def plain_texts(payload: Any) -> list[str]:
    return texts_of_type(payload, "plain_text")


def mrkdwn_texts(payload: Any) -> str:
    return "\n".join(texts_of_type(payload, "mrkdwn"))


def state(**entries: dict[str, Any]) -> dict[str, Any]:
    """A submitted view: `entries` maps an input block_id to its state (type and value)."""
    return {
        "private_metadata": METADATA,
        "state": {"values": {field: {field: value} for field, value in entries.items()}},
    }


def text(value: str | None) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def handoff_view(
    *,
    asked: str | None = "Wants Thursday moved to next week",
    promised: str | None = None,
    day: str | None = None,
    at: str | None = None,
    owner: str | None = "U2",
    lane: str | None = None,
) -> dict[str, Any]:
    return state(
        **{
            FieldId.ASKED: text(asked),
            FieldId.HANDOFF_CONFIRMED: text("Identity verified; prefers mornings"),
            FieldId.UNRESOLVED: text(None),
            FieldId.PROMISED: text(promised),
            FieldId.PROMISED_DATE: {"type": "datepicker", "selected_date": day},
            FieldId.PROMISED_TIME: {"type": "timepicker", "selected_time": at, "timezone": TZ.key},
            FieldId.NOT_TO_PROMISE: text("A specific provider"),
            FieldId.NEXT_OWNER: {"type": "users_select", "selected_user": owner},
            FieldId.NEXT_LANE: {
                "type": "static_select",
                "selected_option": {"value": lane} if lane else None,
            },
        }
    )


def errors_for(view: dict[str, Any], current_lane: str = "scheduling") -> dict[str, str]:
    note = handoff_note_from_view(view, TZ)
    problems = handoff_problems(note, NOW, lanes=LANE_KEYS, current_lane=current_lane)
    return handoff_errors(view, note, problems)


# -- the Handoff modal -----------------------------------------------------------------------


def test_handoff_modal_names_the_item_and_carries_only_its_key() -> None:
    payload = modal()
    assert payload["callback_id"] == ViewId.HANDOFF
    assert payload["title"]["text"] == "Handoff CQ-1042"
    assert json.loads(payload["private_metadata"]) == {"key": "CQ-1042"}
    assert "Handing off *CQ-1042 · Scheduling help*" in text_of(payload)


def test_what_the_patient_asked_is_required_and_starts_as_the_summary() -> None:
    inputs = inputs_of(modal())
    assert list(inputs) == [
        FieldId.ASKED,
        FieldId.HANDOFF_CONFIRMED,
        FieldId.UNRESOLVED,
        FieldId.PROMISED,
        FieldId.PROMISED_DATE,
        FieldId.PROMISED_TIME,
        FieldId.NOT_TO_PROMISE,
        FieldId.NEXT_OWNER,
        FieldId.NEXT_LANE,
    ]
    asked = inputs[FieldId.ASKED]
    assert asked.get("optional") is not True
    assert asked["element"]["multiline"] is True
    assert asked["element"]["initial_value"] == "Needs to move Thursday's appointment to next week."
    assert all(inputs[f].get("optional") is True for f in list(inputs)[1:])
    for field, block in inputs.items():
        assert block["element"]["action_id"] == field


def test_the_deadline_is_picked_in_the_practices_zone() -> None:
    inputs = inputs_of(modal())
    assert inputs[FieldId.PROMISED_DATE]["element"]["type"] == "datepicker"
    assert inputs[FieldId.PROMISED_TIME]["element"]["type"] == "timepicker"
    assert inputs[FieldId.PROMISED_TIME]["element"]["timezone"] == "America/New_York"


def test_who_is_next_is_a_person_or_one_of_the_other_lanes() -> None:
    inputs = inputs_of(modal())
    assert inputs[FieldId.NEXT_OWNER]["element"]["type"] == "users_select"
    options = inputs[FieldId.NEXT_LANE]["element"]["options"]
    assert [o["value"] for o in options] == ["insurance", "referrals"]
    assert [o["text"]["text"] for o in options] == [
        "Insurance information",
        "Referral and document status",
    ]


def test_a_practice_with_one_lane_offers_only_a_person() -> None:
    payload = assert_valid_view(handoff_modal(make_claimed(), [make_lane()], METADATA, TZ))
    assert FieldId.NEXT_LANE not in inputs_of(payload)


def test_the_longest_summary_key_and_lane_names_are_cut_not_refused() -> None:
    lanes = [make_lane(f"lane{n}", "L" * 200 + str(n)) for n in range(150)]
    item = make_claimed(key="CQ-" + "9" * 40, summary="x" * 5000, request_type="t" * 500)
    payload = assert_valid_view(handoff_modal(item, lanes, METADATA, TZ))
    inputs = inputs_of(payload)
    assert len(inputs[FieldId.ASKED]["element"]["initial_value"]) == FIELD_MAX
    assert len(inputs[FieldId.NEXT_LANE]["element"]["options"]) == 100
    assert len(payload["title"]["text"]) == 24
    assert inputs[FieldId.PROMISED]["element"]["max_length"] == PROMISE_MAX


def test_the_summary_is_prefilled_as_typed_never_as_markup() -> None:
    payload = modal(summary=HOSTILE)
    assert inputs_of(payload)[FieldId.ASKED]["element"]["initial_value"] == HOSTILE
    assert "<!here>" not in mrkdwn_texts(payload)


# -- reading a submitted Handoff modal ------------------------------------------------------


def test_a_submitted_handoff_becomes_a_note_with_its_deadline_in_the_practices_zone() -> None:
    view = handoff_view(
        promised="A call back with the referral status", day="2026-11-24", at="15:00"
    )
    note = handoff_note_from_view(view, TZ)
    assert note == HandoffNote(
        asked="Wants Thursday moved to next week",
        confirmed="Identity verified; prefers mornings",
        unresolved="",
        promised="A call back with the referral status",
        promised_by=datetime(2026, 11, 24, 20, 0, tzinfo=UTC),
        not_to_promise="A specific provider",
        next_owner="U2",
        next_lane=None,
    )
    assert errors_for(view) == {}


def test_an_empty_submission_reads_as_an_empty_note() -> None:
    assert handoff_note_from_view({}, TZ) == HandoffNote(asked="")


def test_a_note_without_what_the_patient_asked_is_refused_there() -> None:
    assert set(errors_for(handoff_view(asked="   "))) == {FieldId.ASKED}


def test_a_promise_without_a_deadline_is_refused_on_the_date() -> None:
    errors = errors_for(handoff_view(promised="Call back by Friday"))
    assert set(errors) == {FieldId.PROMISED_DATE}
    assert "By when" in errors[FieldId.PROMISED_DATE]


def test_a_deadline_with_only_a_date_asks_for_the_time() -> None:
    errors = errors_for(handoff_view(promised="Call back", day="2026-11-24"))
    assert errors == {FieldId.PROMISED_TIME: "Pick a date and a time."}


def test_a_deadline_in_the_past_is_refused() -> None:
    errors = errors_for(handoff_view(promised="Call back", day="2026-11-20", at="09:00"))
    assert set(errors) == {FieldId.PROMISED_DATE}


def test_a_promise_longer_than_a_tracked_promise_holds_is_refused() -> None:
    view = handoff_view(promised="p" * (PROMISE_MAX + 1), day="2026-11-24", at="15:00")
    assert set(errors_for(view)) == {FieldId.PROMISED}


def test_nobody_next_or_both_a_person_and_a_lane_is_refused_on_the_person() -> None:
    assert set(errors_for(handoff_view(owner=None))) == {FieldId.NEXT_OWNER}
    assert set(errors_for(handoff_view(lane="insurance"))) == {FieldId.NEXT_OWNER}


def test_the_items_own_lane_is_refused_on_the_lane() -> None:
    errors = errors_for(handoff_view(owner=None, lane="scheduling"))
    assert set(errors) == {FieldId.NEXT_LANE}
    assert errors_for(handoff_view(owner=None, lane="insurance")) == {}


# -- the read-only note ----------------------------------------------------------------------


def note_modal(note: HandoffNote, lane_name: str | None = None) -> dict[str, Any]:
    view = handoff_note_modal("CQ-1042", note, "U1", NOW - timedelta(minutes=5), lane_name, TZ)
    return assert_valid_view(view)


def test_the_note_shows_every_part_and_has_nothing_to_submit() -> None:
    payload = note_modal(
        HandoffNote(
            asked="Move Thursday",
            confirmed="Identity verified",
            promised="Call back",
            promised_by=datetime(2026, 11, 24, 20, 0, tzinfo=UTC),
            next_owner="U2",
        )
    )
    assert payload["callback_id"] == ViewId.HANDOFF_NOTE
    assert "submit" not in payload
    shown = text_of(payload)
    assert "What the patient asked:\nMove Thursday" in shown
    assert "Already confirmed:\nIdentity verified" in shown
    assert "Still unresolved:\nnothing noted" in shown
    assert "Call back\n(by Tue Nov 24 3:00 PM EST)" in shown
    assert "*Who is next:* <@U2>" in shown
    assert "Written by <@U1>" in shown


def test_a_note_to_a_lane_names_the_lane_escaped() -> None:
    payload = note_modal(HandoffNote(asked="x", next_lane="billing"), "Billing <&> handoff")
    assert "*Who is next:* the Billing &lt;&amp;&gt; handoff lane" in text_of(payload)


def test_everything_typed_in_a_note_is_plain_text() -> None:
    note = HandoffNote(
        asked=HOSTILE,
        confirmed=HOSTILE,
        unresolved=HOSTILE,
        promised=HOSTILE,
        not_to_promise=HOSTILE,
        next_owner="U2",
    )
    payload = note_modal(note)
    assert sum(HOSTILE in t for t in plain_texts(payload)) == 5
    assert "<!here>" not in mrkdwn_texts(payload) and "*now*" not in mrkdwn_texts(payload)


def test_the_longest_note_fits() -> None:
    longest = "w" * FIELD_MAX
    note = HandoffNote(
        asked=longest,
        confirmed=longest,
        unresolved=longest,
        promised=longest,
        promised_by=NOW,
        not_to_promise=longest,
        next_lane="lane",
    )
    payload = note_modal(note, "L" * 500)
    assert sum(longest in t for t in plain_texts(payload)) == 5


# -- the Promise modal -----------------------------------------------------------------------


def promise(n: int, text: str = "Call back with the referral status") -> Promise:
    return Promise(id=n, text=text, due_at=NOW + timedelta(days=n), made_by="U1", made_at=NOW)


def test_promise_modal_asks_for_words_a_day_and_a_time() -> None:
    payload = assert_valid_view(promise_modal(make_claimed(), [], METADATA, TZ))
    assert payload["callback_id"] == ViewId.PROMISE
    assert metadata_key(payload) == "CQ-1042"
    inputs = inputs_of(payload)
    assert list(inputs) == [FieldId.PROMISE_TEXT, FieldId.PROMISE_DATE, FieldId.PROMISE_TIME]
    assert all(block.get("optional") is not True for block in inputs.values())
    assert inputs[FieldId.PROMISE_TEXT]["element"]["max_length"] == PROMISE_MAX
    assert inputs[FieldId.PROMISE_TIME]["element"]["timezone"] == "America/New_York"


def test_promise_modal_lists_open_promises_as_plain_text() -> None:
    open_promises = [promise(1, HOSTILE), *(promise(n) for n in range(2, 9))]
    payload = assert_valid_view(promise_modal(make_claimed(), open_promises, METADATA, TZ))
    listed = next(t for t in plain_texts(payload) if t.startswith("Already promised"))
    assert HOSTILE in listed and "(by Tue Nov 24 10:54 AM EST)" in listed
    assert listed.endswith("…and 3 more")


def test_the_longest_promises_and_key_still_fit() -> None:
    open_promises = [promise(n, "p" * PROMISE_MAX) for n in range(1, 40)]
    item = make_claimed(key="CQ-" + "9" * 40, request_type="t" * 500)
    payload = assert_valid_view(promise_modal(item, open_promises, METADATA, TZ))
    assert len(payload["title"]["text"]) == 24


def promise_view(words: str | None, day: str | None, at: str | None) -> dict[str, Any]:
    return state(
        **{
            FieldId.PROMISE_TEXT: text(words),
            FieldId.PROMISE_DATE: {"type": "datepicker", "selected_date": day},
            FieldId.PROMISE_TIME: {"type": "timepicker", "selected_time": at},
        }
    )


def test_a_submitted_promise_reads_its_deadline_in_the_practices_zone() -> None:
    view = promise_view("  Call back with the status  ", "2026-11-24", "09:30")
    draft = promise_from_view(view, TZ)
    assert draft.text == "Call back with the status"
    assert draft.due_at == datetime(2026, 11, 24, 14, 30, tzinfo=UTC)
    assert promise_errors(view, draft, NOW) == {}


def test_a_promise_needs_words_and_a_whole_future_deadline() -> None:
    def errors(words: str | None, day: str | None, at: str | None) -> dict[str, str]:
        view = promise_view(words, day, at)
        return promise_errors(view, promise_from_view(view, TZ), NOW)

    assert set(errors(None, None, None)) == {FieldId.PROMISE_TEXT, FieldId.PROMISE_DATE}
    assert set(errors("Call", "2026-11-24", None)) == {FieldId.PROMISE_TIME}
    assert set(errors("Call", None, "09:00")) == {FieldId.PROMISE_DATE}
    assert set(errors("Call", "2026-11-23", "10:00")) == {FieldId.PROMISE_DATE}
    assert set(errors("Call", "not-a-date", "25:99")) == {FieldId.PROMISE_DATE}
    assert set(errors("p" * (PROMISE_MAX + 1), "2026-11-24", "09:00")) == {FieldId.PROMISE_TEXT}
