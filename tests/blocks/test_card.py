"""The item card, read the way staff scanning a lane channel would: a few lines each, the same
facts as before, the full record one click away. Its controls: test_card_controls.py; how
tall it is: test_card_height.py; its thread entries: test_card_entries.py."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.escalation import EscalationState
from bot.domain.items import Status
from bot.domain.lanes import Privacy
from tests.blocks.card_helpers import (
    APP_MARKUP,
    HOSTILE_NOTE,
    STATES,
    TIMES,
    card,
    card_lines,
    escalation_mark,
    make_escalation,
    make_promise,
    make_waiting,
)
from tests.blocks.conftest import (
    NOW,
    SOURCE_LINK,
    make_claimed,
    make_item,
    make_patient,
    make_resolved,
    nodes_of,
    texts_of,
)

ALL_STATES = [make_item(), make_claimed(), make_resolved(), make_item(status=Status.ESCALATED)]


def status_line(payload: dict[str, Any]) -> str:
    return card_lines(payload)[1]


def parts(line: str) -> list[str]:
    return line.split(" · ")


# --- what the card shows -----------------------------------------------------------------


def test_an_unclaimed_card_reads_key_lane_type_then_unclaimed_and_its_due_state() -> None:
    assert card_lines(card(make_item())) == [
        "*CQ-1042* · Scheduling · Scheduling help · Voicemail",
        "Unclaimed · :large_green_circle: due in 2 h · Spanish",
    ]


def test_a_claimed_card_names_its_owner_where_it_said_unclaimed() -> None:
    assert status_line(card(make_claimed())) == "<@U1> · :large_green_circle: due in 2 h · Spanish"


def test_the_key_is_bold_and_the_card_has_no_header_or_field_grid() -> None:
    payload = card(make_claimed())
    first = payload["blocks"][0]
    assert first["type"] == "section" and first["text"]["type"] == "mrkdwn"
    assert first["text"]["text"].startswith("*CQ-1042* · Scheduling · Scheduling help")
    assert [b["type"] for b in payload["blocks"]] == ["section", "actions"]
    assert "fields" not in json.dumps(payload)
    # The request type is said once, the status once: no "New" beside "Unclaimed".
    assert json.dumps(payload["blocks"]).count("Scheduling help") == 1
    assert "Claimed" not in json.dumps(payload["blocks"])


def test_the_practice_default_language_is_not_repeated_on_every_card() -> None:
    english = make_claimed(patient=make_patient(language="English"))
    assert parts(status_line(card(english))) == ["<@U1>", ":large_green_circle: due in 2 h"]
    assert "Spanish" in parts(status_line(card(make_claimed())))
    # Without a default (the builder's own default), every language is said.
    assert "English" in parts(status_line(card(english, default_language="")))


def test_open_item_past_its_due_time_is_marked_overdue_by_business_time() -> None:
    late = make_claimed(due_at=NOW - timedelta(minutes=75))
    payload = card(late)
    assert parts(status_line(payload))[1] == ":red_circle: *overdue 1 h 15 min*"
    assert payload["text"].endswith("(overdue)")


def test_overdue_counts_only_business_time_since_the_due_time() -> None:
    # Due Friday 4:30 PM; it is Monday 10:54 AM: 30 min on Friday and 2 h 54 min today.
    friday = datetime(2026, 11, 20, 21, 30, tzinfo=UTC)
    payload = card(make_claimed(received_at=friday - timedelta(hours=4), due_at=friday))
    assert parts(status_line(payload))[1] == ":red_circle: *overdue 3 h 24 min*"


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
    assert status_line(payload).startswith(f"Unclaimed · {state} · ")


def test_a_waiting_item_shows_who_it_waits_on_instead_of_a_due_state() -> None:
    line = status_line(card(make_waiting()))
    assert line.startswith("<@U1> · Waiting on the payer · check back Thu Nov 26 9:00 AM EST")
    assert "due in" not in line and "overdue" not in line


def test_a_waiting_item_past_its_check_back_time_is_marked() -> None:
    late = make_waiting(check_back_at=NOW - timedelta(hours=1), due_at=NOW - timedelta(hours=1))
    assert "check back Mon Nov 23 9:54 AM EST · :warning: *overdue*" in status_line(card(late))


@pytest.mark.parametrize("privacy", list(Privacy))
def test_who_an_item_waits_on_shows_as_a_choice_at_every_level(privacy: Privacy) -> None:
    payload = card(make_waiting(), privacy)
    assert "Waiting on the payer · check back Thu Nov 26 9:00 AM EST" in status_line(payload)
    assert "payer" not in payload["text"]


@pytest.mark.parametrize("privacy", [Privacy.NONE, Privacy.INITIALS])
def test_staffs_words_about_the_wait_stay_off_the_card_where_free_text_is_not_allowed(
    privacy: Privacy,
) -> None:
    assert "Aetna" not in json.dumps(card(make_waiting(), privacy))


def test_at_full_the_words_about_the_wait_are_plain_text_and_out_of_the_notification() -> None:
    payload = card(make_waiting(waiting_on="<!here> Aetna & co"), Privacy.FULL)
    shown = [
        block["text"]
        for block in payload["blocks"]
        if block["type"] == "section" and block.get("text", {}).get("type") == "plain_text"
    ]
    assert {"type": "plain_text", "text": "Waiting on: <!here> Aetna & co", "emoji": False} in shown
    assert "Aetna" not in payload["text"]


def test_a_wait_recorded_before_the_choice_existed_says_an_outside_party() -> None:
    payload = card(make_waiting(waiting_for="", waiting_on="payer"))
    assert "Waiting on an outside party" in status_line(payload)
    assert "payer" not in json.dumps(payload)


def test_request_type_and_lane_are_escaped() -> None:
    item = make_item(request_type="Forms & <letters>")
    first = card_lines(card(item, name="Docs <!here>"))[0]
    assert first.startswith("*CQ-1042* · Docs &lt;!here&gt; · Forms &amp; &lt;letters&gt;")


def test_every_mrkdwn_text_on_the_card_is_verbatim() -> None:
    for item in (make_resolved(), make_claimed()):
        mrkdwn = nodes_of(card(item, Privacy.FULL), "mrkdwn")
        assert mrkdwn
        assert all(node.get("verbatim") is True for node in mrkdwn)


def test_the_origin_links_to_the_source_message_at_every_level() -> None:
    for privacy in Privacy:
        first = card(make_item(), privacy)["blocks"][0]["text"]["text"].split("\n")[0]
        assert f" · <{SOURCE_LINK}|Voicemail>" in first


@pytest.mark.parametrize(
    "link", ["", "http://carequeue-demo.slack.com/archives/C1/p1", "javascript:alert(1)"]
)
def test_a_missing_or_non_https_source_link_leaves_the_origin_unlinked(link: str) -> None:
    first = card(make_item(source_link=link))["blocks"][0]["text"]["text"].split("\n")[0]
    assert first == "*CQ-1042* · Scheduling · Scheduling help · Voicemail"


def test_a_forged_source_link_cannot_rename_itself() -> None:
    payload = card(make_item(source_link="https://evil.example|Open chart <now>"))
    first = payload["blocks"][0]["text"]["text"].split("\n")[0]
    assert first == "*CQ-1042* · Scheduling · Scheduling help · Voicemail"  # not a link at all


def test_a_card_after_a_move_links_the_earlier_history() -> None:
    payload = card(make_item(source_link=""), history_link="https://x.slack.com/archives/C1/p2")
    assert card_lines(payload)[0].endswith(" · earlier history")


def test_a_clinical_lane_card_says_a_clinician_must_acknowledge() -> None:
    shown = status_line(card(make_claimed(), clinical=True))
    assert "Clinical · a clinician acknowledges before closing" in shown
    acked = status_line(card(make_claimed(clinical_ack_by="U9"), clinical=True))
    assert "Clinical · acknowledged by <@U9>" in acked


def test_a_red_flag_gets_its_own_line_and_is_never_dropped() -> None:
    flagged = make_item(red_flags=("chest pain",))
    lines = card_lines(card(flagged))
    assert lines[2] == (":triangular_flag_on_post: *Red flag*: possible emergency words at intake")
    dismissed = dataclasses.replace(flagged, red_flag_dismissed_by="U0NURSE01")
    assert card_lines(card(dismissed))[2].endswith("· not an emergency per <@U0NURSE01>")


def test_an_escalated_card_says_who_it_is_with_and_the_acknowledgment_deadline() -> None:
    escalation = make_escalation()
    lines = card_lines(card(make_item(status=Status.ESCALATED), escalation=escalation))
    assert lines[2] == escalation_mark(escalation)
    assert "with <@U0NURSE01> · acknowledge by" in lines[2]


def test_an_acknowledged_escalation_says_by_whom() -> None:
    acked = make_escalation(
        state=EscalationState.ACKNOWLEDGED,
        acknowledged_by="U0NURSE01",
        acknowledged_at=NOW,
    )
    lines = card_lines(card(make_item(status=Status.ESCALATED), escalation=acked))
    assert "acknowledged by <@U0NURSE01>" in lines[2]


# --- where the work stands ---------------------------------------------------------------


def test_a_called_item_counts_its_attempts_against_the_lanes_cadence() -> None:
    assert not any("Attempt" in p for p in parts(status_line(card(make_claimed()))))
    assert "Attempt 2 of 3" in parts(status_line(card(make_claimed(attempts=2))))
    assert "Attempt 3 of 3" in parts(status_line(card(make_claimed(attempts=3))))
    assert "Attempt 4" in parts(status_line(card(make_claimed(attempts=4))))
    five = card(make_claimed(attempts=2), cadence_attempts=5)
    assert "Attempt 2 of 5" in parts(status_line(five))


@pytest.mark.parametrize("privacy", list(Privacy))
def test_an_open_promise_shows_its_deadline_at_every_level(privacy: Privacy) -> None:
    payload = card(make_claimed(), privacy, promise=make_promise())
    assert "Promised by Tue Nov 24 3:00 PM EST" in parts(status_line(payload))


def test_what_was_promised_is_plain_text_and_only_at_full() -> None:
    promise = make_promise(text=HOSTILE_NOTE)
    full = card(make_claimed(), Privacy.FULL, promise=promise)
    promised = [b["text"] for b in full["blocks"] if "Promised:" in json.dumps(b)]
    assert promised == [{"type": "plain_text", "text": f"Promised: {HOSTILE_NOTE}", "emoji": False}]
    assert "call *now*" not in full["text"]
    for privacy in (Privacy.NONE, Privacy.INITIALS):
        payload = card(make_claimed(), privacy, promise=promise)
        assert "call *now*" not in json.dumps(payload)
        assert "Promised:" not in json.dumps(payload)


def test_a_promise_past_its_deadline_is_marked_overdue() -> None:
    late = make_promise(due_at=NOW - timedelta(minutes=5))
    line = status_line(card(make_claimed(), promise=late))
    (promised,) = [p for p in parts(line) if p.startswith("Promised")]
    assert promised.endswith(" :warning: *overdue*")


def test_a_kept_promise_shows_no_deadline() -> None:
    kept = make_promise(fulfilled_at=NOW, fulfilled_by="U1")
    assert "Promised" not in json.dumps(card(make_claimed(), Privacy.FULL, promise=kept))


def test_a_repeat_contact_is_counted_and_names_the_related_item() -> None:
    line = status_line(card(make_item(repeat_count=2, related_key="CQ-1001")))
    assert parts(line)[2:4] == [f"Repeat contact {TIMES}2", "Relates to CQ-1001"]


def test_a_single_contact_is_not_called_a_repeat() -> None:
    assert "Repeat" not in json.dumps(card(make_claimed(repeat_count=1)))


# --- a closed card -------------------------------------------------------------------------


def test_a_closed_card_is_one_line_with_its_outcome_who_closed_it_and_when() -> None:
    payload = card(make_resolved())
    assert [b["type"] for b in payload["blocks"]] == ["section"]
    assert card_lines(payload) == [
        ":white_check_mark: *CQ-1042* · Scheduling · Scheduling help · appointment booked"
        " · closed by <@U1> Mon Nov 23 10:49 AM EST"
    ]
    # Closed today: Slack shows the time only ({time}); another day, the date too.
    assert "^{time}|" in payload["blocks"][0]["text"]["text"]
    earlier = card(make_resolved(closed_at=NOW - timedelta(days=3)))
    assert "^{date_short_pretty} {time}|" in earlier["blocks"][0]["text"]["text"]


def test_a_merged_item_says_where_it_went() -> None:
    item = make_resolved(
        related_key="CQ-1001", merged_into="CQ-1001", resolution="merged into CQ-1001"
    )
    (line,) = card_lines(card(item))
    assert " · merged into CQ-1001 · closed by <@U1>" in line
    assert "Relates" not in line


def test_a_closed_card_drops_everything_about_the_work_in_progress() -> None:
    item = make_resolved(
        related_key="CQ-1001", attempts=2, repeat_count=3, red_flags=(), due_at=NOW - timedelta(1)
    )
    shown = json.dumps(card(item, promise=make_promise()))
    for gone in ("Relates", "Attempt", "Repeat", "Promised", "overdue", "due in", "Spanish"):
        assert gone not in shown


def test_resolved_card_at_full_shows_what_the_patient_was_told_as_plain_text() -> None:
    payload = card(make_resolved(), Privacy.FULL)
    told = [b for b in payload["blocks"] if "Told patient" in json.dumps(b)]
    assert len(told) == 1
    assert told[0]["text"]["type"] == "plain_text"
    assert "<!here> reminder text sent" in told[0]["text"]["text"]


@pytest.mark.parametrize("privacy", [Privacy.NONE, Privacy.INITIALS])
def test_resolved_card_below_full_never_shows_what_the_patient_was_told(privacy: Privacy) -> None:
    assert "Dr. Rivera" not in json.dumps(card(make_resolved(), privacy))


# --- limits ----------------------------------------------------------------------------


@pytest.mark.parametrize("privacy", list(Privacy))
@pytest.mark.parametrize("state", sorted(STATES))
def test_longest_allowed_inputs_still_validate(state: str, privacy: Privacy) -> None:
    item = STATES[state](
        patient=make_patient(name="N" * 200, callback_window="w" * 200, language="L" * 100),
        summary='<&>"' * 500,
        request_type="R" * 150,
        next_action="&" * 1500,
        source_link="https://carequeue-demo.slack.com/archives/C0LANE/p" + "1" * 440,
        waiting_on="<&>" * 200,
        red_flags=("chest pain", "can't breathe"),
        attempts=9,
        repeat_count=12,
        related_key="CQ-" + "9" * 30,
    )
    if item.status is Status.RESOLVED:
        item = dataclasses.replace(item, told_patient="t" * 1000, resolution="r" * 300)
    payload = card(item, privacy, name="L" * 200, escalation=make_escalation())
    assert all(len(text) <= 3000 for text in texts_of(payload, "mrkdwn"))
    if privacy is Privacy.FULL and item.status.is_open:
        assert "<&>" in json.dumps(payload, ensure_ascii=False)


def test_an_oversized_summary_is_shortened_to_fit_slack_not_dropped() -> None:
    payload = card(make_item(summary='\u00e9"\n' * 9000), Privacy.FULL)
    (summary,) = [b for b in payload["blocks"] if "Summary:" in json.dumps(b)]
    assert summary["text"]["text"].endswith("\u2026")


def test_a_card_whose_json_would_be_too_long_for_slack_gets_a_shorter_summary() -> None:
    # Quotes cost two characters each in JSON, a control character six ("\u0001"): with
    # every other text at its limit too, a summary of those overflows 12,000.
    quotes = '"' * 3000
    link = "https://x.slack.com/archives/C1/p" + "1" * 560
    item = make_waiting(
        patient=make_patient(name=quotes, language=quotes),
        summary="\x01" * 3000,
        request_type=quotes,
        waiting_on=quotes,
        red_flags=tuple(f'"{n}" pain' for n in range(60)),
        source_link=link,
        repeat_count=99,
        related_key='"' * 40,
    )
    payload = card(
        item,
        Privacy.FULL,
        promise=make_promise(text=quotes),
        name=quotes,
        history_link=link,
        escalation=make_escalation(),
    )
    blob = json.dumps(payload["blocks"], ensure_ascii=False)
    assert 11_000 < len(blob) <= 12_000
    (summary,) = [b for b in payload["blocks"] if "Summary:" in json.dumps(b)]
    assert summary["text"]["text"].endswith("\u2026")
    assert 1000 < len(summary["text"]["text"]) < 2900
    # Slack would have refused the card with the whole summary.
    assert len(json.dumps("\x01" * 2990)) > 12_000


# --- any text at all -------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    typed=st.text(max_size=300),
    privacy=st.sampled_from(list(Privacy)),
    state=st.sampled_from(sorted(STATES)),
)
def test_whatever_people_type_the_card_validates_and_holds_only_app_markup(
    typed: str, privacy: Privacy, state: str
) -> None:
    item = STATES[state](
        patient=make_patient(name=typed, language=typed or "English"),
        summary=typed,
        next_action=typed,
        request_type=typed or "Scheduling help",
        source_link=f"https://x.slack.com/{typed}",
        waiting_on=typed,
        related_key=typed or None,
    )
    if item.status is Status.RESOLVED:
        item = dataclasses.replace(item, told_patient=typed, resolution=typed)
    payload = card(item, privacy, name=typed or "Scheduling")
    for text in texts_of(payload, "mrkdwn"):
        assert "<" not in APP_MARKUP.sub("", text)
        assert ">" not in APP_MARKUP.sub("", text)
