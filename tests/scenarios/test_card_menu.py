"""The compact card's More menu: whatever does not fit the row of three buttons is one choice
away and does what its button did (the buttons on cards posted earlier keep working)."""

from __future__ import annotations

from datetime import time
from typing import Any

from blocks.ids import More, ViewId
from bot.domain.items import Action
from tests.scenarios.conftest import ASSISTANT, FRONT_DESK, Clinic
from tests.scenarios.test_claim import choose, claimed_card
from tests.scenarios.test_waiting import TUESDAY, wait_on


async def test_details_from_the_menu_opens_the_record_and_is_audited(clinic: Clinic) -> None:
    key, _ = await claimed_card(clinic)
    opened = await clinic.open_from_menu(FRONT_DESK, key, More.DETAILS)
    assert opened["callback_id"] == ViewId.DETAILS
    assert "201-4477" in str(opened["blocks"])  # the phone: here, never on the card
    assert "201-4477" not in str(clinic.card_of("scheduling", key).blocks)
    history = await clinic.deps.services.history(key)
    assert [e.actor for e in history if e.action is Action.VIEW] == [FRONT_DESK]


async def handoff_from_a_waiting_card(clinic: Clinic, user: str) -> dict[str, Any]:
    """The front desk's item waiting on the payer (Handoff is in its menu then); what `user`
    gets from choosing Handoff."""
    key, _ = await claimed_card(clinic)
    await wait_on(clinic, key, "payer", TUESDAY, time(10))
    await clinic.deliver()
    card = clinic.card_of("scheduling", key)
    await clinic.then_wait_for("views.update", choose(clinic, user, card, More.HANDOFF, key))
    (opened,) = clinic.stub.open_views(user)
    return opened


async def test_a_waiting_card_hands_off_from_the_menu(clinic: Clinic) -> None:
    opened = await handoff_from_a_waiting_card(clinic, FRONT_DESK)
    assert opened["callback_id"] == ViewId.HANDOFF


async def test_a_menu_form_is_refused_at_the_choice_for_someone_who_may_not(
    clinic: Clinic,
) -> None:
    refused = await handoff_from_a_waiting_card(clinic, ASSISTANT)
    assert refused["callback_id"] != ViewId.HANDOFF
    assert "input" not in [b["type"] for b in refused["blocks"]]
