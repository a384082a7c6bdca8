"""What Slack delivers twice happens once: a retried event (same `event_id`,
`X-Slack-Retry-Num`) and a replayed, validly signed intake submission."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from storage.models import ItemRow, SeenEventRow, ViewSubmissionRow
from tests.scenarios.conftest import (
    ASSISTANT,
    DEFAULT_REQUEST,
    FRONT_DESK,
    MANAGER,
    Clinic,
    start_clinic,
    stop_clinic,
)


async def count(clinic: Clinic, model: Any) -> int:
    async with clinic.deps.uow.read() as tx:
        return int(await tx.session.scalar(select(func.count()).select_from(model)) or 0)


def home_opened(clinic: Clinic, user: str) -> dict[str, Any]:
    clinic.stub.ensure_user(user)
    return {
        "type": "app_home_opened",
        "user": user,
        "channel": clinic.stub.channel_id(user),
        "tab": "home",
        "event_ts": "1764770000.000100",
    }


def publishes_for(clinic: Clinic, user: str) -> int:
    return sum(c.args.get("user_id") == user for c in clinic.stub.calls_to("views.publish"))


async def publishes_after_marker(clinic: Clinic, user: str) -> int:
    """Home publishes for `user`, counted once someone else's Home, opened after every
    earlier delivery was answered, has been published: those deliveries' listeners started
    first, so what they would publish has been published by then."""
    before = publishes_for(clinic, ASSISTANT)
    await clinic.slack.app_home_opened(ASSISTANT)
    async with asyncio.timeout(10):
        while publishes_for(clinic, ASSISTANT) == before:
            await clinic.stub.wait_for_call(
                "views.publish", count=len(clinic.stub.calls_to("views.publish")) + 1
            )
    return publishes_for(clinic, user)


async def test_an_event_slack_retries_twice_publishes_the_home_tab_once(clinic: Clinic) -> None:
    event = home_opened(clinic, FRONT_DESK)

    first = await clinic.then_wait_for(
        "views.publish", clinic.slack.send_event(event, event_id="Ev0HOME0001")
    )
    retries = [
        await clinic.slack.send_event(event, event_id="Ev0HOME0001", retry_num=n) for n in (1, 2)
    ]
    total = await publishes_after_marker(clinic, FRONT_DESK)

    assert first.status == 200 and [r.status for r in retries] == [200, 200]
    assert total == 1
    assert await count(clinic, SeenEventRow) == 2  # the event and the marker


async def test_a_retry_reaching_another_replica_is_ignored_there_too(
    clinic: Clinic, database_url: str
) -> None:
    event = home_opened(clinic, MANAGER)
    await clinic.then_wait_for(
        "views.publish", clinic.slack.send_event(event, event_id="Ev0HOME0002")
    )
    other, runner = await start_clinic(database_url, clinic.practice, clinic.clock, clinic.stub)
    try:
        retry = await other.slack.send_event(event, event_id="Ev0HOME0002", retry_num=1)
        total = await publishes_after_marker(other, MANAGER)
    finally:
        await stop_clinic(other, runner)

    assert retry.status == 200
    assert total == 1


async def test_event_ids_are_forgotten_after_a_day(clinic: Clinic) -> None:
    event = home_opened(clinic, FRONT_DESK)
    await clinic.then_wait_for(
        "views.publish", clinic.slack.send_event(event, event_id="Ev0OLD00001")
    )
    clinic.clock.advance(timedelta(hours=25))

    await clinic.then_wait_for(
        "views.publish", clinic.slack.send_event(event, event_id="Ev0NEW00001")
    )

    async with clinic.deps.uow.read() as tx:
        kept = list(await tx.session.scalars(select(SeenEventRow.event_id)))
    assert kept == ["Ev0NEW00001"]


async def test_form_submissions_are_forgotten_after_a_day(clinic: Clinic) -> None:
    event = home_opened(clinic, FRONT_DESK)
    await clinic.log_request()
    await clinic.then_wait_for(
        "views.publish", clinic.slack.send_event(event, event_id="Ev0VIEWS001")
    )
    clinic.clock.advance(timedelta(hours=25))
    await clinic.log_request()

    await clinic.then_wait_for(
        "views.publish", clinic.slack.send_event(event, event_id="Ev0VIEWS002")
    )

    async with clinic.deps.uow.read() as tx:
        kept = list(await tx.session.scalars(select(ViewSubmissionRow.submitted_at)))
    assert kept == [clinic.clock.now()]


def captured_intake_submission(clinic: Clinic, view_id: str) -> str:
    """The raw body Slack sent for the intake modal `view_id`, filled in and submitted."""
    return clinic.captured_submission(FRONT_DESK, view_id, DEFAULT_REQUEST)


async def test_a_replayed_intake_submission_creates_the_item_once(clinic: Clinic) -> None:
    view_id = await clinic.open_intake()
    body = captured_intake_submission(clinic, view_id)
    headers = clinic.slack.sign(body)  # one signature, valid for Slack's five minutes

    answers = [await clinic.slack.post(body, headers=headers, sign=False) for _ in range(6)]

    assert [a.status for a in answers] == [200] * 6
    assert await count(clinic, ItemRow) == 1
    assert await count(clinic, ViewSubmissionRow) == 1
    # Every replay is answered with the item the first submission made.
    logged = [json.dumps(a.json) for a in answers]
    assert all("CQ-1001" in text for text in logged), logged
    assert not any("CQ-1002" in text for text in logged)
    await clinic.deliver()
    assert len(clinic.cards("scheduling")) == 1


async def test_simultaneous_replays_of_one_submission_create_one_item(clinic: Clinic) -> None:
    view_id = await clinic.open_intake()
    body = captured_intake_submission(clinic, view_id)
    headers = clinic.slack.sign(body)

    answers = await asyncio.gather(
        *(clinic.slack.post(body, headers=headers, sign=False) for _ in range(5))
    )

    assert [a.status for a in answers] == [200] * 5
    assert await count(clinic, ItemRow) == 1
