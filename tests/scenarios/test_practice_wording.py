"""A practice's own wording (`templates_dir`) is what Slack shows, whoever sends it: the
outbox's card thread and the listeners' direct replies alike."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from blocks.ids import ActionId, Command, ViewId
from bot.clock import ManualClock
from bot.config import Practice
from sandbox.stub.server import SlackStub
from tests.scenarios.conftest import ASSISTANT, FRONT_DESK, Clinic, start_clinic, stop_clinic

OWNED = (
    "Ya lo tiene {{ owner_mention }} ({{ key|slack }}). {% if since %}Desde {{ since }}.{% endif %}"
)
CLAIMED = "Lo tomó {{ actor_mention }} · {{ at }}"
NOT_OWNER = "Sólo {{ owner_mention }} trabaja {{ key|slack }}."


@pytest.fixture
async def clinic(
    database_url: str,
    example_practice: Practice,
    clock: ManualClock,
    stub: SlackStub,
    tmp_path: Path,
) -> AsyncIterator[Clinic]:
    """The example practice, with a wording folder that overrides two refusals and one
    thread line."""
    (tmp_path / "refusal.already_owned.j2").write_text(OWNED, encoding="utf-8")
    (tmp_path / "refusal.not_owner.j2").write_text(NOT_OWNER, encoding="utf-8")
    (tmp_path / "thread.claim.j2").write_text(CLAIMED, encoding="utf-8")
    practice = dataclasses.replace(example_practice, templates_dir=tmp_path)
    running, runner = await start_clinic(database_url, practice, clock, stub)
    yield running
    await stop_clinic(running, runner)


async def claim_click(clinic: Clinic, user: str, key: str) -> None:
    card = clinic.card_of("scheduling", key)
    response = await clinic.slack.click_button(user, card.channel, card.ts, ActionId.CLAIM, key)
    assert response.status == 200


async def test_a_claim_refused_and_a_claim_recorded_both_speak_the_practices_words(
    clinic: Clinic,
) -> None:
    key = await clinic.log_request()
    await clinic.deliver()
    await claim_click(clinic, FRONT_DESK, key)
    await clinic.settled()

    # The second click comes from the card as it was, before the outbox edited it.
    await clinic.then_wait_for("chat.postEphemeral", claim_click(clinic, ASSISTANT, key))
    await clinic.deliver()

    [refused] = clinic.stub.ephemerals()
    assert refused.user == ASSISTANT
    assert refused.text.startswith(f"Ya lo tiene <@{FRONT_DESK}> ({key}). Desde ")
    assert "already owned" not in refused.text
    [entry] = clinic.replies(clinic.card_of("scheduling", key))
    assert entry.text.startswith(f"Lo tomó <@{FRONT_DESK}> · ")


async def test_a_claim_command_refused_speaks_the_practices_words(clinic: Clinic) -> None:
    key = await clinic.log_request()
    await clinic.slack.slash_command(FRONT_DESK, Command.CLAIM, text=key)

    again = await clinic.slack.slash_command(ASSISTANT, Command.CLAIM, text=key)

    assert again.json is not None
    assert again.json["text"].startswith(f"Ya lo tiene <@{FRONT_DESK}> ({key}).")


async def test_a_form_refused_before_it_opens_speaks_the_practices_words(clinic: Clinic) -> None:
    key = await clinic.log_request()
    await clinic.slack.slash_command(FRONT_DESK, Command.CLAIM, text=key)
    await clinic.deliver()
    card = clinic.card_of("scheduling", key)

    await clinic.then_wait_for(
        "views.update",
        clinic.slack.click_button(ASSISTANT, card.channel, card.ts, ActionId.LOG_CALL, key),
    )

    view = clinic.stub.open_views(ASSISTANT)[-1]
    assert view["callback_id"] == ViewId.STATUS
    shown = json.dumps(view["blocks"], ensure_ascii=False)
    assert f"Sólo <@{FRONT_DESK}> trabaja {key}." in shown
    assert "Only the owner" not in shown
