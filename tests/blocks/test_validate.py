"""The validator refuses what Slack refuses, including what slack_sdk.models lets through."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.models.blocks import Block, HeaderBlock, SectionBlock
from slack_sdk.models.views import View

from blocks import limits
from blocks.message import Message
from blocks.validate import message_problems, view_problems
from tests.blocks.conftest import assert_valid_message


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def text_input(**fields: Any) -> dict[str, Any]:
    return {
        "type": "input",
        "label": {"type": "plain_text", "text": "Summary"},
        "element": {"type": "plain_text_input", "action_id": "summary", **fields},
    }


def select(**fields: Any) -> dict[str, Any]:
    return {
        "type": "input",
        "label": {"type": "plain_text", "text": "Lane"},
        "element": {"type": "static_select", "action_id": "lane", **fields},
    }


def options(n: int) -> list[dict[str, Any]]:
    return [{"text": {"type": "plain_text", "text": f"o{i}"}, "value": f"v{i}"} for i in range(n)]


def overflow(n: int) -> dict[str, Any]:
    return {
        "type": "actions",
        "elements": [{"type": "overflow", "action_id": "more", "options": options(n)}],
    }


MODAL = {
    "type": "modal",
    "callback_id": "view.intake",
    "title": {"type": "plain_text", "text": "New request"},
    "submit": {"type": "plain_text", "text": "Log it"},
    "private_metadata": "CQ-1042",
    "blocks": [text_input()],
}

# What Slack refuses and slack_sdk.models accepts: each is caught by the validator alone.
SLACK_SDK_MISSES: dict[str, tuple[dict[str, Any], str]] = {
    "a context text over 3000": (context("c" * 3001), "more than 3000"),
    "a section field over 2000": (
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]},
        "more than 2000",
    ),
    "an empty text object": (section(""), "empty mrkdwn text"),
    "a header in mrkdwn": (
        {"type": "header", "text": {"type": "mrkdwn", "text": "*CQ-1042*"}},
        "plain_text",
    ),
    "an empty context block": ({"type": "context", "elements": []}, "at least one element"),
    "an empty actions block": ({"type": "actions", "elements": []}, "at least one element"),
    "a text input longer than 3000": (text_input(max_length=3001), "more than 3000"),
    "an initial value over max_length": (
        text_input(max_length=5, initial_value="123456"),
        "more than its max_length",
    ),
    "a select without options": (select(options=[]), "without options"),
    "an option text over 75": (
        select(options=[{"text": {"type": "plain_text", "text": "o" * 76}, "value": "v"}]),
        "more than 75",
    ),
    "an option value over 150": (
        select(options=[{"text": {"type": "plain_text", "text": "o"}, "value": "v" * 151}]),
        "more than 150",
    ),
    "an option group label over 75": (
        select(
            option_groups=[
                {"label": {"type": "plain_text", "text": "g" * 76}, "options": options(1)}
            ]
        ),
        "more than 75",
    ),
    "an initial option that is not an option": (
        select(options=options(2), initial_option=options(3)[2]),
        "initial_option",
    ),
    "an overflow menu of one": (overflow(1), "needs 2-5"),
}


@pytest.mark.parametrize(
    ("block", "problem"), SLACK_SDK_MISSES.values(), ids=SLACK_SDK_MISSES.keys()
)
def test_a_limit_slack_sdk_misses_is_refused_by_the_validator(
    block: dict[str, Any], problem: str
) -> None:
    Block.parse(block).to_dict()  # type: ignore[union-attr]  # slack_sdk lets it through

    problems = message_problems([block], "text")

    assert any(problem in p for p in problems), problems


def test_a_context_text_of_3000_characters_is_accepted() -> None:
    assert limits.CONTEXT_TEXT_MAX == 3000
    assert message_problems([context("c" * limits.CONTEXT_TEXT_MAX)], "text") == []


def test_a_message_over_50_blocks_or_12000_json_characters_is_refused() -> None:
    too_many = message_problems([{"type": "divider"}] * 51, "text")
    too_long = message_problems([section("s" * 2900) for _ in range(5)], "text")

    assert any("more than 50" in p for p in too_many)
    assert any("more than 12000" in p for p in too_long)


def test_blocks_without_notification_text_are_refused_unless_the_method_takes_none() -> None:
    assert message_problems([section("card")]) == [
        "text is required alongside blocks (it is the notification)"
    ]
    assert message_problems([section("card")], text_required=False) == []


def test_text_over_40000_characters_is_refused() -> None:
    [problem] = message_problems(None, "t" * (limits.MESSAGE_TEXT_MAX + 1))

    assert "more than 40000" in problem


def test_duplicate_block_ids_and_unknown_types_are_refused() -> None:
    problems = "\n".join(
        message_problems(
            [
                {"type": "divider", "block_id": "same"},
                {"type": "divider", "block_id": "same"},
                {"type": "hologram"},
                {"type": "actions", "elements": [{"type": "teleporter", "action_id": "t"}]},
            ],
            "text",
        )
    )

    assert "duplicate block_id" in problems
    assert "unknown block type" in problems
    assert "element of unknown type" in problems


def test_slack_sdk_blocks_are_checked_as_they_render() -> None:
    assert message_problems([SectionBlock(text="fine"), HeaderBlock(text="CQ-1042")], "t") == []
    [problem] = message_problems([HeaderBlock(text="h" * 151)], "t")

    assert "150" in problem


def test_a_modal_with_a_long_title_big_metadata_and_no_submit_is_refused() -> None:
    view = {
        **MODAL,
        "title": {"type": "plain_text", "text": "t" * 25},
        "private_metadata": "m" * 3001,
    }
    view.pop("submit")

    problems = "\n".join(view_problems(view))

    assert "title" in problems
    assert "private_metadata" in problems
    assert "submit" in problems
    assert view_problems(MODAL) == []


def test_a_view_of_the_wrong_type_for_the_method_is_refused() -> None:
    [problem] = view_problems(MODAL, expected_type="home")

    assert "'home'" in problem


def test_a_slack_sdk_view_is_checked_as_it_renders() -> None:
    view = View(type="modal", title="Log call", close="Cancel", blocks=[SectionBlock(text="ok")])

    assert view_problems(view) == []
    assert view_problems(View(type="modal", title="t", blocks=[SectionBlock(text="")])) != []


def test_the_builders_test_helper_fails_on_what_the_validator_refuses() -> None:
    message = Message(text="CQ-1042", blocks=[SectionBlock(text="x" * 3000), Block(type="x")])

    with pytest.raises(AssertionError):
        assert_valid_message(message)
