"""A captured, validly signed form submission replayed within Slack's five minutes acts
once: the first submission's change and its view id commit together; every replay (the
same payload or another under the same view id) changes nothing and closes the modal as
the first did. A refused submission records nothing, so the form can be submitted again."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any

import pytest
from sqlalchemy import func, select

from blocks.ids import ActionId, FieldId, More, ViewId
from bot.domain.callbacks import Outcome
from bot.domain.items import Action, Status
from bot.services.base import Done, Duplicate, Once
from sandbox.side.wire import SlackResponse
from sandbox.stub.records import StoredMessage
from storage.models import (
    AttemptRow,
    EscalationRow,
    HandoffRow,
    PromiseRow,
    ViewSubmissionRow,
)
from storage.repositories.once import OnceRepository
from tests.scenarios.conftest import ASSISTANT, FRONT_DESK, MANAGER, Clinic
from tests.scenarios.test_escalation import CHEST_PAIN
from tests.scenarios.test_weekly_reports import QA_SCORES, review_clicked

TOMORROW = date(2026, 11, 24)  # the clinic's clock starts Monday 23 November 2026, 9:00 AM
LANE = "scheduling"
NURSE = "U0NURSE01"  # the example practice's first clinical level
RESOLVED = {
    FieldId.DECISION: "Sent to the ER by ambulance",
    FieldId.ESCALATION_TOLD: "Called 911 with her on the line",
    FieldId.APPROPRIATE: "yes",
}


@dataclass(frozen=True)
class Form:
    """A form that changes an item: how it opens from the card, what it is filled in with,
    the event its submission writes and the rows it adds (None: the event alone)."""

    name: str
    opened_by: ActionId | More
    callback_id: ViewId
    values: Mapping[str, Any]
    action: Action
    rows: Any = None
    request: Mapping[str, Any] = field(default_factory=dict)  # the intake fields it needs


FORMS = [
    Form(
        "log call",
        ActionId.LOG_CALL,
        ViewId.ATTEMPT,
        {FieldId.OUTCOME: Outcome.NO_ANSWER},
        Action.LOG_ATTEMPT,
        AttemptRow,
    ),
    Form(
        "handoff",
        ActionId.HANDOFF,
        ViewId.HANDOFF,
        {
            FieldId.ASKED: "Wants Thursday's visit moved to next week",
            FieldId.UNRESOLVED: "Which provider",
            FieldId.NEXT_OWNER: ASSISTANT,
        },
        Action.HANDOFF,
        HandoffRow,
    ),
    Form(
        "promise",
        More.PROMISE,
        ViewId.PROMISE,
        {
            FieldId.PROMISE_TEXT: "A call back with the referral status",
            FieldId.PROMISE_DATE: TOMORROW,
            FieldId.PROMISE_TIME: time(14, 30),
        },
        Action.PROMISE,
        PromiseRow,
    ),
    Form(
        "close",
        ActionId.CLOSE,
        ViewId.CLOSE,
        {
            FieldId.RESOLUTION: "appointment rescheduled",
            FieldId.TOLD_PATIENT: "Moved to Thursday 10:30; confirmation text sent.",
        },
        Action.CLOSE,
    ),
    Form(
        "reassign",
        More.REASSIGN,
        ViewId.REASSIGN,
        {FieldId.REASSIGN_TO: ASSISTANT},
        Action.REASSIGN,
    ),
    Form(
        "waiting on",
        More.WAIT,
        ViewId.WAIT,
        {
            FieldId.WAITING_FOR: "payer",
            FieldId.CHECK_BACK_DATE: TOMORROW,
            FieldId.CHECK_BACK_TIME: time(10),
        },
        Action.WAIT,
    ),
    Form(
        "language",
        More.LANGUAGE,
        ViewId.LANGUAGE,
        {FieldId.LANGUAGE_CHOICE: "Spanish"},
        Action.SET_LANGUAGE,
    ),
    Form(
        "move",
        More.MOVE,
        ViewId.MOVE,
        {FieldId.MOVE_LANE: "referrals"},
        Action.MOVE,
    ),
    Form(
        "escalate",
        More.ESCALATE,
        ViewId.ESCALATE,
        {FieldId.ESCALATION_RULE: "emergency", FieldId.ESCALATION_CONTEXT: "Pain 8/10"},
        Action.ESCALATE,
        EscalationRow,
    ),
    Form(
        "identify caller",
        ActionId.IDENTIFY_CALLER,
        ViewId.IDENTIFY_CALLER,
        {FieldId.CALLER_REF: "MRN-77120", FieldId.CALLER_NAME: "Rosa Delgado"},
        Action.IDENTIFY_CALLER,
        request={
            FieldId.PATIENT_REF: None,
            FieldId.PATIENT_NAME: None,
            FieldId.REQUEST_TYPE: None,
            FieldId.SUMMARY: None,
            FieldId.ORIGIN: "missed_call",
        },
    ),
]


async def claimed_item(clinic: Clinic, request: Mapping[str, Any] | None = None) -> str:
    key = await clinic.log_request(**(request or {}))
    assert isinstance(await clinic.deps.services.claim(item_key=key, actor=FRONT_DESK), Done)
    await clinic.deliver()
    return key


async def open_form(clinic: Clinic, form: Form, key: str) -> dict[str, Any]:
    if isinstance(form.opened_by, More):
        view = await clinic.open_from_menu(FRONT_DESK, key, form.opened_by, LANE)
    else:
        view = await clinic.open_from_card(FRONT_DESK, key, form.opened_by, LANE)
    assert view["callback_id"] == form.callback_id, view["callback_id"]
    return view


def card_edits(clinic: Clinic, card: StoredMessage) -> int:
    return sum(
        c.args.get("channel") == card.channel and c.args.get("ts") == card.ts
        for c in clinic.stub.calls_to("chat.update")
    )


def thread_entries(clinic: Clinic) -> int:
    """Thread entries posted anywhere (a move posts its entry under the item's new card)."""
    return sum(bool(c.args.get("thread_ts")) for c in clinic.stub.calls_to("chat.postMessage"))


async def events(clinic: Clinic, key: str, action: Action) -> int:
    return sum(e.action is action for e in await clinic.deps.services.history(key))


async def count(clinic: Clinic, model: Any) -> int:
    async with clinic.deps.uow.read() as tx:
        return int(await tx.session.scalar(select(func.count()).select_from(model)) or 0)


async def recorded_views(clinic: Clinic, view_id: str) -> int:
    async with clinic.deps.uow.read() as tx:
        statement = select(func.count()).where(ViewSubmissionRow.view_id == view_id)
        return int(await tx.session.scalar(statement) or 0)


async def replay(
    clinic: Clinic, body: str, times: int, then: Callable[[], Awaitable[Any]]
) -> list[SlackResponse]:
    """Post the one signed `body` `times` times, one after another, running `then` after
    each (delivering the outbox, so that every change would edit the card on its own)."""
    headers = clinic.slack.sign(body)  # one signature, valid for Slack's five minutes
    answers = []
    for _ in range(times):
        answers.append(await clinic.slack.post(body, headers=headers, sign=False))
        await clinic.settled()
        await then()
    return answers


@pytest.mark.parametrize("times", [2, 5])
@pytest.mark.parametrize("form", FORMS, ids=[form.name for form in FORMS])
async def test_a_replayed_form_submission_changes_the_item_once(
    clinic: Clinic, form: Form, times: int
) -> None:
    key = await claimed_item(clinic, form.request)
    view = await open_form(clinic, form, key)
    await clinic.deliver()
    card = clinic.card_of(LANE, key)
    edits, entries = card_edits(clinic, card), thread_entries(clinic)
    rows = await count(clinic, form.rows) if form.rows is not None else 0
    body = clinic.captured_submission(FRONT_DESK, view["id"], form.values)

    answers = await replay(clinic, body, times, clinic.deliver)

    # Each answer closes the modal, as the first did: no errors, no error page.
    assert [(a.status, a.json) for a in answers] == [(200, None)] * times, answers
    assert await events(clinic, key, form.action) == 1
    if form.rows is not None:
        assert await count(clinic, form.rows) == rows + 1
    assert await recorded_views(clinic, view["id"]) == 1
    assert card_edits(clinic, card) == edits + 1
    assert thread_entries(clinic) == entries + 1


async def test_a_replay_with_other_answers_under_the_same_view_changes_nothing(
    clinic: Clinic,
) -> None:
    key = await claimed_item(clinic)
    view = await open_form(clinic, FORMS[0], key)
    first = clinic.captured_submission(FRONT_DESK, view["id"], {FieldId.OUTCOME: Outcome.NO_ANSWER})
    other = clinic.captured_submission(FRONT_DESK, view["id"], {FieldId.OUTCOME: Outcome.BUSY})

    answers = [await clinic.slack.post(body) for body in (first, other, other)]
    await clinic.settled()

    assert [(a.status, a.json) for a in answers] == [(200, None)] * 3
    (attempt,) = await clinic.deps.work.attempts(key)
    assert attempt.outcome is Outcome.NO_ANSWER
    assert await events(clinic, key, Action.LOG_ATTEMPT) == 1


@pytest.mark.parametrize("form", FORMS[:4], ids=[form.name for form in FORMS[:4]])
async def test_simultaneous_copies_of_one_submission_change_the_item_once(
    clinic: Clinic, form: Form
) -> None:
    key = await claimed_item(clinic)
    view = await open_form(clinic, form, key)
    body = clinic.captured_submission(FRONT_DESK, view["id"], form.values)
    headers = clinic.slack.sign(body)

    answers = await asyncio.gather(
        *(clinic.slack.post(body, headers=headers, sign=False) for _ in range(5))
    )
    await clinic.settled()

    assert [a.status for a in answers] == [200] * 5
    assert await events(clinic, key, form.action) == 1
    assert await recorded_views(clinic, view["id"]) == 1


async def test_simultaneous_use_cases_given_one_view_commit_one_change(clinic: Clinic) -> None:
    """Past the front check (a read): the use case's own record settles which one acts."""
    key = await claimed_item(clinic)
    once = Once("V0SAMEVIEW1", "hash-1")

    results = await asyncio.gather(
        *(
            clinic.deps.services.close(
                item_key=key,
                actor=FRONT_DESK,
                resolution="appointment rescheduled",
                told_patient="Moved to Thursday 10:30; confirmation text sent.",
                once=once,
            )
            for _ in range(5)
        )
    )

    assert sum(isinstance(r, Done) for r in results) == 1
    assert sum(isinstance(r, Duplicate) for r in results) == 4, results
    assert await events(clinic, key, Action.CLOSE) == 1
    assert await recorded_views(clinic, once.view_id) == 1


async def test_a_copy_that_checked_before_the_first_committed_still_answers_duplicate(
    clinic: Clinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The interleaving CI once caught on PostgreSQL, made certain: copy B finds the view
    unrecorded, copy A then closes the item and commits, B reads the closed item. B is a
    replay (Duplicate, the modal closes as A's did), not "this item is closed"."""
    if clinic.deps.engine.dialect.name == "sqlite":
        pytest.skip("SQLite runs one writing transaction at a time: B's holds A back")
    key = await claimed_item(clinic)
    once = Once("V0SAMEVIEW2", "hash-2")
    checked = OnceRepository.view_submitted
    interleaved: list[bool] = []

    async def check_then_let_the_other_copy_commit(repo: OnceRepository, view_id: str) -> bool:
        answer = await checked(repo, view_id)
        if not interleaved:
            interleaved.append(answer)
            monkeypatch.setattr(OnceRepository, "view_submitted", checked)
            assert isinstance(await close_with(clinic, key, once), Done)  # copy A
        return answer

    monkeypatch.setattr(OnceRepository, "view_submitted", check_then_let_the_other_copy_commit)
    second = await close_with(clinic, key, once)  # copy B

    assert interleaved == [False]
    assert isinstance(second, Duplicate), second
    assert await events(clinic, key, Action.CLOSE) == 1
    assert await recorded_views(clinic, once.view_id) == 1


async def close_with(clinic: Clinic, key: str, once: Once) -> object:
    return await clinic.deps.services.close(
        item_key=key,
        actor=FRONT_DESK,
        resolution="appointment rescheduled",
        told_patient="Moved to Thursday 10:30; confirmation text sent.",
        once=once,
    )


async def test_a_refused_submission_leaves_the_form_free_to_submit_again(clinic: Clinic) -> None:
    key = await claimed_item(clinic)
    view = await open_form(clinic, FORMS[3], key)
    # Released while the form was open: closing now needs a claim first.
    assert isinstance(await clinic.deps.services.release(item_key=key, actor=FRONT_DESK), Done)
    body = clinic.captured_submission(FRONT_DESK, view["id"], FORMS[3].values)

    refused = await clinic.slack.post(body)
    assert refused.json is not None and refused.json["response_action"] == "errors"
    assert await recorded_views(clinic, view["id"]) == 0
    assert isinstance(await clinic.deps.services.claim(item_key=key, actor=FRONT_DESK), Done)
    again = await clinic.slack.post(body)
    await clinic.settled()

    assert (again.status, again.json) == (200, None)
    item = await clinic.deps.services.get(key)
    assert item is not None and item.status is Status.RESOLVED
    assert await recorded_views(clinic, view["id"]) == 1


async def test_a_replayed_escalation_resolution_resolves_once(clinic: Clinic) -> None:
    key = await clinic.log_request(**CHEST_PAIN)
    escalated = await clinic.deps.escalations.escalate(
        item_key=key, actor=FRONT_DESK, rule="emergency"
    )
    assert isinstance(escalated, Done)
    await clinic.deliver()
    page = clinic.stub.messages(NURSE)[0]
    await clinic.then_wait_for(
        "views.update",
        clinic.slack.click_button(NURSE, page.channel, page.ts, ActionId.ESCALATION_RESOLVE),
    )
    view = clinic.stub.open_views(NURSE)[-1]
    assert view["callback_id"] == ViewId.ESCALATION_RESOLVE
    body = clinic.captured_submission(NURSE, view["id"], RESOLVED)

    answers = await replay(clinic, body, 3, clinic.deliver)

    assert [(a.status, a.json) for a in answers] == [(200, None)] * 3
    assert await events(clinic, key, Action.RESOLVE_ESCALATION) == 1
    item = await clinic.deps.services.get(key)
    assert item is not None and item.status is Status.NEW


async def test_a_replayed_qa_review_is_recorded_once(clinic: Clinic) -> None:
    closed, form = await review_clicked(clinic, MANAGER)
    assert form["callback_id"] == ViewId.QA_REVIEW
    body = clinic.captured_submission(MANAGER, form["id"], QA_SCORES)

    answers = await replay(clinic, body, 3, clinic.deliver)

    assert [(a.status, a.json) for a in answers] == [(200, None)] * 3
    assert await events(clinic, closed, Action.QA_REVIEW) == 1
