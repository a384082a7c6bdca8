"""Handoff notes: the next person continues instead of restarting, and the note stays private."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, time
from typing import Any

import pytest

from blocks.ids import ActionId, Command, FieldId, Shortcut, ViewId
from bot.clock import ManualClock
from bot.config import Practice
from bot.domain import sla
from bot.domain.handoff import HandoffNote
from bot.domain.items import Action, Status
from bot.domain.lanes import Privacy
from sandbox.stub.server import SlackStub
from tests.scenarios.conftest import (
    ASSISTANT,
    DEFAULT_REQUEST,
    FRONT_DESK,
    MANAGER,
    Clinic,
    start_clinic,
    stop_clinic,
    with_privacy,
)

TOMORROW = date(2026, 11, 24)  # the clinic's clock starts Monday 23 November 2026, 9:00 AM
ASKED = "Wants Thursday's visit moved to next week"
DEFAULT_SUMMARY = DEFAULT_REQUEST[FieldId.SUMMARY]


async def claimed_item(clinic: Clinic, user: str = FRONT_DESK, **fields: Any) -> str:
    key = await clinic.log_request(**fields)
    result = await clinic.deps.services.claim(item_key=key, actor=user)
    assert not hasattr(result, "code"), result
    await clinic.deliver()
    return key


async def open_handoff(clinic: Clinic, user: str, key: str, lane: str = "scheduling") -> dict:
    """Click the card's Handoff button; return the modal it leaves open."""
    card = clinic.card_of(lane, key)
    await clinic.then_wait_for(
        "views.update",
        clinic.slack.click_button(user, card.channel, card.ts, ActionId.HANDOFF, key),
    )
    return clinic.stub.open_views(user)[-1]


async def hand_off(clinic: Clinic, key: str, user: str = FRONT_DESK, **values: Any) -> Any:
    view = await open_handoff(clinic, user, key)
    assert view["callback_id"] == ViewId.HANDOFF, view["callback_id"]
    return await clinic.slack.submit_view(user, view["id"], values)


async def handoff_events(clinic: Clinic, key: str) -> list[Any]:
    return [e for e in await clinic.deps.services.history(key) if e.action is Action.HANDOFF]


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


# -- to a person -----------------------------------------------------------------------------


async def test_handoff_to_a_person_makes_them_owner_and_keeps_the_note(clinic: Clinic) -> None:
    key = await claimed_item(clinic)
    card = clinic.card_of("scheduling", key)
    entries_before = len(clinic.replies(card))

    response = await hand_off(
        clinic,
        key,
        **{
            FieldId.ASKED: ASKED,
            FieldId.HANDOFF_CONFIRMED: "Identity verified; mornings only",
            FieldId.UNRESOLVED: "Which provider",
            FieldId.PROMISED: "A call back with two options",
            FieldId.PROMISED_DATE: TOMORROW,
            FieldId.PROMISED_TIME: time(15, 0),
            FieldId.NOT_TO_PROMISE: "Dr. Rivera specifically",
            FieldId.NEXT_OWNER: ASSISTANT,
        },
    )
    assert response.status == 200 and "errors" not in (response.json or {}), response.body
    await clinic.deliver()

    item = await clinic.deps.services.get(key)
    assert item is not None and item.owner == ASSISTANT and item.status is Status.CLAIMED
    (event,) = await handoff_events(clinic, key)
    assert event.actor == FRONT_DESK
    stored = await clinic.deps.work.handoff_note(event.after["handoff_id"])
    assert stored is not None
    note, by, _ = stored
    assert (note.asked, note.next_owner, by) == (ASKED, ASSISTANT, FRONT_DESK)
    assert note.not_to_promise == "Dr. Rivera specifically"
    (promise,) = await clinic.deps.work.open_promises(key)
    assert promise.text == "A call back with two options"
    assert promise.due_at == note.promised_by
    assert len(clinic.replies(card)) == entries_before + 1

    (dm,) = clinic.stub.messages(ASSISTANT)
    assert key in dm.text
    for private in ("Jane", "Doe", "201-4477", "MRN-", ASKED, "Rivera", "two options"):
        assert private not in dm.text


async def test_someone_else_cannot_hand_off_my_item(clinic: Clinic) -> None:
    key = await claimed_item(clinic)
    view = await open_handoff(clinic, ASSISTANT, key)
    assert view["callback_id"] == ViewId.STATUS
    assert "Only the owner" in str(view["blocks"])
    item = await clinic.deps.services.get(key)
    assert item is not None and item.owner == FRONT_DESK


# -- to another lane -------------------------------------------------------------------------


async def test_handoff_to_another_lane_moves_the_item_with_a_new_card(clinic: Clinic) -> None:
    key = await claimed_item(clinic)
    response = await hand_off(clinic, key, **{FieldId.NEXT_LANE: "insurance"})
    assert response.status == 200 and "errors" not in (response.json or {}), response.body
    await clinic.deliver()

    item = await clinic.deps.services.get(key)
    assert item is not None
    assert (item.lane, item.owner, item.status) == ("insurance", None, Status.NEW)
    insurance = clinic.practice.lane("insurance")
    (event,) = await handoff_events(clinic, key)
    expected_due = sla.due_at(event.at, insurance.response_target, clinic.practice.calendar)
    assert item.due_at == expected_due

    new_card = clinic.card_of("insurance", key)
    assert ActionId.CLAIM in str(new_card.blocks)
    old_card = clinic.cards("scheduling")[0]
    assert old_card.edited
    assert insurance.name in str(old_card.blocks) or insurance.name in old_card.text
    assert ActionId.HANDOFF not in str(old_card.blocks)


# -- refused in the modal --------------------------------------------------------------------


async def test_a_note_without_what_the_patient_asked_is_refused(clinic: Clinic) -> None:
    key = await claimed_item(clinic)
    response = await hand_off(clinic, key, **{FieldId.ASKED: "", FieldId.NEXT_OWNER: ASSISTANT})
    assert response.json is not None and response.json["response_action"] == "errors"
    assert set(response.json["errors"]) == {FieldId.ASKED}
    assert await handoff_events(clinic, key) == []
    item = await clinic.deps.services.get(key)
    assert item is not None and item.owner == FRONT_DESK


async def test_a_promise_without_a_deadline_is_refused(clinic: Clinic) -> None:
    key = await claimed_item(clinic)
    response = await hand_off(
        clinic, key, **{FieldId.PROMISED: "We'll call by Friday", FieldId.NEXT_OWNER: ASSISTANT}
    )
    assert response.json is not None and response.json["response_action"] == "errors"
    assert set(response.json["errors"]) == {FieldId.PROMISED_DATE}
    assert await handoff_events(clinic, key) == []
    assert await clinic.deps.work.open_promises(key) == []


async def test_a_deadline_that_has_passed_is_refused(clinic: Clinic) -> None:
    key = await claimed_item(clinic)
    response = await hand_off(
        clinic,
        key,
        **{
            FieldId.PROMISED: "A call back",
            FieldId.PROMISED_DATE: date(2026, 11, 23),
            FieldId.PROMISED_TIME: time(8, 0),
            FieldId.NEXT_OWNER: ASSISTANT,
        },
    )
    assert response.json is not None and set(response.json["errors"]) == {FieldId.PROMISED_DATE}
    assert await handoff_events(clinic, key) == []


# -- the message shortcut --------------------------------------------------------------------


async def test_handoff_via_the_message_shortcut_on_the_card(clinic: Clinic) -> None:
    key = await claimed_item(clinic)
    card = clinic.card_of("scheduling", key)
    await clinic.then_wait_for(
        "views.update",
        clinic.slack.message_shortcut(FRONT_DESK, Shortcut.HANDOFF, card.channel, card.ts),
    )
    view = clinic.stub.open_views(FRONT_DESK)[-1]
    assert view["callback_id"] == ViewId.HANDOFF
    assert key in view["title"]["text"]

    response = await clinic.slack.submit_view(
        FRONT_DESK, view["id"], {FieldId.NEXT_OWNER: ASSISTANT}
    )
    assert response.status == 200 and "errors" not in (response.json or {}), response.body
    item = await clinic.deps.services.get(key)
    assert item is not None and item.owner == ASSISTANT
    (event,) = await handoff_events(clinic, key)
    stored = await clinic.deps.work.handoff_note(event.after["handoff_id"])
    assert stored is not None and stored[0].asked == DEFAULT_SUMMARY


async def test_the_shortcut_on_a_message_that_is_not_a_card_says_where_to_use_it(
    clinic: Clinic,
) -> None:
    message = clinic.stub.add_message("#general", "CQ-1001 is done, I think", user=FRONT_DESK)
    await clinic.then_wait_for(
        "views.open",
        clinic.slack.message_shortcut(FRONT_DESK, Shortcut.HANDOFF, "#general", message.ts),
    )
    view = clinic.stub.open_views(FRONT_DESK)[-1]
    assert view["callback_id"] == ViewId.STATUS
    assert "card" in str(view["blocks"])


# -- the note is private ---------------------------------------------------------------------

HOSTILE = {
    FieldId.ASKED: "ASK-7 <!here> wants *bold* results",
    FieldId.HANDOFF_CONFIRMED: "CONF-7 <@U0MANAGER1> confirmed _mornings_",
    FieldId.UNRESOLVED: "UNRES-7 <https://evil.example|portal> ~insurance~",
    FieldId.PROMISED: "PROM-7 <!channel> a call back",
    FieldId.NOT_TO_PROMISE: "NOTP-7 `refill` & <!everyone>",
}
NOTE_MARKERS = ("ASK-7", "CONF-7", "UNRES-7", "PROM-7", "NOTP-7")
MARKUP = ("<!here>", "*bold*", "<@U0MANAGER1>", "_mornings_", "<https://evil", "<!channel>")


@pytest.fixture(params=list(Privacy))
async def private_clinic(
    request: pytest.FixtureRequest,
    database_url: str,
    example_practice: Practice,
    clock: ManualClock,
    stub: SlackStub,
) -> Any:
    practice = with_privacy(example_practice, request.param)
    running, runner = await start_clinic(database_url, practice, clock, stub)
    yield running
    await stop_clinic(running, runner)


def message_writes(stub: SlackStub) -> list[dict[str, Any]]:
    methods = ("chat.postMessage", "chat.update", "chat.postEphemeral")
    return [call.args for method in methods for call in stub.calls_to(method)]


async def test_a_note_is_plain_text_everywhere_and_private_by_default(
    private_clinic: Clinic,
) -> None:
    clinic = private_clinic
    key = await claimed_item(clinic)
    response = await hand_off(
        clinic,
        key,
        **HOSTILE,
        **{
            FieldId.PROMISED_DATE: TOMORROW,
            FieldId.PROMISED_TIME: time(15, 0),
            FieldId.NEXT_OWNER: ASSISTANT,
        },
    )
    assert response.status == 200 and "errors" not in (response.json or {}), response.body
    await clinic.deliver()
    assert clinic.stub.messages(ASSISTANT), "the next owner got no direct message"

    for args in message_writes(clinic.stub):
        notification = str(args.get("text", ""))
        assert not any(marker in notification for marker in NOTE_MARKERS), notification
        for kind, shown in text_objects(args.get("blocks") or []):
            if kind == "mrkdwn":
                assert not any(markup in shown for markup in MARKUP), shown
            if clinic.practice.privacy is Privacy.NONE:
                assert not any(marker in shown for marker in NOTE_MARKERS), shown


async def test_the_view_button_shows_the_whole_note_as_plain_text_and_is_audited(
    clinic: Clinic,
) -> None:
    key = await claimed_item(clinic)
    response = await hand_off(
        clinic,
        key,
        **HOSTILE,
        **{
            FieldId.PROMISED_DATE: TOMORROW,
            FieldId.PROMISED_TIME: time(15, 0),
            FieldId.NEXT_LANE: "insurance",
        },
    )
    assert response.status == 200 and "errors" not in (response.json or {}), response.body
    await clinic.deliver()
    (event,) = await handoff_events(clinic, key)
    value = f"{key}|{event.after['handoff_id']}"
    card = clinic.card_of("insurance", key)
    entry = next(m for m in clinic.replies(card) if value in str(m.blocks))

    await clinic.then_wait_for(
        "views.update",
        clinic.slack.click_button(ASSISTANT, card.channel, entry.ts, ActionId.VIEW_HANDOFF, value),
    )
    view = clinic.stub.open_views(ASSISTANT)[-1]
    assert view["callback_id"] == ViewId.HANDOFF_NOTE
    shown = list(text_objects(view["blocks"]))
    for typed in HOSTILE.values():
        assert any(kind == "plain_text" and typed in text for kind, text in shown), typed
    mrkdwn = " ".join(text for kind, text in shown if kind == "mrkdwn")
    assert "Insurance information" in mrkdwn
    assert not any(markup in mrkdwn for markup in MARKUP)
    views = [
        e
        for e in await clinic.deps.services.history(key)
        if e.action is Action.VIEW and e.actor == ASSISTANT
    ]
    assert len(views) == 1


async def test_cq_handoff_opens_the_form_for_the_key(clinic: Clinic) -> None:
    key = await claimed_item(clinic)
    await clinic.then_wait_for(
        "views.update", clinic.slack.slash_command(FRONT_DESK, Command.CQ, f"handoff {key}")
    )
    view = clinic.stub.open_views(FRONT_DESK)[-1]
    assert view["callback_id"] == ViewId.HANDOFF
    assert json.loads(view["private_metadata"]) == {"key": key}


async def test_the_next_owner_opens_the_note_from_their_direct_message(clinic: Clinic) -> None:
    key = await claimed_item(clinic)
    await hand_off(clinic, key, **{FieldId.ASKED: ASKED, FieldId.NEXT_OWNER: ASSISTANT})
    await clinic.deliver()
    (dm,) = clinic.stub.messages(ASSISTANT)
    await clinic.then_wait_for(
        "views.update",
        clinic.slack.click_button(ASSISTANT, dm.channel, dm.ts, ActionId.VIEW_HANDOFF),
    )
    view = clinic.stub.open_views(ASSISTANT)[-1]
    assert view["callback_id"] == ViewId.HANDOFF_NOTE
    assert ("plain_text", f"What the patient asked:\n{ASKED}") in list(text_objects(view["blocks"]))


async def test_a_handoff_to_yourself_is_refused_and_changes_nothing(clinic: Clinic) -> None:
    key = await claimed_item(clinic)

    response = await hand_off(clinic, key, **{FieldId.ASKED: ASKED, FieldId.NEXT_OWNER: FRONT_DESK})

    assert response.json is not None and response.json["response_action"] == "errors"
    assert "That is who owns it now" in str(response.json["errors"])
    assert await handoff_events(clinic, key) == []
    refused = await clinic.deps.work.handoff(
        item_key=key,
        actor=FRONT_DESK,
        note=HandoffNote(asked=ASKED, next_owner=FRONT_DESK),
    )
    assert "That is who owns it now" in getattr(refused, "text", "")


async def test_a_refusal_under_a_form_input_names_the_owner_readably(clinic: Clinic) -> None:
    key = await claimed_item(clinic)
    view = await open_handoff(clinic, FRONT_DESK, key)
    # Meanwhile the item went to someone else: the form was opened by its owner then.
    await clinic.deps.services.reassign(item_key=key, actor=FRONT_DESK, new_owner=ASSISTANT)

    response = await clinic.slack.submit_view(
        FRONT_DESK, view["id"], {FieldId.ASKED: ASKED, FieldId.NEXT_OWNER: MANAGER}
    )

    assert response.json is not None and response.json["response_action"] == "errors"
    shown = str(response.json["errors"])
    assert "Only the owner (@bo) or a manager can do that." in shown
    assert "<@" not in shown
