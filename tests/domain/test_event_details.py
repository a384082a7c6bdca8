"""Typed event details: every kind of event has one, it survives being stored as JSON, and the
keys it stores are pinned, so a renamed key fails here rather than blanking thread lines."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.domain.event_details import (
    CHANGED,
    CHANGED_BEFORE,
    KINDS,
    AttemptLogged,
    CallerIdentified,
    Claimed,
    Closed,
    Created,
    Details,
    Escalated,
    EscalationAcknowledged,
    EscalationResolved,
    HandedOff,
    LanguageSet,
    MarkedNotClinical,
    Merged,
    Moved,
    NextLevelPaged,
    NoResponse,
    PromiseKept,
    PromiseMade,
    QaReviewed,
    Reassigned,
    RedFlagDismissed,
    Released,
    Reopened,
    RepeatContact,
    Resumed,
    RoleRefused,
    SupervisorReviewRequested,
    Unknown,
    Viewed,
    Waited,
    details_of,
)
from bot.domain.events import Event
from bot.domain.items import Action, Item, Patient

AT = datetime(2026, 11, 23, 15, 54, tzinfo=UTC)
DUE = AT + timedelta(days=1)
LATER = AT + timedelta(days=2, hours=3)

# One example of each kind with every field set (no field at its default).
EXAMPLES: dict[Action, Details] = {
    Action.CREATE: Created(
        lane="language",
        request_type="Reschedule",
        origin="voicemail",
        status="claimed",
        due_at=DUE,
        owner="U2",
        routed_from="scheduling",
        related_key="CQ-1001",
        red_flags=("chest ... pain",),
        kept_for_language="Spanish",
        bilingual_clinicians=("U0NURSE02",),
    ),
    Action.CLAIM: Claimed(owner="U1"),
    Action.RELEASE: Released(),
    Action.REASSIGN: Reassigned(owner="U2"),
    Action.CLOSE: Closed(resolution="appointment booked", told_patient="Booked Tue 9:30"),
    Action.REOPEN: Reopened(owner="U1", due_at=DUE),
    Action.VIEW: Viewed(),
    Action.LOG_ATTEMPT: AttemptLogged(
        attempt=2,
        outcome="left_voicemail",
        identity_verified=True,
        confirmed="DOB and address",
        next_step="Book Tue",
        next_due_at=LATER,
        final="supervisor_review",
        attempts=2,
        due_at=DUE,
    ),
    Action.SUPERVISOR_REVIEW: SupervisorReviewRequested(attempts=3),
    Action.HANDOFF: HandedOff(
        handoff_id=31,
        promise_id=7,
        asked="Refill",
        unresolved="Dose",
        promised="A call back",
        promise_due_at=LATER,
        owner="U2",
        lane="referrals",
    ),
    Action.PROMISE: PromiseMade(promise_id=7, promise_text="Results by Tue", promise_due_at=DUE),
    Action.FULFIL_PROMISE: PromiseKept(promise_id=7),
    Action.WAIT: Waited(waiting_on="Aetna", waiting_for="payer", check_back_at=LATER),
    Action.RESUME: Resumed(waiting_on="Aetna", waiting_for="payer"),
    Action.MOVE: Moved(from_lane="clinical", lane="referrals", not_clinical="Asks for records"),
    Action.REPEAT_CONTACT: RepeatContact(from_key="CQ-1043", repeat_count=2),
    Action.MERGE: Merged(into="CQ-1001", merged="CQ-1043"),
    Action.SET_LANGUAGE: LanguageSet(language="Spanish", also=("CQ-1044", "CQ-1045")),
    Action.IDENTIFY_CALLER: CallerIdentified(filled=("name", "reference"), related_key="CQ-1001"),
    Action.ESCALATE: Escalated(
        escalation_id=7,
        rule="emergency",
        chain=("nurse", "provider_on_call", "manager"),
        paged=("U0NURSE01", "U0NURSE02"),
        ack_due_at=DUE,
        after_hours=True,
    ),
    Action.ACKNOWLEDGE: EscalationAcknowledged(escalation_id=7, rule="emergency"),
    Action.PAGE_NEXT: NextLevelPaged(
        escalation_id=7,
        rule="emergency",
        level=1,
        target="provider_on_call",
        paged=("U0DOC001",),
        ack_due_at=LATER,
        reminded="nurse",
    ),
    Action.NO_RESPONSE: NoResponse(escalation_id=7, rule="emergency"),
    Action.RESOLVE_ESCALATION: EscalationResolved(
        escalation_id=7,
        rule="emergency",
        decision="Sent to the ER",
        patient_told="Go to the ER now",
        appropriate=True,
    ),
    Action.DISMISS_RED_FLAG: RedFlagDismissed(red_flag_dismissed_by="U1"),
    Action.REFUSED: RoleRefused(attempted="view", reason="details_restricted", needed="staff"),
    Action.NOT_CLINICAL: MarkedNotClinical(
        escalation_id=7,
        rule="same_day_symptoms",
        decision="An appointment question",
        patient_told="Scheduling will call",
        appropriate=True,
    ),
    Action.QA_REVIEW: QaReviewed(
        greeting=5,
        empathy=4,
        accuracy=3,
        escalation_handling=2,
        closing=1,
        privacy_ok=False,
        coaching_note="Say your name first",
    ),
}

# The keys each kind's events hold, in `after` and `before`. Events are stored for years and
# exported: a key never changes (as Action values never do), so changing one is a decision
# taken here, not a side effect of a rename.
STORED_KEYS: dict[Action, tuple[set[str], set[str]]] = {
    Action.CREATE: (
        {
            "lane",
            "request_type",
            "origin",
            "status",
            "due_at",
            "owner",
            "routed_from",
            "related_key",
            "red_flags",
            "kept_for_language",
            "bilingual_clinicians",
        },
        set(),
    ),
    Action.CLAIM: ({"owner"}, set()),
    Action.RELEASE: (set(), set()),
    Action.REASSIGN: ({"owner"}, set()),
    Action.CLOSE: ({"resolution", "told_patient"}, set()),
    Action.REOPEN: ({"owner", "due_at"}, set()),
    Action.VIEW: (set(), set()),
    Action.LOG_ATTEMPT: (
        {
            "attempt",
            "outcome",
            "identity_verified",
            "confirmed",
            "next_step",
            "next_due_at",
            "final",
            "attempts",
            "due_at",
        },
        set(),
    ),
    Action.SUPERVISOR_REVIEW: ({"attempts"}, set()),
    Action.HANDOFF: (
        {
            "handoff_id",
            "promise_id",
            "asked",
            "unresolved",
            "promised",
            "promise_due_at",
            "owner",
            "lane",
        },
        set(),
    ),
    Action.PROMISE: ({"promise_id", "promise_text", "promise_due_at"}, set()),
    Action.FULFIL_PROMISE: ({"promise_id"}, set()),
    Action.WAIT: ({"waiting_on", "waiting_for", "check_back_at"}, set()),
    Action.RESUME: (set(), {"waiting_on", "waiting_for"}),
    Action.MOVE: ({"from_lane", "lane", "not_clinical"}, set()),
    Action.REPEAT_CONTACT: ({"from", "repeat_count"}, set()),
    Action.MERGE: ({"into", "merged"}, set()),
    Action.SET_LANGUAGE: ({"language", "also"}, set()),
    # Which patient fields were filled in, never their values.
    Action.IDENTIFY_CALLER: ({"filled", "related_key"}, set()),
    Action.ESCALATE: (
        {"escalation_id", "rule", "chain", "paged", "ack_due_at", "after_hours"},
        set(),
    ),
    Action.ACKNOWLEDGE: ({"escalation_id", "rule"}, set()),
    Action.PAGE_NEXT: (
        {"escalation_id", "rule", "level", "target", "paged", "ack_due_at", "reminded"},
        set(),
    ),
    Action.NO_RESPONSE: ({"escalation_id", "rule"}, set()),
    Action.RESOLVE_ESCALATION: (
        {"escalation_id", "rule", "decision", "patient_told", "appropriate"},
        set(),
    ),
    Action.DISMISS_RED_FLAG: ({"red_flag_dismissed_by"}, set()),
    Action.QA_REVIEW: (
        {
            "greeting",
            "empathy",
            "accuracy",
            "escalation_handling",
            "closing",
            "privacy_ok",
            "coaching_note",
        },
        set(),
    ),
    Action.REFUSED: ({"attempted", "reason", "needed"}, set()),
    Action.NOT_CLINICAL: (
        {"escalation_id", "rule", "decision", "patient_told", "appropriate"},
        set(),
    ),
}


def stored_event(action: Action, details: Details) -> Event:
    """The event as storage gives it back: its JSON written and read again."""
    after, before = details.as_stored()
    return Event(
        item_key="CQ-1042",
        action=action,
        actor="U1",
        at=AT,
        after=json.loads(json.dumps(after)),
        before=json.loads(json.dumps(before)),
    )


@pytest.mark.parametrize("action", list(Action))
def test_every_action_has_its_own_details_type(action: Action) -> None:
    assert action in KINDS, f"{action.value} has no details type in event_details.KINDS"
    assert KINDS[action].action is action


@pytest.mark.parametrize("action", list(Action))
def test_each_example_sets_every_field_of_its_kind(action: Action) -> None:
    example = EXAMPLES[action]
    assert type(example) is KINDS[action]
    for f in dataclasses.fields(example):
        assert getattr(example, f.name) != f.default, f"{action.value}: set {f.name} too"


@pytest.mark.parametrize("action", list(Action))
def test_details_read_back_equal_after_being_stored_as_json(action: Action) -> None:
    details = EXAMPLES[action]
    assert details_of(stored_event(action, details)) == details


@pytest.mark.parametrize("action", list(Action))
def test_the_keys_each_kind_stores_never_change(action: Action) -> None:
    after, before = EXAMPLES[action].as_stored()
    assert (set(after), set(before)) == STORED_KEYS[action]


@pytest.mark.parametrize("action", list(Action))
def test_what_a_use_case_adds_is_plain_json(action: Action) -> None:
    added = EXAMPLES[action].to_after()
    assert json.loads(json.dumps(added)) == added


ITEM_FIELDS = {f.name for f in dataclasses.fields(Item)} | {
    f.name for f in dataclasses.fields(Patient)
}


@pytest.mark.parametrize("kind", list(KINDS.values()), ids=lambda kind: kind.__name__)
def test_a_field_read_from_the_items_change_is_named_as_the_item_field(
    kind: type[Details],
) -> None:
    for f in dataclasses.fields(kind):
        if f.metadata in (CHANGED, CHANGED_BEFORE):
            assert f.name in ITEM_FIELDS, f"{kind.__name__}.{f.name} is no Item field"


def test_a_fresh_event_reads_as_the_same_event_stored() -> None:
    details = EXAMPLES[Action.LOG_ATTEMPT]
    fresh = Event(
        item_key="CQ-1042",
        action=Action.LOG_ATTEMPT,
        actor="U1",
        at=AT,
        after={**details.to_after(), "attempts": 2, "due_at": DUE, "next_due_at": LATER},
    )
    assert details_of(fresh) == details == details_of(stored_event(Action.LOG_ATTEMPT, details))


def test_what_a_use_case_adds_leaves_the_items_own_changes_to_the_change() -> None:
    assert EXAMPLES[Action.CLAIM].to_after() == {}
    assert "due_at" not in EXAMPLES[Action.LOG_ATTEMPT].to_after()
    assert EXAMPLES[Action.REPEAT_CONTACT].to_after() == {"from": "CQ-1043"}


def test_a_merge_stores_only_the_side_it_is_on() -> None:
    assert Merged(into="CQ-1001").to_after() == {"into": "CQ-1001"}
    assert Merged(merged="CQ-1043").to_after() == {"merged": "CQ-1043"}


@pytest.mark.parametrize(
    ("action", "odd"),
    [
        (
            Action.LOG_ATTEMPT,
            {"attempt": "2", "outcome": 3, "identity_verified": "yes", "due_at": "next week"},
        ),
        (Action.HANDOFF, {"handoff_id": -1, "promise_id": True, "owner": 7, "lane": ["x"]}),
        (Action.SET_LANGUAGE, {"also": ["CQ-1", 2], "language": None}),
    ],
)
def test_values_of_the_wrong_shape_read_as_missing(action: Action, odd: dict[str, Any]) -> None:
    event = Event(item_key="CQ-1042", action=action, actor="U1", at=AT, after=odd)
    assert details_of(event) == KINDS[action]()


@pytest.mark.parametrize("action", list(Action))
def test_an_event_that_holds_nothing_reads_as_its_kind_with_nothing_set(action: Action) -> None:
    event = Event(item_key="CQ-1042", action=action, actor="U1", at=AT)
    assert details_of(event) == KINDS[action]()


def test_an_action_this_version_does_not_know_reads_as_unknown() -> None:
    event = Event(item_key="CQ-1042", action="from_the_future", actor="U1", at=AT, after={"x": 1})  # type: ignore[arg-type]
    assert details_of(event) == Unknown()
