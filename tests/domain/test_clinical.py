"""The patient-safety line: a clinical item never leaves clinical hands without a clinician."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.domain.clinical import (
    bilingual_clinicians,
    cadence_for,
    clinical_decision_refusal,
    is_clinical_matter,
    keeps_lane_for_language,
    leaves_clinical_hands,
    merge_hides_clinical,
)
from bot.domain.items import Action, Actor, Item, RefusalCode, Role, Status
from bot.domain.lanes import BusinessDuration, Cadence, FinalStep, Lane, Unit, retired_lane
from tests.domain.test_items import item as item_in

FRONT_DESK = Actor("U_FRONT")
MANAGER = Actor("U_MANAGER", frozenset({Role.STAFF, Role.MANAGER}))
NURSE = Actor("U_NURSE", frozenset({Role.STAFF, Role.CLINICAL}))

CLOSING = Cadence(
    attempts=3, after_last=FinalStep.CLOSE_UNREACHABLE, unreachable_resolution="unreachable"
)


def lane(key: str, *, clinical: bool = False, cadence: Cadence = CLOSING) -> Lane:
    return Lane(
        key=key,
        name=key.capitalize(),
        channel=f"#cq-{key}",
        response_target=BusinessDuration(4, Unit.HOURS),
        request_types=("question",),
        resolutions=("done", "unreachable"),
        clinical=clinical,
        cadence=cadence,
    )


SCHEDULING = lane("scheduling")
BILLING = lane("billing")
CLINICAL = lane("clinical", clinical=True)
TRIAGE = lane("triage", clinical=True)
RETIRED = retired_lane("refills")


def item(status: Status = Status.NEW, key: str = "CQ-1042") -> Item:
    return replace(item_in(status), key=key)


@pytest.mark.parametrize(
    ("status", "where", "clinical"),
    [
        (Status.NEW, CLINICAL, True),
        (Status.CLAIMED, CLINICAL, True),
        (Status.NEW, RETIRED, True),  # nothing says a retired lane was not clinical
        (Status.ESCALATED, SCHEDULING, True),
        (Status.NEW, SCHEDULING, False),
        (Status.WAITING, BILLING, False),
    ],
)
def test_a_clinical_lane_a_retired_lane_or_an_escalation_makes_a_clinical_matter(
    status: Status, where: Lane, clinical: bool
) -> None:
    assert is_clinical_matter(item(status), where) is clinical


def test_a_request_not_yet_an_item_is_clinical_by_its_lane() -> None:
    assert is_clinical_matter(None, CLINICAL) and not is_clinical_matter(None, SCHEDULING)


@pytest.mark.parametrize(
    ("here", "there", "leaves"),
    [
        (CLINICAL, SCHEDULING, True),
        (RETIRED, BILLING, True),
        (CLINICAL, TRIAGE, False),  # between clinical lanes
        (SCHEDULING, CLINICAL, False),  # into a clinical lane
        (SCHEDULING, BILLING, False),
    ],
)
def test_only_a_move_to_a_non_clinical_lane_leaves_clinical_hands(
    here: Lane, there: Lane, leaves: bool
) -> None:
    assert leaves_clinical_hands(item(), here, there) is leaves


@pytest.mark.parametrize("actor", [FRONT_DESK, MANAGER])
def test_only_a_clinician_may_take_a_clinical_item_out_of_clinical_handling(actor: Actor) -> None:
    refused = clinical_decision_refusal(item(Status.CLAIMED), CLINICAL, SCHEDULING, actor)
    assert refused is not None
    assert refused.code is RefusalCode.NEEDS_CLINICAL_DECISION
    assert (refused.item_key, refused.action, refused.status) == (
        "CQ-1042",
        Action.MOVE,
        Status.CLAIMED,
    )
    assert clinical_decision_refusal(item(), CLINICAL, SCHEDULING, NURSE) is None


def test_moves_that_stay_clinical_need_no_clinician() -> None:
    assert clinical_decision_refusal(item(), CLINICAL, TRIAGE, FRONT_DESK) is None
    assert clinical_decision_refusal(item(), SCHEDULING, CLINICAL, FRONT_DESK) is None
    handoff = clinical_decision_refusal(item(), CLINICAL, BILLING, FRONT_DESK, Action.HANDOFF)
    assert handoff is not None and handoff.action is Action.HANDOFF


def test_a_merge_never_hides_the_clinical_item_in_a_non_clinical_one() -> None:
    chest_pain, reschedule = item(key="CQ-1002"), item(key="CQ-1001")
    assert merge_hides_clinical(chest_pain, CLINICAL, reschedule, SCHEDULING)
    assert not merge_hides_clinical(reschedule, SCHEDULING, chest_pain, CLINICAL)
    assert not merge_hides_clinical(chest_pain, CLINICAL, item(key="CQ-1003"), TRIAGE)
    assert merge_hides_clinical(item(Status.ESCALATED), SCHEDULING, reschedule, SCHEDULING)
    assert not merge_hides_clinical(reschedule, SCHEDULING, item(key="CQ-1004"), BILLING)


def test_an_unreachable_clinical_patient_goes_to_review_never_closed() -> None:
    assert cadence_for(item(), SCHEDULING) is CLOSING
    for status, where in ((Status.CLAIMED, CLINICAL), (Status.ESCALATED, SCHEDULING)):
        cadence = cadence_for(item(status), where)
        assert cadence.after_last is FinalStep.SUPERVISOR_REVIEW
        assert cadence.attempts == CLOSING.attempts and cadence.waits == CLOSING.waits


def test_language_routing_keeps_clinical_requests_in_their_lane() -> None:
    assert keeps_lane_for_language(CLINICAL) and keeps_lane_for_language(RETIRED)
    assert not keeps_lane_for_language(SCHEDULING)


def test_bilingual_clinicians_are_the_bilingual_staff_who_are_also_clinical() -> None:
    clinical = ("U_NURSE", "U_NURSE2", "U_MD")
    assert bilingual_clinicians(("U_FRONT2", "U_MD", "U_NURSE2"), clinical) == ("U_MD", "U_NURSE2")
    assert bilingual_clinicians((), clinical) == ()
    assert bilingual_clinicians(("U_FRONT2",), clinical) == ()


def test_a_red_flag_makes_a_clinical_matter_and_dismissing_it_does_not_clear_that() -> None:
    flagged = replace(item(), red_flags=("chest ... pain",))
    dismissed = replace(flagged, red_flag_dismissed_by=FRONT_DESK.user_id)
    assert is_clinical_matter(flagged, SCHEDULING)
    assert is_clinical_matter(dismissed, SCHEDULING)
    assert clinical_decision_refusal(dismissed, SCHEDULING, BILLING, FRONT_DESK) is not None
    assert clinical_decision_refusal(dismissed, SCHEDULING, BILLING, NURSE) is None
