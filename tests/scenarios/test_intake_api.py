"""The intake API over real HTTP into the running app: a phone system's or portal's request
becomes an item exactly as Slack intake makes one, once per delivery, and every bad request
gets its own status with nothing stored."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.clock import ManualClock
from bot.config import Practice
from bot.domain.items import Action, Refusal
from sandbox.stub.server import SlackStub
from storage.models import ApiDeliveryRow, EventRow, ItemRow, OutboxRow
from tests.conftest import MONDAY_9AM
from tests.scenarios.conftest import Clinic, start_clinic, stop_clinic
from tests.scenarios.intake_api import PHONE_SYSTEM_REQUEST, Integration, connect


@pytest.fixture
async def portal(clinic: Clinic) -> AsyncIterator[Integration]:
    integration = await connect(clinic, "Patient portal")
    yield integration
    await integration.session.close()


async def rows(clinic: Clinic, model: type) -> int:
    async with clinic.deps.uow.read() as tx:
        return int(await tx.session.scalar(select(func.count()).select_from(model)) or 0)


async def nothing_stored(clinic: Clinic) -> bool:
    counts = [await rows(clinic, m) for m in (ItemRow, EventRow, OutboxRow, ApiDeliveryRow)]
    return counts == [0, 0, 0, 0]


# --- logging a request ------------------------------------------------------------------------


async def test_a_posted_request_becomes_an_item_with_a_card_in_its_lane(
    clinic: Clinic, portal: Integration
) -> None:
    answer = await portal.post(PHONE_SYSTEM_REQUEST)
    assert answer.status == 201, answer.json
    assert answer.json["key"] == "CQ-1001" and answer.json["created"] is True
    assert answer.json["lane_name"] == "Scheduling help"
    assert answer.json["status"] == "new" and answer.json["owner"] is None
    assert answer.headers["Location"] == "/api/v1/requests/CQ-1001"
    assert "Jane" not in str(answer.json) and "201-4477" not in str(answer.json)

    await clinic.deliver()
    card = clinic.card_of("scheduling", "CQ-1001")
    assert "Voicemail" in str(card.blocks) and "card.claim" in str(card.blocks)
    item = await clinic.deps.services.get("CQ-1001")
    assert item is not None and item.patient.name == "Jane Q. Doe"
    [created] = await clinic.deps.services.history("CQ-1001")
    assert created.action is Action.CREATE and created.actor == item.created_by
    [token] = await clinic.deps.intake_api.tokens()
    assert item.created_by == f"api:{token.id}"


async def test_a_route_is_mapped_to_its_lane_by_the_practice_file(
    clinic: Clinic, portal: Integration
) -> None:
    body = {**PHONE_SYSTEM_REQUEST, "route": "billing", "request_type": None}
    del body["lane"]
    answer = await portal.post(body)
    assert answer.status == 201, answer.json
    assert answer.json["lane"] == "billing"
    item = await clinic.deps.services.get(answer.json["key"])
    # A phone system knows no request types: the item reads as its origin until worked.
    assert item is not None and item.request_type == "Voicemail"


async def test_contacted_at_is_the_received_time_and_the_due_time_counts_from_it(
    clinic: Clinic, portal: Integration
) -> None:
    # Friday 16:30 in New York: after Friday's closing (16:00); the clock next runs Monday.
    contacted = "2026-11-20T16:30:00-05:00"
    answer = await portal.post({**PHONE_SYSTEM_REQUEST, "contacted_at": contacted})
    assert answer.status == 201, answer.json
    item = await clinic.deps.services.get(answer.json["key"])
    assert item is not None
    assert item.received_at == datetime.fromisoformat(contacted)
    # Scheduling calls voicemails back the same day: left after Friday's closing, the clock
    # next runs Monday 08:00 (before the 15:00 cut-off), so it is due by Monday's close, 17:00.
    assert datetime.fromisoformat(answer.json["due_at"]) == MONDAY_9AM + timedelta(hours=8)
    assert answer.json["received_at"] == item.received_at.isoformat()


async def test_a_missed_call_needs_only_a_phone_number(clinic: Clinic, portal: Integration) -> None:
    answer = await portal.post(
        {"callback_phone": "+44 20 7946 0958", "origin": "missed_call", "route": "appointments"}
    )
    assert answer.status == 201, answer.json
    await clinic.deliver()
    card = clinic.card_of("scheduling", answer.json["key"])
    assert "Missed call · caller not identified yet" in str(card.blocks)
    assert "7946" not in str(card.blocks)


async def test_a_repeat_contact_is_linked_as_for_slack_intake(
    clinic: Clinic, portal: Integration
) -> None:
    from_slack = await clinic.log_request(**{"intake.patient_ref": "MRN-30412"})
    answer = await portal.post(PHONE_SYSTEM_REQUEST)
    assert answer.status == 201
    item = await clinic.deps.services.get(answer.json["key"])
    assert item is not None and item.related_key == from_slack
    first = await clinic.deps.services.get(from_slack)
    assert first is not None and first.repeat_count == 2
    history = await clinic.deps.services.history(from_slack)
    assert [e.action for e in history][-1] is Action.REPEAT_CONTACT


async def test_a_slack_intake_and_a_delivery_for_one_patient_at_once_are_linked(
    clinic: Clinic, portal: Integration
) -> None:
    """On PostgreSQL each used to read the patient's open items before the other committed:
    neither was linked as a repeat contact in about half of the pairs."""
    for trial in range(6):
        reference = f"MRN-4410{trial}"
        await asyncio.gather(
            clinic.log_request(**{"intake.patient_ref": reference}),
            portal.post({**PHONE_SYSTEM_REQUEST, "patient_reference": reference}),
        )
        async with clinic.deps.uow.read() as tx:
            first, second = (
                await tx.session.execute(
                    select(ItemRow.key, ItemRow.related_key, ItemRow.repeat_count)
                    .where(ItemRow.patient_ref == reference)
                    .order_by(ItemRow.id)
                )
            ).all()
        assert (first.repeat_count, second.related_key) == (2, first.key), (trial, first, second)


# --- one item per delivery --------------------------------------------------------------------


async def test_a_retried_delivery_with_the_same_idempotency_key_returns_the_same_item(
    clinic: Clinic, portal: Integration
) -> None:
    headers = {"Idempotency-Key": "call-7f3a"}
    first = await portal.post(PHONE_SYSTEM_REQUEST, headers=headers)
    again = await portal.post(PHONE_SYSTEM_REQUEST, headers=headers)
    assert (first.status, again.status) == (201, 200)
    assert again.json["key"] == first.json["key"] and again.json["created"] is False
    assert await rows(clinic, ItemRow) == 1
    other = await portal.post(PHONE_SYSTEM_REQUEST, headers={"Idempotency-Key": "call-7f3b"})
    assert other.status == 201 and other.json["key"] != first.json["key"]


async def test_each_delivery_leaves_one_log_line_naming_its_item_and_token(
    clinic: Clinic, portal: Integration, caplog: pytest.LogCaptureFixture
) -> None:
    """The operator's trail: a new item is logged once, by the integration's token (as a
    Slack intake is by its user); a repeat says it was one, and neither says who called."""
    caplog.set_level(logging.INFO)
    headers = {"Idempotency-Key": "call-7f3a"}
    first = await portal.post(PHONE_SYSTEM_REQUEST, headers=headers)
    await portal.post(PHONE_SYSTEM_REQUEST, headers=headers)
    [token] = await clinic.deps.intake_api.tokens()
    key = first.json["key"]

    about = [r.getMessage() for r in caplog.records if key in r.getMessage()]
    assert about == [
        f"item logged key={key} lane=scheduling origin=voicemail by=api:{token.id}",
        f"intake API: token={token.id} repeated delivery of key={key}",
    ]
    assert "Jane" not in caplog.text and "201-4477" not in caplog.text


async def test_the_source_id_serves_as_the_idempotency_key(
    clinic: Clinic, portal: Integration
) -> None:
    body = {**PHONE_SYSTEM_REQUEST, "source_id": "vm-20261123-0042"}
    first, again = await portal.post(body), await portal.post(body)
    assert (first.status, again.status) == (201, 200)
    assert first.json["key"] == again.json["key"]
    assert await rows(clinic, ItemRow) == 1


@pytest.mark.parametrize("length", [193, 194, 200])
async def test_a_source_id_as_long_as_the_api_allows_serves_as_the_key(
    clinic: Clinic, portal: Integration, length: int
) -> None:
    """Prefixed, a source id over 193 characters no longer fit the key column: PostgreSQL
    answered 500. A long one is kept by its SHA-256."""
    body = {**PHONE_SYSTEM_REQUEST, "source_id": "s" * length}
    first, again = await portal.post(body), await portal.post(body)
    assert (first.status, again.status) == (201, 200)
    assert first.json["key"] == again.json["key"]
    other = await portal.post({**body, "source_id": "s" * (length - 1) + "t"})
    assert other.status == 201 and other.json["key"] != first.json["key"]


async def test_idempotency_keys_belong_to_one_token(clinic: Clinic, portal: Integration) -> None:
    phones = await connect(clinic, "Phone system")
    try:
        headers = {"Idempotency-Key": "same-key"}
        mine = await portal.post(PHONE_SYSTEM_REQUEST, headers=headers)
        theirs = await phones.post(PHONE_SYSTEM_REQUEST, headers=headers)
        assert (mine.status, theirs.status) == (201, 201)
        assert mine.json["key"] != theirs.json["key"]
    finally:
        await phones.session.close()


async def test_twenty_simultaneous_identical_deliveries_make_one_item(
    clinic: Clinic, portal: Integration
) -> None:
    headers = {"Idempotency-Key": "burst-1"}
    answers = await asyncio.gather(
        *(portal.post(PHONE_SYSTEM_REQUEST, headers=headers) for _ in range(20))
    )
    assert sorted(a.status for a in answers) == [200] * 19 + [201]
    assert {a.json["key"] for a in answers} == {"CQ-1001"}
    assert await rows(clinic, ItemRow) == 1
    assert await rows(clinic, ApiDeliveryRow) == 1
    await clinic.deliver()
    assert len(clinic.cards("scheduling")) == 1


OTHER_PATIENT = {
    **PHONE_SYSTEM_REQUEST,
    "patient_reference": "MRN-55120",
    "patient_name": "Omar Halvorsen",
    "callback_phone": "(555) 870-1133",
    "summary": "Asks whether the referral to cardiology was sent",
}


async def test_a_key_used_again_for_another_request_is_refused_and_stores_nothing(
    clinic: Clinic, portal: Integration, caplog: pytest.LogCaptureFixture
) -> None:
    """A phone system whose ids start again after a reinstall: the second patient's request
    must not be answered with the first one's item (200) and lost without a word."""
    caplog.set_level(logging.INFO)
    headers = {"Idempotency-Key": "vm-0001"}
    first = await portal.post(PHONE_SYSTEM_REQUEST, headers=headers)
    reused = await portal.post(OTHER_PATIENT, headers=headers)
    assert (first.status, reused.status) == (201, 422)
    assert reused.json["error"] == "key_reused"
    assert reused.json["earlier"] == first.json["key"]
    [problem] = reused.json["problems"]
    assert problem["field"] == "Idempotency-Key"
    assert "different request" in problem["message"] and "nothing was" in problem["message"]
    assert await rows(clinic, ItemRow) == 1 and await rows(clinic, ApiDeliveryRow) == 1
    # The retry of the first request still answers its item, and the second, under a key
    # of its own, is logged.
    again = await portal.post(PHONE_SYSTEM_REQUEST, headers=headers)
    assert (again.status, again.json["key"]) == (200, first.json["key"])
    second = await portal.post(OTHER_PATIENT, headers={"Idempotency-Key": "vm-0002"})
    assert second.status == 201 and await rows(clinic, ItemRow) == 2
    [token] = await clinic.deps.intake_api.tokens()
    warned = [r.getMessage() for r in caplog.records if "different request" in r.getMessage()]
    assert warned == [
        f"intake API: token={token.id} sent a different request under the key"
        f" of key={first.json['key']}; nothing was stored"
    ]
    assert "Halvorsen" not in caplog.text and "870-1133" not in caplog.text


async def test_a_source_id_used_again_for_another_request_is_refused(
    clinic: Clinic, portal: Integration
) -> None:
    first = await portal.post({**PHONE_SYSTEM_REQUEST, "source_id": "vm-77"})
    reused = await portal.post({**OTHER_PATIENT, "source_id": "vm-77"})
    assert (first.status, reused.status) == (201, 422)
    assert reused.json["problems"][0]["field"] == "source_id"
    assert await rows(clinic, ItemRow) == 1


async def test_a_retry_is_the_same_request_whatever_its_field_order_and_null_fields(
    clinic: Clinic, portal: Integration
) -> None:
    headers = {"Idempotency-Key": "portal-msg-9"}
    first = await portal.post(PHONE_SYSTEM_REQUEST, headers=headers)
    reordered = dict(reversed(list(PHONE_SYSTEM_REQUEST.items())))
    again = await portal.post({**reordered, "callback_window": None}, headers=headers)
    assert (first.status, again.status) == (201, 200)
    assert again.json["key"] == first.json["key"]


async def test_simultaneous_deliveries_under_one_key_make_one_item_and_refuse_the_other_request(
    clinic: Clinic, portal: Integration
) -> None:
    headers = {"Idempotency-Key": "burst-2"}
    bodies = [PHONE_SYSTEM_REQUEST] * 10 + [OTHER_PATIENT] * 3
    answers = await asyncio.gather(*(portal.post(body, headers=headers) for body in bodies))
    [made] = [(a, b) for a, b in zip(answers, bodies, strict=True) if a.status == 201]
    winner = made[1]
    for answer, body in zip(answers, bodies, strict=True):
        if answer is made[0]:
            continue
        assert answer.status == (200 if body is winner else 422), (answer, body is winner)
        assert answer.json.get("key", answer.json.get("earlier")) == made[0].json["key"]
    assert await rows(clinic, ItemRow) == 1 and await rows(clinic, ApiDeliveryRow) == 1


# --- bad requests -----------------------------------------------------------------------------


async def test_a_body_that_is_not_json_is_400_and_stores_nothing(
    clinic: Clinic, portal: Integration
) -> None:
    for raw in (b"{not json", b"\xff\xfe", b""):
        answer = await portal.post(raw=raw)
        assert answer.status == 400, raw
        assert answer.json["error"] == "invalid_json"
    assert await nothing_stored(clinic)


async def test_every_problem_is_listed_by_field_with_422_and_nothing_is_stored(
    clinic: Clinic, portal: Integration
) -> None:
    body = {
        "patient_reference": "MRN 1!",
        "callback_phone": "call me",
        "origin": "carrier pigeon",
        "lane": "scheduling",
        "request_type": "brain surgery",
        "summary": 42,
        "contacted_at": "yesterday",
        "colour": "blue",
    }
    answer = await portal.post(body, headers={"Idempotency-Key": "bad\u00e9"})
    assert answer.status == 422
    fields = {p["field"] for p in answer.json["problems"]}
    assert fields == {
        "patient_reference",
        "patient_name",
        "callback_phone",
        "origin",
        "request_type",
        "summary",
        "contacted_at",
        "colour",
        "Idempotency-Key",
    }
    assert all(p["message"] for p in answer.json["problems"])
    assert await nothing_stored(clinic)


async def test_a_made_up_field_name_is_not_written_to_the_log(
    clinic: Clinic, portal: Integration, caplog: pytest.LogCaptureFixture
) -> None:
    """A field's name is the sender's text too: it could hold a patient's name, or a line
    break that forges a log line. The log says an unknown field; the answer names it."""
    caplog.set_level(logging.INFO)
    made_up = "Zelda Quimby DOB 1980-02-03\n2026-11-23 09:00:00,000 INFO bot.api forged line"
    answer = await portal.post({**PHONE_SYSTEM_REQUEST, made_up: "1", "summry": "x"})
    assert answer.status == 422
    assert {p["field"] for p in answer.json["problems"]} == {made_up, "summry"}
    [token] = await clinic.deps.intake_api.tokens()
    logged = [r.getMessage() for r in caplog.records if "invalid request" in r.getMessage()]
    assert logged == [f"intake API: token={token.id} sent an invalid request (an unknown field)"]
    assert "Zelda" not in caplog.text and "forged" not in caplog.text


async def test_an_unknown_route_or_no_lane_at_all_is_a_problem_of_its_own(
    clinic: Clinic, portal: Integration
) -> None:
    body = {k: v for k, v in PHONE_SYSTEM_REQUEST.items() if k != "lane"}
    unrouted = await portal.post({**body, "route": "psychic"})
    assert unrouted.status == 422
    assert [p["field"] for p in unrouted.json["problems"]] == ["route"]
    assert "appointments" in unrouted.json["problems"][0]["message"]
    laneless = await portal.post(body)
    assert laneless.status == 422
    assert [p["field"] for p in laneless.json["problems"]] == ["lane"]


async def test_a_route_beside_a_lane_must_agree_with_it_and_is_always_checked(
    clinic: Clinic, portal: Integration
) -> None:
    """A nurse-line route sent with lane scheduling used to be dropped without a word (the
    clinical hint lost), and a misspelt one beside a lane was never checked."""
    conflicting = await portal.post({**PHONE_SYSTEM_REQUEST, "route": "nurse"})
    assert conflicting.status == 422
    [problem] = conflicting.json["problems"]
    assert problem["field"] == "route" and "'clinical'" in problem["message"]
    misspelt = await portal.post({**PHONE_SYSTEM_REQUEST, "route": "nurse-line-typo"})
    assert misspelt.status == 422 and misspelt.json["problems"][0]["field"] == "route"
    agreeing = await portal.post({**PHONE_SYSTEM_REQUEST, "route": "appointments"})
    assert agreeing.status == 201 and agreeing.json["lane"] == "scheduling"
    assert await rows(clinic, ItemRow) == 1


async def test_a_json_body_that_is_not_an_object_is_422(
    clinic: Clinic, portal: Integration
) -> None:
    answer = await portal.post([PHONE_SYSTEM_REQUEST])
    assert answer.status == 422 and answer.json["problems"][0]["field"] == ""


async def test_a_contact_time_in_the_future_or_without_offset_is_refused(
    clinic: Clinic, portal: Integration
) -> None:
    for when in ("2026-11-23T09:00:00", "2026-11-24T09:00:00-05:00"):
        answer = await portal.post({**PHONE_SYSTEM_REQUEST, "contacted_at": when})
        assert answer.status == 422, when
        assert [p["field"] for p in answer.json["problems"]] == ["contacted_at"]


async def test_a_missing_unknown_or_revoked_token_is_401(
    clinic: Clinic, portal: Integration
) -> None:
    for token in ("", "cq_not-a-real-token", "xoxb-slack-token"):
        answer = await portal.post(PHONE_SYSTEM_REQUEST, token=token)
        assert answer.status == 401, token
        assert answer.json["error"] == "unauthorized"
        assert answer.headers["WWW-Authenticate"] == "Bearer"
    assert (await portal.post(PHONE_SYSTEM_REQUEST)).status == 201
    [token] = await clinic.deps.intake_api.tokens()
    assert await clinic.deps.intake_api.revoke_token(token.id)
    assert (await portal.post(PHONE_SYSTEM_REQUEST)).status == 401
    assert (await portal.get("CQ-1001")).status == 401
    assert await rows(clinic, ItemRow) == 1


async def test_a_token_revoked_by_another_process_stops_the_next_delivery_at_once(
    clinic: Clinic, portal: Integration
) -> None:
    """The app remembers a token it found active for a few seconds (a burst reads it
    once), but `carequeue tokens revoke` runs in another process, which cannot tell it to
    forget: each delivery checks the token again in the transaction that writes its item."""
    assert (await portal.post(PHONE_SYSTEM_REQUEST)).status == 201  # now remembered
    [token] = await clinic.deps.intake_api.tokens()
    async with clinic.deps.uow() as tx:  # as the CLI's process does, behind this one's back
        assert await tx.api_tokens.revoke(token.id, clinic.clock.now())
        await tx.commit()
    retry = {**PHONE_SYSTEM_REQUEST, "source_id": "another-call"}
    answer = await portal.post(retry)
    assert answer.status == 401
    assert answer.json["error"] == "unauthorized"
    assert (await portal.get("CQ-1001")).status == 401
    assert await rows(clinic, ItemRow) == 1


async def start_with(
    clinic: Clinic, practice: Practice, database_url: str, stub: SlackStub
) -> tuple[Clinic, Integration, object]:
    running, runner = await start_clinic(database_url, practice, clinic.clock, stub)
    return running, await connect(running), runner


@pytest.fixture
async def strict_clinic(
    database_url: str, example_practice: Practice, clock: ManualClock, stub: SlackStub
) -> AsyncIterator[Clinic]:
    """A practice whose API takes bodies up to 2 KiB and two requests at once per token,
    refilled at one a second."""
    limits = dataclasses.replace(
        example_practice.intake_api, max_body_bytes=2048, per_minute=60, burst=2
    )
    practice = dataclasses.replace(example_practice, intake_api=limits)
    running, runner = await start_clinic(database_url, practice, clock, stub)
    yield running
    await stop_clinic(running, runner)


async def test_a_body_over_the_configured_limit_is_413_and_stores_nothing(
    strict_clinic: Clinic,
) -> None:
    portal = await connect(strict_clinic)
    try:
        big = {**PHONE_SYSTEM_REQUEST, "summary": "x" * 3000}
        answer = await portal.post(big)
        assert answer.status == 413 and answer.json["error"] == "too_large"
        assert await nothing_stored(strict_clinic)
    finally:
        await portal.session.close()


async def test_too_many_requests_for_one_token_is_429_with_retry_after(
    strict_clinic: Clinic,
) -> None:
    portal = await connect(strict_clinic, "Portal")
    phones = await connect(strict_clinic, "Phone system")
    try:
        assert [(await portal.post(PHONE_SYSTEM_REQUEST)).status for _ in range(2)] == [201, 201]
        limited = await portal.post(PHONE_SYSTEM_REQUEST)
        assert limited.status == 429 and limited.json["error"] == "rate_limited"
        assert limited.headers["Retry-After"] == "1"
        # Another integration's bucket is its own.
        assert (await phones.post(PHONE_SYSTEM_REQUEST)).status == 201
        assert await rows(strict_clinic, ItemRow) == 3
        strict_clinic.clock.advance(timedelta(seconds=1))
        assert (await portal.post(PHONE_SYSTEM_REQUEST)).status == 201
    finally:
        await portal.session.close()
        await phones.session.close()


# --- where a request stands -------------------------------------------------------------------


async def test_a_portal_reads_where_its_request_stands_without_patient_detail(
    clinic: Clinic, portal: Integration
) -> None:
    key = (await portal.post(PHONE_SYSTEM_REQUEST)).json["key"]
    await clinic.deliver()
    await clinic.deps.services.claim(item_key=key, actor="UFRONT01")
    answer = await portal.get(key)
    assert answer.status == 200
    assert answer.json == {
        "key": key,
        "status": "claimed",
        "lane": "scheduling",
        "lane_name": "Scheduling help",
        "owner": "UFRONT01",
        "next_action": answer.json["next_action"],
        "received_at": MONDAY_9AM.isoformat(),
        "due_at": (MONDAY_9AM + timedelta(hours=8)).isoformat(),  # a voicemail: by today's close
    }
    assert answer.json["next_action"]
    for secret in ("Jane", "MRN-30412", "201-4477", "Tuesday"):
        assert secret not in str(answer.json)


async def test_a_request_merged_into_the_patients_other_item_stands_where_that_item_stands(
    clinic: Clinic, portal: Integration
) -> None:
    """Merged is not resolved: the portal must not tell the patient their message is done
    while the practice works it under the patient's other item."""
    from_slack = await clinic.log_request(**{"intake.patient_ref": "MRN-30412"})
    headers = {"Idempotency-Key": "vm-merge-1"}
    key = (await portal.post(PHONE_SYSTEM_REQUEST, headers=headers)).json["key"]
    done = await clinic.deps.work.merge(item_key=key, actor="UFRONT01", into=from_slack)
    assert not isinstance(done, Refusal), done
    await clinic.deps.services.claim(item_key=from_slack, actor="UFRONT01")
    kept = await clinic.deps.services.get(from_slack)
    assert kept is not None

    answer = await portal.get(key)
    assert answer.status == 200
    assert answer.json == {
        "key": key,
        "status": "claimed",
        "lane": kept.lane,
        "lane_name": "Scheduling help",
        "owner": "UFRONT01",
        "next_action": kept.next_action,
        "received_at": MONDAY_9AM.isoformat(),
        "due_at": kept.due_at.isoformat(),
        "merged_into": from_slack,
    }
    retried = await portal.post(PHONE_SYSTEM_REQUEST, headers=headers)
    assert retried.status == 200 and retried.json["created"] is False
    assert (retried.json["key"], retried.json["merged_into"]) == (key, from_slack)
    assert retried.json["status"] == "claimed"


async def test_an_unknown_key_or_another_integrations_request_is_404(
    clinic: Clinic, portal: Integration
) -> None:
    assert (await portal.get("CQ-9999")).status == 404
    from_slack = await clinic.log_request()
    assert (await portal.get(from_slack)).status == 404
    phones = await connect(clinic, "Phone system")
    try:
        theirs = (await phones.post(PHONE_SYSTEM_REQUEST)).json["key"]
        answer = await portal.get(theirs)
        assert answer.status == 404 and answer.json["error"] == "not_found"
        assert (await portal.get(theirs, token="")).status == 401
    finally:
        await phones.session.close()
