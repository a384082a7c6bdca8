"""The OpenAPI document in the repository is the contract: served as is, and every answer the
running API gives (each status it documents) matches the schema documented for it."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from bot.api.body import TEXT_FIELDS
from bot.api.routes import OPENAPI_PATH
from bot.clock import ManualClock
from bot.config import Practice
from bot.domain.items import Origin, Status
from sandbox.stub.server import SlackStub
from tests.scenarios.conftest import Clinic, start_clinic, stop_clinic
from tests.scenarios.intake_api import PHONE_SYSTEM_REQUEST, Answer, Integration, connect

DOCUMENT: dict[str, Any] = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))


def schema(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}", "components": DOCUMENT["components"]}


def check(answer: Answer, path: str, method: str) -> None:
    """The status is documented for the operation and the body matches its schema."""
    responses = DOCUMENT["paths"][path][method]["responses"]
    assert str(answer.status) in responses, f"{method} {path} answered undocumented {answer.status}"
    documented = responses[str(answer.status)]
    content = documented.get("content", {}).get("application/json")
    assert content is not None
    Draft202012Validator({**content["schema"], "components": DOCUMENT["components"]}).validate(
        answer.json
    )
    for header in documented.get("headers", {}):
        assert header in answer.headers, header


@pytest.fixture
async def tight(
    database_url: str, example_practice: Practice, clock: ManualClock, stub: SlackStub
) -> AsyncIterator[Integration]:
    limits = dataclasses.replace(example_practice.intake_api, max_body_bytes=1024, burst=3)
    running, runner = await start_clinic(
        database_url, dataclasses.replace(example_practice, intake_api=limits), clock, stub
    )
    integration = await connect(running)
    yield integration
    await integration.session.close()
    await stop_clinic(running, runner)


def test_the_document_is_openapi_3_1_with_valid_json_schemas() -> None:
    assert DOCUMENT["openapi"] == "3.1.0"
    for body in DOCUMENT["components"]["schemas"].values():
        Draft202012Validator.check_schema(body)


def test_the_document_lists_the_fields_origins_and_states_the_code_knows() -> None:
    body = DOCUMENT["components"]["schemas"]["RequestBody"]
    assert set(body["properties"]) == set(TEXT_FIELDS)
    assert body["properties"]["origin"]["enum"] == [o.value for o in Origin]
    status = DOCUMENT["components"]["schemas"]["ItemStatus"]["properties"]["status"]
    assert status["enum"] == [s.value for s in Status]
    Draft202012Validator(schema("RequestBody")).validate(PHONE_SYSTEM_REQUEST)


async def test_the_served_document_is_the_one_in_the_repository(
    clinic: Clinic,
) -> None:
    portal = await connect(clinic)
    try:
        answer = await portal.send("GET", "/api/v1/openapi.json", token="")
        assert answer.status == 200
        assert answer.json == DOCUMENT
    finally:
        await portal.session.close()


async def test_every_answer_of_the_running_api_matches_the_document(
    tight: Integration,
) -> None:
    post, get = ("/api/v1/requests", "post"), ("/api/v1/requests/{key}", "get")
    headers = {"Idempotency-Key": "contract-1"}
    created = await tight.post(PHONE_SYSTEM_REQUEST, headers=headers)
    assert created.status == 201
    check(created, *post)
    again = await tight.post(PHONE_SYSTEM_REQUEST, headers=headers)
    assert again.status == 200
    check(again, *post)
    invalid = await tight.post({"origin": "fax"})
    assert invalid.status == 422
    check(invalid, *post)
    limited = await tight.post(PHONE_SYSTEM_REQUEST)
    assert limited.status == 429
    check(limited, *post)
    tight.clinic.clock.advance(timedelta(seconds=10))  # the bucket refills

    unauthorized = await tight.post(PHONE_SYSTEM_REQUEST, token="")
    assert unauthorized.status == 401
    check(unauthorized, *post)
    not_json = await tight.post(raw=b"{")
    assert not_json.status == 400
    check(not_json, *post)
    too_large = await tight.post({**PHONE_SYSTEM_REQUEST, "summary": "x" * 2000})
    assert too_large.status == 413
    check(too_large, *post)
    tight.clinic.clock.advance(timedelta(seconds=10))

    found = await tight.get(created.json["key"])
    assert found.status == 200
    check(found, *get)
    missing = await tight.get("CQ-9999")
    assert missing.status == 404
    check(missing, *get)
    refused = await tight.get(created.json["key"], token="cq_wrong")
    assert refused.status == 401
    check(refused, *get)
