"""The morning's order: escalated, then red-flagged, then clinical lanes, then the rest; and
the lanes, clinical first."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.morning import MorningLane, Priority, lanes_in_order, priority

FLAGS = st.tuples(st.booleans(), st.booleans(), st.booleans())  # escalated, red flag, clinical


@settings(deadline=None)
@given(FLAGS)
def test_an_item_ranks_by_its_most_urgent_mark(flags: tuple[bool, bool, bool]) -> None:
    escalated, red_flagged, clinical = flags

    rank = priority(escalated=escalated, red_flagged=red_flagged, clinical_lane=clinical)

    # Escalated, red flag, clinical lane: the first mark it has decides; none, routine.
    marks = [Priority.ESCALATED, Priority.RED_FLAG, Priority.CLINICAL]
    assert rank == next((m for m, on in zip(marks, flags, strict=True) if on), Priority.ROUTINE)


def test_a_red_flag_someone_called_not_an_emergency_keeps_its_place() -> None:
    # The flag stays on the item (a match never clears it); the rule sees only the flag.
    assert priority(escalated=False, red_flagged=True, clinical_lane=False) is Priority.RED_FLAG


@settings(deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abcdef"), st.booleans(), st.integers(0, 50))))
def test_clinical_lanes_come_first_then_the_busiest_night(
    lanes: list[tuple[str, bool, int]],
) -> None:
    unique = {key: MorningLane(key, clinical, arrived, 0, 0) for key, clinical, arrived in lanes}
    ordered = lanes_in_order(list(unique.values()))

    assert sorted(ordered, key=lambda lane: lane.lane) == sorted(
        unique.values(), key=lambda lane: lane.lane
    )
    clinical = [lane.clinical for lane in ordered]
    assert clinical == sorted(clinical, reverse=True)
    for before, after in itertools.pairwise(ordered):
        if before.clinical == after.clinical:
            assert before.arrived >= after.arrived
