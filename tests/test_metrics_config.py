"""The practice file's `metrics` section: when the weekly reports go, and what they hold."""

from __future__ import annotations

from datetime import time
from typing import Any

from bot.config import EXAMPLE_PRACTICE, load_practice
from bot.domain.practice import WeeklyReports
from tests.test_config import problems_after


def set_metrics(**values: Any) -> Any:
    def edit(data: dict[str, Any]) -> None:
        data["metrics"] = values

    return edit


def test_the_example_posts_on_monday_at_eight_with_five_sampled_items() -> None:
    reports = load_practice(EXAMPLE_PRACTICE).reports

    assert reports == WeeklyReports(weekday=0, at=time(8), qa_sample=5, chart_weeks=8)


def test_a_weekly_time_needs_a_weekday_and_a_quoted_time() -> None:
    problems = problems_after(set_metrics(weekly="Someday 8"))

    assert problems == [
        'metrics.weekly: must be a weekday and a time of day in quotes, like "Mon 08:00"'
    ]


def test_a_weekly_time_of_day_must_exist() -> None:
    problems = problems_after(set_metrics(weekly="Fri 25:00"))

    assert len(problems) == 1 and problems[0].startswith("metrics.weekly:")


def test_sample_size_chart_weeks_and_unknown_keys_are_reported_with_their_paths() -> None:
    problems = problems_after(set_metrics(qa_sample=-1, chart_weeks=0, every="week"))

    assert any(p.startswith("metrics.qa_sample:") for p in problems)
    assert any(p.startswith("metrics.chart_weeks:") for p in problems)
    assert any(p.startswith("metrics.every:") for p in problems)


def test_a_weekly_time_without_minutes_says_how_to_write_it() -> None:
    problems = problems_after(set_metrics(weekly="Mon 8"))

    assert problems == [
        "metrics.weekly: 'Mon 8' is not a weekday and a time of day: use \"Mon 08:00\""
        " (24-hour HH:MM)"
    ]
