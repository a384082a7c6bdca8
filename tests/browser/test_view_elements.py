"""Selects on the Home tab are sent to the app as Slack sends them.

The app has no select on its Home tab, so the test publishes a Home view with one straight to
the stub (as an app would) and checks what the page sends when a person picks an option: a
block_actions payload for that select with the option picked, which the real app, having no
listener for it, answers with 200 and a word to the person (handlers/outdated.py).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from playwright.async_api import expect
from slack_sdk.web.async_client import AsyncWebClient

from tests.browser.test_walkthrough import ANA, act_as

if TYPE_CHECKING:
    from tests.browser.conftest import Pages, Sandbox

pytestmark = pytest.mark.asyncio(loop_scope="session")

ANA_ID = "UFRONT01"
LANE_FILTER = {
    "type": "section",
    "block_id": "home.filter",
    "text": {"type": "mrkdwn", "text": "Show one lane"},
    "accessory": {
        "type": "static_select",
        "action_id": "home.lane",
        "placeholder": {"type": "plain_text", "text": "Lane"},
        "options": [
            {"text": {"type": "plain_text", "text": "Billing"}, "value": "billing"},
            {"text": {"type": "plain_text", "text": "Refills"}, "value": "refills"},
        ],
    },
}


async def test_a_select_on_the_home_tab_sends_the_option_picked(
    sandbox: Sandbox, pages: Pages
) -> None:
    page = await pages.open(sandbox.url)
    await act_as(page, ANA)
    await page.get_by_test_id("home").click()
    home = page.get_by_test_id("home-view")
    await expect(home).to_contain_text("My items")  # the app's own Home has arrived

    client = AsyncWebClient(base_url=sandbox.workspace.stub.base_url, token="xoxb-sandbox")
    published = await client.views_publish(
        user_id=ANA_ID, view={"type": "home", "blocks": [LANE_FILTER]}
    )
    select = home.get_by_test_id("select-home.lane")
    await expect(select).to_be_visible()

    async with page.expect_request("**/sandbox/view_action") as sent:
        await select.select_option(label="Refills")
    body = json.loads((await sent.value).post_data or "{}")

    assert body["view_id"] == published["view"]["id"]
    assert (body["action_id"], body["block_id"]) == ("home.lane", "home.filter")
    assert (body["kind"], body["value"]) == ("static_select", "refills")
    # The sandbox turned it into a signed block_actions request. The app has no listener for
    # it: it answers 200 and tells the person, by DM from the Home tab, that it is outdated.
    stub = sandbox.workspace.stub
    await stub.wait_until(
        lambda: any("older version of CareQueue" in (m.text or "") for m in stub.messages(ANA_ID)),
        timeout=15,
    )
