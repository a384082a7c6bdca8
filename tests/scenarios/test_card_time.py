"""A card tells the truth about time when it is rendered: its due state in business time and
an age Slack keeps current for each reader."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.blocks.conftest import text_of
from tests.scenarios.conftest import FRONT_DESK, Clinic
from tests.scenarios.test_claim import claim_click


def due_field(clinic: Clinic, key: str) -> str:
    fields = [
        f["text"]
        for block in clinic.card_of("scheduling", key).blocks
        for f in block.get("fields", [])
    ]
    (due,) = [f for f in fields if f.startswith("*Due*")]
    return due


async def test_a_card_rendered_the_next_morning_says_how_overdue_in_business_time(
    clinic: Clinic,
) -> None:
    # Monday 9:00: a voicemail in the scheduling lane is due by today's close (same day).
    key = await clinic.log_request()
    await clinic.deliver()
    assert due_field(clinic, key).endswith("\n:large_green_circle: due in 8 h")

    clinic.clock.advance(timedelta(hours=24, minutes=15))  # Tuesday 9:15
    assert await claim_click(clinic, FRONT_DESK, key) == 200
    await clinic.deliver()

    assert due_field(clinic, key).endswith("\n:red_circle: *overdue 1 h 15 min*")
    card = text_of(clinic.card_of("scheduling", key).blocks)
    assert re.search(r"<!date\^\d+\^\{ago\}\|1 d ago>", card)


async def test_a_card_rendered_in_the_last_quarter_of_the_target_says_due_soon(
    clinic: Clinic,
) -> None:
    key = await clinic.log_request()
    await clinic.deliver()

    clinic.clock.advance(timedelta(hours=6, minutes=30))  # 3:30 PM, due at 5:00 PM
    assert await claim_click(clinic, FRONT_DESK, key) == 200
    await clinic.deliver()

    assert due_field(clinic, key).endswith("\n:large_yellow_circle: *due soon* · 1 h 30 min left")
