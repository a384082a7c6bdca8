"""Golden JSON snapshots of a few builders' output, with a fixed `now`.

A snapshot that is missing fails the test; run with UPDATE_GOLDEN=1 to write it (or to
rewrite it after an intended change), then read the diff before committing it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from blocks.card import item_card
from blocks.ephemeral import refusal_message
from blocks.modals.close import close_modal
from blocks.modals.details import details_modal
from blocks.modals.intake import intake_modal
from blocks.thread import thread_entry
from bot.domain.events import Event
from bot.domain.intake import IntakeDraft
from bot.domain.items import Action, Refusal, RefusalCode, Status
from bot.domain.lanes import Privacy
from tests.blocks.conftest import (
    CALENDAR,
    NOW,
    SOURCE_LINK,
    TZ,
    WORDING,
    assert_valid_message,
    assert_valid_view,
    make_claimed,
    make_hostile_item,
    make_lane,
    make_resolved,
)

GOLDEN = Path(__file__).parent / "golden"
LANE = make_lane()
BILLING = make_lane("billing", "Billing handoff", request_types=("Copay question",))


def _snapshots() -> dict[str, Callable[[], dict[str, Any]]]:
    return {
        "card_unclaimed_none": lambda: assert_valid_message(
            item_card(make_hostile_item(), LANE, Privacy.NONE, NOW, TZ, WORDING, calendar=CALENDAR)
        ),
        "card_claimed_overdue_initials": lambda: assert_valid_message(
            item_card(
                make_claimed(due_at=NOW.replace(hour=14)),
                LANE,
                Privacy.INITIALS,
                NOW,
                TZ,
                WORDING,
                calendar=CALENDAR,
            )
        ),
        "card_resolved_full": lambda: assert_valid_message(
            item_card(make_resolved(), LANE, Privacy.FULL, NOW, TZ, WORDING, calendar=CALENDAR)
        ),
        "thread_close_full": lambda: assert_valid_message(
            thread_entry(
                Event(
                    item_key="CQ-1042",
                    action=Action.CLOSE,
                    actor="U1",
                    at=NOW,
                    before={"status": Status.CLAIMED.value},
                    after={
                        "status": Status.RESOLVED.value,
                        "resolution": "appointment booked",
                        "told_patient": "Booked Tue 9:30 AM.",
                    },
                ),
                make_resolved(),
                Privacy.FULL,
                TZ,
                WORDING,
            )
        ),
        "refusal_already_owned": lambda: assert_valid_message(
            refusal_message(
                Refusal(RefusalCode.ALREADY_OWNED, "CQ-1042", Action.CLAIM, owner="U1", since=NOW),
                TZ,
                WORDING,
            )
        ),
        "intake_modal_from_message": lambda: assert_valid_view(
            intake_modal(
                [LANE, BILLING],
                ["English", "Spanish"],
                IntakeDraft(summary="Pt asks to move Thu appt", source_link=SOURCE_LINK),
                now=NOW,
                tz=TZ,
            )
        ),
        "close_modal": lambda: assert_valid_view(close_modal(make_claimed(), LANE, "CQ-1042")),
        "details_modal": lambda: assert_valid_view(details_modal(make_hostile_item(), LANE, TZ)),
    }


def _serialise(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("name", sorted(_snapshots()))
def test_output_matches_its_golden_snapshot(name: str) -> None:
    actual = _serialise(_snapshots()[name]())
    path = GOLDEN / f"{name}.json"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.mkdir(exist_ok=True)
        if not path.exists() or path.read_text() != actual:
            path.write_text(actual)
        return
    assert path.exists(), f"no snapshot {path.name}: run with UPDATE_GOLDEN=1 to write it"
    assert actual == path.read_text(), f"{path.name} changed: check the diff, then UPDATE_GOLDEN=1"
