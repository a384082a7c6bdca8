"""The escalation walk-through of `carequeue sandbox --demo`, clicked in a real browser.

The demo's overnight chest-pain portal message arrives through the intake API red-flagged:
its card carries the mark and, since no person logged it, the clinical channel is asked
to confirm or dismiss. Ana escalates it there and is told what to say to the patient; the
nurse, switched to in the person switcher, finds the page in her DM with CareQueue,
acknowledges it (the card says so) and resolves it, saying whether escalating was right.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.async_api import Locator, Page, expect
from sqlalchemy import select

from bot.domain.escalation import EscalationState
from bot.domain.items import Refusal
from storage.models import ItemRow
from tests.browser.test_walkthrough import (
    act_as,
    bring_into_view,
    card,
    claimed_request,
    control,
    open_channel,
)

if TYPE_CHECKING:
    from tests.browser.conftest import Pages, Sandbox

pytestmark = pytest.mark.asyncio(loop_scope="session")

ANA = "Ana Ruiz — Front desk"
NINA = "Nina Patel — Nurse"  # the example practice's first clinical level, first member
DECISION = "Spoke with the patient: no pain now; booked a same-day visit at 11:00."
TOLD = "Come in at 11:00 today; call 911 if the pain comes back."


async def red_flagged_key(sandbox: Sandbox) -> str:
    """The demo's chest-pain item: the one request flagged at intake."""
    deps = sandbox.workspace.deps
    assert deps is not None
    async with deps.uow.read() as tx:
        keys = (await tx.session.scalars(select(ItemRow.key).where(ItemRow.red_flags != ""))).all()
    assert len(keys) == 1, keys
    return keys[0]


def message_about(page: Page, key: str) -> Locator:
    """The message in the open conversation that names `key` (a prompt, a page)."""
    return page.get_by_test_id("messages").get_by_test_id("message").filter(has_text=key)


async def test_the_demo_chest_pain_is_escalated_then_the_nurse_acknowledges_and_resolves_it(
    demo_sandbox: Sandbox, pages: Pages, artifacts: Path
) -> None:
    key = await red_flagged_key(demo_sandbox)

    # 1. Ana finds the chest-pain card red-flagged in the clinical lane, with no patient words.
    ana = await pages.open(demo_sandbox.url)
    await act_as(ana, ANA)
    await open_channel(ana, "cq-clinical-routing")
    flagged = card(ana, key)
    await expect(flagged).to_contain_text("🚩 Red flag: possible emergency words at intake")
    await expect(flagged).not_to_contain_text("Chest")
    await bring_into_view(flagged)
    await ana.screenshot(path=artifacts / "escalation-flagged-card.png")

    # 2. Nobody logged it (the portal did): the clinical channel is asked. Ana escalates it
    # from there and at once sees what to tell the patient, only to her.
    await open_channel(ana, "cq-clinical")
    prompt = message_about(ana, key).filter(has_text="came in through the intake API")
    await expect(prompt).to_contain_text("Escalate now as Medical emergency?")
    await prompt.get_by_test_id("button-red_flag.escalate").click()
    guidance = ana.get_by_test_id("ephemeral").filter(has_text=key)
    await expect(guidance).to_contain_text("Tell the patient now:")
    await expect(guidance).to_contain_text("call 911 now and stay on the line")
    await open_channel(ana, "cq-clinical-routing")
    await expect(flagged).to_contain_text("Escalated: Medical emergency")
    await expect(flagged).to_contain_text("with @Nina Patel")

    # 3. Nina, the nurse, has the page in her DM with CareQueue: the key and the reason,
    # none of the patient's words, and the answers.
    nina = await pages.open(demo_sandbox.url)
    await act_as(nina, NINA)
    await nina.get_by_test_id("dm-CareQueue").click()
    page_dm = message_about(nina, key).filter(has_text="Medical emergency")
    await expect(page_dm).to_have_count(1)
    await expect(page_dm.get_by_test_id("button-escalation.acknowledge")).to_be_visible()
    dm_text = await page_dm.inner_text()
    assert "chest" not in dm_text.lower() and "stairs" not in dm_text
    await nina.screenshot(path=artifacts / "escalation-nurse-dm.png")

    # 4. She acknowledges: the card says by whom and when.
    await page_dm.get_by_test_id("button-escalation.acknowledge").click()
    await expect(nina.get_by_test_id("ephemeral")).to_contain_text(f"You acknowledged {key}")
    # The time as Slack's <!date^…> fallback, which is what the sandbox shows.
    acknowledged = re.compile(r"acknowledged by @Nina Patel [A-Za-z0-9 ]*\d{1,2}:\d\d [AP]M")
    await expect(flagged).to_contain_text(acknowledged)
    await bring_into_view(flagged)
    await ana.screenshot(path=artifacts / "escalation-acknowledged-card.png")

    # 5. She resolves it: what was decided, what the patient was told, and whether
    # escalating was the right call.
    await page_dm.get_by_test_id("button-escalation.resolve").click()
    modal = nina.get_by_test_id("modal")
    await expect(modal).to_have_attribute("data-callback-id", "view.escalation_resolve")
    await control(modal, "escalation.decision").fill(DECISION)
    await control(modal, "escalation.told_patient").fill(TOLD)
    await modal.get_by_test_id("input-escalation.appropriate").get_by_label("Yes").check()
    await modal.get_by_test_id("modal-submit").click()
    await expect(modal).to_have_count(0)
    await expect(flagged).to_contain_text("Escalation (Medical emergency) resolved by @Nina Patel")
    await expect(flagged).to_contain_text("Red flag")  # the mark stays

    deps = demo_sandbox.workspace.deps
    assert deps is not None
    escalation = await deps.escalations.current(key)
    assert escalation is not None and escalation.state is EscalationState.RESOLVED
    assert escalation.acknowledged_by == "U0NURSE01" and escalation.appropriate is True
    assert escalation.decision == DECISION and escalation.told_patient == TOLD


async def test_a_more_urgent_reason_replaces_an_open_escalation_from_the_cards_menu(
    sandbox: Sandbox, pages: Pages, artifacts: Path
) -> None:
    """Ana logged a Scheduling request and escalated it for a refill question; the patient
    calls back with chest pain. On the escalated card, More ▸ Escalate… with Medical
    emergency replaces the refill escalation: the nurses are paged anew, Ana is told what
    to say, and the card shows the emergency."""
    ana, posted = await claimed_request(pages, sandbox.url, "Wants a refill before Friday")
    deps = sandbox.workspace.deps
    assert deps is not None
    refill = await deps.escalations.escalate(item_key="CQ-1001", actor="UFRONT01", rule="refill")
    assert not isinstance(refill, Refusal), refill
    await expect(posted).to_contain_text("Escalated: Prescription refill request")

    await posted.get_by_test_id("select-card.more").select_option(label="Escalate…")
    modal = ana.get_by_test_id("modal")
    await expect(modal).to_have_attribute("data-callback-id", "view.escalate")
    await control(modal, "escalate.rule").select_option(value="emergency")
    await control(modal, "escalate.context").fill("Now says crushing chest pain")
    await modal.get_by_test_id("modal-submit").click()
    await expect(modal).to_have_count(0)
    guidance = ana.get_by_test_id("ephemeral").filter(has_text="CQ-1001")
    await expect(guidance).to_contain_text("call 911 now and stay on the line")
    await expect(posted).to_contain_text("Escalated: Medical emergency")
    await bring_into_view(posted)
    await ana.screenshot(path=artifacts / "escalation-superseded-card.png")

    escalation = await deps.escalations.current("CQ-1001")
    assert escalation is not None and escalation.rule == "emergency" and escalation.state.is_open
