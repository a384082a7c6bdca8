"""Minimum necessary: what reaches Slack at each privacy level, escaping, and the logs."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from blocks.ids import ActionId, FieldId, More
from bot.clock import ManualClock
from bot.config import Practice
from bot.domain.lanes import Privacy
from sandbox.stub.server import SlackStub
from tests.scenarios.conftest import (
    ASSISTANT,
    FRONT_DESK,
    Clinic,
    start_clinic,
    stop_clinic,
    with_privacy,
)

HOSTILE_NAME = "<!channel> Zelda Quimby"
HOSTILE_SUMMARY = "<https://evil.example|click> for results <@U0MANAGER1> *now* <!here>"
PHONE = "(555) 867-5309"
REFERENCE = "MRN-88231"
PINGS_AND_LINKS = ("<!channel>", "<!here>", "<@U0MANAGER1>", "<https://evil.example")
PATIENT_DATA = ("Zelda", "Quimby", "Z.Q.", "867-5309", "8675309", REFERENCE, "evil.example")

HOSTILE_REQUEST = {
    FieldId.PATIENT_REF: REFERENCE,
    FieldId.PATIENT_NAME: HOSTILE_NAME,
    FieldId.PHONE: PHONE,
    FieldId.SUMMARY: HOSTILE_SUMMARY,
    FieldId.CALLBACK_WINDOW: "after 3pm, Zelda's cell",
}


def text_objects(node: Any) -> Iterator[tuple[str, str]]:
    """Every (type, text) of Block Kit text objects in a JSON tree."""
    if isinstance(node, dict):
        if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
            yield node["type"], node["text"]
        for value in node.values():
            yield from text_objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from text_objects(value)


def everything_slack_received(stub: SlackStub) -> list[dict[str, Any]]:
    """Arguments of every message-writing call: channel posts, edits, thread entries, DMs,
    ephemerals. (Views are opened for one person working the item and may show details.)"""
    methods = ("chat.postMessage", "chat.update", "chat.postEphemeral")
    return [call.args for method in methods for call in stub.calls_to(method)]


async def work_a_hostile_item(clinic: Clinic) -> str:
    key = await clinic.log_request(**HOSTILE_REQUEST)
    await clinic.deliver()
    card = clinic.card_of("scheduling", key)
    await clinic.slack.click_button(FRONT_DESK, card.channel, card.ts, ActionId.CLAIM, key)
    await clinic.then_wait_for(
        "chat.postEphemeral",
        clinic.slack.click_button(ASSISTANT, card.channel, card.ts, ActionId.CLAIM, key),
    )
    await close_telling_the_patient(clinic, key)
    return key


async def close_telling_the_patient(clinic: Clinic, key: str) -> None:
    """Close as booked, with what the patient was told (their name and a ping in it)."""
    await clinic.deps.services.close(
        item_key=key,
        actor=FRONT_DESK,
        resolution="appointment booked",
        told_patient=f"Told {HOSTILE_NAME}: booked Friday. <!everyone>",
    )
    await clinic.deliver()


@pytest.mark.parametrize("level", list(Privacy))
async def test_hostile_patient_text_pings_nobody_and_forges_no_link_at_any_level(
    level: Privacy,
    database_url: str,
    example_practice: Practice,
    clock: ManualClock,
    stub: SlackStub,
) -> None:
    clinic, runner = await start_clinic(
        database_url, with_privacy(example_practice, level), clock, stub
    )
    try:
        await work_a_hostile_item(clinic)
        sent = everything_slack_received(stub)
        assert sent, "nothing reached Slack"
        for args in sent:
            for kind, text in text_objects(args.get("blocks") or []):
                if kind == "mrkdwn":
                    assert not any(p in text for p in PINGS_AND_LINKS), (level, text)
            top = str(args.get("text", ""))
            assert not any(p in top for p in PINGS_AND_LINKS), (level, top)
            assert not any(p in top for p in PATIENT_DATA), (level, top)
    finally:
        await stop_clinic(clinic, runner)


async def test_at_the_default_level_no_message_carries_any_patient_identifier(
    clinic: Clinic,
) -> None:
    assert clinic.practice.privacy is Privacy.NONE
    await work_a_hostile_item(clinic)
    for args in everything_slack_received(clinic.stub):
        serialized = json.dumps(args)
        for secret in (*PATIENT_DATA, "Told"):
            assert secret not in serialized, secret


async def test_initials_level_shows_initials_but_no_name_phone_or_summary(
    database_url: str, example_practice: Practice, clock: ManualClock, stub: SlackStub
) -> None:
    clinic, runner = await start_clinic(
        database_url, with_privacy(example_practice, Privacy.INITIALS), clock, stub
    )
    try:
        key = await clinic.log_request(**HOSTILE_REQUEST)
        await clinic.deliver()
        card = json.dumps(clinic.card_of("scheduling", key).blocks)
        assert "Z.Q." in card
        for secret in ("Zelda", "Quimby", "867-5309", REFERENCE, "evil.example"):
            assert secret not in card
    finally:
        await stop_clinic(clinic, runner)


async def test_details_view_shows_the_full_record_to_the_person_working_it(
    clinic: Clinic,
) -> None:
    key = await clinic.log_request(**HOSTILE_REQUEST)
    await clinic.deliver()
    view = await clinic.open_from_card(FRONT_DESK, key, ActionId.DETAILS)
    shown = json.dumps(view)
    assert "Zelda Quimby" in shown and "867-5309" in shown and REFERENCE in shown
    for kind, text in text_objects(view["blocks"]):
        if kind == "mrkdwn":
            assert not any(p in text for p in PINGS_AND_LINKS), text
    viewed = [e for e in await clinic.deps.services.history(key) if e.action.value == "view"]
    assert [e.actor for e in viewed] == [FRONT_DESK]


async def test_logs_carry_item_keys_but_never_patient_data(
    clinic: Clinic, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    key = await work_a_hostile_item(clinic)
    # Closed: one line, Details in the ⋯ beside it.
    details = await clinic.open_from_menu(FRONT_DESK, key, More.DETAILS)
    assert "Zelda" in str(details["blocks"])  # it did open
    clinic.stub.fail_next("chat.update", times=1, status=500)
    await clinic.deps.services.reopen(item_key=key, actor=FRONT_DESK)
    await clinic.deliver()

    logged = "\n".join(record.getMessage() + (record.exc_text or "") for record in caplog.records)
    assert key in logged
    for secret in (*PATIENT_DATA, "Told"):
        assert secret not in logged, secret


async def test_the_intake_api_logs_item_keys_but_never_patient_data(
    clinic: Clinic, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.scenarios.intake_api import connect

    caplog.set_level(logging.DEBUG)
    portal = await connect(clinic)
    body = {
        "patient_reference": REFERENCE,
        "patient_name": HOSTILE_NAME,
        "callback_phone": PHONE,
        "origin": "portal_message",
        "lane": "scheduling",
        "summary": HOSTILE_SUMMARY,
        "callback_window": "after 3pm, Zelda's cell",
        "source_id": "portal-msg-88",
    }
    try:
        created = await portal.post(body)
        assert created.status == 201
        invalid = await portal.post({**body, "callback_phone": "Zelda's cell", "lane": "x"})
        assert invalid.status == 422
        assert "Zelda" not in json.dumps(invalid.json)
        status = await portal.get(created.json["key"])
        assert status.status == 200
        for secret in PATIENT_DATA:
            assert secret not in json.dumps(created.json) + json.dumps(status.json), secret
        await clinic.deliver()
    finally:
        await portal.session.close()

    logged = "\n".join(record.getMessage() + (record.exc_text or "") for record in caplog.records)
    assert created.json["key"] in logged
    for secret in (*PATIENT_DATA, "portal-msg-88", portal.token):
        assert secret not in logged, secret


CALL_NOTE = "Okafor confirmed the Friday 9:40 slot"
NEXT_STEP_NOTE = "Bring the Wrenfield insurance card"


async def test_json_logs_of_a_whole_item_parse_and_carry_keys_but_no_patient_data(
    clinic: Clinic,
) -> None:
    from bot.structured_logs import configure_logging
    from tests.scenarios.test_attempts import log_call

    buffer = io.StringIO()
    root = logging.getLogger()
    level = root.level
    handler = configure_logging({"CAREQUEUE_LOG_FORMAT": "json", "LOG_LEVEL": "DEBUG"}, buffer)
    try:
        key = await clinic.log_request(**HOSTILE_REQUEST)
        await clinic.deliver()
        card = clinic.card_of("scheduling", key)
        await clinic.slack.click_button(FRONT_DESK, card.channel, card.ts, ActionId.CLAIM, key)
        await clinic.settled()
        clinic.stub.fail_next("chat.update", times=1, status=500)  # a retry, logged
        await clinic.deliver()
        answer = await log_call(
            clinic,
            key,
            {
                FieldId.OUTCOME: "reached",
                FieldId.IDENTITY: ["verified"],
                FieldId.CONFIRMED: CALL_NOTE,
                FieldId.NEXT_STEP: NEXT_STEP_NOTE,
            },
        )
        assert "errors" not in answer, answer
        await close_telling_the_patient(clinic, key)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)

    lines = buffer.getvalue().splitlines()
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert entries and all({"time", "level", "logger", "message"} <= set(e) for e in entries)
    carrying = [e for e in entries if e.get("item") == key]
    assert {e["level"] for e in carrying} >= {"INFO", "WARNING"}  # logged, retried
    for secret in (*PATIENT_DATA, "Told", "Okafor", "Wrenfield", "after 3pm"):
        assert not any(secret in line for line in lines), secret
