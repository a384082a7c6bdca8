"""The user groups' members are kept in memory and refreshed from Slack in the background: a
failed refresh keeps the last members, a group never loaded grants nothing, someone taken
out of a group is out after the next refresh. Against the stub Web API, with a real client."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.user_groups import GroupsHealth, UserGroups
from sandbox.stub.server import SlackStub

NURSES = "S0NURSES"
DOCTORS = "S0DOCTORS"


@pytest.fixture
async def stub() -> AsyncIterator[SlackStub]:
    async with SlackStub() as running:
        running.add_usergroup(NURSES, "nurses", ["U0NURSE01", "U0NURSE02"])
        running.add_usergroup(DOCTORS, "doctors", ["U0DOC001"])
        yield running
        running.assert_no_problems()


def groups_of(stub: SlackStub, *ids: str, **timing: float) -> UserGroups:
    client = AsyncWebClient(token="xoxb-test", base_url=stub.base_url, retry_handlers=[])
    return UserGroups(client, ids or (NURSES, DOCTORS), **timing)


async def test_a_refresh_loads_every_groups_members(stub: SlackStub) -> None:
    groups = groups_of(stub)
    assert groups.health is GroupsHealth.NOT_LOADED
    assert groups.members_of(NURSES) == frozenset()

    assert await groups.refresh()

    assert groups.members_of(NURSES) == {"U0NURSE01", "U0NURSE02"}
    assert groups.members_of(DOCTORS) == {"U0DOC001"}
    assert groups.health is GroupsHealth.OK
    asked = [call.args.get("usergroup") for call in stub.calls_to("usergroups.users.list")]
    assert sorted(asked) == [DOCTORS, NURSES]


async def test_someone_taken_out_of_a_group_is_out_after_the_next_refresh(
    stub: SlackStub,
) -> None:
    groups = groups_of(stub)
    await groups.refresh()
    stub.set_usergroup_users(NURSES, ["U0NURSE02"])

    assert groups.members_of(NURSES) == {"U0NURSE01", "U0NURSE02"}  # not until a refresh
    await groups.refresh()

    assert groups.members_of(NURSES) == {"U0NURSE02"}


@pytest.mark.parametrize("status", [500, 429])
async def test_a_failed_refresh_keeps_the_last_members(stub: SlackStub, status: int) -> None:
    groups = groups_of(stub)
    await groups.refresh()
    stub.set_usergroup_users(NURSES, [])
    stub.fail_next("usergroups.users.list", status=status)

    assert not await groups.refresh()

    assert groups.members_of(NURSES) == {"U0NURSE01", "U0NURSE02"}
    assert groups.members_of(DOCTORS) == {"U0DOC001"}
    assert groups.health is GroupsHealth.STALE
    assert await groups.refresh()
    assert groups.members_of(NURSES) == frozenset()
    assert groups.health is GroupsHealth.OK


async def test_before_a_first_load_a_group_grants_nothing_and_the_log_says_so(
    stub: SlackStub, caplog: pytest.LogCaptureFixture
) -> None:
    groups = groups_of(stub)
    stub.set_outage(True)

    with caplog.at_level(logging.WARNING, logger="bot.user_groups"):
        assert not await groups.refresh()

    assert groups.members_of(NURSES) == frozenset()
    assert groups.health is GroupsHealth.NOT_LOADED
    assert groups.not_loaded() == (NURSES, DOCTORS)
    assert "granting no role until Slack answers: S0NURSES S0DOCTORS" in caplog.text
    assert "U0NURSE01" not in caplog.text


async def test_a_deleted_or_disabled_group_stops_granting(stub: SlackStub) -> None:
    groups = groups_of(stub)
    await groups.refresh()
    stub.add_usergroup(NURSES, "nurses", ["U0NURSE01"], disabled=True)

    assert await groups.refresh()

    assert groups.members_of(NURSES) == frozenset()
    assert groups.health is GroupsHealth.OK


async def test_a_practice_without_groups_asks_slack_nothing(stub: SlackStub) -> None:
    groups = UserGroups(AsyncWebClient(token="xoxb-test", base_url=stub.base_url), ())

    await asyncio.wait_for(groups.run(), timeout=5)  # returns at once

    assert groups.health is GroupsHealth.NONE
    assert stub.calls_to("usergroups.users.list") == []


async def test_run_loads_at_start_retries_a_failure_soon_and_refreshes_when_asked(
    stub: SlackStub,
) -> None:
    stub.fail_next("usergroups.users.list", status=503)
    groups = groups_of(stub, NURSES, refresh_every=3600, first_retry=0.05)
    task = asyncio.create_task(groups.run())
    try:
        # The first turn fails; the retry comes after first_retry, not refresh_every.
        await stub.wait_for_call("usergroups.users.list", count=2, timeout=5)
        await asyncio.wait_for(groups.wait_until(lambda: groups.health is GroupsHealth.OK), 5)
        assert groups.members_of(NURSES) == {"U0NURSE01", "U0NURSE02"}

        stub.set_usergroup_users(NURSES, ["U0NURSE01"])
        groups.refresh_soon()
        await asyncio.wait_for(
            groups.wait_until(lambda: groups.members_of(NURSES) == {"U0NURSE01"}), 5
        )
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
