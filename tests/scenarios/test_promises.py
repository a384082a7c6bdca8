"""Promises to patients: tracked by their deadline from the card, and marked kept from it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from blocks.ids import ActionId, FieldId, More, ViewId, more_value
from bot.domain.items import Action
from tests.scenarios.conftest import ASSISTANT, FRONT_DESK, Clinic

TOMORROW = date(2026, 11, 24)  # the clinic's clock starts Monday 23 November 2026, 9:00 AM
WORDS = "A call back with the referral status"


async def claimed_item(clinic: Clinic, user: str = FRONT_DESK) -> str:
    key = await clinic.log_request()
    result = await clinic.deps.services.claim(item_key=key, actor=user)
    assert not hasattr(result, "code"), result
    await clinic.deliver()
    return key


async def open_promise_form(clinic: Clinic, user: str, key: str) -> dict[str, Any]:
    """Choose "Promise…" in the card's More menu; return the modal it leaves open."""
    card = clinic.card_of("scheduling", key)
    await clinic.then_wait_for(
        "views.update",
        clinic.slack.select_option(
            user, card.channel, card.ts, ActionId.MORE, more_value(More.PROMISE, key)
        ),
    )
    return clinic.stub.open_views(user)[-1]


async def promise(clinic: Clinic, key: str, user: str = FRONT_DESK, **values: Any) -> Any:
    view = await open_promise_form(clinic, user, key)
    assert view["callback_id"] == ViewId.PROMISE, view["callback_id"]
    return await clinic.slack.submit_view(user, view["id"], values)


async def events(clinic: Clinic, key: str, action: Action) -> list[Any]:
    return [e for e in await clinic.deps.services.history(key) if e.action is action]


async def test_a_promise_is_tracked_with_its_deadline(clinic: Clinic) -> None:
    key = await claimed_item(clinic)
    response = await promise(
        clinic,
        key,
        **{
            FieldId.PROMISE_TEXT: WORDS,
            FieldId.PROMISE_DATE: TOMORROW,
            FieldId.PROMISE_TIME: time(14, 30),
        },
    )
    assert response.status == 200 and "errors" not in (response.json or {}), response.body
    await clinic.deliver()

    (tracked,) = await clinic.deps.work.open_promises(key)
    assert tracked.text == WORDS and tracked.made_by == FRONT_DESK
    assert tracked.due_at == datetime(2026, 11, 24, 19, 30, tzinfo=UTC)  # 2:30 PM in New York
    (event,) = await events(clinic, key, Action.PROMISE)
    assert event.after["promise_id"] == tracked.id
    assert f"{key}|{tracked.id}" in str(clinic.card_of("scheduling", key).blocks)


async def test_a_promise_needs_words_and_a_future_deadline(clinic: Clinic) -> None:
    key = await claimed_item(clinic)
    response = await promise(
        clinic,
        key,
        **{FieldId.PROMISE_DATE: date(2026, 11, 23), FieldId.PROMISE_TIME: time(8, 0)},
    )
    assert response.json is not None and response.json["response_action"] == "errors"
    assert set(response.json["errors"]) == {FieldId.PROMISE_TEXT, FieldId.PROMISE_DATE}
    assert await clinic.deps.work.open_promises(key) == []
    assert await events(clinic, key, Action.PROMISE) == []


async def test_only_the_owner_or_a_manager_is_offered_the_form(clinic: Clinic) -> None:
    key = await claimed_item(clinic)
    view = await open_promise_form(clinic, ASSISTANT, key)
    assert view["callback_id"] == ViewId.STATUS
    assert "Only the owner" in str(view["blocks"])


async def test_promise_kept_marks_it_fulfilled_and_records_the_event(clinic: Clinic) -> None:
    key = await claimed_item(clinic)
    due = datetime(2026, 11, 24, 19, 30, tzinfo=UTC)
    made = await clinic.deps.work.add_promise(
        item_key=key, actor=FRONT_DESK, text=WORDS, due_at=due
    )
    assert not hasattr(made, "code"), made
    await clinic.deliver()
    (tracked,) = await clinic.deps.work.open_promises(key)
    value = f"{key}|{tracked.id}"
    card = clinic.card_of("scheduling", key)

    response = await clinic.slack.click_button(
        FRONT_DESK, card.channel, card.ts, ActionId.FULFIL_PROMISE, value
    )
    assert response.status == 200
    await clinic.deliver()

    assert await clinic.deps.work.open_promises(key) == []
    (event,) = await events(clinic, key, Action.FULFIL_PROMISE)
    assert event.actor == FRONT_DESK and event.after["promise_id"] == tracked.id
    assert ActionId.FULFIL_PROMISE not in str(clinic.card_of("scheduling", key).blocks)
    assert not clinic.stub.ephemerals(FRONT_DESK)


async def test_a_promise_kept_twice_is_kept_once(clinic: Clinic) -> None:
    key = await claimed_item(clinic)
    due = datetime(2026, 11, 24, 19, 30, tzinfo=UTC)
    await clinic.deps.work.add_promise(item_key=key, actor=FRONT_DESK, text=WORDS, due_at=due)
    await clinic.deliver()
    (tracked,) = await clinic.deps.work.open_promises(key)
    value = f"{key}|{tracked.id}"
    card = clinic.card_of("scheduling", key)
    await clinic.slack.click_button(
        FRONT_DESK, card.channel, card.ts, ActionId.FULFIL_PROMISE, value
    )

    # A second click from the same, not yet updated, card.
    await clinic.then_wait_for(
        "chat.postEphemeral",
        clinic.slack.click_button(
            FRONT_DESK, card.channel, card.ts, ActionId.FULFIL_PROMISE, value
        ),
    )
    (told,) = clinic.stub.ephemerals(FRONT_DESK)
    assert "already marked kept" in told.text
    assert len(await events(clinic, key, Action.FULFIL_PROMISE)) == 1


async def test_someone_else_cannot_mark_my_promise_kept(clinic: Clinic) -> None:
    key = await claimed_item(clinic)
    due = datetime(2026, 11, 24, 19, 30, tzinfo=UTC)
    await clinic.deps.work.add_promise(item_key=key, actor=FRONT_DESK, text=WORDS, due_at=due)
    await clinic.deliver()
    (tracked,) = await clinic.deps.work.open_promises(key)
    card = clinic.card_of("scheduling", key)
    await clinic.then_wait_for(
        "chat.postEphemeral",
        clinic.slack.click_button(
            ASSISTANT, card.channel, card.ts, ActionId.FULFIL_PROMISE, f"{key}|{tracked.id}"
        ),
    )
    (told,) = clinic.stub.ephemerals(ASSISTANT)
    assert "Only the owner" in told.text
    assert len(await clinic.deps.work.open_promises(key)) == 1
