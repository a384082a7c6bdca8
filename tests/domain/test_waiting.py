"""Who an item waits on is a choice: every choice has words for a form and a sentence, and a
value this version does not know reads as an outside party, never as staff's text."""

from __future__ import annotations

import pytest

from bot.domain.waiting import WaitingParty, party, waiting_phrase


def test_the_choices_are_the_ones_staff_pick_from_in_this_order() -> None:
    assert [p.value for p in WaitingParty] == [
        "payer",
        "referral_office",
        "lab",
        "pharmacy",
        "patient",
        "other",
    ]


@pytest.mark.parametrize("choice", list(WaitingParty))
def test_every_choice_has_a_label_and_a_phrase(choice: WaitingParty) -> None:
    assert choice.label and choice.phrase
    assert party(choice.value) is choice
    assert waiting_phrase(choice.value) == choice.phrase


@pytest.mark.parametrize("stored", ["", None, "Aetna prior-auth desk", "PAYER"])
def test_anything_else_reads_as_an_outside_party(stored: str | None) -> None:
    assert party(stored) is None
    assert waiting_phrase(stored) == "an outside party"
