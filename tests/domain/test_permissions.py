"""Who may do what by role: every action for every kind of person, on a clinical and a
non-clinical item, and the role a refusal names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.items import Action, Actor, Item, Origin, Patient, RefusalCode, Role, Status
from bot.domain.permissions import PERMISSIONS, Permitted, Refused, check, may

RECEIVED = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
LANE = "scheduling"


def _actor(user: str, *roles: Role, lanes: tuple[str, ...] | None = None) -> Actor:
    return Actor(user, frozenset(roles), None if lanes is None else frozenset(lanes))


# One of each kind of person the practice file can make (and two relations to the item).
PEOPLE: dict[str, Actor] = {
    "staff_in_lane": _actor("U_STAFF", Role.STAFF, lanes=(LANE,)),
    "staff_of_every_lane": _actor("U_ALL", Role.STAFF),
    "staff_elsewhere": _actor("U_BILLING", Role.STAFF, lanes=("billing",)),
    "assistant_in_lane": _actor("U_VA", Role.ASSISTANT, lanes=(LANE,)),
    "assistant_elsewhere": _actor("U_VA2", Role.ASSISTANT, lanes=("billing",)),
    "manager": _actor("U_MANAGER", Role.MANAGER),
    "clinician": _actor("U_NURSE", Role.CLINICAL),
    "no_role": _actor("U_GUEST"),
    "owner_without_role": _actor("U_OWNER"),
    "system": _actor("UCAREQUEUE", Role.SYSTEM),
}

# What each action needs: the spec this table test holds bot/domain/permissions.py to.
SPEC: dict[Action, str] = {
    Action.CREATE: "anyone",
    Action.ESCALATE: "anyone",
    Action.CLAIM: "work",
    Action.RELEASE: "work",
    Action.REASSIGN: "work",
    Action.REOPEN: "work",
    Action.LOG_ATTEMPT: "work",
    Action.HANDOFF: "work",
    Action.PROMISE: "work",
    Action.FULFIL_PROMISE: "work",
    Action.WAIT: "work",
    Action.RESUME: "work",
    Action.MOVE: "work",
    Action.MERGE: "work",
    Action.SET_LANGUAGE: "work",
    Action.IDENTIFY_CALLER: "work",
    Action.DISMISS_RED_FLAG: "work",
    Action.CLOSE: "close",
    Action.VIEW: "details",
    Action.ACKNOWLEDGE: "answer",
    Action.RESOLVE_ESCALATION: "answer",
    Action.NOT_CLINICAL: "answer",
    Action.SUPERVISOR_REVIEW: "system",
    Action.REPEAT_CONTACT: "system",
    Action.PAGE_NEXT: "system",
    Action.NO_RESPONSE: "system",
    Action.QA_REVIEW: "manage",
    Action.REFUSED: "system",
}

OK = None
NO_ROLE, NOT_IN_LANE = RefusalCode.NO_ROLE, RefusalCode.NOT_IN_LANE
ASSISTANT, DETAILS = RefusalCode.ASSISTANT_CLINICAL, RefusalCode.DETAILS_RESTRICTED
SYSTEM, MANAGER_ONLY = RefusalCode.SYSTEM_ONLY, RefusalCode.MANAGER_ONLY

# Who may work an item: (outcome on a non-clinical item, outcome on a clinical item).
WORK: dict[str, tuple[RefusalCode | None, RefusalCode | None]] = {
    "staff_in_lane": (OK, OK),
    "staff_of_every_lane": (OK, OK),
    "staff_elsewhere": (NOT_IN_LANE, NOT_IN_LANE),
    "assistant_in_lane": (OK, OK),
    "assistant_elsewhere": (NOT_IN_LANE, NOT_IN_LANE),
    "manager": (OK, OK),
    "clinician": (NOT_IN_LANE, OK),
    "no_role": (NO_ROLE, NO_ROLE),
    "owner_without_role": (OK, OK),
    "system": (OK, OK),
}

# (kind of grant, person) -> (outcome on a non-clinical item, outcome on a clinical item).
EXPECTED: dict[str, dict[str, tuple[RefusalCode | None, RefusalCode | None]]] = {
    "anyone": {person: (OK, OK) for person in PEOPLE},
    "system": {**{person: (SYSTEM, SYSTEM) for person in PEOPLE}, "system": (OK, OK)},
    "work": WORK,
    # Closing: as working, but an assistant never closes a clinical item.
    "close": {**WORK, "assistant_in_lane": (OK, ASSISTANT)},
    # Details: as working, but refused with the details' own reason, even with no role.
    "details": {
        person: tuple(OK if code is OK else DETAILS for code in outcomes)  # type: ignore[misc]
        for person, outcomes in WORK.items()
    },
    "answer": {**{person: (OK, OK) for person in PEOPLE}, "no_role": (NO_ROLE, NO_ROLE)},
    "manage": {
        **{person: (MANAGER_ONLY, MANAGER_ONLY) for person in PEOPLE},
        "manager": (OK, OK),
        "system": (OK, OK),
        "no_role": (NO_ROLE, NO_ROLE),
    },
}

NEEDED = {
    NO_ROLE: Role.STAFF,
    NOT_IN_LANE: Role.STAFF,
    ASSISTANT: Role.CLINICAL,
    DETAILS: Role.STAFF,
    SYSTEM: Role.SYSTEM,
    MANAGER_ONLY: Role.MANAGER,
}


def an_item(owner: str | None = "U_OWNER", status: Status = Status.CLAIMED) -> Item:
    return Item(
        key="CQ-1042",
        lane=LANE,
        request_type="Reschedule",
        origin=Origin.VOICEMAIL,
        status=status,
        patient=Patient("MRN-20431", "Jane Q. Doe", "(555) 201-4477", "English"),
        summary="Move Tuesday's visit",
        received_at=RECEIVED,
        due_at=RECEIVED + timedelta(hours=4),
        next_action="Call the patient back",
        owner=owner,
    )


def test_the_table_names_every_action() -> None:
    assert set(PERMISSIONS) == set(Action)
    assert set(SPEC) == set(Action)


@pytest.mark.parametrize("clinical", [False, True], ids=["non_clinical", "clinical"])
@pytest.mark.parametrize("person", list(PEOPLE))
@pytest.mark.parametrize("action", list(Action))
def test_every_action_for_every_role(action: Action, person: str, clinical: bool) -> None:
    expected = EXPECTED[SPEC[action]][person][int(clinical)]

    decided = may(PEOPLE[person], action, an_item(), clinical=clinical)

    if expected is None:
        assert decided == Permitted()
    elif expected is NO_ROLE and SPEC[action] == "manage":
        # Someone with no role is told the role that would do: a manager's, not staff's.
        assert decided == Refused(NO_ROLE, Role.MANAGER)
    else:
        assert decided == Refused(expected, NEEDED[expected])


def test_a_refusal_names_the_role_the_lane_and_whether_the_item_is_clinical() -> None:
    refusal = check(PEOPLE["staff_elsewhere"], Action.CLAIM, an_item(owner=None), clinical=True)

    assert refusal is not None
    assert refusal.code is RefusalCode.NOT_IN_LANE
    assert (refusal.needed, refusal.lane, refusal.clinical) == (Role.STAFF, LANE, True)
    assert (refusal.item_key, refusal.action) == ("CQ-1042", Action.CLAIM)


def test_whoever_an_open_escalation_paged_sees_the_details() -> None:
    records_team = PEOPLE["staff_elsewhere"]

    assert may(records_team, Action.VIEW, an_item(), clinical=False, paged=True) == Permitted()
    assert isinstance(may(records_team, Action.VIEW, an_item(), clinical=False), Refused)


def test_being_paged_opens_only_the_details() -> None:
    staff_elsewhere = PEOPLE["staff_elsewhere"]

    assert isinstance(
        may(staff_elsewhere, Action.CLOSE, an_item(), clinical=False, paged=True), Refused
    )


@given(
    roles=st.frozensets(st.sampled_from([Role.STAFF, Role.MANAGER, Role.CLINICAL])),
    action=st.sampled_from(list(Action)),
    clinical=st.booleans(),
)
def test_an_assistant_alone_never_closes_a_clinical_item_and_seniors_are_not_held_back(
    roles: frozenset[Role], action: Action, clinical: bool
) -> None:
    assistant = Actor("U_VA", frozenset({Role.ASSISTANT, *roles}), frozenset({LANE}))

    decided = may(assistant, action, an_item(owner="U_VA"), clinical=clinical)

    closing_clinical = action is Action.CLOSE and clinical
    if closing_clinical and not roles:
        assert decided == Refused(ASSISTANT, Role.CLINICAL)
    elif SPEC[action] == "manage":
        assert isinstance(decided, Permitted) == (Role.MANAGER in roles)
    elif SPEC[action] != "system":
        assert decided == Permitted()


@given(action=st.sampled_from(list(Action)), clinical=st.booleans())
def test_someone_with_no_role_may_only_log_and_escalate(action: Action, clinical: bool) -> None:
    decided = may(PEOPLE["no_role"], action, an_item(), clinical=clinical)

    assert isinstance(decided, Permitted) == (action in {Action.CREATE, Action.ESCALATE})
