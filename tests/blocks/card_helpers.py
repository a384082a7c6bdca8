"""What the card tests share: building a card as the lane channel shows it, reading it the
way a person does (its lines, its buttons, its menu), and measuring how tall it is."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from blocks.card import item_card
from blocks.escalation import escalation_line
from bot.domain.escalation import Escalation
from bot.domain.handoff import Promise
from bot.domain.items import Item, Status
from bot.domain.lanes import Privacy
from tests.blocks.conftest import (
    CALENDAR,
    NOW,
    TZ,
    WORDING,
    assert_valid_message,
    make_claimed,
    make_item,
    make_lane,
    make_resolved,
    nodes_of,
)

LANE = make_lane()
# Tuesday 24 November 2026, 3:00 PM; Thursday 26 November, 9:00 AM; Tuesday 10:30 AM (New York).
PROMISE_DUE = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)
CHECK_BACK = datetime(2026, 11, 26, 14, 0, tzinfo=UTC)
NEXT_DUE = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)
HOSTILE_NOTE = "<!here> call *now* <https://evil.example|chart>"
TIMES = "\u00d7"  # the multiplication sign: "Repeat contact \u00d72"
SLACK_DATE = re.compile(r"<!date\^\d+\^[^|<>]+\|([^<>]+)>")
# The only markup a card's mrkdwn may hold is the app's own: mentions, dates, one link.
APP_MARKUP = re.compile(r"<(@[UW][A-Z0-9]+|!date\^\d+\^[^|<>]+\|[^<>]+|https://[^|<>\s]+\|[^<>]+)>")
# A line of a mrkdwn link: `<https://…|label>` reads as its label.
LINK = re.compile(r"<https://[^|<>\s]+\|([^<>]+)>")


def as_read(text: str) -> str:
    """What a person reads: a `<!date^…|fallback>` shows as its fallback (the practice's zone)
    and a link as its label."""
    return LINK.sub(r"\1", SLACK_DATE.sub(r"\1", text))


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
        "waiting_for": "payer",
        "waiting_on": "Aetna prior-auth desk",
        "check_back_at": CHECK_BACK,
        "due_at": CHECK_BACK,
        "sla_remaining_minutes": 90.0,
    }
    return make_claimed(**{**defaults, **changes})


def make_escalation(**changes: Any) -> Escalation:
    """Escalated as a medical emergency five minutes ago, paged to the nurse on call."""
    escalation = Escalation(
        item_key="CQ-1042",
        rule="emergency",
        chain=("nurse",),
        opened_by="U1",
        opened_at=NOW - timedelta(minutes=5),
        ack_due_at=NOW + timedelta(minutes=5),
        paged=("U0NURSE01",),
    )
    return dataclasses.replace(escalation, **changes)


STATES = {
    "new": lambda **c: make_item(**c),
    "claimed": lambda **c: make_claimed(**c),
    "waiting": lambda **c: make_waiting(**c),
    "escalated": lambda **c: make_item(status=Status.ESCALATED, **c),
    "resolved": lambda **c: make_resolved(**c),
}


def card(
    item: Item,
    privacy: Privacy = Privacy.NONE,
    *,
    promise: Promise | None = None,
    cadence_attempts: int = 3,
    escalation: Escalation | None = None,
    default_language: str = "English",
    history_link: str | None = None,
    **lane_changes: Any,
) -> dict[str, Any]:
    """The card's payload as Slack gets it, checked against Slack's limits."""
    lane = dataclasses.replace(LANE, **lane_changes) if lane_changes else LANE
    message = item_card(
        item,
        lane,
        privacy,
        NOW,
        TZ,
        WORDING,
        promise=promise,
        cadence_attempts=cadence_attempts,
        history_link=history_link,
        calendar=CALENDAR,
        escalation=escalation,
        escalation_label="Medical emergency" if escalation is not None else "",
        default_language=default_language,
    )
    payload = assert_valid_message(message)
    for menu in nodes_of(payload["blocks"], "static_select"):
        assert 1 <= len(menu["options"]) <= 100
        for option in menu["options"]:
            assert len(option["text"]["text"]) <= 75
            assert len(option["value"]) <= 150
    return payload


def actions_of(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The card's controls: its actions row, or the ⋯ beside a closed card's line."""
    rows = [b["elements"] for b in payload["blocks"] if b["type"] == "actions"]
    beside = [b["accessory"] for b in payload["blocks"] if "accessory" in b]
    assert len(rows) + len(beside) == 1, "a card has one place for its controls"
    return rows[0] if rows else beside


def buttons_of(payload: dict[str, Any]) -> list[str]:
    return [e["text"]["text"] for e in actions_of(payload) if e["type"] == "button"]


def more_options(payload: dict[str, Any]) -> list[str]:
    """The texts of the card's "More" menu, or [] when it has none."""
    menus = [e for e in actions_of(payload) if e["type"] in ("static_select", "overflow")]
    assert len(menus) <= 1
    return [o["text"]["text"] for menu in menus for o in menu["options"]]


def card_lines(payload: dict[str, Any]) -> list[str]:
    """Every line of text on the card, top to bottom, as a person reads it."""
    lines: list[str] = []
    for block in payload["blocks"]:
        texts = [block["text"]] if "text" in block else []
        texts += block.get("fields", []) + (
            block.get("elements", []) if block["type"] == "context" else []
        )
        for text in texts:
            if isinstance(text, dict) and text.get("type") in ("mrkdwn", "plain_text"):
                lines += [as_read(line) for line in text["text"].split("\n")]
    return lines


def height(payload: dict[str, Any]) -> tuple[int, int]:
    """How tall the card is: (blocks, lines of text). A field grid counts a line per field
    row and label; a context block one line; an actions row is not text."""
    return len(payload["blocks"]), len(card_lines(payload))


def escalation_mark(escalation: Escalation) -> str:
    """The escalation line the card should carry, as blocks/escalation.py writes it."""
    line = escalation_line(escalation, "Medical emergency", True, TZ)
    assert line is not None
    return as_read(line)
