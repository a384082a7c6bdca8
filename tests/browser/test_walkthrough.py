"""The issue's walk-through, clicked through the sandbox page in a real browser.

Every step is a click or a keystroke in the page; what the page shows comes from the real
app (HTTP mode) through the sandbox's Slack stub. Cards are delivered by the outbox worker
on the sandbox's running clock, so the assertions wait (Playwright's auto-waiting expect).

Working a claimed item has its own tests, each logging and claiming its own request:
logging calls (a note that says nothing is refused, then the attempts count and the due time
moves) and a handoff to Bo (his DM carries no patient data), who parks the item and resumes it.

The managers' channel: the demo's morning summary, then "To opening time" brings the day's
digest and the next morning's summary.

Escalating the demo's red-flagged chest-pain item, with the nurse acknowledging and resolving
it, is test_escalation_walkthrough.py; Home for the front desk and the manager is
test_home_walkthrough.py; the call modal's scripts in Spanish, test_scripts_walkthrough.py.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.async_api import Error as PlaywrightError
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
PHONE_DIGITS = re.compile(r"201\D{0,3}4477")
CONFIRMED = "Chose Thu 9:30 AM with Dr. Rivera; confirmation text sent."
NEXT_STEP = "None, ready to close"


# --------------------------------------------------------------------------- page helpers


async def act_as(page: Page, person: str) -> None:
    """Pick a person in the "Act as" switcher (options read "Name — Title")."""
    await page.get_by_test_id("user-switcher").select_option(label=person)
    await expect(page.get_by_test_id("user-title")).to_have_text(person.split(" — ")[1])


async def act_as_title(page: Page, title: str) -> None:
    """Pick the first person whose switcher entry ends with `title` ("— Practice manager")."""
    switcher = page.get_by_test_id("user-switcher")
    await expect(switcher.locator("option", has_text=title).first).to_be_attached()
    labels = await switcher.locator("option").all_inner_texts()
    label = next(text for text in labels if text.endswith(f"— {title}"))
    await switcher.select_option(label=label)
    await expect(page.get_by_test_id("user-title")).to_have_text(title)


async def open_channel(page: Page, name: str) -> None:
    entry = page.get_by_test_id(f"channel-{name}")
    await entry.click()
    await expect(entry).to_have_attribute("aria-current", "page")
    await expect(page.locator("#channel-header")).to_contain_text(f"# {name}")


async def bring_into_view(target: Locator, attempts: int = 5) -> None:
    """Scroll `target` into view for a screenshot. The page re-renders a conversation or
    Home when the outbox posts or edits something, replacing the element being scrolled to
    ("not attached to the DOM"): find it again and retry."""
    for _ in range(attempts):
        try:
            await target.scroll_into_view_if_needed(timeout=3_000)
            return
        except PlaywrightError:
            await target.page.wait_for_timeout(200)
    raise AssertionError(f"{target} never stayed on the page long enough to scroll to")


def card(page: Page, key: str) -> Locator:
    """The card of `key` in the open channel's timeline."""
    return page.get_by_test_id("messages").get_by_test_id("message").filter(has_text=f"{key} ·")


def field(card_or_modal: Locator, label: str) -> Locator:
    """One cell of a modal's field grid ("*Outcome*\\nReached")."""
    return card_or_modal.locator(".section-field").filter(has_text=re.compile(f"^{label}"))


def standing(card: Locator) -> Locator:
    """A card's lines: key, lane and type; then who has it and its due state ("Unclaimed ·
    🟢 due in 40 min", "@Ana Ruiz · 🔴 overdue 15 min")."""
    return card.locator(".section-text").first


def control(modal: Locator, block_id: str) -> Locator:
    """The input, textarea or select of one input block in a modal."""
    return modal.get_by_test_id(f"input-{block_id}").locator("input, textarea, select")


async def choose_and_wait(modal: Locator, block_id: str, label: str) -> None:
    """Choose `label` in a select whose choice the app answers by rebuilding the form (a
    dispatched input, e.g. the lane or a call's outcome), and wait for the rebuilt form.

    Slack keeps what a person types across the rebuild; a test types faster than any person,
    and text typed into the old form in the instant it is replaced would be lost (on a
    loaded machine a summary went missing this way), so the next field waits for the new one.
    """
    before = await modal.get_attribute("data-view-hash")
    await control(modal, block_id).select_option(label=label)
    await expect(modal).not_to_have_attribute("data-view-hash", before or "")


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
    await choose_and_wait(modal, "intake.lane", "Scheduling help")
    await control(modal, "intake.request_type").select_option(label="reschedule")
    await control(modal, "intake.summary").fill(summary)


async def submit_logged(page: Page, key: str) -> None:
    """Submit the intake modal: it turns into "Request logged" with the key (or, when the
    database is slower than the ack budget on a loaded machine, "Saving request", with the
    key following by DM); close it."""
    modal = page.get_by_test_id("modal")
    await modal.get_by_test_id("modal-submit").click()
    title = modal.locator(".modal-title")
    try:
        await expect(title).to_have_text(re.compile("^(Request logged|Saving request)$"))
    except AssertionError as failed:
        # Say why the form stayed open: the errors it shows next to its fields.
        shown = await modal.locator(".input-error:not([hidden])").all_inner_texts()
        raise AssertionError(f"the intake form stayed open; its errors: {shown}") from failed
    if await title.inner_text() == "Request logged":
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


async def claimed_request(pages: Pages, url: str, summary: str) -> tuple[Page, Locator]:
    """Ana, on #cq-scheduling, logs CQ-1001 and claims it; her page and its card."""
    ana = await pages.open(url)
    await act_as(ana, ANA)
    await open_channel(ana, "cq-scheduling")
    ana_card = await log_request(ana, "CQ-1001", name=PATIENT, summary=summary)
    await ana_card.get_by_test_id("button-card.claim").click()
    await expect(standing(ana_card)).to_contain_text("@Ana Ruiz ·")
    await expect(ana_card.get_by_test_id("button-card.log_call")).to_be_visible()
    return ana, ana_card


async def open_log_call(page: Page, on_card: Locator) -> Locator:
    await on_card.get_by_test_id("button-card.log_call").click()
    modal = page.get_by_test_id("modal")
    await expect(modal).to_have_attribute("data-callback-id", "view.attempt")
    return modal


async def open_thread(page: Page, on_card: Locator) -> Locator:
    await on_card.get_by_test_id("thread-link").click()
    thread = page.get_by_test_id("thread")
    await expect(thread.get_by_test_id("thread-parent")).to_contain_text("CQ-1001")
    return thread


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
    await expect(standing(ana_card)).to_contain_text("Unclaimed ·")

    # 2. Ana claims it. Bo, on #cq-scheduling in his own browser, sees it claimed by Ana
    # (no Claim button left for him); /claim gets him the refusal, shown only to him.
    await ana_card.get_by_test_id("button-card.claim").click()
    await expect(standing(ana_card)).to_contain_text("@Ana Ruiz ·")
    await expect(ana_card.get_by_test_id("select-card.more")).to_contain_text("Release")
    await expect(ana_card.get_by_test_id("button-card.claim")).to_have_count(0)

    bo = await pages.open(sandbox.url)
    await act_as(bo, BO)
    await open_channel(bo, "cq-scheduling")
    bo_card = card(bo, "CQ-1001")
    await expect(standing(bo_card)).to_contain_text("@Ana Ruiz ·")
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

    # 4. Details (in the claimed card's More menu) shows the patient's name and phone; the
    # card never does (privacy: none).
    await ana_card.get_by_test_id("select-card.more").select_option(label="Details")
    details = ana.get_by_test_id("modal")
    await expect(details).to_have_attribute("data-callback-id", "view.details")
    await expect(details).to_contain_text(f"Patient: {PATIENT}")
    await expect(details).to_contain_text(f"Callback phone: {PHONE_SHOWN}")
    await expect(details).to_contain_text(f"Reference: {REFERENCE}")
    card_text = await ana_card.inner_text()
    assert PATIENT not in card_text
    assert REFERENCE not in card_text
    assert not PHONE_DIGITS.search(card_text)
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
    await expect(ana_card).to_contain_text("appointment rescheduled · closed by @Ana Ruiz")
    await expect(ana_card.get_by_test_id("overflow-card.more")).to_contain_text("Reopen")
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


async def test_the_managers_start_the_day_with_the_morning_summary_and_end_it_with_the_digest(
    demo_sandbox: Sandbox, pages: Pages, artifacts: Path
) -> None:
    page = await pages.open(demo_sandbox.url)
    await act_as(page, ANA)
    await open_channel(page, "cq-managers")
    posts = page.get_by_test_id("messages").get_by_test_id("message")
    # The demo's day is today's, so the weekly metrics (examples/practice.yml: Mon 08:00)
    # join these posts on a Monday, or when "To opening time" goes from a Friday to a
    # Monday: posts are found by what they say, not by their place.
    mornings = posts.filter(has_text="Good morning")
    # The demo's night, summarised at opening: the red flag first.
    await expect(mornings).to_have_count(1, timeout=30_000)
    await expect(mornings).to_contain_text("🚩 red flag")
    await expect(mornings).not_to_contain_text("Chest pain")
    await page.screenshot(path=artifacts / "morning-summary.png")

    # To the next opening: the day's digest at the close it passes, then the next morning.
    await page.get_by_test_id("clock-opening").click()
    await expect(page.get_by_test_id("clock")).to_contain_text("8:00 AM")
    digest = posts.filter(has_text="End of day")
    await expect(digest).to_have_count(1, timeout=30_000)
    await expect(digest).to_contain_text("Escalations not resolved")
    await expect(mornings).to_have_count(2, timeout=30_000)
    # And, by design, an alert for a demo item left unclaimed until it has waited twice its
    # response target (bot/services/aging.py sends those to the managers): whether it is
    # posted before this look depends on the order the jump's jobs queue their posts in.
    kinds = ("Good morning", "End of day", "Metrics ·", "has waited twice its response target")
    for text in await posts.all_inner_texts():
        assert any(kind in text for kind in kinds), text[:200]
    await page.screenshot(path=artifacts / "digest-and-next-morning.png")


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
    await expect(standing(ana_card)).to_contain_text("@Ana Ruiz ·")

    async with bo.expect_response(lambda r: "/sandbox/click" in r.url) as answered:
        await bo_card.get_by_test_id("button-card.claim").click()
    response = await answered.value
    assert response.ok, await response.text()
    await bo.clock.resume()
    await expect(bo.get_by_test_id("ephemeral")).to_contain_text(
        "CQ-1001 is already owned by @Ana Ruiz"
    )
    await expect(standing(bo_card)).to_contain_text("@Ana Ruiz ·")
    await expect(ana.get_by_test_id("ephemeral")).to_have_count(0)


async def test_logging_calls_refuses_an_empty_note_then_counts_attempts(
    sandbox: Sandbox, pages: Pages
) -> None:
    ana, ana_card = await claimed_request(pages, sandbox.url, "Move Tuesday's visit")

    # 1. Log call: who to call and what to say, from the app, in the modal only.
    modal = await open_log_call(ana, ana_card)
    await expect(modal).to_contain_text(f"Callback phone: {PHONE_SHOWN}")
    await expect(modal).to_contain_text("Opening (English):")
    await expect(modal).to_contain_text("Hello, may I speak with Sam?")
    await expect(modal).to_contain_text("Attempt 1 of 3")

    # 2. "Reached" with a note that says nothing: refused next to each field, modal open.
    await choose_and_wait(modal, "attempt.outcome", "Reached")
    await control(modal, "attempt.confirmed").fill("called patient")
    await modal.get_by_test_id("modal-submit").click()
    confirmed_error = modal.get_by_test_id("error-attempt.confirmed")
    await expect(confirmed_error).to_contain_text("Say what was confirmed with the patient")
    await expect(confirmed_error).to_contain_text("“Chose Tue 10:30, confirmation text sent”")
    await expect(modal.get_by_test_id("input-attempt.confirmed")).to_contain_text(
        "Needed when you reached the patient."
    )
    await expect(modal.get_by_test_id("error-attempt.identity")).to_contain_text(
        "Verify the patient's name and date of birth"
    )
    await expect(modal.get_by_test_id("error-attempt.next_step")).to_contain_text(
        "Say what happens next"
    )
    await expect(modal).to_have_attribute("data-callback-id", "view.attempt")
    await expect(control(modal, "attempt.confirmed")).to_have_value("called patient")

    # 3. Identity verified, a real confirmation and next step: logged as attempt 1.
    await modal.get_by_test_id("input-attempt.identity").get_by_role("checkbox").check()
    await control(modal, "attempt.confirmed").fill(CONFIRMED)
    await control(modal, "attempt.next_step").fill(NEXT_STEP)
    await modal.get_by_test_id("modal-submit").click()
    await expect(modal).to_have_count(0)
    await expect(ana_card).to_contain_text("Attempt 1 of 3")

    # 4. The thread gets a call entry without her words (privacy: none); View shows them.
    thread = await open_thread(ana, ana_card)
    entries = thread.get_by_test_id("message").filter(
        has=ana.get_by_test_id("button-entry.view_attempt")
    )
    await expect(entries).to_have_count(1)
    entry_text = await entries.first.inner_text()
    assert "Dr. Rivera" not in entry_text
    assert NEXT_STEP not in entry_text
    await entries.first.get_by_test_id("button-entry.view_attempt").click()
    note = ana.get_by_test_id("modal")
    await expect(note).to_have_attribute("data-callback-id", "view.attempt_note")
    await expect(note).to_contain_text("CQ-1001 · Attempt 1 of 3")
    await expect(note).to_contain_text(CONFIRMED)
    await expect(note).to_contain_text(NEXT_STEP)
    await expect(field(note, "Outcome")).to_contain_text("Reached")
    await expect(field(note, "Identity verified")).to_contain_text("Yes")
    await note.get_by_test_id("modal-close").click()
    await expect(note).to_have_count(0)

    # 5. A second call, not answered: attempt 2 of 3, and the cadence moves the due time.
    due = standing(ana_card)
    # A voicemail in Scheduling is called back the same day: due by Monday's close.
    await expect(due).to_contain_text("due in ")
    due_before = await due.inner_text()
    modal = await open_log_call(ana, ana_card)
    await expect(modal).to_contain_text("Attempt 2 of 3")
    await choose_and_wait(modal, "attempt.outcome", "No answer")
    await modal.get_by_test_id("modal-submit").click()
    await expect(modal).to_have_count(0)
    await expect(ana_card).to_contain_text("Attempt 2 of 3")
    await expect(due).not_to_have_text(due_before)
    await expect(entries).to_have_count(2)
    # The cadence: next morning (the card says how long is left; the thread says when).
    await expect(entries.nth(1)).to_contain_text("next due Tue Nov 24 8:00 AM")


async def test_a_handoff_to_bo_then_he_parks_it_on_the_payer_and_resumes(
    sandbox: Sandbox, pages: Pages, artifacts: Path
) -> None:
    summary = "Move Tuesday's visit"
    ana, ana_card = await claimed_request(pages, sandbox.url, summary)
    bo = await pages.open(sandbox.url)
    await act_as(bo, BO)

    # 1. Ana hands off to Bo: what was asked (the summary), what is open, a promise by Tuesday.
    await ana_card.get_by_test_id("button-card.handoff").click()
    modal = ana.get_by_test_id("modal")
    await expect(modal).to_have_attribute("data-callback-id", "view.handoff")
    await expect(control(modal, "handoff.asked")).to_have_value(summary)
    await control(modal, "handoff.unresolved").fill("Which Thursday slot suits her")
    await control(modal, "handoff.promised").fill("A call back with the new time")
    await control(modal, "handoff.promised_date").fill("2026-11-24")
    await control(modal, "handoff.promised_time").fill("10:00")
    await control(modal, "handoff.next_owner").select_option(
        label=f"Bo Chen ({BO.split(' — ')[1]})"
    )
    await modal.get_by_test_id("modal-submit").click()
    await expect(modal).to_have_count(0)
    await expect(standing(ana_card)).to_contain_text("@Bo Chen ·")
    await expect(ana_card).to_contain_text("Promised by Tue Nov 24")
    thread = await open_thread(ana, ana_card)
    handoff_entry = thread.get_by_test_id("message").filter(has_text="Handoff by")
    await expect(handoff_entry).to_contain_text("Handoff by @Ana Ruiz → @Bo Chen")
    await expect(handoff_entry).to_contain_text("promise due Tue Nov 24")
    await expect(handoff_entry.get_by_test_id("button-entry.view_handoff")).to_be_visible()
    await ana.screenshot(path=artifacts / "walkthrough-handoff.png")

    # 2. Bo's DM from CareQueue names the item, none of the patient's data.
    await bo.get_by_test_id("dm-CareQueue").click()
    dm = bo.get_by_test_id("messages").get_by_test_id("message")
    await expect(dm).to_have_count(1)
    await expect(dm).to_contain_text("handed CQ-1001 (Scheduling help) to you")
    dm_text = await dm.inner_text()
    assert PATIENT not in dm_text
    assert "Sam" not in dm_text
    assert REFERENCE not in dm_text
    assert not PHONE_DIGITS.search(dm_text)
    # Its button opens the whole note, for him, in a modal.
    await dm.get_by_test_id("button-entry.view_handoff").click()
    note = bo.get_by_test_id("modal")
    await expect(note).to_have_attribute("data-callback-id", "view.handoff_note")
    await expect(note).to_contain_text(f"What the patient asked:\n{summary}")
    await expect(note).to_contain_text("Which Thursday slot suits her")
    await expect(note).to_contain_text("A call back with the new time")
    await expect(note).to_contain_text("Who is next: @Bo Chen")
    await note.get_by_test_id("modal-close").click()
    await expect(note).to_have_count(0)

    # 3. Bo parks it on the payer from the card's More menu, then resumes it.
    await open_channel(bo, "cq-scheduling")
    bo_card = card(bo, "CQ-1001")
    await expect(standing(bo_card)).to_contain_text("@Bo Chen ·")
    await bo_card.get_by_test_id("select-card.more").select_option(label="Waiting on…")
    waiting = bo.get_by_test_id("modal")
    await expect(waiting).to_have_attribute("data-callback-id", "view.wait")
    await control(waiting, "wait.for").select_option(label="Payer (insurance)")
    await control(waiting, "wait.on").fill("Aetna prior-auth desk")
    await expect(control(waiting, "wait.date")).to_have_value("2026-11-24")
    await expect(control(waiting, "wait.time")).to_have_value("08:00")
    await waiting.get_by_test_id("modal-submit").click()
    await expect(waiting).to_have_count(0)
    await expect(bo_card).to_contain_text("Waiting on the payer · check back Tue Nov 24")
    await expect(bo_card).not_to_contain_text("Aetna")  # staff's words: only at full
    await expect(standing(bo_card)).to_contain_text("@Bo Chen · Waiting on the payer")
    await bo_card.get_by_test_id("button-card.resume").click()
    await expect(standing(bo_card)).to_contain_text("@Bo Chen · ")
    await expect(standing(bo_card)).to_contain_text(" due ")
    await expect(bo_card).not_to_contain_text("Waiting on the payer")
    await expect(bo_card.get_by_test_id("button-card.resume")).to_have_count(0)
