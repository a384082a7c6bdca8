"""Which script fits the moment of a call: before the outcome, after each outcome, for a
clinical matter and for a record that lacks something."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.call_scripts import Script, scripts_for_call, something_missing
from bot.domain.callbacks import Outcome
from bot.domain.items import Item, Patient, Status
from bot.domain.lanes import Lane
from tests.domain.test_clinical import CLINICAL, RETIRED, SCHEDULING
from tests.domain.test_clinical import item as item_in

REACHED_ADMIN = (Script.ACKNOWLEDGMENT, Script.FOLLOW_UP_EXPECTATION)


def item(**changes: Any) -> Item:
    return replace(item_in(Status.CLAIMED), **changes)


def test_before_the_outcome_the_opening_and_the_voicemail() -> None:
    assert scripts_for_call(item(), SCHEDULING, None) == (Script.OPENING, Script.VOICEMAIL)


def test_a_reached_patient_hears_the_acknowledgment_then_what_happens_next() -> None:
    assert scripts_for_call(item(), SCHEDULING, Outcome.REACHED) == REACHED_ADMIN


@pytest.mark.parametrize(
    "clinical",
    [
        pytest.param((item(), CLINICAL), id="clinical lane"),
        pytest.param((item(), RETIRED), id="retired lane"),
        pytest.param((item(status=Status.ESCALATED), SCHEDULING), id="escalated"),
        pytest.param((item(red_flags=("chest ... pain",)), SCHEDULING), id="red flag"),
        pytest.param(
            (item(red_flags=("chest ... pain",), red_flag_dismissed_by="U1"), SCHEDULING),
            id="dismissed red flag",
        ),
    ],
)
def test_a_clinical_matter_gets_the_clinical_boundary_before_what_happens_next(
    clinical: tuple[Item, Lane],
) -> None:
    matter, lane = clinical
    assert scripts_for_call(matter, lane, Outcome.REACHED) == (
        Script.ACKNOWLEDGMENT,
        Script.CLINICAL_BOUNDARY,
        Script.FOLLOW_UP_EXPECTATION,
    )


def test_a_record_without_name_reference_or_request_type_asks_for_what_is_missing() -> None:
    unnamed = item(patient=Patient("", "", "(555) 201-4477", "English"))
    untyped = item(request_type=" ")
    for lacking in (unnamed, untyped):
        assert something_missing(lacking)
        assert scripts_for_call(lacking, SCHEDULING, Outcome.REACHED) == (
            Script.ACKNOWLEDGMENT,
            Script.MISSING_INFORMATION,
            Script.FOLLOW_UP_EXPECTATION,
        )
    assert not something_missing(item())


@pytest.mark.parametrize("outcome", [Outcome.LEFT_VOICEMAIL, Outcome.WILL_CALL_BACK])
def test_a_message_anyone_may_hear_is_the_voicemail_only_even_when_clinical(
    outcome: Outcome,
) -> None:
    for lane in (SCHEDULING, CLINICAL):
        assert scripts_for_call(item(), lane, outcome) == (Script.VOICEMAIL,)


@pytest.mark.parametrize(
    "outcome", [Outcome.NO_ANSWER, Outcome.BUSY, Outcome.WRONG_NUMBER, Outcome.PORTAL_MESSAGE_SENT]
)
def test_nobody_to_talk_to_means_no_script(outcome: Outcome) -> None:
    assert scripts_for_call(item(), CLINICAL, outcome) == ()


@given(
    outcome=st.sampled_from(Outcome),
    escalated=st.booleans(),
    flagged=st.booleans(),
    clinical_lane=st.booleans(),
)
def test_only_a_reached_patient_ever_hears_about_the_request(
    outcome: Outcome, escalated: bool, flagged: bool, clinical_lane: bool
) -> None:
    # Anything but the opening and the voicemail speaks of the request: only to the patient.
    matter = item(
        status=Status.ESCALATED if escalated else Status.CLAIMED,
        red_flags=("chest ... pain",) if flagged else (),
    )
    shown = scripts_for_call(matter, CLINICAL if clinical_lane else SCHEDULING, outcome)
    if outcome is not Outcome.REACHED:
        assert set(shown) <= {Script.VOICEMAIL}
    elif escalated or flagged or clinical_lane:
        assert Script.CLINICAL_BOUNDARY in shown
