"""/metrics: what Prometheus scrapes from a running CareQueue after real work, read back with
prometheus_client's own parser."""

from __future__ import annotations

from datetime import timedelta

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from blocks.ids import ActionId, FieldId
from bot.domain.items import Refusal
from bot.prometheus import Metrics
from bot.services.base import Invalid
from tests.scenarios.conftest import FRONT_DESK, Clinic

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(clinic: Clinic) -> Samples:
    url = clinic.app_url.replace("/slack/events", "/metrics")
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = await response.text()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


async def test_metrics_count_open_items_per_lane_outbox_lag_and_slack_errors(
    clinic: Clinic,
) -> None:
    first = await clinic.log_request()
    await clinic.log_request()
    insurance = clinic.practice.lane("insurance").request_types[0]
    await clinic.log_request(
        **{FieldId.LANE: "insurance", FieldId.REQUEST_TYPE: f"insurance|{insurance}"}
    )
    clinic.clock.advance(timedelta(seconds=45))

    waiting = await scrape(clinic)
    assert value(waiting, "carequeue_database_up") == 1
    assert value(waiting, "carequeue_outbox_pending") >= 3  # three cards, not yet posted
    assert value(waiting, "carequeue_outbox_oldest_age_seconds") == 45
    assert value(waiting, "carequeue_outbox_dead_letters") == 0

    clinic.stub.fail_next("chat.postMessage", times=1, status=429, retry_after=1)
    await clinic.deliver()
    card = clinic.card_of("scheduling", first)
    await clinic.slack.click_button(FRONT_DESK, card.channel, card.ts, ActionId.CLAIM, first)
    await clinic.settled()  # the claim commits after its ack
    closed = await clinic.deps.services.close(
        item_key=first,
        actor=FRONT_DESK,
        resolution="appointment booked",
        told_patient="Booked Friday 9:00 AM",
    )
    assert not isinstance(closed, Refusal | Invalid), closed
    await clinic.deliver()

    after = await scrape(clinic)
    assert value(after, "carequeue_open_items", lane="scheduling") == 1
    assert value(after, "carequeue_open_items", lane="insurance") == 1
    assert value(after, "carequeue_open_items", lane="referrals") == 0  # every lane, even idle
    assert value(after, "carequeue_outbox_pending") == 0
    assert value(after, "carequeue_outbox_oldest_age_seconds") == 0
    assert (
        value(
            after,
            "carequeue_slack_api_errors_total",
            method="chat.postMessage",
            error="ratelimited",
        )
        == 1
    )
    # Every signed request Slack sent (three /intake, three submissions, one click) is timed
    # by its route; none of them by an item's key.
    slack_requests = value(after, "carequeue_request_duration_seconds_count", route="/slack/events")
    assert slack_requests == 7
    routes = {dict(labels).get("route") for (name, labels) in after if "duration" in name}
    assert not any(route and "CQ-" in route for route in routes)


async def test_a_dead_letter_is_counted(clinic: Clinic) -> None:
    key = await clinic.log_request()
    async with clinic.deps.uow() as tx:
        await tx.outbox.enqueue(
            kind="message",
            channel=FRONT_DESK,
            item_id=await tx.items.id_of(key),
            payload={"template": "no_such_notice"},  # raises when rendered, every time
            now=clinic.clock.now(),
        )
        await tx.commit()
    await clinic.deliver()

    samples = await scrape(clinic)
    assert value(samples, "carequeue_outbox_dead_letters") == 1


def test_two_apps_in_one_process_keep_their_own_registries() -> None:
    one, two = Metrics(), Metrics()
    one.slack_api_errors.labels(method="chat.update", error="ratelimited").inc()
    assert b'method="chat.update"' in one.render(None)
    assert b'method="chat.update"' not in two.render(None)
