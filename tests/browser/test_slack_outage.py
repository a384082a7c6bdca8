"""A Slack outage, played in the sandbox page: the request is still logged while Slack is
down, the top bar says what is waiting, and the card follows once Slack is back."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.async_api import expect

from tests.browser.test_walkthrough import (
    ANA,
    PATIENT,
    PHONE,
    act_as,
    card,
    fill_intake,
    open_channel,
    start_intake,
    submit_logged,
)

if TYPE_CHECKING:
    from tests.browser.conftest import Pages, Sandbox

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_a_request_logged_during_a_slack_outage_reaches_its_channel_when_slack_is_back(
    sandbox: Sandbox, pages: Pages, artifacts: Path
) -> None:
    ana = await pages.open(sandbox.url)
    await act_as(ana, ANA)
    await open_channel(ana, "cq-scheduling")
    modal = await start_intake(ana)  # the form opens while Slack still answers
    await fill_intake(modal, name=PATIENT, phone=PHONE, summary="Move Tuesday's visit")

    status = ana.get_by_test_id("slack-status")
    await ana.get_by_test_id("slack-outage").click()
    await expect(status).to_contain_text("Slack is down")
    await submit_logged(ana, "CQ-1001")
    await expect(status).to_contain_text("1 waiting to send")
    await expect(status).to_contain_text("app sees: unreachable")
    await expect(card(ana, "CQ-1001")).to_have_count(0)
    await ana.screenshot(path=artifacts / "slack-outage.png")

    await ana.get_by_test_id("slack-outage").click()
    await expect(status).to_contain_text("Slack is up")
    await expect(card(ana, "CQ-1001")).to_be_visible()
    await ana.screenshot(path=artifacts / "slack-back.png")
