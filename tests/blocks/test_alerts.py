"""Aging and promise alerts: what a person reads in a thread, a DM or the managers' channel,
valid for Slack, with no patient data; and the same message once it is no longer true."""

from __future__ import annotations

from datetime import timedelta

import pytest
from slack_sdk.models.blocks import Block

from blocks.alerts import alert_message
from blocks.message import Message
from bot.domain.aging import AlertKind, AlertNotice, Cleared
from tests.blocks.conftest import NOW, TZ, WORDING, assert_valid_message, make_lane, text_of

LANE = make_lane(name="Scheduling help")
DUE = NOW - timedelta(minutes=30)


def rendered(notice: AlertNotice) -> dict:
    payload = alert_message(notice, LANE, TZ, WORDING)
    assert_valid_message(Message(text=payload["text"], blocks=Block.parse_all(payload["blocks"])))
    return payload


def notice(kind: AlertKind, target: str = "thread", **changes: object) -> AlertNotice:
    fields: dict = {
        "kind": kind,
        "item_key": "CQ-1042",
        "lane": "scheduling",
        "target": target,
        "due_at": DUE,
        "owner": None,
        "card_channel_id": "C0SCHED",
    }
    return AlertNotice(**{**fields, **changes})


@pytest.mark.parametrize("kind", list(AlertKind))
@pytest.mark.parametrize("target", ["thread", "owner", "managers"])
def test_every_alert_is_valid_names_the_item_and_lane_and_gives_the_time_per_reader(
    kind: AlertKind, target: str
) -> None:
    payload = rendered(notice(kind, target, owner="U1"))
    shown = text_of(payload["blocks"])
    assert "CQ-1042 (Scheduling help)" in shown and "<!date^" in shown
    # Lock screens get the practice's time, not Slack's date markup.
    assert "<!date^" not in payload["text"] and "CQ-1042" in payload["text"]


def test_an_unowned_warning_in_the_thread_says_nobody_has_claimed_it() -> None:
    payload = rendered(notice(AlertKind.WARNING))
    assert payload["text"].startswith(":hourglass_flowing_sand: CQ-1042 (Scheduling help) is due")
    assert "Nobody has claimed it yet" in payload["text"]


def test_a_dm_links_to_the_card_and_names_its_channel() -> None:
    link = "https://carequeue-demo.slack.com/archives/C0SCHED/p1700000000000100"
    payload = rendered(notice(AlertKind.BREACH, "owner", owner="U1", card_link=link))
    shown = text_of(payload["blocks"])
    assert f"<{link}|Open the card of CQ-1042>" in shown
    assert "The card is in <#C0SCHED>" in shown
    # A link that is not a plain https address is left out, never shown as markup.
    forged = rendered(notice(AlertKind.BREACH, "owner", card_link="javascript:alert(1)"))
    assert "javascript" not in str(forged) and "<#C0SCHED>" in text_of(forged["blocks"])


def test_the_managers_hear_who_owns_an_item_at_twice_its_target() -> None:
    owned = rendered(notice(AlertKind.TWICE, "managers", owner="U1"))
    assert "twice its response target" in owned["text"] and "Owner <@U1>" in owned["text"]
    unowned = rendered(notice(AlertKind.TWICE, "managers"))
    assert "Nobody has claimed it" in unowned["text"]


def test_a_cleared_alert_says_who_made_it_untrue_and_when() -> None:
    claimed = rendered(
        notice(
            AlertKind.BREACH,
            cleared=Cleared.CLAIMED,
            cleared_by="U1",
            cleared_at=NOW,
            owner="U1",
        )
    )
    assert claimed["text"] == (
        ":white_check_mark: CQ-1042 (Scheduling help) — Claimed by <@U1> at 10:54 AM"
        " — no longer waiting for an owner."
    )
    assert len(claimed["blocks"]) == 1  # no pointer to the card: nothing left to do
    closed = rendered(
        notice(AlertKind.WARNING, cleared=Cleared.CLOSED, cleared_by="U2", cleared_at=NOW)
    )
    assert "Closed by <@U2> at 10:54 AM — no longer due soon" in closed["text"]
    updated = rendered(
        notice(
            AlertKind.BREACH,
            cleared=Cleared.UPDATED,
            cleared_at=NOW,
            now_due_at=NOW + timedelta(hours=2),
        )
    )
    assert "Updated at 10:54 AM, now due Mon 12:54 PM — no longer overdue" in updated["text"]
    kept = rendered(
        notice(AlertKind.PROMISE_SOON, cleared=Cleared.KEPT, cleared_by="U1", cleared_at=NOW)
    )
    assert "Promise kept by <@U1> at 10:54 AM" in kept["text"]


def test_a_warning_the_breach_replaced_says_it_is_overdue_now() -> None:
    payload = rendered(notice(AlertKind.WARNING, cleared=Cleared.OVERDUE, cleared_at=NOW))
    assert payload["text"] == (
        ":red_circle: CQ-1042 (Scheduling help) — was due soon, overdue since 10:54 AM."
    )
