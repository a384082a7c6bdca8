"""A card tells the truth about time when it is rendered: its due state in business time
(the received time and age are in Details since the compact card)."""

from __future__ import annotations

from datetime import timedelta

from tests.scenarios.conftest import FRONT_DESK, Clinic
from tests.scenarios.test_claim import claim_click


def due_state(clinic: Clinic, key: str) -> str:
    """The card's second line, after the owner: "🟢 due in 40 min", "🔴 *overdue 15 min*"."""
    first = clinic.card_of("scheduling", key).blocks[0]["text"]["text"]
    status = first.split("\n")[1]
    return status.split(" · ", 1)[1]


async def test_a_card_rendered_the_next_morning_says_how_overdue_in_business_time(
    clinic: Clinic,
) -> None:
    # Monday 9:00: a voicemail in the scheduling lane is due by today's close (same day).
    key = await clinic.log_request()
    await clinic.deliver()
    assert due_state(clinic, key) == ":large_green_circle: due in 8 h"

    clinic.clock.advance(timedelta(hours=24, minutes=15))  # Tuesday 9:15
    assert await claim_click(clinic, FRONT_DESK, key) == 200
    await clinic.deliver()

    assert due_state(clinic, key) == ":red_circle: *overdue 1 h 15 min*"


async def test_a_card_rendered_in_the_last_quarter_of_the_target_says_due_soon(
    clinic: Clinic,
) -> None:
    key = await clinic.log_request()
    await clinic.deliver()

    clinic.clock.advance(timedelta(hours=6, minutes=30))  # 3:30 PM, due at 5:00 PM
    assert await claim_click(clinic, FRONT_DESK, key) == 200
    await clinic.deliver()

    assert due_state(clinic, key).startswith(":large_yellow_circle: *due soon* · 1 h 30 min left")
