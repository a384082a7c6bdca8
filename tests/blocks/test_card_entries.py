"""The card's thread entries and the card left behind by a move, read the way staff in the
lane channel would see them (the card itself: test_card.py)."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2 import Environment

from blocks.ids import ActionId
from blocks.moved_card import moved_card
from blocks.thread import thread_entry
from bot.domain.events import Event
from bot.domain.items import Action, Item
from bot.domain.lanes import Privacy
from tests.blocks.card_helpers import (
    APP_MARKUP,
    CHECK_BACK,
    HOSTILE_NOTE,
    LANE,
    NEXT_DUE,
    PROMISE_DUE,
    TIMES,
    as_read,
)
from tests.blocks.conftest import (
    NOW,
    PHONE,
    REFERENCE,
    TZ,
    WORDING,
    assert_valid_message,
    make_claimed,
    make_hostile_item,
    make_item,
    make_lane,
    make_resolved,
    nodes_of,
    text_of,
    texts_of,
)

# --- thread entries ----------------------------------------------------------------------


def entry(
    action: Action, after: dict[str, Any] | None = None, privacy: Privacy = Privacy.NONE
) -> dict[str, Any]:
    event = Event(item_key="CQ-1042", action=action, actor="U1", at=NOW, after=after or {})
    return assert_valid_message(thread_entry(event, make_claimed(), privacy, TZ, WORDING))


@pytest.mark.parametrize(
    ("action", "after", "text"),
    [
        (Action.CREATE, {}, "Logged by <@U1> from a voicemail · 10:54 AM"),
        (Action.CLAIM, {"owner": "U1"}, "Claimed by <@U1> · 10:54 AM"),
        (Action.RELEASE, {"owner": None}, "Released by <@U1> · 10:54 AM"),
        (Action.REASSIGN, {"owner": "U2"}, "Reassigned to <@U2> by <@U1> · 10:54 AM"),
        (Action.REASSIGN, {}, "Reassigned by <@U1> · 10:54 AM"),
        (
            Action.CLOSE,
            {
                "resolution": "appointment booked",
                "told_patient": "Booked Tue",
                "status": "resolved",
            },
            "Closed by <@U1> · appointment booked · 10:54 AM",
        ),
        (Action.CLOSE, {}, "Closed by <@U1> · 10:54 AM"),
        (Action.REOPEN, {"status": "claimed"}, "Reopened by <@U1> · 10:54 AM"),
    ],
)
def test_thread_entry_says_what_happened_in_one_line(
    action: Action, after: dict[str, Any], text: str
) -> None:
    payload = entry(action, after)
    assert payload["text"] == text
    line = payload["blocks"][0]["text"]
    assert line["type"] == "mrkdwn"
    assert line["verbatim"] is True
    at = int(NOW.timestamp())
    assert line["text"] == text.replace(
        "10:54 AM", f"<!date^{at}^{{time}}|Mon Nov 23 10:54 AM EST>"
    )


def test_close_entry_at_full_adds_what_the_patient_was_told_as_plain_text() -> None:
    payload = entry(
        Action.CLOSE,
        {"resolution": "appointment booked", "told_patient": "<!channel> booked *Tue*"},
        Privacy.FULL,
    )
    assert payload["blocks"][1]["text"] == {
        "type": "plain_text",
        "text": "Told patient: <!channel> booked *Tue*",
        "emoji": False,
    }
    assert "booked *Tue*" not in payload["text"]


@pytest.mark.parametrize("privacy", [Privacy.NONE, Privacy.INITIALS])
def test_close_entry_below_full_never_shows_what_the_patient_was_told(privacy: Privacy) -> None:
    payload = entry(
        Action.CLOSE, {"resolution": "appointment booked", "told_patient": "Booked Tue"}, privacy
    )
    assert "Booked Tue" not in json.dumps(payload)
    assert len(payload["blocks"]) == 1


def test_thread_entry_escapes_a_resolution_and_ignores_odd_event_values() -> None:
    payload = entry(Action.CLOSE, {"resolution": "<!here> done & dusted", "owner": 7})
    assert payload["text"] == "Closed by <@U1> · &lt;!here&gt; done &amp; dusted · 10:54 AM"


def test_an_action_without_its_own_template_gets_a_generic_entry(wording: Environment) -> None:
    event = Event(item_key="CQ-1042", action="from_the_future", actor="U1", at=NOW)  # type: ignore[arg-type]
    message = thread_entry(event, make_claimed(), Privacy.NONE, TZ, wording)
    assert message.text == "Updated by <@U1> (from the future) · 10:54 AM"


# --- the old card after a move -----------------------------------------------------------

REFERRALS = make_lane("referrals", "Referral and document status")


def test_a_moved_card_points_to_the_new_lane_and_offers_nothing_to_click(
    wording: Environment,
) -> None:
    lane = dataclasses.replace(REFERRALS, channel="#cq-referrals")
    payload = assert_valid_message(moved_card(make_claimed(lane="referrals"), lane, wording))
    assert [b["type"] for b in payload["blocks"]] == ["header", "section"]
    assert payload["blocks"][0]["text"]["text"] == "CQ-1042 · Scheduling help"
    line = payload["blocks"][1]["text"]["text"]
    assert "CQ-1042 moved to #cq-referrals (Referral and document status)" in line
    assert nodes_of(payload, "button") == []
    assert payload["text"].startswith("CQ-1042 moved to #cq-referrals")


def test_a_moved_card_links_a_channel_id_and_escapes_a_lane_name(wording: Environment) -> None:
    lane = dataclasses.replace(REFERRALS, channel="C0REFER", name="Referrals <!here> & docs")
    payload = assert_valid_message(moved_card(make_item(), lane, wording))
    assert "moved to <#C0REFER> (Referrals &lt;!here&gt; &amp; docs)" in text_of(payload)


@pytest.mark.parametrize("make", [make_hostile_item, make_claimed, make_resolved])
def test_a_moved_card_never_carries_patient_data(make: Any, wording: Environment) -> None:
    payload = assert_valid_message(moved_card(make(), REFERRALS, wording))
    shown = json.dumps(payload)
    for patient_data in ("Jane", "J.Q.D.", "J.D.", PHONE, REFERENCE, "chest pain", "Spanish"):
        assert patient_data not in shown


# --- thread entries for working an item --------------------------------------------------

LANES = {lane.key: lane for lane in (LANE, REFERRALS)}
SYSTEM_ACTOR = "UCAREQUEUE"


def work_entry(
    action: Action,
    after: dict[str, Any] | None = None,
    privacy: Privacy = Privacy.NONE,
    *,
    actor: str = "U1",
    before: dict[str, Any] | None = None,
    item: Item | None = None,
) -> dict[str, Any]:
    event = Event(
        item_key="CQ-1042",
        action=action,
        actor=actor,
        at=NOW,
        before=before or {},
        after=after or {},
    )
    message = thread_entry(event, item or make_claimed(), privacy, TZ, WORDING, lanes=LANES)
    return assert_valid_message(message)


def line_of(payload: dict[str, Any]) -> str:
    return as_read(payload["blocks"][0]["text"]["text"])


ATTEMPT = {
    "attempts": 2,
    "next_action": "Call again (attempt 3 of 3)",
    "due_at": NEXT_DUE,
    "attempt": 2,
    "outcome": "reached",
    "identity_verified": True,
    "confirmed": HOSTILE_NOTE,
    "next_step": "<!channel> book *Tue* 10:30",
    "next_due_at": NEXT_DUE,
    "final": None,
}
HANDOFF_TO_PERSON = {
    "owner": "U2",
    "status": "claimed",
    "handoff_id": 31,
    "promise_id": 7,
    "asked": HOSTILE_NOTE,
    "unresolved": "x" * 400,
    "promised": "<!channel> *results* by Tue",
}
HANDOFF_TO_LANE = {"lane": "referrals", "status": "new", "owner": None, "handoff_id": 32}
PROMISE = {"status": "claimed", "promise_id": 7, "promise_due_at": PROMISE_DUE}


@pytest.mark.parametrize(
    ("action", "after", "text"),
    [
        (
            Action.LOG_ATTEMPT,
            ATTEMPT,
            "Attempt 2 · Reached · identity verified · next due Tue 10:30 AM · by <@U1> · 10:54 AM",
        ),
        (
            Action.LOG_ATTEMPT,
            {"attempt": 1, "outcome": "left_voicemail", "due_at": NEXT_DUE.isoformat()},
            "Attempt 1 · Left voicemail · next due Tue 10:30 AM · by <@U1> · 10:54 AM",
        ),
        (
            Action.LOG_ATTEMPT,
            {"attempt": 3, "outcome": "no_answer", "final": "supervisor_review"},
            "Attempt 3 · No answer · supervisor review next · by <@U1> · 10:54 AM",
        ),
        (
            Action.SUPERVISOR_REVIEW,
            {"attempts": 3},
            "Not reached after 3 attempts: supervisor review requested · 10:54 AM",
        ),
        (Action.HANDOFF, HANDOFF_TO_PERSON, "Handoff by <@U1> → <@U2> · 10:54 AM"),
        (
            Action.HANDOFF,
            {"owner": "U2", "handoff_id": 3, "promise_due_at": PROMISE_DUE.isoformat()},
            "Handoff by <@U1> → <@U2> · promise due Tue 3:00 PM · 10:54 AM",
        ),
        (
            Action.HANDOFF,
            HANDOFF_TO_LANE,
            "Handoff by <@U1> → Referral and document status · 10:54 AM",
        ),
        (Action.PROMISE, PROMISE, "Promise made by <@U1> · due Tue 3:00 PM · 10:54 AM"),
        (Action.FULFIL_PROMISE, {"promise_id": 7}, "Promise kept by <@U1> · 10:54 AM"),
        (
            Action.WAIT,
            {"status": "waiting", "waiting_on": "payer", "check_back_at": CHECK_BACK},
            "Waiting · check back Thu 9:00 AM · by <@U1> · 10:54 AM",
        ),
        (Action.RESUME, {"waiting_on": ""}, "Back from waiting · by <@U1> · 10:54 AM"),
        (
            Action.MOVE,
            {"lane": "referrals", "from_lane": "scheduling"},
            "Moved from Scheduling to Referral and document status by <@U1> · 10:54 AM",
        ),
        (
            Action.REPEAT_CONTACT,
            {"repeat_count": 2, "from": "CQ-1043"},
            f"Repeat contact: CQ-1043 from the same patient ({TIMES}2) · 10:54 AM",
        ),
        (Action.MERGE, {"merged": "CQ-1043"}, "Merged CQ-1043 into this item by <@U1> · 10:54 AM"),
        (
            Action.MERGE,
            {"into": "CQ-1001", "status": "resolved"},
            "Merged into CQ-1001 by <@U1> · 10:54 AM",
        ),
        (Action.SET_LANGUAGE, {"language": "Spanish"}, "Language set by <@U1> · 10:54 AM"),
    ],
)
def test_a_working_entry_says_what_happened_in_one_line(
    action: Action, after: dict[str, Any], text: str
) -> None:
    payload = work_entry(action, after)
    assert payload["text"] == text


def test_the_entry_line_shows_what_the_notification_leaves_out() -> None:
    wait = work_entry(
        Action.WAIT,
        {
            "waiting_for": "referral_office",
            "waiting_on": "<!here> Dr. Patel",
            "check_back_at": CHECK_BACK.isoformat(),
        },
    )
    assert line_of(wait) == (
        "Waiting on the referral office · check back Thu Nov 26 9:00 AM EST · by <@U1> · "
        "Mon Nov 23 10:54 AM EST"
    )
    assert "Patel" not in json.dumps(wait)  # staff's words: only at full
    language = work_entry(Action.SET_LANGUAGE, {"language": "Spanish"})
    assert line_of(language) == "Language set to Spanish by <@U1> · Mon Nov 23 10:54 AM EST"


def test_a_wait_entry_adds_staffs_words_as_plain_text_only_at_full() -> None:
    after = {"waiting_for": "lab", "waiting_on": "<!here> Quest", "check_back_at": None}
    full = work_entry(Action.WAIT, after, Privacy.FULL)
    assert full["blocks"][1]["text"] == {
        "type": "plain_text",
        "text": "Waiting on: <!here> Quest",
        "emoji": False,
    }
    assert "Quest" not in full["text"]
    assert "Quest" not in json.dumps(work_entry(Action.WAIT, after, Privacy.INITIALS))


def test_a_resume_by_careqeue_names_the_app_and_what_the_item_waited_on() -> None:
    payload = work_entry(
        Action.RESUME,
        {"status": "claimed", "waiting_on": "", "waiting_for": ""},
        actor=SYSTEM_ACTOR,
        before={"status": "waiting", "waiting_on": "Aetna", "waiting_for": "payer"},
    )
    assert payload["text"] == "Back from waiting · by CareQueue · 10:54 AM"
    assert line_of(payload).startswith("Back from waiting on the payer · by CareQueue")
    assert "<@UCAREQUEUE>" not in json.dumps(payload)
    assert "Aetna" not in json.dumps(payload)


def test_a_repeat_contact_noticed_by_careqeue_is_not_a_mention() -> None:
    payload = work_entry(
        Action.REPEAT_CONTACT, {"repeat_count": 3, "from": "CQ-1044"}, actor=SYSTEM_ACTOR
    )
    assert f"({TIMES}3)" in payload["text"]
    assert "<@" not in json.dumps(payload)


def test_a_call_entry_has_a_view_button_for_the_whole_note() -> None:
    first = work_entry(Action.LOG_ATTEMPT, ATTEMPT)["blocks"][0]
    assert first["accessory"]["type"] == "button"
    assert first["accessory"]["text"]["text"] == "View"
    assert first["accessory"]["action_id"] == ActionId.VIEW_ATTEMPT
    assert first["accessory"]["value"] == "CQ-1042|2"


@pytest.mark.parametrize("privacy", [Privacy.NONE, Privacy.INITIALS])
def test_a_call_entry_below_full_holds_structured_facts_only(privacy: Privacy) -> None:
    payload = work_entry(Action.LOG_ATTEMPT, ATTEMPT, privacy)
    assert len(payload["blocks"]) == 1
    shown = json.dumps(payload)
    for free_text in ("call *now*", "evil", "book *Tue*", "<!channel>", "<!here>"):
        assert free_text not in shown
    assert line_of(payload).startswith(
        "Attempt 2 · Reached · identity verified · next due Tue Nov 24 10:30 AM EST"
    )


def test_a_call_entry_at_full_adds_what_was_confirmed_and_what_is_next_as_plain_text() -> None:
    payload = work_entry(Action.LOG_ATTEMPT, ATTEMPT, Privacy.FULL)
    assert [b["text"] for b in payload["blocks"][1:]] == [
        {"type": "plain_text", "text": f"Confirmed: {HOSTILE_NOTE}", "emoji": False},
        {"type": "plain_text", "text": "Next: <!channel> book *Tue* 10:30", "emoji": False},
    ]
    for free_text in ("call *now*", "book *Tue*", "<!channel>", "<!here>"):
        assert free_text not in payload["text"]
        for text in texts_of(payload, "mrkdwn"):
            assert free_text not in text


def test_a_handoff_entry_has_a_view_button_for_the_note() -> None:
    for after, handoff_id in ((HANDOFF_TO_PERSON, 31), (HANDOFF_TO_LANE, 32)):
        accessory = work_entry(Action.HANDOFF, after)["blocks"][0]["accessory"]
        assert accessory["action_id"] == ActionId.VIEW_HANDOFF
        assert accessory["value"] == f"CQ-1042|{handoff_id}"


@pytest.mark.parametrize("privacy", [Privacy.NONE, Privacy.INITIALS])
def test_a_handoff_entry_below_full_never_shows_the_note(privacy: Privacy) -> None:
    payload = work_entry(Action.HANDOFF, HANDOFF_TO_PERSON, privacy)
    assert len(payload["blocks"]) == 1
    shown = json.dumps(payload)
    for free_text in ("call *now*", "xxxx", "*results*", "<!channel>", "<!here>"):
        assert free_text not in shown


def test_a_handoff_entry_at_full_keeps_the_note_short_and_plain() -> None:
    payload = work_entry(Action.HANDOFF, HANDOFF_TO_PERSON, Privacy.FULL)
    (summary,) = payload["blocks"][1:]
    assert summary["text"]["type"] == "plain_text"
    lines = summary["text"]["text"].split("\n")
    assert lines[0] == f"Asked: {HOSTILE_NOTE}"
    assert lines[1].startswith("Still open: xxx") and lines[1].endswith("\u2026")
    assert len(lines[1]) <= len("Still open: ") + 150
    assert lines[2] == "Promised: <!channel> *results* by Tue"
    assert "*results*" not in payload["text"]


def test_a_handoff_without_the_note_in_its_event_is_still_one_line_at_full() -> None:
    payload = work_entry(Action.HANDOFF, HANDOFF_TO_LANE, Privacy.FULL)
    assert len(payload["blocks"]) == 1


@pytest.mark.parametrize("privacy", list(Privacy))
def test_a_promise_entry_shows_its_deadline_and_its_words_only_at_full(privacy: Privacy) -> None:
    after = {**PROMISE, "promise_text": HOSTILE_NOTE}
    payload = work_entry(Action.PROMISE, after, privacy)
    assert line_of(payload).startswith("Promise made by <@U1> · due Tue Nov 24 3:00 PM EST")
    assert "call *now*" not in payload["text"]
    if privacy is Privacy.FULL:
        assert payload["blocks"][1]["text"] == {
            "type": "plain_text",
            "text": f"Promised: {HOSTILE_NOTE}",
            "emoji": False,
        }
    else:
        assert "call *now*" not in json.dumps(payload)


def test_an_entry_reads_the_same_from_a_stored_event_as_from_a_fresh_one() -> None:
    stored = {
        key: (value.isoformat() if isinstance(value, datetime) else value)
        for key, value in ATTEMPT.items()
    }
    assert work_entry(Action.LOG_ATTEMPT, stored) == work_entry(Action.LOG_ATTEMPT, ATTEMPT)


@pytest.mark.parametrize("privacy", list(Privacy))
@pytest.mark.parametrize("action", list(Action))
def test_every_action_has_an_entry_even_when_its_event_holds_nothing(
    action: Action, privacy: Privacy
) -> None:
    payload = work_entry(action, {}, privacy)
    assert "Updated by" not in payload["text"]
    assert len(payload["blocks"]) == 1


@pytest.mark.parametrize("privacy", list(Privacy))
@pytest.mark.parametrize("action", list(Action))
def test_no_entry_notification_carries_free_text_or_patient_data(
    action: Action, privacy: Privacy
) -> None:
    after = {
        **ATTEMPT,
        **HANDOFF_TO_PERSON,
        "promise_text": HOSTILE_NOTE,
        "told_patient": HOSTILE_NOTE,
        "waiting_on": "Dr. Rivera's office",
        "language": "Spanish",
    }
    payload = work_entry(action, after, privacy, item=make_hostile_item())
    for secret in ("call *now*", "<!here>", "<!channel>", "Rivera", "Spanish", "Jane"):
        assert secret not in payload["text"]
    for text in texts_of(payload, "mrkdwn"):
        assert "<!here>" not in text and "<!channel>" not in text


def test_odd_values_in_an_event_are_ignored_not_shown() -> None:
    odd = {"attempt": "2", "outcome": 3, "identity_verified": "yes", "due_at": "next week"}
    payload = work_entry(Action.LOG_ATTEMPT, odd)
    assert payload["text"] == "Call attempt · by <@U1> · 10:54 AM"
    assert "accessory" not in payload["blocks"][0]
    unknown = work_entry(Action.LOG_ATTEMPT, {"attempt": 1, "outcome": "fax_sent"})
    assert unknown["text"].startswith("Attempt 1 · Fax sent ·")


@settings(max_examples=60, deadline=None)
@given(
    typed=st.text(max_size=400),
    privacy=st.sampled_from(list(Privacy)),
    action=st.sampled_from(list(Action)),
)
def test_whatever_staff_type_a_working_entry_validates_and_holds_only_app_markup(
    typed: str, privacy: Privacy, action: Action
) -> None:
    after = {
        key: typed
        for key in (
            "outcome",
            "confirmed",
            "next_step",
            "asked",
            "unresolved",
            "promised",
            "promise_text",
            "waiting_on",
            "language",
            "from",
            "into",
            "merged",
            "lane",
            "from_lane",
            "final",
        )
    }
    payload = work_entry(action, {**after, "attempt": 1, "handoff_id": 3}, privacy)
    for text in texts_of(payload, "mrkdwn"):
        assert "<" not in APP_MARKUP.sub("", text)
        assert ">" not in APP_MARKUP.sub("", text)


def test_a_clinical_request_kept_for_its_language_names_the_bilingual_clinicians() -> None:
    kept = {"lane": "clinical", "kept_for_language": "Spanish"}
    named = entry(Action.CREATE, {**kept, "bilingual_clinicians": ["U0NURSE02", "U0DOC001"]})
    line = json.dumps(named["blocks"])
    assert "Prefers Spanish: it stays in this clinical lane" in line
    assert "Bilingual clinical staff for Spanish: <@U0NURSE02>, <@U0DOC001>." in line
    assert "Spanish" not in named["text"]  # the language stays out of the notification text
    nobody = json.dumps(entry(Action.CREATE, {**kept, "bilingual_clinicians": []})["blocks"])
    assert "an interpreter is needed for the clinical callback" in nobody
    assert "Prefers" not in json.dumps(entry(Action.CREATE, {"lane": "clinical"})["blocks"])


@pytest.mark.parametrize("privacy", list(Privacy))
def test_a_not_clinical_move_says_so_and_shows_the_note_only_at_full(privacy: Privacy) -> None:
    note = "Asks only to reschedule the follow-up"
    after = {"lane": "scheduling", "from_lane": "clinical", "not_clinical": note}
    payload = entry(Action.MOVE, after, privacy)
    assert "Not clinical: a clinician's decision" in payload["text"]
    assert (note in json.dumps(payload["blocks"])) is (privacy is Privacy.FULL)
    assert note not in payload["text"]
    plain = entry(Action.MOVE, {"lane": "scheduling", "from_lane": "insurance"}, privacy)
    assert "Not clinical" not in json.dumps(plain)
