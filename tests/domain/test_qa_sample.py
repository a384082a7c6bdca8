"""The weekly QA sample spreads over the lanes and is the same for every process."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.qa import stratified_sample

CLOSED = [(f"CQ-{n}", lane) for n, lane in enumerate(["a"] * 8 + ["b"] * 3 + ["c"])]


def test_every_lane_is_sampled_before_any_lane_twice() -> None:
    picked = stratified_sample(CLOSED, 3, seed="2026-11-30")

    lanes = Counter(dict(CLOSED)[key] for key in picked)
    assert lanes == Counter({"a": 1, "b": 1, "c": 1})


def test_the_same_week_draws_the_same_sample_and_another_week_may_not() -> None:
    assert stratified_sample(CLOSED, 5, seed="2026-11-30") == stratified_sample(
        CLOSED, 5, seed="2026-11-30"
    )
    draws = {stratified_sample(CLOSED, 5, seed=f"week {n}") for n in range(20)}
    assert len(draws) > 1


@settings(deadline=None, max_examples=100)
@given(
    closed=st.lists(
        st.tuples(st.integers(0, 500).map(lambda n: f"CQ-{n}"), st.sampled_from("abcdef")),
        unique_by=lambda pair: pair[0],
        max_size=60,
    ),
    size=st.integers(0, 40),
)
def test_a_sample_has_no_repeats_and_is_as_balanced_as_the_lanes_allow(
    closed: list[tuple[str, str]], size: int
) -> None:
    picked = stratified_sample(closed, size, seed="w")

    assert len(picked) == min(size, len(closed)) and len(set(picked)) == len(picked)
    lane_of = dict(closed)
    counts = Counter(lane_of[key] for key in picked)
    available = Counter(lane_of.values())
    for count in counts.values():
        # A lane has more than another only when that other lane ran out.
        for other, other_count in counts.items():
            if count > other_count + 1:
                assert other_count == available[other]
    for lane in available:
        if lane not in counts:
            assert len(picked) < len(available) or size < len(available)
