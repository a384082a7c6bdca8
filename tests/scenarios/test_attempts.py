"""Logging callback attempts: the modal from the card, notes that say something, the lane's
cadence in business hours, its final step exactly once, and the note one click away."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from blocks.ids import ActionId, Command, FieldId, ViewId
from bot.domain.callbacks import Outcome
from bot.domain.items import Action, Status
from tests.scenarios.conftest import ASSISTANT, FRONT_DESK, MANAGER, Clinic

PHONE = "(555) 201-4477"
CONFIRMED = "Chose Thursday 10:30 with Dr. Rivera; confirmation text sent"
NEXT_STEP = "Mail the intake packet before Thursday"
CLINICAL = {FieldId.LANE: "clinical", FieldId.REQUEST_TYPE: "clinical|medication question"}


def eastern(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in November 2026 in New York (EST, UTC-5), as UTC."""
    return datetime(2026, 11, day, hour + 5, minute, tzinfo=UTC)


async def claimed_item(clinic: Clinic, **fields: str) -> str:
    key = await clinic.log_request(**fields)
    result = await clinic.deps.services.claim(item_key=key, actor=FRONT_DESK)
    assert not hasattr(result, "code"), result
    await clinic.deliver()
    return key


async def open_log_call(
    clinic: Clinic, key: str, user: str = FRONT_DESK, lane: str = "scheduling"
) -> dict[str, Any]:
    """Click Log call on the item's card; return the modal it became."""
    card = clinic.card_of(lane, key)
    await clinic.then_wait_for(
        "views.update",
        clinic.slack.click_button(user, card.channel, card.ts, ActionId.LOG_CALL, key),
    )
    return clinic.stub.open_views(user)[-1]


async def log_call(
    clinic: Clinic,
    key: str,
    values: dict[str, Any],
    user: str = FRONT_DESK,
    lane: str = "scheduling",
) -> dict[str, Any]:
    """Log a call through the card's button and the modal; return the answer to the submit."""
    view = await open_log_call(clinic, key, user, lane)
    assert view["callback_id"] == ViewId.ATTEMPT, view
    response = await clinic.slack.submit_view(user, view["id"], values)
    assert response.status == 200, response.body
    return response.json or {}


async def no_answer(
    clinic: Clinic, key: str, at: datetime | None = None, lane: str = "scheduling"
) -> None:
    """Log an unanswered call at `at` (delivering moves the manual clock past pacing waits)."""
    if at is not None:
        clinic.clock.set(at)
    answer = await log_call(clinic, key, {FieldId.OUTCOME: Outcome.NO_ANSWER}, lane=lane)
    assert "errors" not in answer, answer
    await clinic.deliver()


REACHED = {
    FieldId.OUTCOME: Outcome.REACHED,
    FieldId.IDENTITY: ["verified"],
    FieldId.CONFIRMED: CONFIRMED,
    FieldId.NEXT_STEP: NEXT_STEP,
}


async def test_log_call_opens_a_modal_with_the_phone_window_and_opening_script(
    clinic: Clinic,
) -> None:
    key = await claimed_item(clinic, **{FieldId.CALLBACK_WINDOW: "after 3 PM"})
    view = await open_log_call(clinic, key)

    assert view["callback_id"] == ViewId.ATTEMPT
    assert json.loads(view["private_metadata"]) == {"key": key}
    shown = json.dumps(view["blocks"], ensure_ascii=False)
    assert f"Callback phone: {PHONE}" in shown and "Preferred window: after 3 PM" in shown
    assert "Hello, may I speak with Jane?" in shown
    assert "calling from Riverside Family Medicine about your appointment request" in shown
    history = await clinic.deps.services.history(key)
    assert [e.actor for e in history if e.action is Action.VIEW] == [FRONT_DESK]


async def test_a_spanish_speaking_patient_gets_the_spanish_opening(clinic: Clinic) -> None:
    key = await claimed_item(clinic, **{FieldId.LANGUAGE: "Spanish"})
    item = await clinic.deps.services.get(key)
    assert item is not None and item.lane == "language"  # the example routes by language
    view = await open_log_call(clinic, key, lane=item.lane)
    assert "Hola, ¿podría hablar con Jane?" in json.dumps(view["blocks"], ensure_ascii=False)


async def test_a_reached_call_is_stored_and_the_next_action_points_to_its_note(
    clinic: Clinic,
) -> None:
    key = await claimed_item(clinic)
    answer = await log_call(clinic, key, REACHED)
    assert "errors" not in answer, answer
    assert clinic.stub.open_views(FRONT_DESK) == []

    [attempt] = await clinic.deps.work.attempts(key)
    assert (attempt.number, attempt.outcome, attempt.by) == (1, Outcome.REACHED, FRONT_DESK)
    assert attempt.identity_verified and attempt.confirmed == CONFIRMED
    item = await clinic.deps.services.get(key)
    assert item is not None and item.attempts == 1
    assert item.next_action == "Next step from call 1 (see its note)"
    assert attempt.next_step == NEXT_STEP


async def test_called_patient_is_refused_with_the_hint_and_nothing_is_stored(
    clinic: Clinic,
) -> None:
    key = await claimed_item(clinic)
    answer = await log_call(
        clinic,
        key,
        {
            FieldId.OUTCOME: Outcome.REACHED,
            FieldId.IDENTITY: ["verified"],
            FieldId.CONFIRMED: "called patient",
            FieldId.NEXT_STEP: "lvm",
        },
    )
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {FieldId.CONFIRMED, FieldId.NEXT_STEP}
    assert answer["errors"][FieldId.CONFIRMED].startswith("Say what was confirmed with the patient")
    assert answer["errors"][FieldId.NEXT_STEP].startswith("Say what happens next")
    assert clinic.stub.open_views(FRONT_DESK)[-1]["callback_id"] == ViewId.ATTEMPT

    assert await clinic.deps.work.attempts(key) == []
    item = await clinic.deps.services.get(key)
    assert item is not None and item.attempts == 0
    actions = [e.action for e in await clinic.deps.services.history(key)]
    assert Action.LOG_ATTEMPT not in actions


async def test_a_next_attempt_time_in_the_past_is_refused_under_the_date(clinic: Clinic) -> None:
    key = await claimed_item(clinic)
    answer = await log_call(
        clinic,
        key,
        {
            FieldId.OUTCOME: Outcome.BUSY,
            FieldId.NEXT_DATE: "2026-11-23",
            FieldId.NEXT_TIME: "08:30",
        },
    )
    assert answer == {
        "response_action": "errors",
        "errors": {FieldId.NEXT_DATE: "Choose a time in the future."},
    }


async def test_a_next_attempt_on_thanksgiving_or_sunday_night_says_when_the_practice_opens(
    clinic: Clinic,
) -> None:
    key = await claimed_item(clinic)

    for day, at in (("2026-11-26", "10:00"), ("2026-11-29", "23:00")):
        answer = await log_call(
            clinic,
            key,
            {FieldId.OUTCOME: Outcome.BUSY, FieldId.NEXT_DATE: day, FieldId.NEXT_TIME: at},
        )
        assert answer["response_action"] == "errors"
        assert answer["errors"][FieldId.NEXT_DATE] == (
            "The practice is closed then. Choose a time in opening hours; it opens next"
            " Mon Nov 30, 8:00 AM."
        )
    item = await clinic.deps.services.get(key)
    assert item is not None and item.attempts == 0


async def test_a_chosen_next_attempt_time_wins_over_the_cadence(clinic: Clinic) -> None:
    key = await claimed_item(clinic)
    answer = await log_call(
        clinic,
        key,
        {FieldId.OUTCOME: Outcome.LEFT_VOICEMAIL, FieldId.NEXT_TIME: "15:30"},
    )
    assert "errors" not in answer, answer
    item = await clinic.deps.services.get(key)
    assert item is not None and item.due_at == eastern(23, 15, 30)  # today, 3:30 PM


async def test_three_unanswered_calls_follow_the_cadence_then_close_as_unreachable_once(
    clinic: Clinic,
) -> None:
    key = await claimed_item(clinic)

    await no_answer(clinic, key, eastern(23, 9))  # Monday 9:00
    item = await clinic.deps.services.get(key)
    assert item is not None and item.due_at == eastern(23, 11)  # 2 business hours
    assert item.next_action == "Call again (attempt 2 of 3)"
    assert "Attempt 1 of 3" in str(clinic.card_of("scheduling", key).blocks)

    await no_answer(clinic, key, eastern(23, 11, 5))
    item = await clinic.deps.services.get(key)
    assert item is not None and item.due_at == eastern(24, 8)  # the next business morning
    assert "Attempt 2 of 3" in str(clinic.card_of("scheduling", key).blocks)

    await no_answer(clinic, key, eastern(24, 8, 10))
    item = await clinic.deps.services.get(key)
    assert item is not None and item.status is Status.RESOLVED and item.attempts == 3
    assert item.resolution == "unable to reach patient after 3 attempts"
    assert item.told_patient == "Patient not reached after 3 attempts."
    card = clinic.card_of("scheduling", key)
    assert "unable to reach patient after 3 attempts" in str(card.blocks)
    assert "card.log_call" not in str(card.blocks)

    # Once: a fourth try is refused, and the history closes the item one time.
    await clinic.then_wait_for(
        "views.update", clinic.slack.slash_command(FRONT_DESK, Command.CQ, text=f"log {key}")
    )
    view = clinic.stub.open_views(FRONT_DESK)[-1]
    assert view["callback_id"] == ViewId.STATUS and "already closed" in json.dumps(view["blocks"])
    history = await clinic.deps.services.history(key)
    finals = [e for e in history if e.action is Action.LOG_ATTEMPT and e.after.get("final")]
    assert [e.after["final"] for e in finals] == ["close_unreachable"]
    assert [a.number for a in await clinic.deps.work.attempts(key)] == [1, 2, 3]


async def test_the_two_hour_wait_counts_business_hours_only(clinic: Clinic) -> None:
    key = await claimed_item(clinic)
    await no_answer(clinic, key, eastern(23, 16))  # one business hour left on Monday
    item = await clinic.deps.services.get(key)
    assert item is not None and item.due_at == eastern(24, 9)


async def test_the_wait_before_the_next_morning_skips_the_thanksgiving_holidays(
    clinic: Clinic,
) -> None:
    key = await claimed_item(clinic)
    await no_answer(clinic, key, eastern(25, 10))  # Wednesday before Thanksgiving
    await no_answer(clinic, key, eastern(25, 12, 30))
    item = await clinic.deps.services.get(key)
    assert item is not None and item.due_at == eastern(30, 8)  # Thu, Fri closed; then weekend


async def test_a_clinical_item_gets_one_supervisor_review_even_after_a_fourth_call(
    clinic: Clinic,
) -> None:
    key = await claimed_item(clinic, **CLINICAL)
    for hour in (9, 11, 14):
        await no_answer(clinic, key, eastern(23, hour), lane="clinical")
    item = await clinic.deps.services.get(key)
    assert item is not None and item.status is Status.CLAIMED and item.attempts == 3
    assert item.next_action == "Supervisor review: patient not reached"

    await no_answer(clinic, key, eastern(24, 9), lane="clinical")  # the supervisor asked
    reviews = clinic.stub.messages("#cq-managers")
    assert len(reviews) == 1
    assert key in reviews[0].text and "supervisor review" in reviews[0].text
    for review in reviews:
        shown = review.text + json.dumps(review.blocks)
        assert PHONE not in shown and "Jane" not in shown and "Tuesday" not in shown
    item = await clinic.deps.services.get(key)
    assert item is not None and item.attempts == 4 and item.status is Status.CLAIMED


async def test_at_the_default_privacy_no_entry_or_notification_carries_the_notes_words(
    clinic: Clinic,
) -> None:
    assert clinic.practice.privacy.value == "none"
    key = await claimed_item(clinic)
    answer = await log_call(clinic, key, REACHED)
    assert "errors" not in answer, answer
    await clinic.deliver()

    card = clinic.card_of("scheduling", key)
    [entry] = [m for m in clinic.replies(card) if "Attempt 1" in m.text + str(m.blocks)]
    assert "Reached" in str(entry.blocks) and "identity verified" in str(entry.blocks)
    sent = [
        call.args
        for method in ("chat.postMessage", "chat.update", "chat.postEphemeral")
        for call in clinic.stub.calls_to(method)
    ]
    assert sent
    for args in sent:
        assert CONFIRMED not in str(args.get("text", "")) and NEXT_STEP not in str(args["text"])
    for message in clinic.replies(card):
        shown = message.text + json.dumps(message.blocks, ensure_ascii=False)
        assert CONFIRMED not in shown and NEXT_STEP not in shown and PHONE not in shown


async def test_the_view_button_opens_the_whole_note_and_is_recorded(clinic: Clinic) -> None:
    key = await claimed_item(clinic)
    await log_call(clinic, key, REACHED)
    await clinic.deliver()
    card = clinic.card_of("scheduling", key)
    [entry] = [m for m in clinic.replies(card) if ActionId.VIEW_ATTEMPT in json.dumps(m.blocks)]

    await clinic.then_wait_for(
        "views.update",
        clinic.slack.click_button(
            MANAGER, card.channel, entry.ts, ActionId.VIEW_ATTEMPT, f"{key}|1"
        ),
    )
    view = clinic.stub.open_views(MANAGER)[-1]
    assert view["callback_id"] == ViewId.ATTEMPT_NOTE and not view.get("submit")
    shown = json.dumps(view["blocks"], ensure_ascii=False)
    for fact in ("Reached", "*Identity verified*\\nYes", CONFIRMED, NEXT_STEP, f"<@{FRONT_DESK}>"):
        assert fact in shown
    history = await clinic.deps.services.history(key)
    assert (Action.VIEW, MANAGER) in [(e.action, e.actor) for e in history]


async def test_someone_else_cannot_log_a_call_on_my_item(clinic: Clinic) -> None:
    key = await claimed_item(clinic)
    view = await open_log_call(clinic, key, user=ASSISTANT)
    assert view["callback_id"] == ViewId.STATUS
    assert "Only the owner" in json.dumps(view["blocks"])
    assert PHONE not in json.dumps(view)
    history = await clinic.deps.services.history(key)
    assert Action.VIEW not in [e.action for e in history]


async def test_a_call_logged_after_the_item_changed_hands_is_refused_in_the_modal(
    clinic: Clinic,
) -> None:
    key = await claimed_item(clinic)
    view = await open_log_call(clinic, key)
    await clinic.deps.services.reassign(item_key=key, actor=MANAGER, new_owner=ASSISTANT)
    response = await clinic.slack.submit_view(
        FRONT_DESK, view["id"], {FieldId.OUTCOME: Outcome.NO_ANSWER}
    )
    answer = response.json or {}
    assert answer.get("response_action") == "errors"
    assert "owner" in answer["errors"][FieldId.OUTCOME]
    assert await clinic.deps.work.attempts(key) == []


async def test_log_call_on_an_unclaimed_item_asks_to_claim_it_first(clinic: Clinic) -> None:
    key = await clinic.log_request()
    await clinic.deliver()
    card = clinic.card_of("scheduling", key)
    assert "card.log_call" not in str(card.blocks)
    await clinic.then_wait_for(
        "views.update",
        clinic.slack.slash_command(FRONT_DESK, Command.CQ, text=f"log {key}"),
    )
    view = clinic.stub.open_views(FRONT_DESK)[-1]
    assert view["callback_id"] == ViewId.STATUS and "Claim" in json.dumps(view["blocks"])


async def test_at_the_default_privacy_the_card_does_not_show_the_notes_next_step(
    clinic: Clinic,
) -> None:
    key = await claimed_item(clinic)
    await log_call(clinic, key, REACHED)
    await clinic.deliver()
    card = clinic.card_of("scheduling", key)
    assert NEXT_STEP not in json.dumps(card.blocks)


async def test_the_call_forms_optional_inputs_say_they_are_needed_when_the_patient_was_reached(
    clinic: Clinic,
) -> None:
    key = await claimed_item(clinic)

    view = await open_log_call(clinic, key)

    labels = {b["block_id"]: b["label"]["text"] for b in view["blocks"] if b["type"] == "input"}
    assert labels[FieldId.IDENTITY] == "Identity (needed if you reached the patient)"
    assert labels[FieldId.CONFIRMED] == "What was confirmed (needed if you reached the patient)"
    answer = await clinic.slack.submit_view(FRONT_DESK, view["id"], {FieldId.OUTCOME: "reached"})
    assert answer.json is not None
    assert {FieldId.IDENTITY, FieldId.CONFIRMED} <= set(answer.json["errors"])
