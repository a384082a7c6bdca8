"""Malformed input a person, an integration or an old card can send gets a clear answer,
never a 500: NUL characters (PostgreSQL text cannot hold one), dates in year 9999 or
year 1, and ids this version of CareQueue no longer knows."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import date, time
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from blocks.ids import Command, FieldId, Shortcut
from storage.models import ItemRow, PromiseRow
from tests.scenarios.conftest import FRONT_DESK, Clinic
from tests.scenarios.intake_api import PHONE_SYSTEM_REQUEST, Integration, connect
from tests.scenarios.test_attempts import log_call
from tests.scenarios.test_handoff import hand_off
from tests.scenarios.test_promises import claimed_item, promise
from tests.scenarios.test_waiting import wait_on

NUL = "\x00"
FAR_FUTURE = date(9999, 12, 31)
FAR_PAST = date(1, 1, 1)


async def count(clinic: Clinic, model: Any) -> int:
    async with clinic.deps.uow.read() as tx:
        return int(await tx.session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
async def phone_system(clinic: Clinic) -> AsyncIterator[Integration]:
    integration = await connect(clinic)
    yield integration
    await integration.session.close()


# -- NUL characters ---------------------------------------------------------------------


async def test_a_nul_in_the_intake_modal_is_dropped_before_the_item_is_stored(
    clinic: Clinic,
) -> None:
    """Nobody types a NUL in Slack: one in a payload is dropped on arrival (PostgreSQL text
    cannot hold it), so the request is logged with what the person could see."""
    key = await clinic.log_request(
        **{FieldId.SUMMARY: f"Needs a call{NUL}back", FieldId.PATIENT_NAME: f"Jane{NUL} Doe"}
    )

    item = await clinic.deps.services.get(key)
    assert item is not None
    assert item.summary == "Needs a callback" and item.patient.name == "Jane Doe"


async def test_a_nul_in_the_intake_api_is_a_422_by_field_and_stores_nothing(
    clinic: Clinic, phone_system: Integration
) -> None:
    body = {**PHONE_SYSTEM_REQUEST, "patient_name": f"Jane{NUL}Doe", "summary": f"a{NUL}b"}

    answer = await phone_system.post(body)

    assert answer.status == 422
    assert {p["field"] for p in answer.json["problems"]} == {"patient_name", "summary"}
    assert await count(clinic, ItemRow) == 0


async def test_a_nul_in_an_api_field_name_or_source_id_is_a_422(
    clinic: Clinic, phone_system: Integration
) -> None:
    answer = await phone_system.post(
        {**PHONE_SYSTEM_REQUEST, "source_id": f"vm{NUL}1", f"x{NUL}": "y"}
    )

    assert answer.status == 422
    assert await count(clinic, ItemRow) == 0


LONE = "\ud800"  # half of a UTF-16 surrogate pair: valid in JSON text, not a character


async def test_a_lone_surrogate_in_the_intake_api_is_a_422_by_field_and_the_batch_commits(
    clinic: Clinic, phone_system: Integration
) -> None:
    """UTF-8 cannot encode it: before, the request's fingerprint failed with a 500. The
    deliveries that arrived with it still commit."""
    good = [{**PHONE_SYSTEM_REQUEST, "patient_reference": f"MRN-9{n}"} for n in range(5)]
    bad = {**PHONE_SYSTEM_REQUEST, "summary": f"Wants a new time {LONE} please"}
    answers = await asyncio.gather(
        *(phone_system.post(body) for body in good), phone_system.post(bad)
    )

    assert [a.status for a in answers] == [201] * 5 + [422]
    [problem] = answers[-1].json["problems"]
    assert problem["field"] == "summary" and "surrogate" in problem["message"]
    assert await count(clinic, ItemRow) == 5
    assert (await phone_system.get(f"CQ-1{LONE}")).status == 404


async def test_a_lone_surrogate_from_slack_becomes_a_replacement_character(
    clinic: Clinic,
) -> None:
    key = await clinic.log_request(**{FieldId.SUMMARY: f"Needs a call{LONE}back"})

    item = await clinic.deps.services.get(key)
    assert item is not None and item.summary == "Needs a call\ufffdback"


async def test_a_message_with_a_nul_opens_the_form_without_it(clinic: Clinic) -> None:
    channel = clinic.stub.channel_id("#phone-voicemails")
    posted = clinic.stub.add_message(channel, f"Voicemail{NUL}: call back", user="UPHONE")

    response = await clinic.then_wait_for(
        "views.open",
        clinic.slack.message_shortcut(FRONT_DESK, Shortcut.LOG_MESSAGE, channel, posted.ts),
    )

    assert response.status == 200
    view = clinic.stub.open_views(FRONT_DESK)[-1]
    summary = next(b for b in view["blocks"] if b.get("block_id") == FieldId.SUMMARY)
    assert summary["element"]["initial_value"] == "Voicemail: call back"


async def test_a_nul_in_a_call_note_or_a_command_is_dropped(clinic: Clinic) -> None:
    key = await claimed_item(clinic)

    answer = await log_call(
        clinic,
        key,
        {
            FieldId.OUTCOME: "reached",
            FieldId.IDENTITY: ["verified"],
            FieldId.CONFIRMED: f"Confirmed the new time{NUL} for Thursday at 10",
            FieldId.NEXT_STEP: "Nothing further; the visit is booked",
        },
    )
    claimed = await clinic.slack.slash_command(FRONT_DESK, Command.CLAIM, text=f"{key}{NUL}")

    assert "errors" not in answer, answer
    (attempt,) = await clinic.deps.work.attempts(key)
    assert attempt.confirmed == "Confirmed the new time for Thursday at 10"
    assert claimed.status == 200


# -- dates far away -----------------------------------------------------------------------


@pytest.mark.parametrize("day", [FAR_FUTURE, FAR_PAST], ids=["9999-12-31", "0001-01-01"])
async def test_a_promise_dated_far_away_is_a_field_error(clinic: Clinic, day: date) -> None:
    key = await claimed_item(clinic)

    response = await promise(
        clinic,
        key,
        **{
            FieldId.PROMISE_TEXT: "A call back",
            FieldId.PROMISE_DATE: day,
            FieldId.PROMISE_TIME: time(23, 30),
        },
    )

    assert response.status == 200
    assert response.json is not None and response.json["response_action"] == "errors"
    assert set(response.json["errors"]) == {FieldId.PROMISE_DATE}
    assert await count(clinic, PromiseRow) == 0


@pytest.mark.parametrize("day", [FAR_FUTURE, FAR_PAST], ids=["9999-12-31", "0001-01-01"])
async def test_a_check_back_dated_far_away_is_a_field_error(clinic: Clinic, day: date) -> None:
    key = await claimed_item(clinic)

    response = await wait_on(clinic, key, "payer", day, time(23, 30))

    assert response.status == 200
    assert response.json is not None and response.json["response_action"] == "errors"
    assert set(response.json["errors"]) == {FieldId.CHECK_BACK_DATE}


@pytest.mark.parametrize("day", [FAR_FUTURE, FAR_PAST], ids=["9999-12-31", "0001-01-01"])
async def test_a_handoff_promise_dated_far_away_is_a_field_error(clinic: Clinic, day: date) -> None:
    key = await claimed_item(clinic)

    response = await hand_off(
        clinic,
        key,
        **{
            FieldId.ASKED: "To move the appointment",
            FieldId.PROMISED: "A call back",
            FieldId.PROMISED_DATE: day,
            FieldId.PROMISED_TIME: time(23, 30),
            FieldId.NEXT_OWNER: FRONT_DESK,
        },
    )

    assert response.status == 200
    assert response.json is not None and response.json["response_action"] == "errors"
    assert FieldId.PROMISED_DATE in response.json["errors"]


@pytest.mark.parametrize("day", [FAR_FUTURE, FAR_PAST], ids=["9999-12-31", "0001-01-01"])
async def test_a_next_attempt_dated_far_away_is_a_field_error(clinic: Clinic, day: date) -> None:
    key = await claimed_item(clinic)

    answer = await log_call(
        clinic,
        key,
        {
            FieldId.OUTCOME: "busy",
            FieldId.NEXT_DATE: day.isoformat(),
            FieldId.NEXT_TIME: "23:30",
        },
    )

    assert answer.get("response_action") == "errors", answer
    assert FieldId.NEXT_DATE in answer["errors"]


@pytest.mark.parametrize("day", [FAR_FUTURE, FAR_PAST], ids=["9999-12-31", "0001-01-01"])
async def test_an_intake_contact_time_far_away_is_a_field_error(clinic: Clinic, day: date) -> None:
    response = await clinic.submit_intake(
        **{FieldId.CONTACTED_DATE: day, FieldId.CONTACTED_TIME: time(23, 30)}
    )

    assert response.json is not None and response.json["response_action"] == "errors"
    assert FieldId.CONTACTED_DATE in response.json["errors"]
    assert await count(clinic, ItemRow) == 0


@pytest.mark.parametrize("moment", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00"])
async def test_an_api_contact_time_far_away_is_a_422(
    clinic: Clinic, phone_system: Integration, moment: str
) -> None:
    answer = await phone_system.post({**PHONE_SYSTEM_REQUEST, "contacted_at": moment})

    assert answer.status == 422
    assert [p["field"] for p in answer.json["problems"]] == ["contacted_at"]


async def test_a_trigger_of_nul_characters_alone_is_refused_before_any_form_opens(
    clinic: Clinic,
) -> None:
    # Found by the payload fuzzer: the NULs were dropped after the shape check, and the
    # form then went to Slack with an empty trigger id.
    payload = {
        "type": "shortcut",
        "callback_id": Shortcut.NEW_REQUEST,
        "user": {"id": FRONT_DESK},
        "team": {"id": "T0CAREQ"},
        "trigger_id": NUL * 3,
    }

    answer = await clinic.slack.post(urlencode({"payload": json.dumps(payload)}))

    assert answer.status == 400
    assert clinic.stub.calls_to("views.open") == []
