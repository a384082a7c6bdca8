"""Reading a delivery's body: any JSON at all gives either a valid delivery or problems by
field, never an exception (which would be a 500)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.api.body import TEXT_FIELDS, Delivery, Problem, read_delivery, read_idempotency_key
from bot.api.limits import RateLimiter, retry_after
from bot.config import EXAMPLE_PRACTICE, load_practice

PRACTICE = load_practice(EXAMPLE_PRACTICE)
NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)
field_values = st.none() | st.text(max_size=300) | json_values
bodies = st.dictionaries(st.sampled_from([*TEXT_FIELDS, "extra"]), field_values, max_size=14)


@settings(max_examples=400, deadline=None)
@given(body=bodies | json_values)
def test_any_json_body_reads_as_a_delivery_or_problems_and_never_raises(body: Any) -> None:
    read = read_delivery(body, PRACTICE, NOW)
    if isinstance(read, list):
        assert read and all(isinstance(p, Problem) and p.message for p in read)
    else:
        assert isinstance(read, Delivery)


def test_a_valid_body_with_a_route_reads_as_the_routed_lane() -> None:
    read = read_delivery(
        {"callback_phone": "555 201 4477", "origin": "missed_call", "route": "nurse"},
        PRACTICE,
        NOW,
    )
    assert isinstance(read, Delivery) and read.request.lane == "clinical"


@given(st.text(max_size=250))
def test_an_idempotency_key_is_printable_ascii_up_to_200_characters(value: str) -> None:
    read = read_idempotency_key(value)
    stripped = value.strip()
    ok = len(stripped) <= 200 and all(" " <= ch <= "~" for ch in stripped)
    assert (read == stripped) if ok else isinstance(read, Problem)


def test_the_bucket_allows_a_burst_then_one_per_refill() -> None:
    limiter = RateLimiter(per_minute=60, burst=2)
    assert [limiter.take(1, NOW) for _ in range(2)] == [0.0, 0.0]
    wait = limiter.take(1, NOW)
    assert wait == 1.0 and retry_after(wait) == "1"
    assert limiter.take(2, NOW) == 0.0  # another token's own bucket
    assert limiter.take(1, NOW.replace(second=1)) == 0.0


MISSED_CALL = {"callback_phone": "555 201 4477", "origin": "missed_call", "route": "appointments"}


def test_contacted_at_is_the_patients_time_within_a_week_and_never_later_than_now() -> None:
    six_days = read_delivery(
        {**MISSED_CALL, "contacted_at": (NOW - timedelta(days=6)).isoformat()}, PRACTICE, NOW
    )
    assert isinstance(six_days, Delivery) and six_days.contacted_at == NOW - timedelta(days=6)
    # A phone system's clock a few minutes ahead: received now, not in the future.
    ahead = read_delivery(
        {**MISSED_CALL, "contacted_at": (NOW + timedelta(minutes=3)).isoformat()}, PRACTICE, NOW
    )
    assert isinstance(ahead, Delivery) and ahead.contacted_at == NOW


def test_contacted_at_more_than_a_week_ago_or_in_the_future_is_a_problem_by_field() -> None:
    for moment in (NOW - timedelta(days=8), NOW + timedelta(hours=1)):
        read = read_delivery({**MISSED_CALL, "contacted_at": moment.isoformat()}, PRACTICE, NOW)
        assert isinstance(read, list) and [p.field for p in read] == ["contacted_at"]
