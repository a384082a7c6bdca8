"""A lane channel of twenty CareQueue cards in a real browser: it must read like a list.

The cards are the card builder's own payloads (every state, red flags, an escalation,
attempts, promises, closed cards), posted through the sandbox's stub as the app posts them,
and drawn by the sandbox page. Each card's height is measured in pixels, and the whole
channel is kept as test-artifacts/lane-channel-20-cards.png to look at.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.async_api import expect

from blocks.card import item_card
from bot.domain.escalation import EscalationState
from bot.domain.items import Item, Origin, Status
from bot.domain.lanes import Privacy
from tests.blocks.card_helpers import make_escalation, make_promise, make_waiting
from tests.blocks.conftest import (
    CALENDAR,
    NOW,
    TZ,
    WORDING,
    make_claimed,
    make_item,
    make_lane,
    make_patient,
    make_resolved,
)
from tests.browser.test_gallery import ANA_ID, BO_ID, Gallery, gallery, open_page

if TYPE_CHECKING:
    from tests.browser.conftest import Pages

pytestmark = pytest.mark.asyncio(loop_scope="session")
__all__ = ["gallery"]  # the fixture, imported for this module's tests

LANE = make_lane()
TYPES = ("Scheduling help", "Reschedule", "Cancel appointment")
ORIGINS = (Origin.VOICEMAIL, Origin.PORTAL_MESSAGE, Origin.MISSED_CALL, Origin.WEB_FORM)
# The tallest a card may be in the page, in CSS pixels (the ten-field form was ~300), as
# Slack shows a run of one app's messages: the first with the app's name above it.
TWO_LINES_MAX_PX = 100  # two lines and the row of controls
OPEN_CARD_MAX_PX = 145  # four lines (a red flag and an escalation) and the row of controls
CLOSED_CARD_MAX_PX = 50  # one line
NAME_ROW_PX = 30


def twenty_cards() -> list[tuple[Item, dict]]:
    """A morning's lane: new, claimed, waiting, escalated, red-flagged and closed items."""
    cards: list[tuple[Item, dict]] = []
    for n in range(20):
        key = f"CQ-{1042 + n}"
        base = {
            "key": key,
            "request_type": TYPES[n % 3],
            "origin": ORIGINS[n % 4],
            "received_at": NOW - timedelta(minutes=30 + 17 * n),
            "due_at": NOW + timedelta(minutes=200 - 23 * n),
            "patient": make_patient(language="Spanish" if n % 5 == 2 else "English"),
        }
        extra: dict = {}
        if n % 4 == 2:  # a missed call nobody identified yet
            base["patient"] = dataclasses.replace(base["patient"], name="", reference="")
        if n in (0, 3, 9, 14):
            item = make_item(**base)
        elif n in (1, 4, 7, 10, 15, 18):
            item = make_claimed(owner=(ANA_ID, BO_ID)[n % 2], attempts=n % 3, **base)
            if n == 7:
                extra["promise"] = make_promise()
        elif n in (5, 11):
            item = make_waiting(owner=BO_ID, **{k: v for k, v in base.items() if k != "due_at"})
        elif n == 6:
            item = make_item(red_flags=("chest pain",), **base)
        elif n == 12:
            item = make_item(status=Status.ESCALATED, red_flags=("chest pain",), **base)
            extra["escalation"] = make_escalation()
        elif n == 13:
            item = make_item(status=Status.ESCALATED, **base)
            extra["escalation"] = make_escalation(
                state=EscalationState.ACKNOWLEDGED, acknowledged_by="U0NURSE01", acknowledged_at=NOW
            )
        else:
            item = make_resolved(
                closed_by=(ANA_ID, BO_ID)[n % 2],
                resolution=("appointment booked", "rescheduled", "no longer needed")[n % 3],
                closed_at=NOW - timedelta(minutes=n),
                **base,
            )
        cards.append((item, extra))
    return cards


async def test_a_lane_channel_of_twenty_cards_reads_like_a_list(
    gallery: Gallery, pages: Pages, artifacts: Path
) -> None:
    page = await open_page(gallery, pages)
    cards = twenty_cards()
    for item, extra in cards:
        message = item_card(
            item,
            LANE,
            Privacy.NONE,
            NOW,
            TZ,
            WORDING,
            calendar=CALENDAR,
            default_language="English",
            escalation_label="Medical emergency" if "escalation" in extra else "",
            **extra,
        )
        await gallery.post(**message.to_payload())
    shown = page.get_by_test_id("messages").get_by_test_id("message")
    await expect(shown).to_have_count(20)

    heights = []
    for n, ((item, extra), drawn) in enumerate(zip(cards, await shown.all(), strict=True)):
        await expect(drawn).to_contain_text(item.key)
        box = await drawn.bounding_box()
        assert box is not None
        marked = bool(item.red_flags) or "escalation" in extra
        limit = OPEN_CARD_MAX_PX if marked else TWO_LINES_MAX_PX
        limit = limit if item.status.is_open else CLOSED_CARD_MAX_PX
        limit += NAME_ROW_PX if n == 0 else 0
        heights.append((item.key, item.status.value, round(box["height"]), limit))
    # Nothing about a patient reaches the channel at the default level.
    channel = await page.get_by_test_id("messages").inner_text()
    for patient_data in ("Jane", "Doe", "(555)", "MRN-"):
        assert patient_data not in channel

    await page.set_viewport_size({"width": 1280, "height": 2400})
    await page.get_by_test_id("messages").screenshot(path=artifacts / "lane-channel-20-cards.png")
    too_tall = [h for h in heights if h[2] > h[3]]
    assert not too_tall, heights
