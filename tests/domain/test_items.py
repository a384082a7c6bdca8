"""The item life cycle: who may do what to an item in which state, and why a refusal says no."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.items import (
    ENDS_ESCALATION,
    TRANSITIONS,
    Action,
    Actor,
    Allowed,
    Item,
    Origin,
    Patient,
    Refusal,
    RefusalCode,
    Role,
    Status,
    Who,
    decide,
    reassign_refusal,
)

RECEIVED = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
CLAIMED_AT = RECEIVED + timedelta(minutes=12)

ALICE = Actor("U_ALICE")  # front desk
BOB = Actor("U_BOB")  # front desk
MANAGER = Actor("U_MANAGER", frozenset({Role.STAFF, Role.MANAGER}))
CLINICIAN = Actor("U_NURSE", frozenset({Role.STAFF, Role.CLINICAL}))
EVERYONE = (ALICE, BOB, MANAGER, CLINICIAN)

OPEN_STATUSES_WITH_AN_OWNER = (Status.CLAIMED, Status.WAITING)


def item(
    status: Status = Status.NEW,
    owner: str | None = None,
    *,
    clinical_ack_by: str | None = None,
) -> Item:
    return Item(
        key="CQ-1042",
        lane="refills",
        request_type="Refill request",
        origin=Origin.PHONE_CALL,
        status=status,
        patient=Patient("MRN-20431", "Jane Q. Doe", "(555) 201-4477", "English"),
        summary="Needs a lisinopril refill",
        received_at=RECEIVED,
        due_at=RECEIVED + timedelta(hours=4),
        next_action="Call the patient back",
        owner=owner,
        claimed_at=CLAIMED_AT if owner is not None else None,
        clinical_ack_by=clinical_ack_by,
    )


def refused(decision: Allowed | Refusal) -> Refusal:
    assert isinstance(decision, Refusal), f"expected a refusal, got {decision}"
    return decision


# --- claim -----------------------------------------------------------------------------------


@pytest.mark.parametrize("actor", EVERYONE, ids=lambda a: a.user_id)
def test_anyone_may_claim_a_new_item(actor: Actor) -> None:
    assert decide(item(Status.NEW), Action.CLAIM, actor) == Allowed(Status.CLAIMED)


def test_second_claim_is_refused_with_current_owner_and_since_when() -> None:
    refusal = refused(decide(item(Status.CLAIMED, ALICE.user_id), Action.CLAIM, BOB))

    assert refusal.code is RefusalCode.ALREADY_OWNED
    assert refusal.owner == ALICE.user_id
    assert refusal.since == CLAIMED_AT
    assert (refusal.item_key, refusal.action, refusal.status) == (
        "CQ-1042",
        Action.CLAIM,
        Status.CLAIMED,
    )


def test_a_manager_cannot_claim_an_item_someone_already_owns() -> None:
    refusal = refused(decide(item(Status.WAITING, ALICE.user_id), Action.CLAIM, MANAGER))
    assert refusal.code is RefusalCode.ALREADY_OWNED


def test_claiming_an_unowned_escalated_item_is_not_allowed_in_that_state() -> None:
    refusal = refused(decide(item(Status.ESCALATED), Action.CLAIM, CLINICIAN))
    assert refusal.code is RefusalCode.NOT_ALLOWED_IN_STATE
    assert refusal.status is Status.ESCALATED


def test_claiming_a_resolved_item_says_it_is_already_closed() -> None:
    refusal = refused(decide(item(Status.RESOLVED, ALICE.user_id), Action.CLAIM, BOB))
    assert refusal.code is RefusalCode.ALREADY_CLOSED


# --- release ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", OPEN_STATUSES_WITH_AN_OWNER)
@pytest.mark.parametrize(
    ("actor", "may"),
    [(ALICE, True), (MANAGER, True), (BOB, False), (CLINICIAN, False)],
    ids=["owner", "manager", "other-staff", "other-clinician"],
)
def test_only_owner_or_manager_may_release(status: Status, actor: Actor, may: bool) -> None:
    decision = decide(item(status, ALICE.user_id), Action.RELEASE, actor)

    if may:
        assert decision == Allowed(Status.NEW)
    else:
        refusal = refused(decision)
        assert refusal.code is RefusalCode.NOT_OWNER
        assert (refusal.owner, refusal.since) == (ALICE.user_id, CLAIMED_AT)


def test_releasing_a_new_item_is_not_allowed_in_that_state() -> None:
    refusal = refused(decide(item(Status.NEW), Action.RELEASE, MANAGER))
    assert refusal.code is RefusalCode.NOT_ALLOWED_IN_STATE
    assert (refusal.action, refusal.status) == (Action.RELEASE, Status.NEW)


# --- reassign --------------------------------------------------------------------------------


def test_manager_may_assign_a_new_item() -> None:
    assert decide(item(Status.NEW), Action.REASSIGN, MANAGER) == Allowed(Status.CLAIMED)


@pytest.mark.parametrize("actor", [ALICE, CLINICIAN], ids=lambda a: a.user_id)
def test_staff_may_not_assign_a_new_item(actor: Actor) -> None:
    refusal = refused(decide(item(Status.NEW), Action.REASSIGN, actor))
    assert refusal.code is RefusalCode.NOT_OWNER
    assert refusal.owner is None


@pytest.mark.parametrize("status", OPEN_STATUSES_WITH_AN_OWNER)
@pytest.mark.parametrize("actor", [ALICE, MANAGER], ids=["owner", "manager"])
def test_owner_or_manager_may_hand_an_item_on_without_changing_its_status(
    status: Status, actor: Actor
) -> None:
    assert decide(item(status, ALICE.user_id), Action.REASSIGN, actor) == Allowed(status)


def test_staff_may_not_hand_on_someone_elses_item() -> None:
    refusal = refused(decide(item(Status.CLAIMED, ALICE.user_id), Action.REASSIGN, BOB))
    assert refusal.code is RefusalCode.NOT_OWNER
    assert refusal.owner == ALICE.user_id


def test_reassigning_to_current_owner_is_refused() -> None:
    refusal = reassign_refusal(item(Status.CLAIMED, ALICE.user_id), ALICE.user_id)

    assert refusal == Refusal(RefusalCode.SAME_OWNER, item_key="CQ-1042", owner=ALICE.user_id)


def test_reassigning_to_someone_else_is_not_refused() -> None:
    assert reassign_refusal(item(Status.CLAIMED, ALICE.user_id), BOB.user_id) is None


def test_assigning_an_unowned_item_is_not_refused() -> None:
    assert reassign_refusal(item(Status.NEW), BOB.user_id) is None


def test_an_escalated_item_is_reassigned_by_nobody_not_even_a_manager() -> None:
    # Clinical hands: while escalated, only the clinical team's answer moves it on.
    for owner in (None, ALICE.user_id):
        for actor in (ALICE, MANAGER):
            assert refused(decide(item(Status.ESCALATED, owner), Action.REASSIGN, actor))


# --- close -----------------------------------------------------------------------------------


@pytest.mark.parametrize("actor", [ALICE, CLINICIAN], ids=lambda a: a.user_id)
def test_closing_an_unclaimed_item_asks_to_claim_first(actor: Actor) -> None:
    refusal = refused(decide(item(Status.NEW), Action.CLOSE, actor))
    assert refusal.code is RefusalCode.NEEDS_CLAIM
    assert refusal.item_key == "CQ-1042"


def test_manager_may_close_a_new_item_without_claiming_it() -> None:
    assert decide(item(Status.NEW), Action.CLOSE, MANAGER) == Allowed(Status.RESOLVED)


@pytest.mark.parametrize("status", OPEN_STATUSES_WITH_AN_OWNER)
@pytest.mark.parametrize("actor", [ALICE, MANAGER], ids=["owner", "manager"])
def test_owner_or_manager_may_close_an_owned_item(status: Status, actor: Actor) -> None:
    assert decide(item(status, ALICE.user_id), Action.CLOSE, actor) == Allowed(Status.RESOLVED)


@pytest.mark.parametrize("actor", [BOB, CLINICIAN], ids=lambda a: a.user_id)
def test_nobody_else_may_close_someone_elses_item(actor: Actor) -> None:
    refusal = refused(decide(item(Status.CLAIMED, ALICE.user_id), Action.CLOSE, actor))
    assert refusal.code is RefusalCode.NOT_OWNER
    assert (refusal.owner, refusal.since) == (ALICE.user_id, CLAIMED_AT)


def test_front_desk_cannot_close_clinical_item_without_clinical_ack() -> None:
    decision = decide(item(Status.CLAIMED, ALICE.user_id), Action.CLOSE, ALICE, clinical_lane=True)

    refusal = refused(decision)
    assert refusal.code is RefusalCode.NEEDS_CLINICAL_ACK
    assert refusal.item_key == "CQ-1042"


def test_a_manager_who_is_not_clinical_cannot_close_clinical_item_without_clinical_ack() -> None:
    decision = decide(item(Status.NEW), Action.CLOSE, MANAGER, clinical_lane=True)
    assert refused(decision).code is RefusalCode.NEEDS_CLINICAL_ACK


def test_clinician_may_close_clinical_item() -> None:
    owned = item(Status.CLAIMED, CLINICIAN.user_id)
    escalated = item(Status.ESCALATED, ALICE.user_id)

    assert decide(owned, Action.CLOSE, CLINICIAN, clinical_lane=True) == Allowed(Status.RESOLVED)
    assert decide(escalated, Action.CLOSE, CLINICIAN, clinical_lane=True) == Allowed(
        Status.RESOLVED
    )


def test_acknowledged_clinical_item_may_be_closed_by_its_owner() -> None:
    acked = item(Status.CLAIMED, ALICE.user_id, clinical_ack_by=CLINICIAN.user_id)
    assert decide(acked, Action.CLOSE, ALICE, clinical_lane=True) == Allowed(Status.RESOLVED)


def test_clinical_ack_is_not_needed_outside_clinical_lanes() -> None:
    decision = decide(item(Status.CLAIMED, ALICE.user_id), Action.CLOSE, ALICE)
    assert decision == Allowed(Status.RESOLVED)


def test_escalated_item_owner_who_is_not_clinical_may_not_close_it() -> None:
    refusal = refused(decide(item(Status.ESCALATED, ALICE.user_id), Action.CLOSE, ALICE))
    assert refusal.code is RefusalCode.UNDER_ESCALATION


@pytest.mark.parametrize("action", [Action.CLOSE, Action.MOVE, Action.MERGE, Action.LOG_ATTEMPT])
@pytest.mark.parametrize("actor", [ALICE, MANAGER], ids=lambda a: a.user_id)
def test_while_escalated_no_one_but_a_clinician_closes_moves_merges_or_logs_calls(
    action: Action, actor: Actor
) -> None:
    refusal = refused(decide(item(Status.ESCALATED, ALICE.user_id), action, actor))
    assert refusal.code is RefusalCode.UNDER_ESCALATION


def test_anyone_may_escalate_an_open_item() -> None:
    for status in (Status.NEW, Status.CLAIMED, Status.WAITING):
        assert decide(item(status, ALICE.user_id), Action.ESCALATE, BOB) == Allowed(
            Status.ESCALATED
        )
    assert refused(decide(item(Status.RESOLVED), Action.ESCALATE, BOB))


def test_ending_an_escalation_gives_the_item_back_to_its_owner_or_the_lane() -> None:
    owned, unowned = item(Status.ESCALATED, ALICE.user_id), item(Status.ESCALATED)
    for action in (Action.RESOLVE_ESCALATION, Action.NOT_CLINICAL):
        assert decide(owned, action, CLINICIAN) == Allowed(Status.CLAIMED)
        assert decide(unowned, action, CLINICIAN) == Allowed(Status.NEW)


# --- resolved and reopen ---------------------------------------------------------------------


@pytest.mark.parametrize("actor", EVERYONE, ids=lambda a: a.user_id)
def test_resolved_item_can_only_be_reopened_or_reviewed_by_a_manager(actor: Actor) -> None:
    resolved = item(Status.RESOLVED, ALICE.user_id)

    for action in Action:
        decision = decide(resolved, action, actor, clinical_lane=True)
        if action is Action.REOPEN:
            assert decision == Allowed(Status.CLAIMED)
        elif action is Action.QA_REVIEW and Role.MANAGER in actor.roles:
            assert decision == Allowed(Status.RESOLVED)  # a QA score changes nothing
        else:
            assert isinstance(decision, Refusal), action


@pytest.mark.parametrize(
    "action",
    [a for a in Action if a not in (Action.REOPEN, Action.CLAIM, Action.QA_REVIEW)],
    ids=str,
)
def test_acting_on_a_resolved_item_says_it_is_already_closed(action: Action) -> None:
    refusal = refused(decide(item(Status.RESOLVED, ALICE.user_id), action, ALICE))
    assert refusal.code is RefusalCode.ALREADY_CLOSED
    assert (refusal.action, refusal.status) == (action, Status.RESOLVED)


def test_claiming_a_resolved_item_nobody_owned_says_it_is_already_closed() -> None:
    refusal = refused(decide(item(Status.RESOLVED), Action.CLAIM, ALICE))
    assert refusal.code is RefusalCode.ALREADY_CLOSED


@pytest.mark.parametrize("status", [s for s in Status if s.is_open], ids=str)
def test_an_open_item_cannot_be_reopened(status: Status) -> None:
    refusal = refused(decide(item(status, ALICE.user_id), Action.REOPEN, MANAGER))
    assert refusal.code is RefusalCode.NOT_ALLOWED_IN_STATE


def test_only_resolved_counts_as_closed() -> None:
    assert [s for s in Status if not s.is_open] == [Status.RESOLVED]


def test_an_actor_is_front_desk_staff_unless_given_more_roles() -> None:
    assert (ALICE.roles, ALICE.is_manager, ALICE.is_clinical) == (
        frozenset({Role.STAFF}),
        False,
        False,
    )
    assert MANAGER.is_manager and not MANAGER.is_clinical
    assert CLINICIAN.is_clinical and not CLINICIAN.is_manager


# --- initials --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "initials"),
    [
        ("Jane Q. Doe", "J.Q.D."),
        ("jane doe", "J.D."),
        ("<!channel> Zelda Quimby", "Z.Q."),
        ("Mary-Jane Watson", "M.W."),
        ("Anne-Marie O'Neil-Smith", "A.O."),
        ("Doe, Jane", "D.J."),
        ("Doe,Jane", "D.J."),
        ("Maria del Carmen Lopez Garcia", "M.D.C."),
        ("Élodie Ünal", "É.Ü."),
        ("  ", ""),
        ("@here 123", ""),
    ],
)
def test_initials_take_the_first_letter_of_up_to_three_names(name: str, initials: str) -> None:
    assert Patient("MRN-1", name, "", "English").initials == initials


def test_slack_mention_in_a_name_does_not_reach_the_initials() -> None:
    initials = Patient("MRN-1", "<!channel> Zelda Quimby", "", "English").initials
    assert "<" not in initials
    assert "!" not in initials


@given(st.text(max_size=60))
def test_initials_are_at_most_three_letters_each_followed_by_a_dot(name: str) -> None:
    initials = Patient("MRN-1", name, "", "English").initials

    letters = initials.split(".")
    assert letters[-1] == ""
    assert len(letters) - 1 <= 3
    assert all(letter and letter[0].isalpha() for letter in letters[:-1])
    assert not set(initials) & set("<>&@!|*_~`")


# --- properties over the whole table ---------------------------------------------------------

USER_IDS = st.sampled_from(["U_ALICE", "U_BOB", "U_MANAGER", "U_NURSE", "W_GUEST"])
ROLE_SETS = st.frozensets(st.sampled_from(Role))


ALL_PAIRS = [(status, action) for status in Status for action in Action]
MISSING_PAIRS = [pair for pair in ALL_PAIRS if pair not in TRANSITIONS]


@st.composite
def decisions(
    draw: st.DrawFn, pairs: list[tuple[Status, Action]] = ALL_PAIRS
) -> tuple[Item, Action, Actor, bool]:
    """Any status and action, anyone, owning the item or not, in any kind of lane."""
    status, action = draw(st.sampled_from(pairs))
    actor = Actor(draw(USER_IDS), draw(ROLE_SETS))
    owner = draw(st.sampled_from([None, actor.user_id, "U_SOMEONE_ELSE"]))
    ack = draw(st.sampled_from([None, "U_NURSE"]))
    return item(status, owner, clinical_ack_by=ack), action, actor, draw(st.booleans())


@given(decisions())
def test_every_decision_is_the_tables_target_or_a_reasoned_refusal(
    case: tuple[Item, Action, Actor, bool],
) -> None:
    subject, action, actor, clinical_lane = case

    decision = decide(subject, action, actor, clinical_lane=clinical_lane)

    if isinstance(decision, Allowed) and action in ENDS_ESCALATION and subject.owner is None:
        assert decision.to is Status.NEW  # nobody owned it: back to the lane
    elif isinstance(decision, Allowed):
        assert decision.to == TRANSITIONS[(subject.status, action)].to
    else:
        assert isinstance(decision, Refusal)
        assert decision.code in RefusalCode
        assert decision.item_key == subject.key
        assert (decision.action, decision.status) == (action, subject.status)


@given(decisions(MISSING_PAIRS))
def test_a_pair_missing_from_the_table_is_refused_whoever_acts(
    case: tuple[Item, Action, Actor, bool],
) -> None:
    subject, action, actor, clinical_lane = case

    assert isinstance(decide(subject, action, actor, clinical_lane=clinical_lane), Refusal)


@given(decisions())
def test_staff_with_no_relation_to_an_item_may_only_do_what_anyone_may(
    case: tuple[Item, Action, Actor, bool],
) -> None:
    subject, action, _, clinical_lane = case
    stranger = Actor("U_STRANGER", frozenset({Role.STAFF}))

    decision = decide(subject, action, stranger, clinical_lane=clinical_lane)

    rule = TRANSITIONS.get((subject.status, action))
    open_to_anyone = rule is not None and Who.ANYONE in rule.who
    assert isinstance(decision, Allowed) == open_to_anyone


@given(decisions())
def test_in_a_clinical_lane_only_a_clinician_closes_an_unacknowledged_item(
    case: tuple[Item, Action, Actor, bool],
) -> None:
    subject, _, actor, _ = case
    unacknowledged = replace(subject, clinical_ack_by=None)

    decision = decide(unacknowledged, Action.CLOSE, actor, clinical_lane=True)

    if isinstance(decision, Allowed):
        assert actor.is_clinical


# --- random walks through the life cycle -----------------------------------------------------

PEOPLE = (
    ALICE,
    BOB,
    MANAGER,
    CLINICIAN,
    Actor("U_LEAD_NURSE", frozenset({Role.STAFF, Role.MANAGER, Role.CLINICAL})),
)
STEPS = st.lists(
    st.tuples(st.sampled_from(Action), st.sampled_from(PEOPLE), st.sampled_from(PEOPLE)),
    max_size=25,
)


def apply(subject: Item, action: Action, actor: Actor, to: Status, assignee: Actor) -> Item:
    """What the service writes for each allowed action (see bot.services.items)."""
    if action in (Action.CLAIM, Action.REOPEN):
        return replace(subject, status=to, owner=actor.user_id, claimed_at=CLAIMED_AT)
    if action is Action.RELEASE:
        return replace(subject, status=to, owner=None, claimed_at=None)
    if action is Action.REASSIGN:
        return replace(subject, status=to, owner=assignee.user_id, claimed_at=CLAIMED_AT)
    if action is Action.CLOSE:
        return replace(subject, status=to, closed_by=actor.user_id)
    if action is Action.MOVE:
        return replace(subject, status=to, owner=None, claimed_at=None)
    if action is Action.MERGE:
        return replace(subject, status=to, merged_into="CQ-1")
    if action in KEEPS_OWNER:
        return replace(subject, status=to)
    if action in ESCALATION_ACTIONS:
        return replace(subject, status=to)
    raise AssertionError(f"{action} was allowed but has no effect to simulate")


# Working an item changes what is known about it, never who owns it.
KEEPS_OWNER = frozenset(
    {
        Action.LOG_ATTEMPT,
        Action.SUPERVISOR_REVIEW,
        Action.HANDOFF,
        Action.PROMISE,
        Action.FULFIL_PROMISE,
        Action.WAIT,
        Action.RESUME,
        Action.REPEAT_CONTACT,
        Action.SET_LANGUAGE,
        Action.IDENTIFY_CALLER,
        Action.DISMISS_RED_FLAG,
        Action.QA_REVIEW,  # a manager scores a closed item: nothing about it changes
    }
)
# Escalating and answering it never change who owns the item.
ESCALATION_ACTIONS = frozenset(
    {
        Action.ESCALATE,
        Action.ACKNOWLEDGE,
        Action.PAGE_NEXT,
        Action.NO_RESPONSE,
        Action.RESOLVE_ESCALATION,
        Action.NOT_CLINICAL,
    }
)


@given(steps=STEPS, clinical_lane=st.booleans())
def test_any_sequence_of_allowed_actions_keeps_ownership_consistent(
    steps: list[tuple[Action, Actor, Actor]], clinical_lane: bool
) -> None:
    current = item(Status.NEW)

    for action, actor, assignee in steps:
        decision = decide(current, action, actor, clinical_lane=clinical_lane)
        if isinstance(decision, Refusal):
            continue
        if action is Action.REASSIGN and reassign_refusal(current, assignee.user_id):
            continue
        before = current
        current = apply(current, action, actor, decision.to, assignee)

        if current.status is Status.NEW:
            assert current.owner is None
        elif current.status is Status.ESCALATED:
            pass  # escalated with or without an owner; it goes back to either
        elif current.status.is_open:
            assert current.owner is not None, f"{current.status} item without an owner"
        if action is Action.CLOSE and before.status is Status.NEW:
            assert actor.is_manager, "only a manager closes an item nobody claimed"
        if action is Action.CLOSE and clinical_lane:
            assert actor.is_clinical, "an unacknowledged clinical item closed by a non-clinician"
        if action is Action.CLOSE and before.status is Status.ESCALATED:
            assert actor.is_clinical, "an escalated item closed by someone not clinical"
        elif before.status.is_open and current.status is Status.RESOLVED and not current.owner:
            # This step closed it (a QA review of a closed item changes nothing of it).
            assert before.status is Status.NEW
            assert actor.is_manager or action is Action.MERGE


def test_closing_an_unowned_escalated_item_does_not_advise_claiming() -> None:
    refusal = refused(decide(item(Status.ESCALATED), Action.CLOSE, BOB))
    assert refusal.code is not RefusalCode.NEEDS_CLAIM
