"""How tall a card is, measured: a channel of cards must read like a list. An open card at
the default privacy level is at most four blocks and four lines of text, whatever it carries
(a red flag, an escalation, attempts, a promise, a repeat contact); a closed card is one line.
"""

from __future__ import annotations

import pytest

from bot.domain.lanes import Privacy
from tests.blocks.card_helpers import (
    STATES,
    card,
    card_lines,
    height,
    make_escalation,
    make_promise,
)
from tests.blocks.conftest import make_claimed, make_resolved

OPEN_STATES = sorted(state for state in STATES if state != "resolved")
MAX_OPEN_BLOCKS = 4
MAX_OPEN_LINES = 4


def everything(state: str) -> dict:
    """A card carrying every mark and working line there is, long texts included."""
    item = STATES[state](
        red_flags=("chest pain",),
        attempts=2,
        repeat_count=3,
        related_key="CQ-1001",
        waiting_on="the referral office " * 8,
        request_type="R" * 150,
    )
    return card(
        item,
        promise=make_promise(),
        escalation=make_escalation(),
        history_link="https://x.slack.com/archives/C1/p2",
        clinical=True,
        name="L" * 200,
    )


def test_the_height_helper_counts_blocks_and_every_rendered_line() -> None:
    payload = card(make_claimed())
    assert height(payload) == (2, 2)
    assert card_lines(payload) == [
        "*CQ-1042* · Scheduling · Scheduling help · Voicemail",
        "<@U1> · :large_green_circle: due in 2 h · Spanish",
    ]


@pytest.mark.parametrize("state", OPEN_STATES)
def test_an_ordinary_open_card_is_two_lines_and_one_row_of_controls(state: str) -> None:
    assert height(card(STATES[state]())) == (2, 2)


@pytest.mark.parametrize("state", OPEN_STATES)
def test_an_open_card_with_everything_stays_within_four_blocks_and_four_lines(
    state: str,
) -> None:
    blocks, lines = height(everything(state))
    assert blocks <= MAX_OPEN_BLOCKS
    assert lines <= MAX_OPEN_LINES


def test_a_red_flagged_escalated_card_uses_its_four_lines_for_what_matters() -> None:
    payload = everything("escalated")
    lines = card_lines(payload)
    assert len(lines) == 4
    assert lines[2].startswith(":triangular_flag_on_post: *Red flag*")
    assert lines[3].startswith(":rotating_light: Escalated: *Medical emergency*")


@pytest.mark.parametrize("privacy", list(Privacy))
def test_a_closed_card_is_one_line_with_its_menu_beside_it(privacy: Privacy) -> None:
    closed = make_resolved(attempts=3, repeat_count=2, red_flags=("chest pain",))
    payload = card(closed, privacy)
    lines = card_lines(payload)
    if privacy is Privacy.FULL:  # what the patient was told: covered workspaces only
        assert lines[1].startswith("Told patient: ")
        lines = lines[:1]
    assert len(lines) == 1 and lines[0].startswith(":white_check_mark: *CQ-1042*")
    assert payload["blocks"][0]["accessory"]["type"] == "overflow"
    assert "actions" not in [b["type"] for b in payload["blocks"]]
    if privacy is not Privacy.FULL:
        assert height(payload) == (1, 1)
