"""Escaping, mentions, truncation, Slack dates and ages read the way staff expect."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from blocks.text import (
    age_text,
    clock_time,
    escape,
    escape_within,
    mention,
    safe_link,
    slack_date,
    status_label,
    truncate,
    weekday_time,
)
from bot.domain.items import Status
from tests.blocks.conftest import NOW, TZ


def test_escape_neutralises_pings_and_links_but_not_quotes() -> None:
    assert escape("<!channel> & <https://x|y>") == "&lt;!channel&gt; &amp; &lt;https://x|y&gt;"
    assert escape('say "hi" it\'s') == 'say "hi" it\'s'


def test_mention_links_user_ids_and_escapes_anything_else() -> None:
    assert mention("U012ABCDEF") == "<@U012ABCDEF>"
    assert mention("U1") == "<@U1>"
    assert mention("<!channel>") == "&lt;!channel&gt;"
    assert mention("U1> <!here") == "U1&gt; &lt;!here"


def test_truncate_ends_with_an_ellipsis_and_never_exceeds_the_limit() -> None:
    assert truncate("short", 10) == "short"
    cut = truncate("a" * 50, 10)
    assert cut == "a" * 9 + "\u2026"
    assert len(cut) == 10
    assert truncate("abc", 0) == ""


def test_escape_within_never_cuts_an_entity_in_half() -> None:
    text = escape_within("&" * 10, 12)
    assert len(text) <= 12
    assert text == "&amp;&amp;\u2026"


def test_slack_date_shows_each_reader_their_zone_with_the_practice_time_as_fallback() -> None:
    at = datetime(2026, 11, 23, 15, 42, tzinfo=UTC)
    assert slack_date(at, TZ) == (
        f"<!date^{int(at.timestamp())}^{{date_short_pretty}} {{time}}|Mon Nov 23 10:42 AM EST>"
    )
    assert slack_date(at, TZ, "{time}").startswith(f"<!date^{int(at.timestamp())}^{{time}}|")


def test_practice_times_read_in_the_practice_zone_across_daylight_saving() -> None:
    summer = datetime(2026, 7, 6, 18, 5, tzinfo=UTC)
    assert clock_time(summer, TZ) == "2:05 PM"
    assert weekday_time(NOW, TZ) == "Mon 10:54 AM"
    assert slack_date(summer, TZ).endswith("|Mon Jul 6 2:05 PM EDT>")
    assert clock_time(datetime(2026, 11, 23, 5, 0, tzinfo=UTC), TZ) == "12:00 AM"


def test_age_reads_in_minutes_hours_and_days() -> None:
    assert age_text(NOW - timedelta(minutes=12), NOW) == "12 min"
    assert age_text(NOW - timedelta(hours=3, minutes=5), NOW) == "3 h 5 min"
    assert age_text(NOW - timedelta(hours=3), NOW) == "3 h"
    assert age_text(NOW - timedelta(days=2, hours=4, minutes=59), NOW) == "2 d 4 h"
    assert age_text(NOW - timedelta(seconds=20), NOW) == "0 min"
    assert age_text(NOW + timedelta(minutes=5), NOW) == "0 min"


def test_every_status_has_a_label() -> None:
    assert [status_label(s) for s in Status] == [
        "New",
        "Claimed",
        "Waiting",
        "Escalated",
        "Resolved",
    ]


def test_safe_link_accepts_only_https_and_cannot_be_renamed() -> None:
    assert safe_link("https://x.slack.com/archives/C1/p1", "Source") == (
        "<https://x.slack.com/archives/C1/p1|Source>"
    )
    assert safe_link("http://x.example", "Source") is None
    assert safe_link("javascript:alert(1)", "Source") is None
    assert (
        safe_link("https://evil.example|click", "Source") == "<https://evil.example%7Cclick|Source>"
    )
    assert (
        safe_link("https://a.example/?a=1&b=<2>", "S")
        == "<https://a.example/?a=1&amp;b=&lt;2&gt;|S>"
    )
