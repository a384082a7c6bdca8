"""The issue's walk-through, clicked through the sandbox page in a real browser.

Every step is a click or a keystroke in the page; what the page shows comes from the real
app (HTTP mode) through the sandbox's Slack stub. Cards are delivered by the outbox worker
on the sandbox's running clock, so the assertions wait (Playwright's auto-waiting expect).

Not here, because the app cannot do them yet: logging a call on an item, a handoff,
escalating a red-flag item with the nurse acknowledging it, and the managers' digest after
closing time.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.async_api import Locator, Page, expect
from sqlalchemy import func, select

from storage.models import ItemRow

if TYPE_CHECKING:
    from tests.browser.conftest import Pages, Sandbox

pytestmark = pytest.mark.asyncio(loop_scope="session")

ANA = "Ana Ruiz — Front desk"
BO = "Bo Chen — Virtual assistant"
PATIENT = "Sam Lee"
REFERENCE = "MRN-20431"
PHONE = "555-201-4477"
PHONE_SHOWN = "(555) 201-4477"


# --------------------------------------------------------------------------- page helpers


async def act_as(page: Page, person: str) -> None:
    """Pick a person in the "Act as" switcher (options read "Name — Title")."""
    await page.get_by_test_id("user-switcher").select_option(label=person)
    await expect(page.get_by_test_id("user-title")).to_have_text(person.split(" — ")[1])


async def open_channel(page: Page, name: str) -> None:
    entry = page.get_by_test_id(f"channel-{name}")
    await entry.click()
    await expect(entry).to_have_attribute("aria-current", "page")
    await expect(page.locator("#channel-header")).to_contain_text(f"# {name}")


def card(page: Page, key: str) -> Locator:
    """The card of `key` in the open channel's timeline."""
    return page.get_by_test_id("messages").get_by_test_id("message").filter(has_text=f"{key} ·")


def field(card_or_modal: Locator, label: str) -> Locator:
    """One cell of a card's field grid ("*Owner*\\n<@U…>")."""
    return card_or_modal.locator(".section-field").filter(has_text=re.compile(f"^{label}"))


def control(modal: Locator, block_id: str) -> Locator:
    """The input, textarea or select of one input block in a modal."""
    return modal.get_by_test_id(f"input-{block_id}").locator("input, textarea, select")


async def start_intake(page: Page) -> Locator:
    """Type /intake in the composer and send it; the intake modal opens."""
    await page.get_by_test_id("composer").fill("/intake")
    await page.get_by_test_id("composer-send").click()
    modal = page.get_by_test_id("modal")
    await expect(modal).to_have_attribute("data-callback-id", "view.intake")
    return modal


async def fill_intake(modal: Locator, *, name: str, phone: str, summary: str) -> None:
    await control(modal, "intake.patient_ref").fill(REFERENCE)
    await control(modal, "intake.patient_name").fill(name)
    await control(modal, "intake.phone").fill(phone)
    await control(modal, "intake.origin").select_option(label="Voicemail")
    await control(modal, "intake.lane").select_option(label="Scheduling help")
    await control(modal, "intake.request_type").select_option(label="reschedule")
    await control(modal, "intake.summary").fill(summary)


async def submit_logged(page: Page, key: str) -> None:
    """Submit the intake modal: it turns into "Request logged" with the key; close it."""
    modal = page.get_by_test_id("modal")
    await modal.get_by_test_id("modal-submit").click()
    await expect(modal.locator(".modal-title")).to_have_text("Request logged")
    await expect(modal).to_contain_text(f"Logged {key} in Scheduling help")
    await modal.get_by_test_id("modal-close").click()
    await expect(modal).to_have_count(0)


async def log_request(page: Page, key: str, *, name: str, summary: str) -> Locator:
    """Log a Scheduling help request through /intake; return its card once it is posted."""
    modal = await start_intake(page)
    await fill_intake(modal, name=name, phone=PHONE, summary=summary)
    await submit_logged(page, key)
    posted = card(page, key)
    await expect(posted).to_be_visible()
    return posted


# --------------------------------------------------------------------------- the walk-through


async def test_walkthrough_log_claim_race_thread_details_close_and_clock(
    sandbox: Sandbox, pages: Pages, artifacts: Path
) -> None:
    ana = await pages.open(sandbox.url)
    await expect(ana.get_by_test_id("banner")).to_contain_text("Local sandbox — not Slack")

    # 1. Ana logs a request from #cq-scheduling with /intake; a bad phone is refused first.
    await act_as(ana, ANA)
    await open_channel(ana, "cq-scheduling")
    modal = await start_intake(ana)
    await fill_intake(modal, name=PATIENT, phone="call me", summary="Move Tuesday's visit")
    await modal.get_by_test_id("modal-submit").click()
    phone_error = modal.get_by_test_id("error-intake.phone")
    await expect(phone_error).to_be_visible()
    await expect(phone_error).to_contain_text("That is not a phone number")
    await expect(modal).to_have_attribute("data-callback-id", "view.intake")
    await expect(modal.locator(".input-error:visible")).to_have_count(1)
    await expect(control(modal, "intake.patient_name")).to_have_value(PATIENT)
    await control(modal, "intake.phone").fill(PHONE)
    await submit_logged(ana, "CQ-1001")
    ana_card = card(ana, "CQ-1001")
    await expect(ana_card).to_be_visible()
    await expect(field(ana_card, "Owner")).to_contain_text("Unclaimed")

    # 2. Ana claims it. Bo, on #cq-scheduling in his own browser, sees it claimed by Ana
    # (no Claim button left for him); /claim gets him the refusal, shown only to him.
    await ana_card.get_by_test_id("button-card.claim").click()
    await expect(field(ana_card, "Owner")).to_contain_text("@Ana Ruiz")
    await expect(ana_card.get_by_test_id("button-card.release")).to_be_visible()
    await expect(ana_card.get_by_test_id("button-card.claim")).to_have_count(0)

    bo = await pages.open(sandbox.url)
    await act_as(bo, BO)
    await open_channel(bo, "cq-scheduling")
    bo_card = card(bo, "CQ-1001")
    await expect(field(bo_card, "Owner")).to_contain_text("@Ana Ruiz")
    await expect(field(bo_card, "Status")).to_contain_text("Claimed")
    await expect(bo_card.get_by_test_id("button-card.claim")).to_have_count(0)
    await bo.get_by_test_id("composer").fill("/claim CQ-1001")
    await bo.get_by_test_id("composer-send").click()
    refusal = bo.get_by_test_id("ephemeral")
    await expect(refusal).to_contain_text("CQ-1001 is already owned by @Ana Ruiz")
    await expect(refusal).to_contain_text("Only visible to you")

    # 3. The card's thread says who claimed it.
    await ana_card.get_by_test_id("thread-link").click()
    thread = ana.get_by_test_id("thread")
    await expect(thread).to_be_visible()
    await expect(thread.get_by_test_id("thread-parent")).to_contain_text("CQ-1001")
    await expect(thread).to_contain_text("Claimed by @Ana Ruiz")

    # 4. Details shows the patient's name and phone; the card never does (privacy: none).
    await ana_card.get_by_test_id("button-card.details").click()
    details = ana.get_by_test_id("modal")
    await expect(details).to_have_attribute("data-callback-id", "view.details")
    await expect(details).to_contain_text(f"Patient: {PATIENT}")
    await expect(details).to_contain_text(f"Callback phone: {PHONE_SHOWN}")
    await expect(details).to_contain_text(f"Reference: {REFERENCE}")
    card_text = await ana_card.inner_text()
    assert PATIENT not in card_text
    assert REFERENCE not in card_text
    assert not re.search(r"201\D{0,3}4477", card_text)
    # Ana's page has fetched the state since Bo's refusal was sent: it is not hers to see.
    await expect(ana.get_by_test_id("ephemeral")).to_have_count(0)
    await details.get_by_test_id("modal-close").click()
    await expect(details).to_have_count(0)

    # 5. Ana closes it: a resolution from the lane's list and what the patient was told.
    await ana_card.get_by_test_id("button-card.close").click()
    closing = ana.get_by_test_id("modal")
    await expect(closing).to_have_attribute("data-callback-id", "view.close")
    await control(closing, "close.resolution").select_option(label="appointment rescheduled")
    await control(closing, "close.told_patient").fill("Moved to Thursday 9:30 AM.")
    await closing.get_by_test_id("modal-submit").click()
    await expect(closing).to_have_count(0)
    await expect(ana_card).to_contain_text("Resolved by @Ana Ruiz · appointment rescheduled")
    await expect(ana_card.get_by_test_id("button-card.reopen")).to_be_visible()
    await expect(ana_card.get_by_test_id("button-card.close")).to_have_count(0)
    await expect(thread).to_contain_text("Closed by @Ana Ruiz · appointment rescheduled")
    await ana.screenshot(path=artifacts / "walkthrough-closed.png")

    # 6. The clock control jumps to closing time (5:00 PM on a Monday, practice time).
    clock = ana.get_by_test_id("clock")
    await expect(clock).to_have_text(re.compile(r"^Mon Nov 23, 9:\d\d AM EST$"))
    await ana.get_by_test_id("clock-closing").click()
    await expect(clock).to_have_text("Mon Nov 23, 5:00 PM EST")


async def test_a_hostile_patient_name_pings_nobody(sandbox: Sandbox, pages: Pages) -> None:
    page = await pages.open(sandbox.url)
    await act_as(page, ANA)
    await open_channel(page, "cq-scheduling")
    logged = await log_request(
        page, "CQ-1001", name="<!channel> Zelda", summary="<!here> call me <@UASSIST01>"
    )
    # The card shows no patient detail at the default privacy level, so nothing to ping.
    await expect(logged).not_to_contain_text("Zelda")
    await expect(page.locator(".mention-broadcast")).to_have_count(0)

    await logged.get_by_test_id("button-card.details").click()
    details = page.get_by_test_id("modal")
    await expect(details).to_have_attribute("data-callback-id", "view.details")
    # Shown literally, as typed: plain text, not a broadcast chip.
    await expect(details).to_contain_text("Patient: <!channel> Zelda")
    await expect(details).to_contain_text("<!here> call me <@UASSIST01>")
    await expect(page.locator(".mention-broadcast")).to_have_count(0)
    await expect(details.locator(".mention")).to_have_count(0)


async def test_demo_morning_fills_the_lane_channels(
    demo_sandbox: Sandbox, pages: Pages, artifacts: Path
) -> None:
    deps = demo_sandbox.workspace.deps
    assert deps is not None
    async with deps.uow() as tx:
        clinical = await tx.session.scalar(
            select(func.count()).select_from(ItemRow).where(ItemRow.lane == "clinical")
        )
    assert clinical

    page = await pages.open(demo_sandbox.url)
    await act_as(page, ANA)
    await open_channel(page, "cq-clinical-routing")
    cards = page.get_by_test_id("messages").get_by_test_id("message")
    await expect(cards).to_have_count(clinical, timeout=30_000)
    await expect(cards.first).to_contain_text("Unclaimed")
    await expect(page.get_by_test_id("clock")).to_contain_text("8:0")
    await page.screenshot(path=artifacts / "lane-channel.png")


async def test_a_claim_clicked_on_a_stale_card_is_refused_only_to_the_late_clicker(
    sandbox: Sandbox, pages: Pages
) -> None:
    ana = await pages.open(sandbox.url)
    await act_as(ana, ANA)
    await open_channel(ana, "cq-scheduling")
    ana_card = await log_request(ana, "CQ-1001", name=PATIENT, summary="Move Tuesday's visit")

    # Bo's tab does not poll (a slow or background tab): it still shows Claim after Ana's.
    bo = await pages.open(sandbox.url, polling=False)
    await act_as(bo, BO)
    await open_channel(bo, "cq-scheduling")
    bo_card = card(bo, "CQ-1001")
    await expect(bo_card.get_by_test_id("button-card.claim")).to_be_visible()

    await ana_card.get_by_test_id("button-card.claim").click()
    await expect(field(ana_card, "Owner")).to_contain_text("@Ana Ruiz")

    async with bo.expect_response(lambda r: "/sandbox/click" in r.url) as answered:
        await bo_card.get_by_test_id("button-card.claim").click()
    response = await answered.value
    assert response.ok, await response.text()
    await bo.clock.resume()
    await expect(bo.get_by_test_id("ephemeral")).to_contain_text(
        "CQ-1001 is already owned by @Ana Ruiz"
    )
    await expect(field(bo_card, "Owner")).to_contain_text("@Ana Ruiz")
    await expect(ana.get_by_test_id("ephemeral")).to_have_count(0)
