"""Scripts where they are needed, clicked through the sandbox page: the Spanish-speaking front
desk logs a Spanish-speaking patient's request, claims it in the language lane and opens Log
call; the modal gives the Spanish opening and the voicemail with the practice's callback number,
and choosing "Reached" brings the Spanish acknowledgment and follow-up wording, keeping what
was typed. Screenshots: test-artifacts/call-modal-spanish-scripts.png (and -reached.png)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.async_api import Page, expect

from tests.browser.test_walkthrough import (
    PHONE,
    REFERENCE,
    act_as_title,
    bring_into_view,
    card,
    choose_and_wait,
    control,
    open_channel,
    open_log_call,
    standing,
    start_intake,
)

if TYPE_CHECKING:
    from tests.browser.conftest import Pages, Sandbox

pytestmark = pytest.mark.asyncio(loop_scope="session")

SPANISH_DESK = "Front desk (Spanish)"
PATIENT = "Lucía Gómez Ortega"
NUMBER = "(555) 201-0000"  # practice.callback_number in the shipped example


async def act_as_spanish_desk(page: Page) -> None:
    """Pick the Spanish-speaking front desk in the "Act as" switcher."""
    await act_as_title(page, SPANISH_DESK)


async def test_the_call_modal_gives_spanish_scripts_for_each_moment(
    sandbox: Sandbox, pages: Pages, artifacts: Path
) -> None:
    page = await pages.open(sandbox.url)
    await act_as_spanish_desk(page)

    # 1. A Spanish-speaking patient's request, logged from #cq-scheduling, goes to the
    # language lane (the example practice routes by language).
    await open_channel(page, "cq-scheduling")
    modal = await start_intake(page)
    await control(modal, "intake.patient_ref").fill(REFERENCE)
    await control(modal, "intake.patient_name").fill(PATIENT)
    await control(modal, "intake.phone").fill(PHONE)
    await control(modal, "intake.origin").select_option(label="Voicemail")
    await choose_and_wait(modal, "intake.lane", "Scheduling help")
    await expect(control(modal, "intake.request_type")).to_contain_text("reschedule")
    await control(modal, "intake.request_type").select_option(label="reschedule")
    await control(modal, "intake.summary").fill("Quiere cambiar su cita del martes")
    await control(modal, "intake.language").select_option(label="Spanish")
    await modal.get_by_test_id("modal-submit").click()
    await expect(modal.locator(".modal-title")).to_have_text("Request logged")
    await modal.get_by_test_id("modal-close").click()
    await expect(modal).to_have_count(0)

    await open_channel(page, "cq-language")
    posted = card(page, "CQ-1001")
    await expect(posted).to_be_visible()
    await posted.get_by_test_id("button-card.claim").click()
    await expect(standing(posted)).to_contain_text("@")
    await expect(posted.get_by_test_id("button-card.log_call")).to_be_visible()

    # 2. Log call: before the outcome, the Spanish opening and the voicemail, which gives the
    # practice's name and callback number and the patient's first name only.
    modal = await open_log_call(page, posted)
    await expect(modal).to_contain_text("Opening (Spanish):")
    await expect(modal).to_contain_text("Hola, ¿podría hablar con Lucía?")
    voicemail = modal.locator(".block").filter(has_text="If you reach voicemail (Spanish):")
    await expect(voicemail).to_contain_text(f"devuélvanos la llamada al {NUMBER}")
    await expect(voicemail).to_contain_text("Riverside Family Medicine")
    await expect(voicemail).not_to_contain_text("Gómez")
    await bring_into_view(voicemail)
    await modal.screenshot(path=artifacts / "call-modal-spanish-scripts.png")

    # 3. Reached, with something typed first: the form is rebuilt with the Spanish
    # acknowledgment and what happens next, and what was typed stays.
    typed = "Eligió el jueves 9:30 con la Dra. Rivera"
    await control(modal, "attempt.confirmed").fill(typed)
    await choose_and_wait(modal, "attempt.outcome", "Reached")
    await expect(modal).to_contain_text("Acknowledge the request (Spanish):")
    await expect(modal).to_contain_text("Gracias, Lucía. Recibimos su solicitud")
    await expect(modal).to_contain_text("What happens next (Spanish):")
    await expect(modal).to_contain_text("Tendrá noticias nuestras")
    await expect(modal).not_to_contain_text("Opening (Spanish):")
    await expect(control(modal, "attempt.confirmed")).to_have_value(typed)
    await expect(control(modal, "attempt.outcome")).to_have_value("reached")
    await bring_into_view(modal.locator(".block").filter(has_text="What happens next"))
    await modal.screenshot(path=artifacts / "call-modal-spanish-scripts-reached.png")

    # 4. The call is logged from the rebuilt form.
    await modal.get_by_test_id("input-attempt.identity").get_by_role("checkbox").check()
    await control(modal, "attempt.next_step").fill("Nada más, lista para cerrar")
    await modal.get_by_test_id("modal-submit").click()
    await expect(modal).to_have_count(0)
    await expect(posted).to_contain_text("Attempt 1 of 3")
