"""The item card and its thread entries, read the way staff in the lane channel would see them."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2 import Environment

from blocks.card import item_card
from blocks.ids import ActionId, card_actions_block_id, more_value, parse_more_value
from blocks.moved_card import moved_card
from blocks.thread import thread_entry
from bot.domain.events import Event
from bot.domain.handoff import Promise
from bot.domain.items import TRANSITIONS, Action, Item, Status
from bot.domain.lanes import Privacy
from tests.blocks.conftest import (
    CALENDAR,
    CALLBACK_WINDOW,
    NOW,
    PHONE,
    REFERENCE,
    SOURCE_LINK,
    TZ,
    WORDING,
    assert_valid_message,
    make_claimed,
    make_hostile_item,
    make_item,
    make_lane,
    make_patient,
    make_resolved,
    nodes_of,
    text_of,
    texts_of,
)

LANE = make_lane()
ALL_STATES = [make_item(), make_claimed(), make_resolved(), make_item(status=Status.ESCALATED)]


def card(item: Item, privacy: Privacy = Privacy.NONE, **lane_changes: Any) -> dict[str, Any]:
    lane = dataclasses.replace(LANE, **lane_changes) if lane_changes else LANE
    return assert_valid_message(item_card(item, lane, privacy, NOW, TZ, WORDING, calendar=CALENDAR))


def actions_of(payload: dict[str, Any]) -> list[dict[str, Any]]:
    (actions,) = [b for b in payload["blocks"] if b["type"] == "actions"]
    return actions["elements"]


def buttons_of(payload: dict[str, Any]) -> list[str]:
    return [e["text"]["text"] for e in actions_of(payload) if e["type"] == "button"]


def more_options(payload: dict[str, Any]) -> list[str]:
    """The texts of the card's "More" menu, or [] when it has none."""
    menus = [e for e in actions_of(payload) if e["type"] == "overflow"]
    assert len(menus) <= 1
    return [o["text"]["text"] for menu in menus for o in menu["options"]]


def fields_of(payload: dict[str, Any]) -> dict[str, str]:
    section = next(b for b in payload["blocks"] if "fields" in b)
    label_value = (f["text"].split("\n", 1) for f in section["fields"])
    return {label.strip("*"): value for label, value in label_value}


# --- what the card shows -----------------------------------------------------------------


def test_unclaimed_card_offers_claim_details_and_more_and_no_patient_data() -> None:
    payload = card(make_item())
    assert buttons_of(payload) == ["Claim", "Details"]
    assert more_options(payload) == [
        "Move to another lane\u2026",
        "Language\u2026",
        "Escalate\u2026",
    ]
    claim = actions_of(payload)[0]
    assert claim["action_id"] == ActionId.CLAIM
    assert claim["style"] == "primary"
    assert fields_of(payload)["Owner"] == "Unclaimed"
    shown = json.dumps(payload)
    for patient_data in ("Jane", "J.D.", PHONE, REFERENCE, "Thursday", CALLBACK_WINDOW):
        assert patient_data not in shown


def test_card_header_reads_key_and_request_type() -> None:
    header = card(make_item())["blocks"][0]
    assert header["type"] == "header"
    assert header["text"] == {
        "type": "plain_text",
        "text": "CQ-1042 · Scheduling help",
        "emoji": False,
    }


def test_card_fields_show_status_owner_origin_type_times_next_action_and_language() -> None:
    fields = fields_of(card(make_claimed()))
    assert list(fields) == [
        "Status",
        "Owner",
        "Origin",
        "Request type",
        "Received",
        "Due",
        "Next action",
        "Language",
    ]
    assert fields["Status"] == "Claimed"
    assert fields["Owner"] == "<@U1>"
    assert fields["Origin"] == "Voicemail"
    assert fields["Next action"] == "Call the patient back"
    assert fields["Language"] == "Spanish"
    received = int((NOW - timedelta(minutes=72)).timestamp())
    assert fields["Received"] == (
        f"<!date^{received}^{{date_short_pretty}} {{time}}|Mon Nov 23 9:42 AM EST> "
        f"(<!date^{received}^{{ago}}|1 h 12 min ago>)"
    )
    due, state = fields["Due"].split("\n")
    assert due.endswith("|Mon Nov 23 12:54 PM EST>")
    assert state == ":large_green_circle: due in 2 h"


def test_claimed_card_offers_log_call_handoff_close_release_reassign_details_and_more() -> None:
    payload = card(make_claimed())
    elements = actions_of(payload)
    assert [e["type"] for e in elements] == [
        "button",
        "button",
        "button",
        "button",
        "users_select",
        "button",
        "overflow",
    ]
    assert buttons_of(payload) == ["Log call", "Handoff", "Close", "Release", "Details"]
    assert [e["action_id"] for e in elements] == [
        ActionId.LOG_CALL,
        ActionId.HANDOFF,
        ActionId.CLOSE,
        ActionId.RELEASE,
        ActionId.REASSIGN,
        ActionId.DETAILS,
        ActionId.MORE,
    ]
    log_call = elements[0]
    assert log_call["style"] == "primary"
    assert [e.get("style") for e in elements[1:]] == [None] * 6
    reassign = elements[4]
    assert reassign["placeholder"]["text"] == "Reassign\u2026"
    assert more_options(payload) == [
        "Waiting on\u2026",
        "Promise\u2026",
        "Move to another lane\u2026",
        "Language\u2026",
        "Escalate\u2026",
    ]
    assert "Claim" not in buttons_of(payload)


def test_resolved_card_offers_reopen_and_says_who_closed_it_and_how() -> None:
    payload = card(make_resolved())
    assert buttons_of(payload) == ["Reopen", "Details"]
    assert [e["action_id"] for e in actions_of(payload)] == [ActionId.REOPEN, ActionId.DETAILS]
    shown = text_of(payload)
    assert "Resolved by <@U1> · appointment booked" in shown
    assert "Told patient" not in shown


def test_resolved_card_at_full_shows_what_the_patient_was_told_as_plain_text() -> None:
    payload = card(make_resolved(), Privacy.FULL)
    told = [b for b in payload["blocks"] if "Told patient" in json.dumps(b)]
    assert len(told) == 1
    assert told[0]["text"]["type"] == "plain_text"
    assert "<!here> reminder text sent" in told[0]["text"]["text"]


@pytest.mark.parametrize("privacy", [Privacy.NONE, Privacy.INITIALS])
def test_resolved_card_below_full_never_shows_what_the_patient_was_told(privacy: Privacy) -> None:
    assert "Dr. Rivera" not in json.dumps(card(make_resolved(), privacy))


@pytest.mark.parametrize("item", ALL_STATES, ids=lambda i: i.status.value)
def test_buttons_carry_the_item_key_and_the_actions_block_names_the_item(item: Item) -> None:
    payload = card(item)
    (actions,) = [b for b in payload["blocks"] if b["type"] == "actions"]
    assert actions["block_id"] == card_actions_block_id("CQ-1042")
    assert {e["value"] for e in actions["elements"] if e["type"] == "button"} == {"CQ-1042"}
    assert "Details" in buttons_of(payload)


def test_open_item_past_its_due_time_is_marked_overdue_by_business_time() -> None:
    late = make_claimed(due_at=NOW - timedelta(minutes=75))
    payload = card(late)
    assert fields_of(payload)["Due"].endswith("\n:red_circle: *overdue 1 h 15 min*")
    assert payload["text"].endswith("(overdue)")


def test_overdue_counts_only_business_time_since_the_due_time() -> None:
    # Due Friday 4:30 PM; it is Monday 10:54 AM: 30 min on Friday and 2 h 54 min today.
    friday = datetime(2026, 11, 20, 21, 30, tzinfo=UTC)
    payload = card(make_claimed(received_at=friday - timedelta(hours=4), due_at=friday))
    assert fields_of(payload)["Due"].endswith("\n:red_circle: *overdue 3 h 24 min*")


@pytest.mark.parametrize(
    ("due_in", "state"),
    [
        (timedelta(minutes=25), ":large_yellow_circle: *due soon* · 25 min left"),
        (timedelta(minutes=40), ":large_green_circle: due in 40 min"),
        (timedelta(hours=1, minutes=30), ":large_green_circle: due in 1 h 30 min"),
    ],
)
def test_an_item_near_its_due_time_is_due_soon(due_in: timedelta, state: str) -> None:
    # Received 9:42 AM: due soon in the last 30 min (more than a quarter of its target).
    payload = card(make_item(due_at=NOW + due_in))
    assert fields_of(payload)["Due"].split("\n")[1] == state


def test_a_waiting_item_shows_its_check_back_time_without_a_due_state() -> None:
    waiting = make_claimed(
        status=Status.WAITING, waiting_on="payer", due_at=NOW + timedelta(days=1)
    )
    due = fields_of(card(waiting))["Due"]
    assert "\n" not in due and "due in" not in due


def test_resolved_item_past_its_due_time_is_not_marked_overdue() -> None:
    payload = card(make_resolved(due_at=NOW - timedelta(hours=1)))
    assert "overdue" not in json.dumps(payload)


def test_request_type_and_next_action_are_escaped() -> None:
    item = make_item(request_type="Forms & <letters>", next_action="Call <!here> & confirm")
    fields = fields_of(card(item))
    assert fields["Request type"] == "Forms &amp; &lt;letters&gt;"
    assert fields["Next action"] == "Call &lt;!here&gt; &amp; confirm"


def test_every_mrkdwn_text_on_the_card_is_verbatim() -> None:
    payload = card(make_resolved(), Privacy.FULL)
    mrkdwn = nodes_of(payload, "mrkdwn")
    assert mrkdwn
    assert all(node.get("verbatim") is True for node in mrkdwn)


def test_source_message_link_is_shown_at_every_level() -> None:
    for privacy in Privacy:
        context = card(make_item(), privacy)["blocks"][-1]
        assert context["type"] == "context"
        assert f"<{SOURCE_LINK}|Source message>" in [e["text"] for e in context["elements"]]


@pytest.mark.parametrize(
    "link", ["", "http://carequeue-demo.slack.com/archives/C1/p1", "javascript:alert(1)"]
)
def test_a_missing_or_non_https_source_link_is_left_off(link: str) -> None:
    payload = card(make_item(source_link=link))
    assert "Source message" not in json.dumps(payload)


def test_a_forged_source_link_cannot_rename_itself() -> None:
    payload = card(make_item(source_link="https://evil.example|Open chart <now>"))
    context = payload["blocks"][-1]["elements"]
    assert [e["text"] for e in context if "evil" in e["text"]] == []


def test_a_clinical_lane_card_says_a_clinician_must_acknowledge() -> None:
    shown = text_of(card(make_claimed(), clinical=True))
    assert "needs a clinician's acknowledgment before closing" in shown
    acked = text_of(card(make_claimed(clinical_ack_by="U9"), clinical=True))
    assert "acknowledged by <@U9>" in acked


# --- privacy ---------------------------------------------------------------------------


def test_card_at_full_shows_channel_ping_as_plain_text() -> None:
    payload = card(make_hostile_item(), Privacy.FULL)
    plain = [b["text"] for b in payload["blocks"] if b["type"] == "section" and "text" in b]
    assert {
        "type": "plain_text",
        "text": "Patient: <!channel> Jane Q. Doe",
        "emoji": False,
    } in plain
    assert {
        "type": "plain_text",
        "text": "Summary: <https://evil.example|click> chest pain *now*",
        "emoji": False,
    } in plain
    assert not any("Jane" in text or "chest pain" in text for text in texts_of(payload, "mrkdwn"))


def test_card_at_initials_shows_only_the_initials() -> None:
    payload = card(make_hostile_item(), Privacy.INITIALS)
    assert fields_of(payload)["Patient"] == "J.Q.D."
    shown = json.dumps(payload)
    for patient_data in ("Jane", "Doe", PHONE, REFERENCE, "chest pain", CALLBACK_WINDOW):
        assert patient_data not in shown


@pytest.mark.parametrize("privacy", list(Privacy))
@pytest.mark.parametrize("item", ALL_STATES, ids=lambda i: i.status.value)
def test_phone_reference_and_callback_window_never_appear_on_a_card(
    privacy: Privacy, item: Item
) -> None:
    shown = json.dumps(card(item, privacy))
    assert PHONE not in shown
    assert REFERENCE not in shown
    assert CALLBACK_WINDOW not in shown


@pytest.mark.parametrize("privacy", list(Privacy))
@pytest.mark.parametrize(
    "make", [make_hostile_item, make_claimed, make_resolved], ids=["new", "claimed", "resolved"]
)
def test_notification_text_never_carries_patient_data_at_any_level(
    make: Any, privacy: Privacy
) -> None:
    item = make(
        patient=make_patient(name="<!channel> Jane Q. Doe"),
        summary="<https://evil.example|click> chest pain *now*",
    )
    payload = card(item, privacy)
    for patient_data in (
        "Jane",
        "Doe",
        "J.Q.D.",
        PHONE,
        REFERENCE,
        "chest pain",
        "evil",
        "Spanish",
    ):
        assert patient_data not in payload["text"]

    blob = json.dumps(payload["blocks"])
    # Anything Slack would parse as a ping or a link lives only in plain_text objects.
    for text in texts_of(payload, "mrkdwn"):
        assert "<!channel>" not in text
        assert "<https://evil" not in text

    if privacy is Privacy.NONE:
        for patient_data in ("Jane", "J.Q.D.", PHONE, REFERENCE, "chest pain"):
            assert patient_data not in blob
    if privacy is Privacy.INITIALS:
        assert "J.Q.D." in blob
        for patient_data in ("Jane", PHONE, REFERENCE, "chest pain"):
            assert patient_data not in blob
    if privacy is Privacy.FULL:
        assert "Jane Q. Doe" in blob and "chest pain" in blob


def test_notification_text_reads_key_type_owner_state_and_due_time() -> None:
    assert card(make_item())["text"] == "CQ-1042 · Scheduling help · Unclaimed · due Mon 12:54 PM"
    assert card(make_claimed())["text"] == (
        "CQ-1042 · Scheduling help · Claimed by <@U1> · due Mon 12:54 PM"
    )
    assert card(make_claimed(status=Status.WAITING))["text"] == (
        "CQ-1042 · Scheduling help · Waiting · <@U1> · due Mon 12:54 PM"
    )
    assert card(make_resolved())["text"] == "CQ-1042 · Scheduling help · Resolved"


# --- limits ----------------------------------------------------------------------------


@pytest.mark.parametrize("privacy", list(Privacy))
@pytest.mark.parametrize(
    "make", [make_item, make_claimed, make_resolved], ids=["new", "claimed", "resolved"]
)
def test_longest_allowed_inputs_still_validate(make: Any, privacy: Privacy) -> None:
    item = make(
        patient=make_patient(name="N" * 200, callback_window="w" * 200),
        summary='<&>"' * 500,
        request_type="R" * 120,
        next_action="&" * 1500,
        source_link="https://carequeue-demo.slack.com/archives/C0LANE/p" + "1" * 440,
    )
    if item.status is Status.RESOLVED:
        item = dataclasses.replace(item, told_patient="t" * 1000, resolution="r" * 150)
    payload = card(item, privacy, name="L" * 60)
    assert len(payload["blocks"][0]["text"]["text"]) <= 150
    if privacy is Privacy.FULL:
        assert "<&>" in json.dumps(payload, ensure_ascii=False)


def test_an_oversized_summary_is_shortened_to_fit_slack_not_dropped() -> None:
    payload = card(make_item(summary='\u00e9"\n' * 9000), Privacy.FULL)
    (summary,) = [b for b in payload["blocks"] if "Summary:" in json.dumps(b)]
    assert summary["text"]["text"].endswith("\u2026")


def test_a_card_whose_json_would_be_too_long_for_slack_gets_a_shorter_summary() -> None:
    # Quotes cost two characters each in JSON: every long text at its limit overflows 12,000.
    quotes = '"' * 3000
    item = make_resolved(
        patient=make_patient(name=quotes),
        summary=quotes,
        told_patient=quotes,
        next_action=quotes,
        request_type=quotes,
        resolution=quotes,
    )
    payload = card(item, Privacy.FULL)
    blob = json.dumps(payload["blocks"], ensure_ascii=False)
    assert 11_000 < len(blob) <= 12_000
    (summary,) = [b for b in payload["blocks"] if "Summary:" in json.dumps(b)]
    assert summary["text"]["text"].endswith("\u2026")
    assert 1000 < len(summary["text"]["text"]) < 2900


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


# --- any text at all -------------------------------------------------------------------

# The only markup a card's mrkdwn may hold is the app's own: mentions, dates, one link.
APP_MARKUP = re.compile(r"<(@[UW][A-Z0-9]+|!date\^\d+\^[^|<>]+\|[^<>]+|https://[^|<>\s]+\|[^<>]+)>")


@settings(max_examples=60, deadline=None)
@given(
    typed=st.text(max_size=300),
    privacy=st.sampled_from(list(Privacy)),
    make=st.sampled_from([make_item, make_claimed, make_resolved]),
)
def test_whatever_people_type_the_card_validates_and_holds_only_app_markup(
    typed: str, privacy: Privacy, make: Any
) -> None:
    item = make(
        patient=make_patient(name=typed, language=typed or "English"),
        summary=typed,
        next_action=typed,
        request_type=typed or "Scheduling help",
        source_link=f"https://x.slack.com/{typed}",
    )
    if item.status is Status.RESOLVED:
        item = dataclasses.replace(item, told_patient=typed, resolution=typed)
    payload = card(item, privacy)
    for text in texts_of(payload, "mrkdwn"):
        assert "<" not in APP_MARKUP.sub("", text)
        assert ">" not in APP_MARKUP.sub("", text)


# --- working an item: attempts, waiting, promises, repeat contacts (issue 4) ---------------

# Tuesday 24 November 2026, 3:00 PM; Thursday 26 November, 9:00 AM; Tuesday 10:30 AM (New York).
PROMISE_DUE = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)
CHECK_BACK = datetime(2026, 11, 26, 14, 0, tzinfo=UTC)
NEXT_DUE = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)
HOSTILE_NOTE = "<!here> call *now* <https://evil.example|chart>"
TIMES = "\u00d7"  # the multiplication sign: "Repeat contact \u00d72"
SLACK_DATE = re.compile(r"<!date\^\d+\^[^|<>]+\|([^<>]+)>")


def as_read(text: str) -> str:
    """What a person reads: a `<!date^…|fallback>` shows as its fallback (the practice's zone)."""
    return SLACK_DATE.sub(r"\1", text)


def make_promise(**changes: Any) -> Promise:
    promise = Promise(
        id=7,
        text="Nurse will call with the referral status",
        due_at=PROMISE_DUE,
        made_by="U1",
        made_at=NOW - timedelta(hours=1),
    )
    return dataclasses.replace(promise, **changes)


def make_waiting(**changes: Any) -> Item:
    """The claimed item, parked on the payer until Thursday morning."""
    defaults = {
        "status": Status.WAITING,
        "waiting_on": "payer",
        "check_back_at": CHECK_BACK,
        "due_at": CHECK_BACK,
        "sla_remaining_minutes": 90.0,
    }
    return make_claimed(**{**defaults, **changes})


def working_card(
    item: Item,
    privacy: Privacy = Privacy.NONE,
    *,
    promise: Promise | None = None,
    cadence_attempts: int = 3,
) -> dict[str, Any]:
    message = item_card(
        item,
        LANE,
        privacy,
        NOW,
        TZ,
        WORDING,
        promise=promise,
        cadence_attempts=cadence_attempts,
        calendar=CALENDAR,
    )
    payload = assert_valid_message(message)
    for menu in nodes_of(payload["blocks"], "overflow"):
        assert 2 <= len(menu["options"]) <= 5, "an overflow menu holds 2 to 5 options"
        for option in menu["options"]:
            assert len(option["text"]["text"]) <= 75
            assert len(option["value"]) <= 150
    return payload


def working_lines(payload: dict[str, Any]) -> list[str]:
    """The card's "where the work stands" lines, as a person reads them."""
    sections = [
        b
        for b in payload["blocks"]
        if b["type"] == "section" and "text" in b and b["text"]["type"] == "mrkdwn"
    ]
    lines = [line for b in sections for line in b["text"]["text"].split("\n")]
    return [as_read(line) for line in lines if not line.startswith(":white_check_mark:")]


def test_a_called_item_counts_its_attempts_against_the_lanes_cadence() -> None:
    assert working_lines(working_card(make_claimed())) == []
    assert "Attempt 2 of 3" in working_lines(working_card(make_claimed(attempts=2)))
    assert "Attempt 3 of 3" in working_lines(working_card(make_claimed(attempts=3)))
    assert "Attempt 4" in working_lines(working_card(make_claimed(attempts=4)))
    five = working_card(make_claimed(attempts=2), cadence_attempts=5)
    assert "Attempt 2 of 5" in working_lines(five)


def test_waiting_card_offers_resume_log_call_handoff_close_details_and_more() -> None:
    payload = working_card(make_waiting())
    elements = actions_of(payload)
    assert buttons_of(payload) == ["Resume", "Log call", "Handoff", "Close", "Details"]
    assert elements[0]["action_id"] == ActionId.RESUME
    assert elements[0]["style"] == "primary"
    assert [e["type"] for e in elements][-1] == "overflow"
    assert more_options(payload) == [
        "Waiting on\u2026",
        "Promise\u2026",
        "Move to another lane\u2026",
        "Language\u2026",
        "Escalate\u2026",
    ]
    assert fields_of(payload)["Status"] == "Waiting"


@pytest.mark.parametrize("privacy", list(Privacy))
def test_waiting_card_says_what_it_waits_on_and_when_to_check_back_at_every_level(
    privacy: Privacy,
) -> None:
    payload = working_card(make_waiting(), privacy)
    assert "Waiting on payer · check back Thu Nov 26 9:00 AM EST" in working_lines(payload)


def test_what_an_item_waits_on_is_escaped_and_stays_out_of_the_notification_text() -> None:
    payload = working_card(make_waiting(waiting_on="<!here> payer & co"))
    assert any(
        line.startswith("Waiting on &lt;!here&gt; payer &amp; co")
        for line in working_lines(payload)
    )
    assert "payer" not in payload["text"]


@pytest.mark.parametrize("item", [make_item(), make_claimed(), make_resolved()], ids=str)
def test_more_menu_options_name_what_and_which_item_and_resolved_items_have_none(
    item: Item,
) -> None:
    payload = working_card(item)
    menus = [e for e in actions_of(payload) if e["type"] == "overflow"]
    if not item.status.is_open:
        assert menus == []
        return
    (menu,) = menus
    for option in menu["options"]:
        parsed = parse_more_value(option["value"])
        assert parsed is not None
        what, key = parsed
        assert key == "CQ-1042"
        assert option["value"] == more_value(what, "CQ-1042")


@pytest.mark.parametrize("privacy", list(Privacy))
def test_an_open_promise_shows_its_deadline_at_every_level(privacy: Privacy) -> None:
    payload = working_card(make_claimed(), privacy, promise=make_promise())
    assert "Promised by Tue Nov 24 3:00 PM EST" in working_lines(payload)


def test_what_was_promised_is_plain_text_and_only_at_full() -> None:
    promise = make_promise(text=HOSTILE_NOTE)
    full = working_card(make_claimed(), Privacy.FULL, promise=promise)
    promised = [b["text"] for b in full["blocks"] if "Promised:" in json.dumps(b)]
    assert promised == [{"type": "plain_text", "text": f"Promised: {HOSTILE_NOTE}", "emoji": False}]
    assert "call *now*" not in full["text"]
    for privacy in (Privacy.NONE, Privacy.INITIALS):
        payload = working_card(make_claimed(), privacy, promise=promise)
        assert "call *now*" not in json.dumps(payload)
        assert "Promised:" not in json.dumps(payload)


def test_a_promise_past_its_deadline_is_marked_overdue() -> None:
    late = make_promise(due_at=NOW - timedelta(minutes=5))
    (line,) = [x for x in working_lines(working_card(make_claimed(), promise=late)) if "Prom" in x]
    assert line.endswith(" · :warning: *overdue*")


def test_promise_kept_button_names_the_item_and_the_promise() -> None:
    for item in (make_claimed(), make_waiting()):
        payload = working_card(item, promise=make_promise())
        (kept,) = [e for e in actions_of(payload) if e.get("action_id") == ActionId.FULFIL_PROMISE]
        assert kept["text"]["text"] == "Promise kept"
        assert kept["value"] == "CQ-1042|7"


def test_a_kept_promise_shows_neither_its_deadline_nor_a_button() -> None:
    kept = make_promise(fulfilled_at=NOW, fulfilled_by="U1")
    payload = working_card(make_claimed(), Privacy.FULL, promise=kept)
    assert "Promised" not in json.dumps(payload)
    assert "Promise kept" not in buttons_of(payload)


def test_a_new_item_with_a_promise_from_its_old_lane_offers_no_promise_kept_until_claimed() -> None:
    payload = working_card(make_item(), promise=make_promise())
    assert "Promised by Tue Nov 24 3:00 PM EST" in working_lines(payload)
    assert "Promise kept" not in buttons_of(payload)


def test_a_repeat_contact_is_counted_and_offers_to_merge_into_the_related_item() -> None:
    payload = working_card(make_item(repeat_count=2, related_key="CQ-1001"))
    assert working_lines(payload) == [f"Repeat contact {TIMES}2", "Relates to CQ-1001"]
    assert buttons_of(payload) == ["Claim", "Merge into CQ-1001", "Details"]
    (merge,) = [e for e in actions_of(payload) if e.get("action_id") == ActionId.MERGE]
    assert merge["value"] == "CQ-1042|CQ-1001"
    claimed = working_card(make_claimed(related_key="CQ-1001"))
    assert "Merge into CQ-1001" in buttons_of(claimed)


def test_a_single_contact_is_not_called_a_repeat() -> None:
    assert working_lines(working_card(make_claimed(repeat_count=1))) == []


def test_a_merged_item_says_where_it_went_and_offers_only_reopen_and_details() -> None:
    item = make_resolved(
        related_key="CQ-1001", merged_into="CQ-1001", resolution="merged into CQ-1001"
    )
    payload = working_card(item)
    assert "Merged into CQ-1001" in working_lines(payload)
    assert "Relates to CQ-1001" not in working_lines(payload)
    assert buttons_of(payload) == ["Reopen", "Details"]


def test_a_closed_item_with_a_related_key_neither_relates_nor_offers_a_merge() -> None:
    payload = working_card(make_resolved(related_key="CQ-1001"))
    assert "Relates" not in json.dumps(payload)
    assert "Merge" not in json.dumps(payload)


WORKING_STATES = {
    "new": lambda **c: make_item(**c),
    "claimed": lambda **c: make_claimed(**c),
    "waiting": lambda **c: make_waiting(**c),
    "escalated": lambda **c: make_item(status=Status.ESCALATED, **c),
    "resolved": lambda **c: make_resolved(**c),
}


@pytest.mark.parametrize("privacy", list(Privacy))
@pytest.mark.parametrize("state", sorted(WORKING_STATES))
def test_a_card_with_everything_at_once_and_the_longest_texts_still_fits_slack(
    state: str, privacy: Privacy
) -> None:
    item = WORKING_STATES[state](
        patient=make_patient(name='"' * 200),
        summary='<&>"' * 800,
        request_type="R" * 150,
        next_action="&" * 500,
        attempts=9,
        repeat_count=12,
        related_key="CQ-" + "9" * 30,
        waiting_on="<&>" * 200,
    )
    promise = make_promise(text='"<&>' * 300)
    payload = working_card(item, privacy, promise=promise)
    actions = actions_of(payload)
    assert len(actions) <= 25
    assert "Details" in buttons_of(payload)
    assert len(payload["blocks"]) <= 50


@pytest.mark.parametrize("privacy", list(Privacy))
@pytest.mark.parametrize("state", sorted(WORKING_STATES))
def test_a_working_cards_notification_text_holds_no_patient_data_or_free_text(
    state: str, privacy: Privacy
) -> None:
    item = WORKING_STATES[state](
        patient=make_patient(name="Jane Doe"),
        attempts=2,
        repeat_count=2,
        related_key="CQ-1001",
        waiting_on="Dr. Rivera's office",
    )
    payload = working_card(item, privacy, promise=make_promise(text=HOSTILE_NOTE))
    for secret in ("Jane", "Rivera", "call *now*", "evil", "Spanish", PHONE, REFERENCE):
        assert secret not in payload["text"]
    for text in texts_of(payload, "mrkdwn"):
        assert "<!here>" not in text


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
        Action.WAIT, {"waiting_on": "<!here> payer", "check_back_at": CHECK_BACK.isoformat()}
    )
    assert line_of(wait) == (
        "Waiting on &lt;!here&gt; payer · check back Thu Nov 26 9:00 AM EST · by <@U1> · "
        "Mon Nov 23 10:54 AM EST"
    )
    language = work_entry(Action.SET_LANGUAGE, {"language": "Spanish"})
    assert line_of(language) == "Language set to Spanish by <@U1> · Mon Nov 23 10:54 AM EST"


def test_a_resume_by_careqeue_names_the_app_and_what_the_item_waited_on() -> None:
    payload = work_entry(
        Action.RESUME,
        {"status": "claimed", "waiting_on": ""},
        actor=SYSTEM_ACTOR,
        before={"status": "waiting", "waiting_on": "payer"},
    )
    assert payload["text"] == "Back from waiting · by CareQueue · 10:54 AM"
    assert line_of(payload).startswith("Back from waiting on payer · by CareQueue")
    assert "<@UCAREQUEUE>" not in json.dumps(payload)


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


ACTION_OF_BUTTON = {
    ActionId.CLAIM: Action.CLAIM,
    ActionId.RELEASE: Action.RELEASE,
    ActionId.REASSIGN: Action.REASSIGN,
    ActionId.CLOSE: Action.CLOSE,
    ActionId.LOG_CALL: Action.LOG_ATTEMPT,
    ActionId.HANDOFF: Action.HANDOFF,
    ActionId.RESUME: Action.RESUME,
    ActionId.REOPEN: Action.REOPEN,
    ActionId.MERGE: Action.MERGE,
}


@pytest.mark.parametrize("owner", [None, "U0NURSE01"])
def test_an_escalated_card_shows_no_button_the_life_cycle_table_refuses(owner: str | None) -> None:
    escalated = dataclasses.replace(make_item(status=Status.ESCALATED), owner=owner)
    elements = actions_of(card(escalated))
    ids = [e["action_id"] for e in elements]
    assert ActionId.CLAIM not in ids  # every claim of an escalated item is refused
    assert ActionId.CLOSE in ids and ActionId.DETAILS in ids
    for action_id in ids:
        action = ACTION_OF_BUTTON.get(ActionId(action_id))
        if action is not None:
            assert (Status.ESCALATED, action) in TRANSITIONS, action_id


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
