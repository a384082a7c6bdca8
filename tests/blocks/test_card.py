"""The item card and its thread entries, read the way staff in the lane channel would see them."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blocks.card import item_card, thread_entry
from blocks.ids import Action as ActionId
from blocks.ids import card_actions_block_id
from bot.domain.events import Event
from bot.domain.items import Action, Item, Status
from bot.domain.lanes import Privacy
from tests.blocks.conftest import (
    CALLBACK_WINDOW,
    NOW,
    PHONE,
    REFERENCE,
    SOURCE_LINK,
    TZ,
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
    return assert_valid_message(item_card(item, lane, privacy, NOW, TZ))


def actions_of(payload: dict[str, Any]) -> list[dict[str, Any]]:
    (actions,) = [b for b in payload["blocks"] if b["type"] == "actions"]
    return actions["elements"]


def buttons_of(payload: dict[str, Any]) -> list[str]:
    return [e["text"]["text"] for e in actions_of(payload) if e["type"] == "button"]


def fields_of(payload: dict[str, Any]) -> dict[str, str]:
    section = next(b for b in payload["blocks"] if "fields" in b)
    label_value = (f["text"].split("\n", 1) for f in section["fields"])
    return {label.strip("*"): value for label, value in label_value}


# --- what the card shows -----------------------------------------------------------------


def test_unclaimed_card_offers_claim_and_no_patient_data() -> None:
    payload = card(make_item())
    assert buttons_of(payload) == ["Claim", "Details", "Close"]
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
        f"<!date^{received}^{{date_short_pretty}} {{time}}|Mon Nov 23 9:42 AM EST> (1 h 12 min ago)"
    )
    assert fields["Due"].endswith("|Mon Nov 23 12:54 PM EST>")
    assert "overdue" not in fields["Due"]


def test_claimed_card_offers_release_reassign_close_and_details() -> None:
    payload = card(make_claimed())
    elements = actions_of(payload)
    assert [e["type"] for e in elements] == ["button", "users_select", "button", "button"]
    assert buttons_of(payload) == ["Release", "Close", "Details"]
    reassign = elements[1]
    assert reassign["action_id"] == ActionId.REASSIGN
    assert reassign["placeholder"]["text"] == "Reassign\u2026"
    close = elements[2]
    assert close["action_id"] == ActionId.CLOSE
    assert close["style"] == "primary"
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


def test_open_item_past_its_due_time_is_marked_overdue() -> None:
    late = make_claimed(due_at=NOW - timedelta(minutes=1))
    payload = card(late)
    assert fields_of(payload)["Due"].endswith(" · :warning: *overdue*")
    assert payload["text"].endswith("(overdue)")


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
    return assert_valid_message(thread_entry(event, make_claimed(), privacy, TZ))


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


def test_an_action_without_its_own_template_gets_a_generic_entry() -> None:
    event = Event(item_key="CQ-1042", action="escalate", actor="U1", at=NOW)  # type: ignore[arg-type]
    message = thread_entry(event, make_claimed(), Privacy.NONE, TZ)
    assert message.text == "Updated by <@U1> (escalate) · 10:54 AM"


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
