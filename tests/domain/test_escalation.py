"""The escalation rules as plain functions: who is paged when, and who may answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.config import EXAMPLE_PRACTICE, load_practice
from bot.domain.escalation import (
    AnswerRefusal,
    Escalation,
    EscalationRule,
    EscalationState,
    PromptAudience,
    RedFlagAsk,
    StepKind,
    Urgency,
    ack_due,
    may_answer,
    next_step,
    supersedes,
    who_is_asked,
)
from bot.domain.items import INTEGRATION_ACTOR_PREFIX, SYSTEM, Actor, Role

PRACTICE = load_practice(EXAMPLE_PRACTICE)
MATRIX = PRACTICE.escalation
CALENDAR = PRACTICE.calendar
EMERGENCY = MATRIX.rules["emergency"]
# Monday 23 November 2026 in New York (UTC-5).
MONDAY_10AM = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
MONDAY_5_59PM = datetime(2026, 11, 23, 22, 59, tzinfo=UTC)
MONDAY_4_59PM = datetime(2026, 11, 23, 21, 59, tzinfo=UTC)  # Monday closes at 17:00
MONDAY_5_01PM = datetime(2026, 11, 23, 22, 1, tzinfo=UTC)
SUNDAY_11PM = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)  # Sunday 22 Nov, 23:00 local

NURSE = Actor("U0NURSE01", frozenset({Role.STAFF, Role.CLINICAL}))
MANAGER = Actor("U0MANAGER1", frozenset({Role.STAFF, Role.MANAGER}))
FRONT_DESK = Actor("UFRONT01")
RECORDS = Actor("U0RECORDS1")


def opened(rule_key: str = "emergency", at: datetime = MONDAY_10AM) -> Escalation:
    rule = MATRIX.rules[rule_key]
    return Escalation(
        item_key="CQ-1042",
        rule=rule_key,
        chain=MATRIX.chain(rule, at, CALENDAR),
        opened_by="UFRONT01",
        opened_at=at,
        ack_due_at=ack_due(at, rule),
    )


def test_in_opening_hours_the_rule_chain_is_paged_in_order() -> None:
    assert MATRIX.chain(EMERGENCY, MONDAY_10AM, CALENDAR) == (
        "nurse",
        "provider_on_call",
        "manager",
    )


def test_a_sunday_night_emergency_pages_the_provider_on_call_first() -> None:
    assert MATRIX.chain(EMERGENCY, SUNDAY_11PM, CALENDAR) == ("provider_on_call", "manager")


def test_after_closing_the_after_hours_chain_applies_but_not_before() -> None:
    assert MATRIX.chain(EMERGENCY, MONDAY_4_59PM, CALENDAR)[0] == "nurse"
    assert MATRIX.chain(EMERGENCY, MONDAY_5_01PM, CALENDAR)[0] == "provider_on_call"


def test_after_hours_never_changes_a_manager_or_team_rule() -> None:
    legal, records = MATRIX.rules["legal_threat"], MATRIX.rules["records_request"]
    assert MATRIX.chain(legal, SUNDAY_11PM, CALENDAR) == ("manager",)
    assert MATRIX.chain(records, SUNDAY_11PM, CALENDAR) == ("records", "manager")


def test_the_window_counts_wall_clock_time_at_5_59_pm() -> None:
    # Five minutes after 17:59 is 18:04 the same evening, not Tuesday morning.
    assert ack_due(MONDAY_5_59PM, EMERGENCY) == MONDAY_5_59PM + timedelta(minutes=5)


def test_nothing_happens_while_the_window_runs() -> None:
    escalation = opened()
    assert next_step(escalation, escalation.ack_due_at - timedelta(seconds=1)).kind is (
        StepKind.NOTHING
    )


def test_an_unacknowledged_page_goes_to_level_two_and_reminds_the_first_recipient() -> None:
    escalation = opened()
    step = next_step(escalation, escalation.ack_due_at)
    assert step.kind is StepKind.PAGE_NEXT and step.level == 1 and step.remind_first


def test_the_reminder_is_sent_once() -> None:
    escalation = opened()
    later = Escalation(**{**escalation.__dict__, "level": 1, "reminded": True})
    step = next_step(later, later.ack_due_at)
    assert step.kind is StepKind.PAGE_NEXT and step.level == 2 and not step.remind_first


def test_after_the_last_level_it_ends_in_no_response() -> None:
    escalation = opened()
    last = Escalation(**{**escalation.__dict__, "level": 2, "reminded": True})
    assert next_step(last, last.ack_due_at).kind is StepKind.NO_RESPONSE


def test_an_acknowledged_escalation_is_never_paged_again() -> None:
    escalation = opened()
    acked = Escalation(**{**escalation.__dict__, "state": EscalationState.ACKNOWLEDGED})
    assert next_step(acked, acked.ack_due_at + timedelta(days=3)).kind is StepKind.NOTHING


@given(
    level=st.integers(min_value=0, max_value=2),
    minutes=st.integers(min_value=-60, max_value=60 * 24 * 3),
    state=st.sampled_from(list(EscalationState)),
)
def test_next_step_only_ever_moves_forward_by_one(
    level: int, minutes: int, state: EscalationState
) -> None:
    escalation = Escalation(**{**opened().__dict__, "level": level, "state": state})
    step = next_step(escalation, escalation.ack_due_at + timedelta(minutes=minutes))
    if state is not EscalationState.OPEN or minutes < 0:
        assert step.kind is StepKind.NOTHING
    elif level < 2:
        assert step.kind is StepKind.PAGE_NEXT and step.level == level + 1
    else:
        assert step.kind is StepKind.NO_RESPONSE


def test_only_a_clinician_answers_a_clinical_escalation() -> None:
    escalation = opened()
    assert may_answer(escalation, EMERGENCY, NURSE) is None
    assert may_answer(escalation, EMERGENCY, FRONT_DESK) is AnswerRefusal.NOT_CLINICAL
    assert may_answer(escalation, EMERGENCY, MANAGER) is AnswerRefusal.NOT_CLINICAL


def test_a_team_rule_is_answered_by_whom_it_paged_or_a_manager() -> None:
    rule = MATRIX.rules["records_request"]
    escalation = Escalation(**{**opened("records_request").__dict__, "paged": ("U0RECORDS1",)})
    assert may_answer(escalation, rule, RECORDS) is None
    assert may_answer(escalation, rule, MANAGER) is None
    assert may_answer(escalation, rule, FRONT_DESK) is AnswerRefusal.NOT_PAGED


def test_a_resolved_escalation_cannot_be_answered_again() -> None:
    done = Escalation(**{**opened().__dict__, "state": EscalationState.RESOLVED})
    assert may_answer(done, EMERGENCY, NURSE) is AnswerRefusal.CLOSED


# Which rule a red flag at intake escalates under


def key_of(rule: EscalationRule | None) -> str | None:
    return rule.key if rule is not None else None


def test_a_red_flag_escalates_under_the_rule_its_phrase_names() -> None:
    assert key_of(PRACTICE.red_flag_rule(["abogado"])) == "legal_threat"
    assert key_of(PRACTICE.red_flag_rule(["kill my self"])) == "self_harm"
    assert key_of(PRACTICE.red_flag_rule(["unbearable"])) == "same_day_symptoms"


def test_when_several_rules_are_named_the_most_urgent_wins() -> None:
    # legal_threat: immediate, 30 min; same_day_symptoms: immediate, 15 min; emergency and
    # self_harm: immediate, 5 min, emergency first in the file.
    assert (
        key_of(MATRIX.red_flag_rule(["legal_threat", "same_day_symptoms"])) == "same_day_symptoms"
    )
    assert key_of(MATRIX.red_flag_rule(["legal_threat", "self_harm"])) == "self_harm"
    assert key_of(MATRIX.red_flag_rule(["self_harm", "emergency"])) == "emergency"
    assert key_of(MATRIX.red_flag_rule(["records_request", "legal_threat"])) == "legal_threat"


def test_a_flag_naming_no_rule_or_an_unknown_one_still_pages_the_default() -> None:
    assert key_of(MATRIX.red_flag_rule()) == "emergency"
    assert key_of(MATRIX.red_flag_rule([None, "legal_threat"])) == "emergency"
    assert key_of(MATRIX.red_flag_rule(["retired_rule", "legal_threat"])) == "emergency"
    assert key_of(PRACTICE.red_flag_rule(["a phrase the file no longer has"])) == "emergency"


@given(st.lists(st.sampled_from([*MATRIX.rules, None, "gone"]), min_size=1, max_size=5))
def test_the_chosen_rule_is_never_less_urgent_than_any_rule_named(keys: list[str | None]) -> None:
    chosen = MATRIX.red_flag_rule(keys)
    assert chosen is not None
    for key in keys:
        named = MATRIX.rules.get(key) if key is not None else EMERGENCY
        named = named or EMERGENCY
        if named.urgency is chosen.urgency:
            assert chosen.ack_within <= named.ack_within
        else:
            assert chosen.urgency.value == "immediate"


def test_the_person_who_logged_a_red_flag_is_asked_in_a_dm() -> None:
    assert who_is_asked("UFRONT01", "#cq-clinical") == RedFlagAsk("UFRONT01", PromptAudience.LOGGER)


@given(st.integers(min_value=1, max_value=10_000))
def test_a_red_flag_no_person_logged_asks_the_clinical_channel(token_id: int) -> None:
    for actor in (f"{INTEGRATION_ACTOR_PREFIX}{token_id}", SYSTEM):
        asked = who_is_asked(actor, "#cq-clinical")
        assert asked == RedFlagAsk("#cq-clinical", PromptAudience.CHANNEL)


def test_only_a_more_urgent_reason_that_keeps_clinical_hands_supersedes_an_open_escalation() -> (
    None
):
    def rule(key: str, urgency: Urgency, minutes: int, clinical: bool = True) -> EscalationRule:
        return EscalationRule(
            key, key, urgency, ("nurse",), timedelta(minutes=minutes), "", clinical=clinical
        )

    emergency = rule("emergency", Urgency.IMMEDIATE, 5)
    same_day = rule("same_day", Urgency.IMMEDIATE, 15)
    refill = rule("refill", Urgency.WITHIN_2H, 120)
    legal = rule("legal", Urgency.IMMEDIATE, 30, clinical=False)
    billing = rule("billing", Urgency.WITHIN_2H, 120, clinical=False)

    assert supersedes(emergency, same_day) and supersedes(emergency, refill)
    assert supersedes(same_day, refill) and supersedes(emergency, billing)
    assert not supersedes(same_day, emergency) and not supersedes(emergency, emergency)
    assert not supersedes(legal, refill)  # more urgent, but it would leave clinical hands
    assert supersedes(legal, billing)
    assert not supersedes(emergency, None)  # a rule no longer in the practice file
