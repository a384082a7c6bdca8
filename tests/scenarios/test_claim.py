"""Claiming, releasing and reassigning from the card and with /claim."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from blocks.ids import ActionId, Command, FieldId, More, more_value
from bot.clock import ManualClock
from bot.config import Practice
from bot.domain.items import Action
from bot.in_flight import AFTER_ACK_AT_ONCE
from sandbox.side.wire import SlackResponse
from sandbox.stub.records import StoredMessage
from sandbox.stub.server import SlackStub
from tests.scenarios.conftest import (
    ASSISTANT,
    FRONT_DESK,
    MANAGER,
    Clinic,
    running,
    with_staff,
)


async def claim_click(clinic: Clinic, user: str, key: str) -> int:
    card = clinic.card_of("scheduling", key)
    response = await clinic.slack.click_button(user, card.channel, card.ts, ActionId.CLAIM, key)
    return response.status


async def test_claim_button_makes_the_clicker_owner_and_edits_the_card_in_place(
    clinic: Clinic,
) -> None:
    key = await clinic.log_request()
    await clinic.deliver()
    assert await claim_click(clinic, FRONT_DESK, key) == 200
    await clinic.deliver()

    card = clinic.card_of("scheduling", key)
    assert f"<@{FRONT_DESK}>" in str(card.blocks)
    assert card.edited >= 1
    assert len(clinic.cards("scheduling")) == 1
    thread = clinic.replies(card)
    assert len(thread) == 1
    assert "Claimed by" in thread[0].text and f"<@{FRONT_DESK}>" in thread[0].text


async def test_twenty_five_simultaneous_claim_clicks_give_one_owner_and_24_refusals(
    database_url: str, example_practice: Practice, clock: ManualClock, stub: SlackStub
) -> None:
    staff = [f"USTAFF{n:02d}" for n in range(25)]
    async with running(database_url, with_staff(example_practice, *staff), clock, stub) as clinic:
        await twenty_five_claim(clinic, staff)


async def twenty_five_claim(clinic: Clinic, staff: list[str]) -> None:
    key = await clinic.log_request()
    await clinic.deliver()
    for user in staff:
        clinic.stub.add_user(user, user.lower())

    statuses = await clinic.then_wait_for(
        "chat.postEphemeral",
        asyncio.gather(*(claim_click(clinic, user, key) for user in staff)),
        count=24,
    )

    assert statuses == [200] * 25
    item = await clinic.deps.services.get(key)
    assert item is not None and item.owner in staff
    refused = clinic.stub.ephemerals()
    assert len(refused) == 24
    assert {e.user for e in refused} == set(staff) - {item.owner}
    assert all(f"already owned by <@{item.owner}>" in e.text for e in refused)
    claims = [e for e in await clinic.deps.services.history(key) if e.action is Action.CLAIM]
    assert len(claims) == 1


async def test_claim_command_claims_by_key_and_answers_only_the_caller(clinic: Clinic) -> None:
    key = await clinic.log_request()
    response = await clinic.slack.slash_command(ASSISTANT, Command.CLAIM, text=key.lower())
    assert response.status == 200 and response.json is not None
    assert "You own" in response.json["text"]
    item = await clinic.deps.services.get(key)
    assert item is not None and item.owner == ASSISTANT

    again = await clinic.slack.slash_command(FRONT_DESK, Command.CLAIM, text=key)
    assert again.json is not None and f"already owned by <@{ASSISTANT}>" in again.json["text"]


async def test_claim_command_without_a_key_explains_its_usage(clinic: Clinic) -> None:
    response = await clinic.slack.slash_command(FRONT_DESK, Command.CLAIM, text="Jane Doe")
    assert response.json is not None and "Usage" in response.json["text"]


async def test_claim_command_for_an_unknown_key_says_so(clinic: Clinic) -> None:
    response = await clinic.slack.slash_command(FRONT_DESK, Command.CLAIM, text="CQ-9999")
    assert response.json is not None and "CQ-9999" in response.json["text"]


async def test_only_owner_or_manager_may_release(clinic: Clinic) -> None:
    key = await clinic.log_request()
    await clinic.deliver()
    await claim_click(clinic, FRONT_DESK, key)
    await clinic.deliver()
    card = clinic.card_of("scheduling", key)

    release = more_value(More.RELEASE, key)  # Release is in the card's More menu
    await clinic.then_wait_for(
        "chat.postEphemeral",
        clinic.slack.select_option(ASSISTANT, card.channel, card.ts, ActionId.MORE, release),
    )
    await clinic.settled()
    item = await clinic.deps.services.get(key)
    assert item is not None and item.owner == FRONT_DESK
    assert any(e.user == ASSISTANT and "owner" in e.text for e in clinic.stub.ephemerals())

    await clinic.slack.select_option(MANAGER, card.channel, card.ts, ActionId.MORE, release)
    await clinic.settled()  # a click is answered before its commit
    item = await clinic.deps.services.get(key)
    assert item is not None and item.owner is None
    await clinic.deliver()
    assert "card.claim" in str(clinic.card_of("scheduling", key).blocks)


async def claimed_card(clinic: Clinic) -> tuple[str, StoredMessage]:
    """A new request, claimed by the front desk; its key and its card."""
    key = await clinic.log_request()
    await clinic.deliver()
    await claim_click(clinic, FRONT_DESK, key)
    await clinic.deliver()
    return key, clinic.card_of("scheduling", key)


def choose(
    clinic: Clinic, user: str, card: StoredMessage, what: More, key: str
) -> Awaitable[SlackResponse]:
    """`user` picks `what` in the card's More menu."""
    return clinic.slack.select_option(
        user, card.channel, card.ts, ActionId.MORE, more_value(what, key)
    )


async def test_a_release_button_on_a_card_posted_before_the_menu_still_releases(
    clinic: Clinic,
) -> None:
    key, card = await claimed_card(clinic)
    # As an earlier version posted it: Release was a button on the card.
    actions = next(b for b in card.blocks if b["type"] == "actions")
    actions["elements"].insert(
        0, {"type": "button", "action_id": ActionId.RELEASE, "value": key, "text": _text("Release")}
    )

    await clinic.slack.click_button(FRONT_DESK, card.channel, card.ts, ActionId.RELEASE, key)
    await clinic.settled()
    item = await clinic.deps.services.get(key)
    assert item is not None and item.owner is None


def _text(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text}


async def reassign_form(clinic: Clinic, user: str) -> tuple[str, dict[str, Any]]:
    """The front desk's claimed item; the form `user` gets from its menu's Reassign…."""
    key, card = await claimed_card(clinic)
    await clinic.then_wait_for("views.update", choose(clinic, user, card, More.REASSIGN, key))
    (form,) = clinic.stub.open_views(user)
    return key, form


async def test_owner_reassigns_from_the_menu_in_a_one_picker_form(clinic: Clinic) -> None:
    key, form = await reassign_form(clinic, FRONT_DESK)
    assert form["title"]["text"] == f"Reassign {key}"
    answer = await clinic.slack.submit_view(
        FRONT_DESK, form["id"], {FieldId.REASSIGN_TO: ASSISTANT}
    )
    assert answer.status == 200
    await clinic.settled()
    await clinic.deliver()
    await _reassigned_to_the_assistant(clinic, key)


async def test_the_user_picker_on_a_card_posted_before_the_menu_still_reassigns(
    clinic: Clinic,
) -> None:
    key, card = await claimed_card(clinic)
    # As an earlier version posted it: the Reassign picker sat on the card itself.
    actions = next(b for b in card.blocks if b["type"] == "actions")
    picker = {"type": "users_select", "action_id": ActionId.REASSIGN}
    actions["elements"].append({**picker, "placeholder": _text("Reassign\u2026")})

    await clinic.slack.select_user(FRONT_DESK, card.channel, card.ts, ActionId.REASSIGN, ASSISTANT)
    await clinic.settled()
    await clinic.deliver()
    await _reassigned_to_the_assistant(clinic, key)


async def test_only_the_owner_or_a_manager_gets_the_reassign_form(clinic: Clinic) -> None:
    _, refused = await reassign_form(clinic, ASSISTANT)
    assert "input" not in [b["type"] for b in refused["blocks"]]
    assert "owner" in str(refused["blocks"])


async def _reassigned_to_the_assistant(clinic: Clinic, key: str) -> None:
    card = clinic.card_of("scheduling", key)

    item = await clinic.deps.services.get(key)
    assert item is not None and item.owner == ASSISTANT
    thread = clinic.replies(card)
    assert any("Reassigned to" in m.text and f"<@{ASSISTANT}>" in m.text for m in thread)
    told = clinic.stub.messages(ASSISTANT)
    assert [m.text for m in told] == [
        f"<@{FRONT_DESK}> gave {key} (Scheduling help) to you. It is on your Home tab, and its"
        " card shows you as the owner."
    ]
    for patient_detail in ("Jane", "555", "MRN-20431", "Tuesday"):
        assert patient_detail not in str(told[0].blocks) + told[0].text


async def test_a_burst_of_clicks_is_acked_at_once_and_commits_in_turn_without_losing_one(
    database_url: str, example_practice: Practice, clock: ManualClock, stub: SlackStub
) -> None:
    """Acking first lets a burst arrive faster than the database commits; the work after
    the ack is bounded (AFTER_ACK_AT_ONCE), so none waits out the pool and every claim
    lands."""
    people = [f"UBURST{n:02d}" for n in range(60)]
    async with running(database_url, with_staff(example_practice, *people), clock, stub) as clinic:
        await burst_of_claims(clinic, people)


async def burst_of_claims(clinic: Clinic, people: list[str]) -> None:
    keys = [await clinic.log_request() for _ in range(60)]
    await clinic.deliver()
    for user in people:
        clinic.stub.add_user(user, user.lower())

    statuses = await asyncio.gather(
        *(claim_click(clinic, user, key) for user, key in zip(people, keys, strict=True))
    )
    await clinic.settled()

    assert statuses == [200] * 60
    owners = {key: (await clinic.deps.services.get(key)).owner for key in keys}  # type: ignore[union-attr]
    assert owners == dict(zip(keys, people, strict=True))
    assert 1 <= clinic.deps.after_ack.peak <= AFTER_ACK_AT_ONCE
    assert clinic.stub.ephemerals() == []  # no error reference, no refusal
