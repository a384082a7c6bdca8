"""The weekly metrics message, its chart, the QA sample and the QA review form: what Slack
accepts and what a manager reads."""

from __future__ import annotations

import dataclasses
from typing import Any

from blocks.chart import first_response_chart
from blocks.ids import ActionId, FieldId, ViewId
from blocks.metrics import metrics_message, qa_sample_message
from blocks.modals.qa_review import (
    qa_review,
    qa_review_errors,
    qa_review_from_view,
    qa_review_modal,
)
from bot.domain import metrics
from bot.domain.lanes import Lane
from tests.blocks.conftest import assert_valid_message, assert_valid_view, nodes_of, text_of
from tests.domain.test_metrics import CAL, LANES, LOG, NY, WEEK

ALL_LANES: dict[str, Lane] = {
    **LANES,
    "referrals": dataclasses.replace(LANES["scheduling"], key="referrals", name="Referrals"),
}


def week_report() -> metrics.MetricsReport:
    return metrics.report(LOG, WEEK, CAL, ALL_LANES, "English")


def test_the_metrics_message_shows_the_practice_then_each_lane() -> None:
    payload = assert_valid_message(metrics_message(week_report(), ALL_LANES, NY))
    shown = text_of(payload["blocks"])

    assert "Metrics · Jun 2 to Jun 9 (7 days)" in shown
    assert "*First response*\navg 1 h 39 min · p90 4 h (5)" in shown
    assert "*Same-day callbacks*\n25% (1 of 4)" in shown
    assert "*Repeat contacts*\n20% (1 of 5)" in shown
    assert "*Escalations*\n2 · appropriate 50% (1 of 2)" in shown
    assert "*Oldest open*\nCQ-5 · 10 d 14 h" in shown
    assert "*QA score*\n4.0 of 5 (1 reviewed)" in shown
    # Lanes in the practice file's order, then lanes it no longer has.
    assert shown.index("*Scheduling*") < shown.index("*Referrals*") < shown.index("*clinical*")
    assert "Open at each day's close: Mon 2 2 · Tue 3 3" in shown
    assert "billing 1 (appropriate 0% (0 of 1))" in shown
    assert payload["text"].startswith("Metrics for 7 days: first response avg 1 h 39 min")


def test_an_empty_week_reads_as_dashes_not_zeroes() -> None:
    empty = metrics.report([], WEEK, CAL, ALL_LANES, "English")

    shown = text_of(assert_valid_message(metrics_message(empty, ALL_LANES, NY))["blocks"])

    assert "*First response*\n—" in shown and "*Oldest open*\nnone" in shown


def test_many_lanes_stay_within_slacks_limits() -> None:
    lanes = {
        f"lane{n}": dataclasses.replace(LANES["scheduling"], key=f"lane{n}", name="L" * 200)
        for n in range(40)
    }
    log = [
        dataclasses.replace(
            h,
            events=tuple(
                dataclasses.replace(e, after={**e.after, "lane": f"lane{n}"}) for e in h.events
            ),
        )
        for n, h in enumerate(LOG * 6)
    ]
    report = metrics.report(log, WEEK, CAL, lanes, "English")

    payload = assert_valid_message(metrics_message(report, lanes, NY))

    assert len(payload["blocks"]) < 50
    assert "more lanes not shown" in text_of(payload["blocks"])


def test_the_metrics_never_name_a_patient() -> None:
    shown = str(metrics_message(week_report(), ALL_LANES, NY).to_payload())

    assert "MRN" not in shown and "555" not in shown


def test_the_chart_is_a_png() -> None:
    series = metrics.first_response_by_week(LOG, WEEK.end, 4, CAL)

    png = first_response_chart(series, ALL_LANES, NY)

    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5_000


def test_the_qa_sample_has_a_review_button_per_item() -> None:
    message = qa_sample_message([("CQ-1", "scheduling"), ("CQ-3", "referrals")], ALL_LANES)
    payload = assert_valid_message(message)

    buttons = nodes_of(payload["blocks"], "button")
    assert [(b["action_id"], b["value"]) for b in buttons] == [
        (ActionId.QA_REVIEW, "CQ-1"),
        (ActionId.QA_REVIEW, "CQ-3"),
    ]
    assert "*CQ-3* · Referrals" in text_of(payload["blocks"])
    assert payload["text"] == "QA sample: 2 closed items to review"


def submitted(scores: dict[FieldId, str | None], privacy: str | None, note: str) -> dict[str, Any]:
    values: dict[str, Any] = {
        field: {field: {"selected_option": {"value": v} if v else None}}
        for field, v in scores.items()
    }
    values[FieldId.QA_PRIVACY] = {
        FieldId.QA_PRIVACY: {"selected_option": {"value": privacy} if privacy else None}
    }
    values[FieldId.QA_NOTE] = {FieldId.QA_NOTE: {"value": note}}
    return {"state": {"values": values}}


def test_the_review_form_asks_five_scores_privacy_and_a_note() -> None:
    view = assert_valid_view(qa_review_modal("CQ-1"))

    assert view["callback_id"] == ViewId.QA_REVIEW
    labels = [b["label"]["text"] for b in view["blocks"] if b["type"] == "input"]
    assert labels == [
        "Greeting",
        "Empathy",
        "Accuracy",
        "Escalation handling",
        "Closing",
        "Privacy check passed?",
        "Coaching note",
    ]
    assert "CQ-1" in view["private_metadata"]


def test_a_complete_review_reads_back_as_its_event() -> None:
    scores = {
        FieldId.QA_GREETING: "5",
        FieldId.QA_EMPATHY: "4",
        FieldId.QA_ACCURACY: "3",
        FieldId.QA_ESCALATION: "2",
        FieldId.QA_CLOSING: "1",
    }
    read, privacy, note = qa_review_from_view(submitted(scores, "no", " Say your name "))

    assert qa_review_errors(read, privacy) == {}
    review = qa_review(read, privacy is True, note)
    assert review.scores == (5, 4, 3, 2, 1)
    assert review.privacy_ok is False and review.coaching_note == "Say your name"


def test_a_review_missing_a_score_or_the_privacy_answer_is_sent_back() -> None:
    read, privacy, _ = qa_review_from_view(
        submitted({FieldId.QA_GREETING: "5", FieldId.QA_EMPATHY: None}, None, "")
    )

    errors = qa_review_errors(read, privacy)

    assert FieldId.QA_EMPATHY in errors and FieldId.QA_PRIVACY in errors
    assert FieldId.QA_GREETING not in errors


def test_the_largest_sample_the_practice_file_allows_fits_one_message() -> None:
    sample = [(f"CQ-{10_000 + n}", "scheduling") for n in range(40)]

    payload = assert_valid_message(qa_sample_message(sample, ALL_LANES))

    assert len(nodes_of(payload["blocks"], "button")) == 40


def test_items_waiting_on_someone_outside_show_their_count_and_longest_wait() -> None:
    shown = text_of(metrics_message(week_report(), ALL_LANES, NY).to_payload()["blocks"])

    assert "*Waiting on outside parties*\n1 · oldest 4 d 15 h" in shown
