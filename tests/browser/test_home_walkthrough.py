"""The front desk's morning and the manager's view, in the sandbox's `--demo` practice:
the front-desk lead claims the most urgent unclaimed item across lanes from Home in two
clicks; the manager reads Home at 8 AM and again at closing time.

Screenshots: `home-front-desk.png`, `home-manager-8am.png`, `home-manager-closing.png`, and
`lane-channel-overdue.png` (the cards at closing time, re-rendered as overdue).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from bot.domain.items import Status
from tests.browser.conftest import Pages, Sandbox
from tests.browser.test_walkthrough import (
    ANA,
    act_as,
    act_as_title,
    bring_into_view,
    open_channel,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")

ANA_ID = "UFRONT01"


async def scroll_to(page: Page, text: str) -> None:
    """Bring `text` on Home into view; the outbox may republish Home meanwhile, replacing it."""
    await bring_into_view(page.get_by_test_id("home-view").get_by_text(text))


async def test_the_front_desk_claims_the_most_urgent_unclaimed_item_from_home_in_two_clicks(
    demo_sandbox: Sandbox, pages: Pages, artifacts: Path
) -> None:
    deps = demo_sandbox.workspace.deps
    assert deps is not None
    first, total = await deps.queues.unclaimed(ANA_ID)
    assert total > 10 and first, "the demo morning leaves work that needs an owner"
    wanted = first[0].item.key

    page = await pages.open(demo_sandbox.url)
    await act_as(page, ANA)
    await page.get_by_test_id("home").click()  # click 1
    home = page.get_by_test_id("home-view")
    await expect(home).to_contain_text(f"Needs an owner ({total})")
    await page.screenshot(path=artifacts / "home-front-desk.png")
    claims = home.get_by_test_id("button-home.claim")
    await expect(claims.first).to_be_visible()
    await claims.first.click()  # click 2

    await expect(home).to_contain_text(f"Needs an owner ({total - 1})")
    mine = [listed.item for listed in await deps.queues.mine(ANA_ID)]
    assert [item.key for item in mine] == [wanted]
    assert mine[0].status is Status.CLAIMED


async def test_the_managers_home_at_8_am_and_at_closing_time(
    demo_sandbox: Sandbox, pages: Pages, artifacts: Path
) -> None:
    page = await pages.open(demo_sandbox.url)
    await act_as_title(page, "Practice manager")
    await page.get_by_test_id("home").click()
    home = page.get_by_test_id("home-view")
    await expect(home).to_contain_text("The practice now")
    await expect(home).to_contain_text("Lanes")
    await expect(home).to_contain_text("unclaimed")
    await expect(page.get_by_test_id("clock")).to_contain_text("8:0")
    await scroll_to(page, "The practice now")
    await page.screenshot(path=artifacts / "home-manager-8am.png")

    await page.get_by_test_id("clock-closing").click()
    await expect(page.get_by_test_id("clock")).to_contain_text("PM")
    await home.get_by_test_id("button-home.refresh").click()

    await expect(home.get_by_text("As of")).to_contain_text("PM")  # republished at closing
    await expect(home).to_contain_text("\u26a0\ufe0f")  # ⚠️: lanes with overdue items
    await scroll_to(page, "The practice now")
    await page.screenshot(path=artifacts / "home-manager-closing.png")
    deps = demo_sandbox.workspace.deps
    assert deps is not None
    board = (await deps.queues.home("U0MANAGER1")).board
    assert board is not None and sum(lane.overdue for lane in board.lanes) > 0

    # The cards tell the truth about time too: the aging job re-rendered the late ones.
    await open_channel(page, "cq-telehealth")
    cards = page.get_by_test_id("messages").get_by_test_id("message")
    # Every card here was due at 9:00 AM: once the paced edits arrive, all say overdue.
    await expect(cards.last).to_contain_text("overdue", timeout=90_000)
    await expect(cards.filter(has_text="due in")).to_have_count(0)
    await page.screenshot(path=artifacts / "lane-channel-overdue.png")
