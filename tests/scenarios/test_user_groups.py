"""A practice that names its nurses as a Slack user group has clinical staff: the group's
members, as Slack last reported them, may do what only clinicians may (close a clinical
item without a clinical acknowledgment), others are refused, and someone taken out of the
group is refused after the next refresh. Through signed Slack requests, the app on the stub."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from blocks.ids import ActionId, FieldId
from bot.clock import ManualClock
from bot.config import Practice
from bot.domain.items import Refusal, RefusalCode, Status
from bot.domain.practice import ClinicalLevel
from bot.user_groups import GroupsHealth
from sandbox.stub.server import SlackStub
from tests.scenarios.conftest import FRONT_DESK, MANAGER, Clinic, start_clinic, stop_clinic

NURSES = "S0NURSES"
NURSE = "U0NURSE11"  # in the group only, never named in the practice file
CLINICAL_REQUEST = {
    FieldId.LANE: "clinical",
    FieldId.REQUEST_TYPE: "clinical|medication question",
}
CLOSE_FORM = {
    FieldId.RESOLUTION: "routed to clinical team with context",
    FieldId.TOLD_PATIENT: "A nurse will call you back today.",
}


@pytest.fixture
def nurses_as_a_group(example_practice: Practice) -> Practice:
    roles = example_practice.roles
    clinical = (ClinicalLevel("nurse", (NURSES,)), *roles.clinical[1:])
    return dataclasses.replace(
        example_practice, roles=dataclasses.replace(roles, clinical=clinical)
    )


@pytest.fixture
async def clinic(
    database_url: str, nurses_as_a_group: Practice, clock: ManualClock, stub: SlackStub
) -> AsyncIterator[Clinic]:
    stub.add_user(NURSE, "nell")
    stub.add_usergroup(NURSES, "nurses", [NURSE])
    running, runner = await start_clinic(database_url, nurses_as_a_group, clock, stub)
    yield running
    await stop_clinic(running, runner)


async def loaded(clinic: Clinic) -> None:
    """Wait for the refresh the app runs at start to have loaded the groups."""
    groups = clinic.deps.groups
    await asyncio.wait_for(groups.wait_until(lambda: groups.health is GroupsHealth.OK), 10)


async def claimed_clinical_item(clinic: Clinic, user: str) -> str:
    """A clinical request, claimed by `user` with the card's Claim button."""
    key = await clinic.log_request(**CLINICAL_REQUEST)
    await clinic.deliver()
    card = clinic.card_of("clinical", key)
    response = await clinic.slack.click_button(user, card.channel, card.ts, ActionId.CLAIM, key)
    assert response.status == 200
    await clinic.deliver()
    item = await clinic.deps.services.get(key)
    assert item is not None and item.owner == user
    return key


async def close_with_the_modal(clinic: Clinic, user: str, key: str) -> dict[str, Any]:
    """Click Close on the card and submit the form; the app's answer to the submission, or
    `{"refused": why}` when the click itself was refused (the form never opened)."""
    card = clinic.card_of("clinical", key)
    await clinic.then_wait_for(
        "views.update",
        clinic.slack.click_button(user, card.channel, card.ts, ActionId.CLOSE, key),
    )
    view = clinic.stub.open_views(user)[-1]
    if view["callback_id"] == "view.status":
        return {"refused": str(view["blocks"])}
    assert view["callback_id"] == "view.close", view["callback_id"]
    response = await clinic.slack.submit_view(user, view["id"], CLOSE_FORM)
    assert response.status == 200
    await clinic.settled()
    return response.json or {}


async def health(clinic: Clinic) -> dict[str, Any]:
    url = clinic.app_url.replace("/slack/events", "/healthz")
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return dict(await response.json())


async def test_a_member_of_the_nurses_group_closes_a_clinical_item_others_may_not(
    clinic: Clinic,
) -> None:
    await loaded(clinic)
    by_nurse = await claimed_clinical_item(clinic, NURSE)
    by_front_desk = await claimed_clinical_item(clinic, FRONT_DESK)

    nurse_answer = await close_with_the_modal(clinic, NURSE, by_nurse)
    front_desk_answer = await close_with_the_modal(clinic, FRONT_DESK, by_front_desk)

    assert "errors" not in nurse_answer, nurse_answer
    closed = await clinic.deps.services.get(by_nurse)
    assert closed is not None and closed.status is Status.RESOLVED and closed.closed_by == NURSE
    assert "clinic" in front_desk_answer["refused"].lower()
    still_open = await clinic.deps.services.get(by_front_desk)
    assert still_open is not None and still_open.status is Status.CLAIMED
    assert clinic.deps.roles.members("nurse") == (NURSE,)
    assert (await health(clinic))["user_groups"] == "ok"


async def test_a_nurse_taken_out_of_the_group_is_refused_after_the_next_refresh(
    clinic: Clinic,
) -> None:
    await loaded(clinic)
    key = await claimed_clinical_item(clinic, NURSE)
    clinic.stub.set_usergroup_users(NURSES, [])

    assert await clinic.deps.groups.refresh()
    answer = await close_with_the_modal(clinic, NURSE, key)

    assert "clinic" in answer["refused"].lower()
    item = await clinic.deps.services.get(key)
    assert item is not None and item.status is Status.CLAIMED
    assert clinic.deps.roles.members("nurse") == ()


async def test_a_slack_outage_keeps_the_members_already_known(clinic: Clinic) -> None:
    await loaded(clinic)
    key = await claimed_clinical_item(clinic, NURSE)
    clinic.stub.fail_next("usergroups.users.list", status=503, times=50)

    assert not await clinic.deps.groups.refresh()
    answer = await close_with_the_modal(clinic, NURSE, key)

    assert (await health(clinic))["user_groups"] == "stale"
    assert "errors" not in answer, answer
    item = await clinic.deps.services.get(key)
    assert item is not None and item.status is Status.RESOLVED


async def test_before_slack_first_answers_the_group_grants_nothing_and_health_says_so(
    database_url: str, nurses_as_a_group: Practice, clock: ManualClock, stub: SlackStub
) -> None:
    stub.add_user(NURSE, "nell")
    stub.add_usergroup(NURSES, "nurses", [NURSE])
    stub.fail_next("usergroups.users.list", status=503, times=50)
    clinic, runner = await start_clinic(database_url, nurses_as_a_group, clock, stub)
    try:
        await stub.wait_for_call("usergroups.users.list", timeout=10)
        # Named only through the group, the nurse has no role yet: a manager cannot give
        # them the clinical item (its owner would see who the patient is), and a close
        # they try is refused.
        key = await claimed_clinical_item(clinic, FRONT_DESK)
        given = await clinic.deps.services.reassign(item_key=key, actor=MANAGER, new_owner=NURSE)
        refused = await close_with_the_modal(clinic, NURSE, key)
        status = (await health(clinic))["user_groups"]
        stub.clear_faults()
        assert await clinic.deps.groups.refresh()
        given_after = await clinic.deps.services.reassign(
            item_key=key, actor=MANAGER, new_owner=NURSE
        )
        closed = await close_with_the_modal(clinic, NURSE, key)
    finally:
        await stop_clinic(clinic, runner)

    assert status == "not_loaded"
    assert isinstance(given, Refusal) and given.code is RefusalCode.NEW_OWNER_NOT_PERMITTED
    assert "no role" in refused["refused"].lower()
    assert not isinstance(given_after, Refusal), given_after
    assert "errors" not in closed, closed
