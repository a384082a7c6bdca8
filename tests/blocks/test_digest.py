"""The end-of-day digest: numbers first, every key linked to its card, within Slack's limits
at any volume, and patient detail only as the privacy level allows."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from blocks.digest import Audience, digest_message
from bot.domain.digest import (
    Digest,
    DigestEscalation,
    DigestItem,
    DigestPromise,
    DigestWaiting,
    LaneDigest,
)
from bot.domain.escalation import EscalationState
from bot.domain.lanes import Privacy
from tests.blocks.conftest import (
    HOSTILE_NAME,
    NOW,
    TZ,
    assert_valid_message,
    make_lane,
    text_of,
)

LANES = {lane.key: lane for lane in (make_lane(), make_lane("billing", "Billing handoff"))}
WORKSPACE = "https://riverside.slack.com"


def item(n: int, *, owner: str | None = None, name: str = "Jane Doe") -> DigestItem:
    return DigestItem(
        key=f"CQ-{1001 + n}",
        lane="scheduling" if n % 2 else "billing",
        received_at=NOW - timedelta(hours=26, minutes=n),
        due_at=NOW - timedelta(hours=1),
        owner=owner,
        patient_name=name,
        card_channel_id="C0SCHED",
        card_ts=f"1700000000.{n:06d}",
    )


STATES = (EscalationState.OPEN, EscalationState.ACKNOWLEDGED, EscalationState.NO_RESPONSE)


def digest(open_items: int, *, name: str = "Jane Doe", promise: str = "call back") -> Digest:
    items = tuple(item(n, name=name) for n in range(open_items))
    return Digest(
        day=NOW.date(),
        now=NOW,
        open=open_items,
        unclaimed=open_items,
        overdue=open_items,
        promises_missed=min(open_items, 2),
        escalations_open=min(open_items, 3),
        resolved_today=open_items,
        lanes=(
            LaneDigest("scheduling", open_items // 2, open_items // 2, items[0].received_at)
            if items
            else LaneDigest("scheduling", 0, 0, None),
            LaneDigest("billing", open_items - open_items // 2, 0, None),
        ),
        owners=tuple((f"U{n:08d}", 800 - n) for n in range(min(open_items, 120))),
        overdue_items=items,
        unclaimed_items=items,
        resolved_items=tuple(item(n, owner="U1") for n in range(open_items)),
        promises_due=tuple(
            DigestPromise(i, NOW - timedelta(hours=2), f"{promise} {n}")
            for n, i in enumerate(items[:2])
        ),
        waiting=open_items,
        waiting_items=tuple(
            DigestWaiting(i, "referral_office", NOW - timedelta(days=3, hours=1), None)
            for i in items
        ),
        escalations=tuple(
            DigestEscalation(
                i,
                "emergency",
                STATES[n % 3],
                NOW - timedelta(minutes=50),
                NOW - timedelta(minutes=45),
                "URNKIM" if STATES[n % 3] is EscalationState.ACKNOWLEDGED else None,
            )
            for n, i in enumerate(items[:3])
        ),
    )


def build(d: Digest, privacy: Privacy = Privacy.NONE) -> dict[str, Any]:
    audience = Audience(LANES, privacy, TZ, WORKSPACE, {"emergency": "Emergency"})
    return assert_valid_message(digest_message(d, audience))


@pytest.mark.parametrize("open_items", [0, 1, 50, 800])
def test_the_digest_fits_slacks_limits_at_any_volume(open_items: int) -> None:
    payload = build(digest(open_items))

    assert len(payload["blocks"]) <= 12
    size = len(json.dumps(payload["blocks"], ensure_ascii=False))
    assert size < 10_000, size


def test_the_header_gives_the_numbers_a_manager_reads_first() -> None:
    payload = build(digest(3))

    assert payload["blocks"][0]["text"]["text"] == "End of day · Mon Nov 23"
    fields = [f["text"] for f in payload["blocks"][1]["fields"]]
    assert fields == [
        "*Open*\n3",
        "*Unclaimed*\n3",
        "*Overdue*\n3",
        "*Promises missed*\n2",
        "*Escalations open*\n3",
        "*Resolved today*\n3",
    ]
    assert payload["text"] == "End-of-day digest: 3 open, 3 unclaimed, 3 overdue"


def test_each_lane_shows_its_open_and_overdue_counts_and_oldest_age() -> None:
    shown = text_of(build(digest(4))["blocks"])

    assert "*Scheduling*: 2 open · 2 overdue · oldest 1 d 2 h" in shown
    assert "*Billing handoff*: 2 open · 0 overdue" in shown


def test_every_key_links_to_its_card() -> None:
    shown = text_of(build(digest(2))["blocks"])

    assert "*<https://riverside.slack.com/archives/C0SCHED/p1700000000000001|CQ-1002>*" in shown
    assert "*<https://riverside.slack.com/archives/C0SCHED/p1700000000000000|CQ-1001>*" in shown


def test_without_the_workspace_address_keys_are_shown_unlinked() -> None:
    message = digest_message(digest(1), Audience(LANES, Privacy.NONE, TZ))

    assert "*CQ-1001* · Billing handoff" in text_of(assert_valid_message(message)["blocks"])


def test_at_800_open_items_the_lists_say_how_many_more_and_where_to_see_them() -> None:
    shown = text_of(build(digest(800))["blocks"])

    assert "more: type `/queue LANE` in Slack or open CareQueue's Home tab for the rest" in shown
    assert "*Overdue* (800)" in shown and "*Unclaimed* (800)" in shown
    assert "*Waiting on outside parties* (800)" in shown
    assert "*Promises due since the last close, not kept* (2)" in shown


def test_unresolved_escalations_say_whether_anyone_acknowledged_them() -> None:
    shown = text_of(build(digest(3))["blocks"])

    assert "*Escalations not resolved* (3)" in shown
    base = "*<https://riverside.slack.com/archives/C0SCHED/p17000000000000"
    assert (
        f"{base}00|CQ-1001>* · Billing handoff · Emergency · *not acknowledged*, opened 50 min ago"
        in shown
    )
    assert (
        f"{base}01|CQ-1002>* · Scheduling · Emergency · acknowledged by <@URNKIM>, open 50 min"
        in shown
    )
    assert "CQ-1003>* · Billing handoff · Emergency · *no response*, opened 50 min ago" in shown


def test_waiting_items_say_on_whom_and_for_how_long() -> None:
    shown = text_of(build(digest(1))["blocks"])

    assert (
        "CQ-1001>* · Billing handoff · waiting on the referral office for 3 d 1 h · open 1 d 2 h"
        in shown
    )


@pytest.mark.parametrize("privacy", [Privacy.NONE, Privacy.INITIALS])
def test_a_promises_wording_stays_out_of_the_channel_below_full(privacy: Privacy) -> None:
    shown = text_of(build(digest(1, promise="lab result"), privacy)["blocks"])

    assert "CQ-1001>* · Billing handoff · promised by 8:54 AM · unclaimed" in shown
    assert "lab result" not in shown


def test_at_full_a_promise_says_what_was_promised_escaped() -> None:
    shown = text_of(build(digest(1, promise="<!here> results"), Privacy.FULL)["blocks"])

    assert "“&lt;!here&gt; results 0”" in shown


@pytest.mark.parametrize(
    ("privacy", "shown", "hidden"),
    [
        (Privacy.NONE, [], ["Jane", "J.D."]),
        (Privacy.INITIALS, ["J.D."], ["Jane"]),
        (Privacy.FULL, ["Jane Doe"], []),
    ],
)
def test_patient_detail_only_as_the_privacy_level_allows(
    privacy: Privacy, shown: list[str], hidden: list[str]
) -> None:
    payload = build(digest(2), privacy)
    text = json.dumps(payload)

    assert all(s in text for s in shown)
    assert not any(h in text for h in hidden)
    assert "Jane" not in payload["text"]


def test_a_name_from_a_person_cannot_ping_anyone() -> None:
    payload = build(digest(1, name=HOSTILE_NAME), Privacy.FULL)

    assert "<!channel>" not in json.dumps(payload["blocks"])
    assert "&lt;!channel&gt; Jane Q. Doe" in text_of(payload["blocks"])


FORGED_NAME = "Jane\n*Escalations not resolved* (0)\n*URGENT* `call 911`"
FORGED_PROMISE = "call back\n*Overdue* (0)\nNone.\n> ~everything is fine~"


def test_a_name_or_a_promise_cannot_format_or_forge_lines_in_the_digest() -> None:
    """At `full` a patient's name (an integration may send line breaks) and a promise's
    wording stay on their item's line, as typed: no bold heading, quote, strikethrough or
    code of theirs, and no line of their own that reads like one of the digest's."""
    payload = build(digest(1, name=FORGED_NAME, promise=FORGED_PROMISE), Privacy.FULL)
    shown = text_of(payload["blocks"])
    plain = build(digest(1), Privacy.FULL)
    lines, plain_lines = shown.splitlines(), text_of(plain["blocks"]).splitlines()

    assert len(lines) == len(plain_lines)  # no line of their own
    for forged in ("*URGENT*", "`call 911`", "~everything", "\n&gt;"):
        assert forged not in shown
    assert all("CQ-1001" in line for line in lines if "Jane" in line or "call back" in line)
    star, grave, tilde = "\u2217", "\u02cb", "\u223c"  # look-alikes that format nothing
    assert f"Jane {star}Escalations not resolved{star} (0) {star}URGENT{star} {grave}call" in shown
    assert f"call back {star}Overdue{star} (0) None. &gt; {tilde}everything" in shown


def test_an_empty_day_says_none_under_each_list() -> None:
    shown = text_of(build(digest(0))["blocks"])

    assert "*Overdue* (0)\nNone." in shown
    assert "*Resolved today* (0)\nNone." in shown
    assert "*Escalations not resolved* (0)\nNone." in shown
    assert "*Waiting on outside parties* (0)\nNone." in shown
