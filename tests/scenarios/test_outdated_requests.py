"""What this version has no listener for is acknowledged with 200 and a word to the person,
never a 404 Slack would show as an error: a button on a card from before an upgrade, a
form from before it, a retired shortcut or command, an event the app no longer wants."""

from __future__ import annotations

import json
from typing import Any

from blocks.ids import Command, ViewId
from handlers.outdated import on_outdated_command, on_outdated_form
from sandbox.stub.records import APP_ID, TEAM_DOMAIN, TEAM_ID
from tests.scenarios.conftest import FRONT_DESK, Clinic

OLDER_BUTTON = "This button is from an older version of CareQueue"


def person(clinic: Clinic, user: str) -> dict[str, Any]:
    clinic.stub.ensure_user(user)
    return {"id": user, "username": "ana", "name": "ana", "team_id": TEAM_ID}


def envelope(clinic: Clinic, kind: str, user: str = FRONT_DESK) -> dict[str, Any]:
    return {
        "type": kind,
        "user": person(clinic, user),
        "api_app_id": APP_ID,
        "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
        "trigger_id": clinic.stub.new_trigger_id(user),
    }


async def test_a_click_on_a_retired_button_of_an_old_card_is_answered_with_a_word(
    clinic: Clinic,
) -> None:
    key = await clinic.log_request()
    await clinic.deliver()
    card = clinic.card_of("scheduling", key)

    response = await clinic.then_wait_for(
        "chat.postEphemeral",
        clinic.slack.click_button(
            FRONT_DESK,
            card.channel,
            card.ts,
            "card.snooze_v1",  # an id an older CareQueue put on its cards
            value=key,
            block_id="actions",
            as_last_seen=True,
        ),
    )

    assert response.status == 200
    (told,) = clinic.stub.ephemerals()
    assert told.user == FRONT_DESK and told.channel == card.channel
    assert told.text.startswith(OLDER_BUTTON)
    item = await clinic.deps.services.get(key)
    assert item is not None and item.version == 1  # nothing changed


async def test_a_retired_button_in_a_modal_or_the_home_tab_is_answered_by_dm(
    clinic: Clinic,
) -> None:
    payload = {
        **envelope(clinic, "block_actions"),
        "container": {"type": "view", "view_id": "V0OLD0001"},
        "view": {"id": "V0OLD0001", "type": "home", "blocks": []},
        "actions": [{"action_id": "home.old_filter", "type": "button", "value": "x"}],
    }

    response = await clinic.then_wait_for("chat.postMessage", clinic.slack.post_payload(payload))

    assert response.status == 200
    (dm,) = clinic.stub.calls_to("chat.postMessage")
    assert dm.args["channel"] == FRONT_DESK and dm.args["text"].startswith(OLDER_BUTTON)


async def test_a_form_from_an_older_version_is_answered_in_the_form(clinic: Clinic) -> None:
    payload = {
        **envelope(clinic, "view_submission"),
        "view": {
            "id": "V0OLD0002",
            "type": "modal",
            "callback_id": "view.snooze_v1",
            "private_metadata": "",
            "blocks": [],
            "state": {"values": {}},
            "hash": "1.a",
        },
    }

    response = await clinic.slack.post_payload(payload)

    assert response.status == 200 and response.json is not None
    assert response.json["response_action"] == "update"
    assert "This form is from an older version of CareQueue" in str(response.json["view"])


async def test_a_retired_shortcut_and_a_retired_command_are_answered(clinic: Clinic) -> None:
    shortcut = await clinic.then_wait_for(
        "chat.postMessage", clinic.slack.global_shortcut(FRONT_DESK, "shortcut.snooze_v1")
    )
    command = await clinic.slack.slash_command(FRONT_DESK, "/snooze", text="CQ-1001")

    assert shortcut.status == 200
    (dm,) = clinic.stub.calls_to("chat.postMessage")
    assert dm.args["text"].startswith("This shortcut is from an older version of CareQueue")
    assert command.status == 200 and command.json is not None
    assert "does not know this command" in command.json["text"]


async def test_an_event_the_app_does_not_handle_is_acknowledged(clinic: Clinic) -> None:
    response = await clinic.slack.send_event(
        {"type": "reaction_added", "user": FRONT_DESK, "reaction": "eyes"}
    )

    assert response.status == 200


class RecordingAck:
    """What a listener answered Slack (as Bolt's ack records it)."""

    def __init__(self) -> None:
        self.answers: list[dict[str, Any]] = []

    async def __call__(self, **answer: Any) -> None:
        self.answers.append(answer)


async def test_a_known_form_whose_listener_missed_slacks_3_seconds_is_not_called_outdated(
    clinic: Clinic,
) -> None:
    """Bolt gives a listener 3 s to ack and then tries the next listener that matches: on a
    loaded machine a Promise save slower than that reached the catch-all, which told the
    person "this form is from an older version, so nothing was saved" while the save went
    on. A form, button, shortcut or command this version knows is acknowledged plainly;
    only an id it does not know is outdated."""
    deps = clinic.deps.listeners
    late = RecordingAck()
    form = {**envelope(clinic, "view_submission"), "view": {"callback_id": ViewId.PROMISE}}
    await on_outdated_form(late, form, deps)  # type: ignore[arg-type]
    assert late.answers == [{}]  # the modal closes; nothing claims nothing was saved

    old = RecordingAck()
    retired = {**envelope(clinic, "view_submission"), "view": {"callback_id": "view.snooze"}}
    await on_outdated_form(old, retired, deps)  # type: ignore[arg-type]
    [answer] = old.answers
    assert answer["response_action"] == "update"
    assert "older version" in json.dumps(answer["view"].to_dict())

    command = RecordingAck()
    await on_outdated_command(command, {"command": Command.QUEUE}, deps)  # type: ignore[arg-type]
    assert command.answers == [{}]
