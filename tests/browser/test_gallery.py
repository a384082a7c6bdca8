"""Every Block Kit piece the sandbox page claims, rendered and driven in a real browser.

CareQueue's own app uses only some of Block Kit today, so these tests do not run it: a tiny
Bolt app (its listeners answer as each test needs) sits behind the sandbox's Slack stub and
workspace routes, and the tests put content in front of the page through the Web API, as an
app would (chat.postMessage, chat.postEphemeral, chat.update, views.open). What the page
sends back arrives at the Bolt app as Slack's signed payloads, and the tests check those.
"""

from __future__ import annotations

import asyncio
import base64
import re
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
import pytest_asyncio
from aiohttp import web
from playwright.async_api import Locator, Page, Response, Route, expect
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import OffsetClock
from bot.config import EXAMPLE_PRACTICE, load_practice
from sandbox.side.interactions import SlackSide
from sandbox.stub.server import SlackStub
from sandbox.workspace import Workspace, people_for
from tests.bolt_server import serving
from tests.browser.test_walkthrough import ANA, BO, act_as, control, open_channel

if TYPE_CHECKING:
    from tests.browser.conftest import Pages

pytestmark = pytest.mark.asyncio(loop_scope="session")

SECRET = "gallery-signing-secret"
TOKEN = "xoxb-test"
ANA_ID = "UFRONT01"
BO_ID = "UASSIST01"
CHANNEL = "#cq-scheduling"
# A 1x1 PNG the stub serves, so the page has a local image to load (it loads no others).
DOT_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)
DOT_PATH = "/gallery/dot.png"


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(text), "value": value}


# --------------------------------------------------------------------------- the harness


@dataclass
class Gallery:
    """The stub and workspace the page talks to, and what the Bolt app behind them heard."""

    url: str
    stub: SlackStub
    workspace: Workspace
    client: AsyncWebClient
    actions: list[dict[str, Any]] = field(default_factory=list)
    submissions: list[dict[str, Any]] = field(default_factory=list)

    def image_url(self) -> str:
        return f"{self.stub.root_url}{DOT_PATH}"

    async def post(self, **kwargs: Any) -> str:
        posted = await self.client.chat_postMessage(channel=CHANNEL, **kwargs)
        return str(posted["ts"])

    async def open_modal(self, user: str, view: dict[str, Any]) -> str:
        opened = await self.client.views_open(trigger_id=self.stub.new_trigger_id(user), view=view)
        return str(opened["view"]["id"])


def step_modal(title: str, text: str) -> dict[str, Any]:
    """A modal whose submission the Bolt app answers with the response_action typed in it."""
    return {
        "type": "modal",
        "callback_id": "gallery.step",
        "title": plain(title),
        "submit": plain("Next"),
        "close": plain("Back"),
        "blocks": [
            {"type": "section", "block_id": "step.about", "text": {"type": "mrkdwn", "text": text}},
            {
                "type": "input",
                "block_id": "step.next",
                "label": plain("What next"),
                "element": {"type": "plain_text_input", "action_id": "next"},
            },
            {
                "type": "input",
                "block_id": "step.keep",
                "optional": True,
                "label": plain("Something to keep"),
                "element": {"type": "plain_text_input", "action_id": "keep"},
            },
        ],
    }


STEP_ERROR = "Not accepted: try another answer"
UPDATED = step_modal("Updated step", "Replaced in place")
PUSHED = step_modal("Second step", "Stacked on the first")


def build_bolt_app(gallery: Gallery) -> AsyncApp:
    bolt = AsyncApp(signing_secret=SECRET, client=gallery.client)

    # Each listener records before ack(), so it is there when the page's request returns.
    @bolt.action(re.compile(r"^gallery\."))
    async def on_action(ack: AsyncAck, body: dict[str, Any]) -> None:
        gallery.actions.append(body)
        await ack()

    @bolt.view("gallery.inputs")
    async def on_inputs(ack: AsyncAck, view: dict[str, Any]) -> None:
        gallery.submissions.append(view)
        await ack()

    @bolt.view("gallery.step")
    async def on_step(ack: AsyncAck, view: dict[str, Any]) -> None:
        gallery.submissions.append(view)
        answer = view["state"]["values"]["step.next"]["next"]["value"]
        if answer == "errors":
            await ack(response_action="errors", errors={"step.next": STEP_ERROR})
        elif answer == "update":
            await ack(response_action="update", view=UPDATED)
        elif answer == "push":
            await ack(response_action="push", view=PUSHED)
        elif answer == "clear":
            await ack(response_action="clear")
        else:
            await ack()

    return bolt


@pytest_asyncio.fixture(loop_scope="session")
async def gallery() -> AsyncIterator[Gallery]:
    """The sandbox's stub and workspace page in front of a tiny Bolt app (not CareQueue)."""
    practice = load_practice(EXAMPLE_PRACTICE)
    stub = SlackStub(port=0)
    workspace = Workspace(stub, practice, OffsetClock(), people_for(practice))
    workspace.attach(stub.app)

    async def dot(request: web.Request) -> web.Response:
        return web.Response(body=DOT_PNG, content_type="image/png")

    stub.app.router.add_get(DOT_PATH, dot)
    await stub.start()
    workspace.set_up()
    client = AsyncWebClient(base_url=stub.base_url, token=TOKEN)
    made = Gallery(url=stub.root_url, stub=stub, workspace=workspace, client=client)
    bolt = build_bolt_app(made)
    try:
        async with serving(bolt) as app_url:
            workspace.side = SlackSide(app_url, SECRET, stub)
            try:
                yield made
                stub.assert_no_problems()
            finally:
                await workspace.side.close()
    finally:
        await stub.stop()


# --------------------------------------------------------------------------- page helpers


async def open_page(gallery: Gallery, pages: Pages, person: str = ANA) -> Page:
    page = await pages.open(gallery.url)
    await act_as(page, person)
    await open_channel(page, CHANNEL.removeprefix("#"))
    return page


def message(page: Page, text: str) -> Locator:
    return page.get_by_test_id("messages").get_by_test_id("message").filter(has_text=text)


def block(scope: Page | Locator, block_id: str) -> Locator:
    return scope.locator(f'[data-block-id="{block_id}"]')


async def answered(page: Page, route: str, action: Awaitable[object]) -> Response:
    """Do `action` (a coroutine) in the page; the sandbox's answer to its POST to `route`."""
    async with page.expect_response(lambda r: r.url.endswith(route)) as waited:
        await action
    response = await waited.value
    assert response.ok, await response.text()
    return response


def is_state_read(url: str) -> bool:
    return "/sandbox/state" in url


# --------------------------------------------------------------------------- 1. message blocks


def gallery_blocks(image_url: str) -> list[dict[str, Any]]:
    """Every block the page draws, one control of each kind, and two things it does not draw
    (a datepicker in an actions block, a rich_text block)."""
    return [
        {"type": "header", "block_id": "g.header", "text": plain("Gallery header")},
        {
            "type": "section",
            "block_id": "g.text",
            "text": {
                "type": "mrkdwn",
                "text": "A *bold move*, _gently_, for <@UASSIST01>: read "
                "<https://example.com/policy|the policy>",
            },
            "accessory": {
                "type": "image",
                "image_url": "https://example.com/remote.png",
                "alt_text": "Remote picture",
            },
        },
        {
            "type": "section",
            "block_id": "g.fields",
            "fields": [
                {"type": "mrkdwn", "text": "*Lane*\nBilling"},
                {"type": "mrkdwn", "text": "*Due*\nToday"},
            ],
            "accessory": {
                "type": "button",
                "action_id": "gallery.accessory",
                "text": plain("Open"),
                "value": "acc",
            },
        },
        {"type": "divider", "block_id": "g.divider"},
        {
            "type": "context",
            "block_id": "g.context",
            "elements": [
                {"type": "image", "image_url": image_url, "alt_text": "Clinic dot"},
                {"type": "mrkdwn", "text": "Logged by *the desk*"},
                {"type": "plain_text", "text": "context plain"},
            ],
        },
        {
            "type": "image",
            "block_id": "g.image",
            "image_url": image_url,
            "alt_text": "A local dot",
            "title": plain("The dot"),
        },
        {
            "type": "actions",
            "block_id": "g.actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": "gallery.approve",
                    "text": plain("Approve"),
                    "style": "primary",
                    "value": "42",
                },
                {
                    "type": "static_select",
                    "action_id": "gallery.lane",
                    "placeholder": plain("Pick a lane"),
                    "options": [option("Billing", "billing"), option("Referrals", "referrals")],
                },
                {
                    "type": "users_select",
                    "action_id": "gallery.assign",
                    "placeholder": plain("Assign"),
                },
                {
                    "type": "overflow",
                    "action_id": "gallery.more",
                    "options": [option("Snooze", "snooze"), option("Archive", "archive")],
                },
                {"type": "datepicker", "action_id": "gallery.when"},
            ],
        },
        {
            "type": "rich_text",
            "block_id": "g.rich",
            "elements": [
                {"type": "rich_text_section", "elements": [{"type": "text", "text": "rich words"}]}
            ],
        },
    ]


async def test_every_message_block_renders_and_its_controls_reach_the_app(
    gallery: Gallery, pages: Pages
) -> None:
    page = await open_page(gallery, pages)
    ts = await gallery.post(text="Gallery", blocks=gallery_blocks(gallery.image_url()))
    card = message(page, "Gallery header")
    await expect(card).to_be_visible()

    # header, and mrkdwn: bold, italic, a mention by name, a link
    await expect(block(card, "g.header")).to_have_text("Gallery header")
    text = block(card, "g.text")
    await expect(text.locator("strong")).to_have_text("bold move")
    await expect(text.locator("em")).to_have_text("gently")
    await expect(text.locator(".mention")).to_have_text("@Bo Chen")
    await expect(text).not_to_contain_text("UASSIST01")
    await expect(text).not_to_contain_text("*")
    link = text.get_by_role("link", name="the policy")
    await expect(link).to_have_attribute("href", "https://example.com/policy")
    # an image from elsewhere is never fetched: a labelled frame stands in for it
    await expect(text.locator(".accessory-image")).to_contain_text("Remote picture")
    await expect(text.locator("img")).to_have_count(0)

    # fields, in their own cells, with their accessory button
    fields = block(card, "g.fields").locator(".section-field")
    await expect(fields).to_have_count(2)
    await expect(fields.nth(0).locator("strong")).to_have_text("Lane")
    await expect(fields.nth(0)).to_contain_text("Billing")
    await expect(fields.nth(1)).to_contain_text("Due")
    await expect(block(card, "g.fields").get_by_test_id("button-gallery.accessory")).to_be_visible()

    # divider, context (image and both kinds of text), image block (loaded from this computer)
    divider = block(card, "g.divider")
    await expect(divider).to_be_visible()
    assert await divider.evaluate("node => node.tagName") == "HR"
    context = block(card, "g.context")
    await expect(context.get_by_role("img", name="Clinic dot")).to_have_attribute(
        "src", gallery.image_url()
    )
    await expect(context.locator("strong")).to_have_text("the desk")
    await expect(context).to_contain_text("context plain")
    image_block = block(card, "g.image")
    await expect(image_block).to_contain_text("The dot")
    image = image_block.get_by_role("img", name="A local dot")
    await expect(image).to_have_attribute("src", gallery.image_url())
    await image.scroll_into_view_if_needed()
    width = await image.evaluate("img => img.decode().then(() => img.naturalWidth)")
    assert width == 1

    # actions: each control is there; a datepicker there, and rich_text, are not drawn by
    # the page, and say so instead of vanishing
    actions = block(card, "g.actions")
    approve = actions.get_by_test_id("button-gallery.approve")
    await expect(approve).to_have_text("Approve")
    lane = actions.get_by_test_id("select-gallery.lane")
    await expect(lane.locator("option:checked")).to_have_text("Pick a lane")
    assign = actions.get_by_test_id("select-gallery.assign")
    await expect(assign.locator("option", has_text="Bo Chen")).to_have_count(1)
    more = actions.get_by_test_id("overflow-gallery.more")
    await expect(more).to_be_visible()
    await expect(actions.get_by_test_id("unsupported")).to_have_text(
        "Unsupported element: datepicker"
    )
    await expect(card.get_by_test_id("unsupported")).to_have_text(
        ["Unsupported element: datepicker", "Unsupported block: rich_text"]
    )
    await expect(card).not_to_contain_text("rich words")

    # driving them: each use reaches the app as Slack's block_actions
    await answered(page, "/sandbox/click", approve.click())
    await answered(page, "/sandbox/select", lane.select_option(label="Referrals"))
    await answered(
        page, "/sandbox/select", assign.select_option(label="Bo Chen (Virtual assistant)")
    )
    await answered(page, "/sandbox/select", more.select_option(label="Archive"))
    await answered(
        page,
        "/sandbox/click",
        block(card, "g.fields").get_by_test_id("button-gallery.accessory").click(),
    )
    got = [body["actions"][0] for body in gallery.actions]
    assert [(a["type"], a["action_id"], a["block_id"]) for a in got] == [
        ("button", "gallery.approve", "g.actions"),
        ("static_select", "gallery.lane", "g.actions"),
        ("users_select", "gallery.assign", "g.actions"),
        ("overflow", "gallery.more", "g.actions"),
        ("button", "gallery.accessory", "g.fields"),
    ]
    assert got[0]["value"] == "42"
    assert got[1]["selected_option"]["value"] == "referrals"
    assert got[2]["selected_user"] == BO_ID
    assert got[3]["selected_option"]["value"] == "archive"
    assert got[4]["value"] == "acc"
    assert {body["user"]["id"] for body in gallery.actions} == {ANA_ID}
    assert {body["container"]["message_ts"] for body in gallery.actions} == {ts}


# --------------------------------------------------------------------------- 2. threads, edits


async def test_a_reply_shows_in_the_thread_pane_and_an_edit_changes_the_parent_in_place(
    gallery: Gallery, pages: Pages
) -> None:
    page = await open_page(gallery, pages)
    ts = await gallery.post(text="Parent as *first* posted")
    parent = message(page, "Parent as first posted")
    await expect(parent).to_be_visible()
    await expect(parent.get_by_test_id("thread-link")).to_have_count(0)

    await gallery.post(text="A reply from the app", thread_ts=ts)
    link = parent.get_by_test_id("thread-link")
    await expect(link).to_have_text("1 reply")
    # A reply lives in its thread, not in the channel's timeline.
    timeline = page.get_by_test_id("messages").get_by_test_id("message")
    await expect(timeline).to_have_count(1)
    await expect(page.get_by_test_id("messages")).not_to_contain_text("A reply from the app")

    await link.click()
    thread = page.get_by_test_id("thread")
    await expect(thread).to_be_visible()
    await expect(thread.get_by_test_id("thread-parent")).to_contain_text("Parent as first posted")
    await expect(thread.get_by_test_id("message")).to_have_text(re.compile("A reply from the app"))

    # The person replies in the pane: the stub holds it in the same thread.
    await page.get_by_test_id("thread-composer").fill("On it")
    await page.get_by_test_id("thread-send").click()
    await expect(thread.get_by_test_id("message")).to_have_count(2)
    await expect(thread.get_by_test_id("message").nth(1)).to_contain_text("On it")
    await expect(link).to_have_text("2 replies")
    replies = gallery.stub.thread(CHANNEL, ts)[1:]
    assert [(m.text, m.user) for m in replies][1] == ("On it", ANA_ID)

    # chat.update edits the parent where it is, in the timeline and in the pane.
    await expect(parent.get_by_test_id("edited")).to_have_count(0)
    await gallery.client.chat_update(
        channel=gallery.stub.channel_id(CHANNEL), ts=ts, text="Parent *after* the edit"
    )
    edited = timeline.filter(has_text="Parent after the edit")
    await expect(edited).to_be_visible()
    await expect(edited.get_by_test_id("edited")).to_have_text("(edited)")
    await expect(edited.locator("strong")).to_have_text("after")
    await expect(edited).to_have_attribute("data-ts", ts)
    await expect(timeline).to_have_count(1)
    await expect(page.get_by_test_id("messages")).not_to_contain_text("as first posted")
    pane_parent = thread.get_by_test_id("thread-parent")
    await expect(pane_parent).to_contain_text("Parent after the edit")
    await expect(pane_parent.get_by_test_id("edited")).to_be_visible()


# --------------------------------------------------------------------------- 3. ephemerals


async def test_an_ephemeral_shows_only_for_its_person(gallery: Gallery, pages: Pages) -> None:
    page = await open_page(gallery, pages, ANA)
    await gallery.client.chat_postEphemeral(
        channel=CHANNEL,
        user=ANA_ID,
        text="Only for Ana",
        blocks=[
            {"type": "section", "text": {"type": "mrkdwn", "text": "Only for *Ana*"}},
            {
                "type": "actions",
                "block_id": "g.eph",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "gallery.ephemeral_ok",
                        "text": plain("Got it"),
                        "value": "ok",
                    }
                ],
            },
        ],
    )
    ephemeral = page.get_by_test_id("ephemeral")
    await expect(ephemeral).to_contain_text("Only for Ana")
    await expect(ephemeral).to_contain_text("Only visible to you")

    # Switched to Bo: nothing of Ana's stays on screen, not even while Bo's state is on its
    # way (the page's reads of the state are held until then).
    held = asyncio.Event()

    async def hold(route: Route) -> None:
        await held.wait()
        await route.continue_()

    await page.route(is_state_read, hold)
    await act_as(page, BO)
    await expect(ephemeral).to_have_count(0)
    held.set()
    await page.unroute_all(behavior="wait")

    # Bo, on the same channel: a message posted after the ephemeral reaches his page, the
    # ephemeral never does.
    await gallery.post(text="Everyone sees this")
    await expect(message(page, "Everyone sees this")).to_be_visible()
    await expect(ephemeral).to_have_count(0)
    await expect(page.get_by_test_id("messages")).not_to_contain_text("Only for Ana")

    # Back as Ana: still hers, and its button reaches the app as an ephemeral's click.
    await act_as(page, ANA)
    await expect(ephemeral).to_contain_text("Only for Ana")
    await answered(
        page, "/sandbox/click", ephemeral.get_by_test_id("button-gallery.ephemeral_ok").click()
    )
    [clicked] = gallery.actions
    assert clicked["user"]["id"] == ANA_ID
    assert clicked["container"]["is_ephemeral"] is True
    assert clicked["actions"][0]["value"] == "ok"
    await ephemeral.get_by_test_id("ephemeral-dismiss").click()
    await expect(ephemeral).to_have_count(0)


# --------------------------------------------------------------------------- 4. modal inputs

CHECKS = [
    option("Called back", "called"),
    option("Left voicemail", "voicemail"),
    option("Texted", "texted"),
]
URGENCY = [option("Routine", "routine"), option("Urgent", "urgent")]
LANES = [
    {
        "label": plain("Front desk"),
        "options": [option("Scheduling", "sched"), option("Billing", "billing")],
    },
    {"label": plain("Clinical"), "options": [option("Nurse line", "nurse")]},
]
TAGS = [option("Spanish", "es"), option("Portal", "portal"), option("Fax", "fax")]


def input_block(block_id: str, label: str, element: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block_id,
        "label": plain(label),
        "element": element,
        **extra,
    }


INPUTS_MODAL: dict[str, Any] = {
    "type": "modal",
    "callback_id": "gallery.inputs",
    "title": plain("Every input"),
    "submit": plain("Send"),
    "blocks": [
        input_block("g.name", "Name", {"type": "plain_text_input", "action_id": "name"}),
        input_block(
            "g.notes",
            "Notes",
            {"type": "plain_text_input", "action_id": "notes", "multiline": True},
        ),
        input_block(
            "g.lane", "Lane", {"type": "static_select", "action_id": "lane", "option_groups": LANES}
        ),
        input_block("g.owner", "Owner", {"type": "users_select", "action_id": "owner"}),
        input_block("g.day", "Day", {"type": "datepicker", "action_id": "day"}),
        input_block("g.at", "Time", {"type": "timepicker", "action_id": "at"}),
        input_block(
            "g.checks",
            "Done so far",
            {"type": "checkboxes", "action_id": "checks", "options": CHECKS},
        ),
        input_block(
            "g.urgency",
            "Urgency",
            {"type": "radio_buttons", "action_id": "urgency", "options": URGENCY},
        ),
        input_block(
            "g.tags", "Tags", {"type": "multi_static_select", "action_id": "tags", "options": TAGS}
        ),
        input_block(
            "g.watchers",
            "Watchers",
            {"type": "multi_users_select", "action_id": "watchers"},
            optional=True,
        ),
    ],
}


async def test_a_modal_with_every_input_is_filled_in_the_page_and_arrives_in_slacks_shape(
    gallery: Gallery, pages: Pages
) -> None:
    ana = await open_page(gallery, pages, ANA)
    bo = await open_page(gallery, pages, BO)
    view_id = await gallery.open_modal(BO_ID, INPUTS_MODAL)

    modal = bo.get_by_role("dialog", name="Every input")
    await expect(modal).to_have_attribute("data-view-id", view_id)
    # Not Ana's: her page has caught up with a message posted after the modal opened.
    await gallery.post(text="After the modal opened")
    await expect(message(ana, "After the modal opened")).to_be_visible()
    await expect(ana.get_by_role("dialog")).to_have_count(0)

    await expect(modal.get_by_test_id("input-g.watchers")).to_contain_text("(optional)")
    await expect(modal.get_by_test_id("input-g.name")).not_to_contain_text("(optional)")
    await control(modal, "g.name").fill("Sam Lee")
    notes = control(modal, "g.notes")
    assert await notes.evaluate("node => node.tagName") == "TEXTAREA"
    await notes.fill("line one\nline two")
    lane = control(modal, "g.lane")
    await expect(lane.locator("optgroup")).to_have_count(2)
    await expect(lane.locator('optgroup[label="Clinical"] option')).to_have_text(["Nurse line"])
    await lane.select_option(label="Billing")
    await control(modal, "g.owner").select_option(label="Ana Ruiz (Front desk)")
    await control(modal, "g.day").fill("2026-11-24")
    await control(modal, "g.at").fill("09:30")
    checks = modal.get_by_test_id("input-g.checks")
    await checks.get_by_role("checkbox", name="Called back").check()
    await checks.get_by_role("checkbox", name="Texted").check()
    await control(modal, "g.tags").select_option(label=["Spanish", "Fax"])

    # Urgency (required) left empty: the page refuses it itself and sends nothing.
    await modal.get_by_test_id("modal-submit").click()
    urgency_error = modal.get_by_test_id("error-g.urgency")
    await expect(urgency_error).to_be_visible()
    await expect(urgency_error).to_contain_text("required")
    await expect(modal.locator(".input-error:visible")).to_have_count(1)
    await expect(modal).to_have_attribute("data-view-id", view_id)

    urgency = modal.get_by_test_id("input-g.urgency").get_by_role("radiogroup")
    await urgency.get_by_role("radio", name="Urgent").check()
    await answered(bo, "/sandbox/view_submit", modal.get_by_test_id("modal-submit").click())
    await expect(bo.get_by_role("dialog")).to_have_count(0)

    [submitted] = gallery.submissions  # one: the refused click never reached the app
    assert submitted["id"] == view_id
    assert submitted["state"]["values"] == {
        "g.name": {"name": {"type": "plain_text_input", "value": "Sam Lee"}},
        "g.notes": {"notes": {"type": "plain_text_input", "value": "line one\nline two"}},
        "g.lane": {
            "lane": {"type": "static_select", "selected_option": option("Billing", "billing")}
        },
        "g.owner": {"owner": {"type": "users_select", "selected_user": ANA_ID}},
        "g.day": {"day": {"type": "datepicker", "selected_date": "2026-11-24"}},
        "g.at": {"at": {"type": "timepicker", "selected_time": "09:30"}},
        "g.checks": {"checks": {"type": "checkboxes", "selected_options": [CHECKS[0], CHECKS[2]]}},
        "g.urgency": {"urgency": {"type": "radio_buttons", "selected_option": URGENCY[1]}},
        "g.tags": {"tags": {"type": "multi_static_select", "selected_options": [TAGS[0], TAGS[2]]}},
        "g.watchers": {"watchers": {"type": "multi_users_select", "selected_users": []}},
    }
    assert gallery.stub.open_views(BO_ID) == []


# --------------------------------------------------------------------------- 5. response_action


async def test_response_actions_errors_push_back_update_and_clear(
    gallery: Gallery, pages: Pages
) -> None:
    page = await open_page(gallery, pages)
    first_id = await gallery.open_modal(ANA_ID, step_modal("First step", "Say what happens"))
    modal = page.get_by_test_id("modal")
    title = modal.locator(".modal-title")
    await expect(title).to_have_text("First step")
    await expect(modal).to_have_attribute("data-view-id", first_id)
    submit = modal.get_by_test_id("modal-submit")

    # errors: shown next to the field named, nowhere else; the modal stays, as typed
    await control(modal, "step.keep").fill("kept text")
    await control(modal, "step.next").fill("errors")
    await answered(page, "/sandbox/view_submit", submit.click())
    error = modal.get_by_test_id("input-step.next").get_by_role("alert")
    await expect(error).to_have_text(STEP_ERROR)
    await expect(modal.get_by_test_id("error-step.keep")).to_be_hidden()
    await expect(modal).to_have_attribute("data-view-id", first_id)
    await expect(title).to_have_text("First step")
    await expect(control(modal, "step.keep")).to_have_value("kept text")

    # push: a second modal on top; Back returns to the first as it was left
    await control(modal, "step.next").fill("push")
    await answered(page, "/sandbox/view_submit", submit.click())
    await expect(title).to_have_text("Second step")
    await expect(modal).to_contain_text("Stacked on the first")
    await expect(modal.locator(".modal-stack")).to_have_text("2 of 2")
    await expect(page.get_by_role("dialog")).to_have_count(1)
    assert len(gallery.stub.open_views(ANA_ID)) == 2
    await modal.get_by_test_id("modal-close").click()
    await expect(title).to_have_text("First step")
    await expect(modal).to_have_attribute("data-view-id", first_id)
    await expect(modal.locator(".modal-stack")).to_have_count(0)
    await expect(control(modal, "step.keep")).to_have_value("kept text")
    await expect(error).to_be_hidden()

    # update: the same modal (same id) now shows the app's new content
    await control(modal, "step.next").fill("update")
    await answered(page, "/sandbox/view_submit", submit.click())
    await expect(title).to_have_text("Updated step")
    await expect(modal).to_contain_text("Replaced in place")
    await expect(modal).not_to_contain_text("Say what happens")
    await expect(modal).to_have_attribute("data-view-id", first_id)

    # clear: from a pushed modal, every modal closes
    await control(modal, "step.next").fill("push")
    await answered(page, "/sandbox/view_submit", submit.click())
    await expect(modal.locator(".modal-stack")).to_have_text("2 of 2")
    await control(modal, "step.next").fill("clear")
    await answered(page, "/sandbox/view_submit", submit.click())
    await expect(page.get_by_role("dialog")).to_have_count(0)
    assert gallery.stub.open_views(ANA_ID) == []

    answers = [v["state"]["values"]["step.next"]["next"]["value"] for v in gallery.submissions]
    assert answers == ["errors", "push", "update", "push", "clear"]
    titles = [v["title"]["text"] for v in gallery.submissions]
    assert titles == ["First step", "First step", "First step", "Updated step", "Second step"]
