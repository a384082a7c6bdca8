"""Claiming, releasing and reassigning from the card and with /claim."""

from __future__ import annotations

import asyncio

from blocks.ids import ActionId, Command
from bot.domain.items import Action
from bot.in_flight import AFTER_ACK_AT_ONCE
from tests.scenarios.conftest import ASSISTANT, FRONT_DESK, MANAGER, Clinic


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
    clinic: Clinic,
) -> None:
    key = await clinic.log_request()
    await clinic.deliver()
    staff = [f"USTAFF{n:02d}" for n in range(25)]
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

    await clinic.then_wait_for(
        "chat.postEphemeral",
        clinic.slack.click_button(ASSISTANT, card.channel, card.ts, ActionId.RELEASE, key),
    )
    await clinic.settled()
    item = await clinic.deps.services.get(key)
    assert item is not None and item.owner == FRONT_DESK
    assert any(e.user == ASSISTANT and "owner" in e.text for e in clinic.stub.ephemerals())

    await clinic.slack.click_button(MANAGER, card.channel, card.ts, ActionId.RELEASE, key)
    await clinic.settled()  # a click is answered before its commit
    item = await clinic.deps.services.get(key)
    assert item is not None and item.owner is None
    await clinic.deliver()
    assert "card.claim" in str(clinic.card_of("scheduling", key).blocks)


async def test_owner_reassigns_with_the_user_picker(clinic: Clinic) -> None:
    key = await clinic.log_request()
    await clinic.deliver()
    await claim_click(clinic, FRONT_DESK, key)
    await clinic.deliver()
    card = clinic.card_of("scheduling", key)

    await clinic.slack.select_user(FRONT_DESK, card.channel, card.ts, ActionId.REASSIGN, ASSISTANT)
    await clinic.deliver()

    item = await clinic.deps.services.get(key)
    assert item is not None and item.owner == ASSISTANT
    thread = clinic.replies(card)
    assert any("Reassigned to" in m.text and f"<@{ASSISTANT}>" in m.text for m in thread)


async def test_a_burst_of_clicks_is_acked_at_once_and_commits_in_turn_without_losing_one(
    clinic: Clinic,
) -> None:
    """Acking first lets a burst arrive faster than the database commits; the work after
    the ack is bounded (AFTER_ACK_AT_ONCE), so none waits out the pool and every claim
    lands."""
    keys = [await clinic.log_request() for _ in range(60)]
    await clinic.deliver()
    people = [f"UBURST{n:02d}" for n in range(60)]
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
