"""Generated input through the real HTTP endpoints: never a 5xx, never a partial write.

Bodies for POST /api/v1/requests come from the OpenAPI document's own schema
(hypothesis-jsonschema) and from mutations of it: wrong types, unknown fields, NUL
characters, huge and odd strings, bodies that are not objects or not JSON at all. Slack
payloads are signed as Slack signs them, with missing fields, wrong types, unknown ids and
huge strings. CAREQUEUE_FUZZ_EXAMPLES sets how many examples each test draws (300 in CI;
thousands for a longer local run).
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from blocks.ids import ActionId, Command, Shortcut, ViewId
from bot.api.routes import OPENAPI_PATH
from bot.clock import ManualClock
from bot.config import Practice
from handlers.outdated import KNOWN_IDS
from sandbox.side.wire import SlackResponse
from sandbox.stub.server import SlackStub
from storage.models import ApiDeliveryRow, CardRow, EventRow, ItemRow, OutboxRow
from tests.scenarios.conftest import FRONT_DESK, MANAGER, Clinic, start_clinic, stop_clinic
from tests.scenarios.intake_api import PHONE_SYSTEM_REQUEST, Integration, connect

EXAMPLES = int(os.environ.get("CAREQUEUE_FUZZ_EXAMPLES", "300"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    # One running clinic serves every example: rows are counted before and after each.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
REQUEST_SCHEMA = json.loads(OPENAPI_PATH.read_text())["components"]["schemas"]["RequestBody"]
FIELDS = sorted(REQUEST_SCHEMA["properties"])
WRITTEN = (ItemRow, EventRow, CardRow, OutboxRow, ApiDeliveryRow)

odd_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.sampled_from("\x00\ud7ff\ufeff\u202e<>&@!*_`\n\t "), max_size=20),
    st.builds(lambda: "x" * 70_000),  # over the body limit
    st.just("\x00"),
    st.sampled_from(["9999-12-31T23:59:59+14:00", "0001-01-01T00:00:00-12:00", "NaN", "CQ-1"]),
)
json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | odd_text,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


# Values a field is likely to hold, beside any text within its maxLength: enough valid
# bodies get through for the fuzzer to reach the intake rules and the database.
LIKELY = {
    "callback_phone": ["(555) 201-4477", "+44 20 7946 0958", "555-201-4477 x12", "12"],
    "lane": ["scheduling", "telehealth", "clinical", "no-such-lane"],
    "route": ["appointments", "nowhere"],
    "language": ["English", "Spanish", "Klingon"],
    "request_type": ["reschedule", "new appointment"],
    "patient_reference": ["MRN-20431", "MRN 1/2.3_4"],
    "contacted_at": ["2026-11-23T08:15:00-05:00", "2026-11-23T08:15:00", "2026-11-10T08:00Z"],
    "source_link": ["https://portal.example/m/1", "javascript:alert(1)"],
}


def field_values(name: str, spec: dict[str, Any]) -> st.SearchStrategy[Any]:
    """What the OpenAPI document allows for field `name` (and a few likely values)."""
    if "enum" in spec:
        values: st.SearchStrategy[Any] = st.sampled_from(spec["enum"])
    else:
        values = st.text(max_size=spec.get("maxLength", 100)) | st.sampled_from(
            LIKELY.get(name, ["x"])
        )
    nullable = isinstance(spec.get("type"), list) and "null" in spec["type"]
    return values | st.none() if nullable else values


@st.composite
def schema_bodies(draw: st.DrawFn) -> dict[str, Any]:
    """A body as the OpenAPI document describes it: the required fields, some others."""
    body = {}
    for name, spec in REQUEST_SCHEMA["properties"].items():
        if name in REQUEST_SCHEMA["required"] or draw(st.booleans()):
            body[name] = draw(field_values(name, spec))
    return body


@st.composite
def near_valid(draw: st.DrawFn) -> dict[str, Any]:
    """A valid delivery with one or two fields drawn from the document instead: most are
    stored, so the fuzzer reaches intake, repeat contacts, red flags and the database."""
    body = dict(PHONE_SYSTEM_REQUEST)
    for name in draw(st.lists(st.sampled_from(FIELDS), max_size=2)):
        body[name] = draw(field_values(name, REQUEST_SCHEMA["properties"][name]))
    return body


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    """A body from the schema, then broken: fields dropped, retyped or added."""
    body = draw(schema_bodies())
    for name in draw(st.lists(st.sampled_from(FIELDS), max_size=3)):
        body[name] = draw(json_value)
    for name in draw(st.lists(st.sampled_from(FIELDS), max_size=2)):
        body.pop(name, None)
    if draw(st.booleans()):
        body[draw(st.text(max_size=12))] = draw(json_value)
    return body


bodies = st.one_of(
    near_valid(),
    near_valid(),
    schema_bodies(),
    mutated(),
    json_value,
)
raw_bodies = st.one_of(
    bodies.map(lambda body: json.dumps(body).encode()),
    st.binary(max_size=64),
    st.sampled_from([b"", b"{", b'{"summary": "\xff\xfe"}', b"\x00" * 10, b"[]" * 10]),
)


@pytest.fixture
async def open_clinic(
    database_url: str, example_practice: Practice, clock: ManualClock, stub: SlackStub
) -> AsyncIterator[Clinic]:
    """A clinic whose intake API lets a fuzzer through: no rate limit in the way."""
    limits = dataclasses.replace(example_practice.intake_api, per_minute=10**9, burst=10**9)
    practice = dataclasses.replace(example_practice, intake_api=limits)
    running, runner = await start_clinic(database_url, practice, clock, stub)
    yield running
    await stop_clinic(running, runner)


@pytest.fixture
async def phone_system(open_clinic: Clinic) -> AsyncIterator[Integration]:
    integration = await connect(open_clinic)
    yield integration
    await integration.session.close()


async def written(clinic: Clinic) -> dict[str, int]:
    async with clinic.deps.uow.read() as tx:
        return {
            model.__tablename__: int(
                await tx.session.scalar(select(func.count()).select_from(model)) or 0
            )
            for model in WRITTEN
        }


@FUZZ
@given(raw=raw_bodies)
async def test_generated_intake_api_bodies_get_no_5xx_and_a_refusal_writes_nothing(
    open_clinic: Clinic, phone_system: Integration, raw: bytes
) -> None:
    before = await written(open_clinic)

    answer = await phone_system.post(raw=raw)

    after = await written(open_clinic)
    event(f"HTTP {answer.status}")
    assert answer.status < 500, (answer.status, answer.json)
    if answer.status >= 400:
        assert after == before, f"a {answer.status} wrote rows"
        assert isinstance(answer.json, dict) and answer.json.get("error")
    elif answer.status == 200:  # a repeated source_id: the first delivery's item again
        assert after == before and answer.json["created"] is False
    else:
        assert answer.status == 201 and after["items"] == before["items"] + 1


@pytest.mark.parametrize("key", ["CQ-1%00", "%00", "CQ-" + "9" * 400, "%F0%9F%A9%BA", "CQ-1'--"])
async def test_an_odd_key_in_the_status_path_is_a_404(
    open_clinic: Clinic, phone_system: Integration, key: str
) -> None:
    answer = await phone_system.get(key)

    assert answer.status == 404 and answer.json["error"] == "not_found"


# -- Slack payloads through the signed endpoint ----------------------------------------------

GENERAL = "#general"
ACTION_IDS = [member.value for member in ActionId]
VIEW_IDS = [member.value for member in ViewId]
COMMANDS = [member.value for member in Command]
SHORTCUTS = [member.value for member in Shortcut]

some_id = st.one_of(st.sampled_from([FRONT_DESK, MANAGER, "CQ-1001"]), odd_text, st.integers())
maybe = st.one_of(json_value, st.none())


def keyed(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """A dict with each of `fields` present or not (a payload with fields missing)."""
    return st.fixed_dictionaries({}, optional=fields)


users = st.one_of(
    st.fixed_dictionaries({"id": st.just(FRONT_DESK)}, optional={"name": odd_text}),
    keyed(id=some_id),
    odd_text,
    st.none(),
)
actions = st.lists(
    keyed(
        action_id=st.sampled_from(ACTION_IDS) | odd_text,
        value=st.sampled_from(["CQ-1001", "CQ-1001|1", "more.wait|CQ-1001"]) | json_value,
        type=st.sampled_from(["button", "static_select", "overflow", "users_select"]) | odd_text,
        selected_option=keyed(value=json_value),
        selected_user=some_id,
        block_id=odd_text,
    ),
    max_size=2,
)
views = keyed(
    id=st.sampled_from(["V0FUZZ01", "V0FUZZ02"]) | odd_text,
    callback_id=st.sampled_from(VIEW_IDS) | odd_text,
    private_metadata=st.sampled_from(['{"key": "CQ-1001"}', "CQ-1001"]) | odd_text,
    state=keyed(values=st.dictionaries(odd_text, st.dictionaries(odd_text, json_value))),
    hash=odd_text,
    type=st.sampled_from(["modal", "home"]) | odd_text,
    blocks=st.lists(json_value, max_size=2),
)


@st.composite
def interactive_payloads(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(
        st.sampled_from(
            ["block_actions", "view_submission", "view_closed", "shortcut", "message_action"]
        )
        | odd_text
    )
    payload: dict[str, Any] = {"type": kind}
    payload.update(
        draw(
            keyed(
                user=users,
                team=keyed(id=st.just("T0CAREQ") | odd_text, domain=odd_text),
                channel=keyed(id=st.just("C0GENERAL") | odd_text) | odd_text,
                trigger_id=odd_text,
                actions=actions | json_value,
                view=views | json_value,
                callback_id=st.sampled_from(SHORTCUTS) | odd_text,
                message=keyed(text=odd_text, ts=odd_text),
                container=keyed(type=st.sampled_from(["message", "view"]), view_id=odd_text),
            )
        )
    )
    return payload


@st.composite
def command_forms(draw: st.DrawFn) -> dict[str, str]:
    return draw(
        st.fixed_dictionaries(
            {"command": st.sampled_from(COMMANDS) | odd_text},
            optional={
                "text": st.sampled_from(["CQ-1001", "log CQ-1001", "help", "queue"]) | odd_text,
                "user_id": st.sampled_from([FRONT_DESK, MANAGER]) | odd_text,
                "channel_id": odd_text,
                "trigger_id": odd_text,
                "team_id": odd_text,
            },
        )
    )


@st.composite
def event_envelopes(draw: st.DrawFn) -> dict[str, Any]:
    event = draw(
        keyed(
            type=st.sampled_from(["app_home_opened", "message", "reaction_added"]) | odd_text,
            user=some_id,
            tab=st.sampled_from(["home", "messages"]) | odd_text,
            channel=odd_text,
        )
        | json_value
    )
    return {
        "type": draw(st.just("event_callback") | odd_text),
        "event_id": draw(st.text(min_size=1, max_size=20) | json_value),
        "team_id": "T0CAREQ",
        "event": event,
    }


async def signed(clinic: Clinic, kind: str, payload: Any) -> SlackResponse:
    if kind == "interactive":
        body = urlencode({"payload": json.dumps(payload)})
        return await clinic.slack.post(body)
    if kind == "command":
        return await clinic.slack.post(urlencode(payload))
    return await clinic.slack.post(json.dumps(payload), content_type="application/json")


slack_requests = st.one_of(
    st.tuples(st.just("interactive"), interactive_payloads()),
    st.tuples(st.just("command"), command_forms()),
    st.tuples(st.just("event"), event_envelopes()),
)


@FUZZ
@given(request=slack_requests)
async def test_generated_slack_payloads_get_no_5xx(
    open_clinic: Clinic, request: tuple[str, Any]
) -> None:
    kind, payload = request

    answer = await signed(open_clinic, kind, payload)

    event(f"{kind} HTTP {answer.status}")
    assert answer.status < 500, (answer.status, answer.body[:200])


@FUZZ
# An id of NUL characters alone is no id (refused with 400, see test_inbound.py).
@given(
    action_id=st.text(min_size=1, max_size=255).filter(
        lambda a: a.replace("\x00", "") and a not in KNOWN_IDS
    )
)
async def test_a_click_on_any_unknown_action_id_tells_the_person(
    open_clinic: Clinic, action_id: str
) -> None:
    clinic = open_clinic
    payload = {
        "type": "block_actions",
        "user": {"id": FRONT_DESK},
        "team": {"id": "T0CAREQ"},
        "channel": {"id": clinic.stub.channel_id(GENERAL)},
        "trigger_id": clinic.stub.new_trigger_id(FRONT_DESK),
        "actions": [{"action_id": action_id, "type": "button", "value": "CQ-1001"}],
    }
    before = len(clinic.stub.ephemerals())

    answer = await clinic.then_wait_for("chat.postEphemeral", clinic.slack.post_payload(payload))

    assert answer.status == 200
    told = clinic.stub.ephemerals()[before:]
    assert [e.user for e in told] == [FRONT_DESK]
    assert "older version of CareQueue" in told[0].text
