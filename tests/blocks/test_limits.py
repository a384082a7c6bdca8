"""Slack's limits are written once (blocks/limits.py) and agree with slack_sdk where it checks."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import tokenize
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    InputBlock,
    Option,
    OptionGroup,
    OverflowMenuElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.blocks.block_elements import InputInteractiveElement, InteractiveElement
from slack_sdk.models.views import View

from blocks import limits
from blocks.validate import message_problems, view_problems

ROOT = Path(__file__).resolve().parents[2]
BLOCKS = ROOT / "blocks"


def _options(n: int) -> list[dict[str, Any]]:
    return [{"text": {"type": "plain_text", "text": f"o{i}"}, "value": f"v{i}"} for i in range(n)]


def _button(text: str = "Claim", value: str = "CQ-1042", action_id: str = "a") -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": text},
        "value": value,
    }


def _input(element: dict[str, Any], label: str = "Label", **extra: Any) -> dict[str, Any]:
    return {
        "type": "input",
        "label": {"type": "plain_text", "text": label},
        "element": element,
        **extra,
    }


def _select(**fields: Any) -> dict[str, Any]:
    return {"type": "static_select", "action_id": "s", **fields}


def _modal(**fields: Any) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Title"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [{"type": "divider"}],
        **fields,
    }


@dataclass(frozen=True)
class Agreement:
    """One limit slack_sdk checks too: its figure there, a payload of size n, slack_sdk's check."""

    limit: int
    sdk_figure: int
    block: Callable[[int], dict[str, Any]] | None = None
    view: Callable[[int], dict[str, Any]] | None = None
    sdk_check: Callable[[int], object] | None = None


def _sdk_parses(make: Callable[[int], dict[str, Any]]) -> Callable[[int], object]:
    """slack_sdk's own check of a block: parse it, then to_dict (which validates each object)."""
    return lambda n: Block.parse(make(n)).to_dict()  # type: ignore[union-attr]


AGREEMENTS: dict[str, Agreement] = {
    "HEADER_TEXT_MAX": Agreement(
        limits.HEADER_TEXT_MAX,
        HeaderBlock.text_max_length,
        block=lambda n: {"type": "header", "text": {"type": "plain_text", "text": "h" * n}},
    ),
    "SECTION_TEXT_MAX": Agreement(
        limits.SECTION_TEXT_MAX,
        SectionBlock.text_max_length,
        block=lambda n: {"type": "section", "text": {"type": "mrkdwn", "text": "s" * n}},
    ),
    "SECTION_FIELDS_MAX": Agreement(
        limits.SECTION_FIELDS_MAX,
        SectionBlock.fields_max_length,
        block=lambda n: {"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * n},
    ),
    "CONTEXT_ELEMENTS_MAX": Agreement(
        limits.CONTEXT_ELEMENTS_MAX,
        ContextBlock.elements_max_length,
        block=lambda n: {"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * n},
    ),
    "ACTIONS_ELEMENTS_MAX": Agreement(
        limits.ACTIONS_ELEMENTS_MAX,
        ActionsBlock.elements_max_length,
        block=lambda n: {
            "type": "actions",
            "elements": [_button(action_id=f"a{i}") for i in range(n)],
        },
    ),
    "BUTTON_TEXT_MAX": Agreement(
        limits.BUTTON_TEXT_MAX,
        ButtonElement.text_max_length,
        block=lambda n: {"type": "actions", "elements": [_button(text="b" * n)]},
    ),
    "BUTTON_VALUE_MAX": Agreement(
        limits.BUTTON_VALUE_MAX,
        ButtonElement.value_max_length,
        block=lambda n: {"type": "actions", "elements": [_button(value="v" * n)]},
    ),
    "ACTION_ID_MAX": Agreement(
        limits.ACTION_ID_MAX,
        InteractiveElement.action_id_max_length,
        block=lambda n: {"type": "actions", "elements": [_button(action_id="a" * n)]},
    ),
    "BLOCK_ID_MAX": Agreement(
        limits.BLOCK_ID_MAX,
        Block.block_id_max_length,
        block=lambda n: {"type": "divider", "block_id": "d" * n},
    ),
    "PLACEHOLDER_MAX": Agreement(
        limits.PLACEHOLDER_MAX,
        InputInteractiveElement.placeholder_max_length,
        block=lambda n: _input(
            {
                "type": "plain_text_input",
                "action_id": "t",
                "placeholder": {"type": "plain_text", "text": "p" * n},
            }
        ),
    ),
    "INPUT_LABEL_MAX": Agreement(
        limits.INPUT_LABEL_MAX,
        InputBlock.label_max_length,
        block=lambda n: _input({"type": "plain_text_input", "action_id": "t"}, label="l" * n),
    ),
    "INPUT_HINT_MAX": Agreement(
        limits.INPUT_HINT_MAX,
        InputBlock.hint_max_length,
        block=lambda n: _input(
            {"type": "plain_text_input", "action_id": "t"},
            hint={"type": "plain_text", "text": "h" * n},
        ),
    ),
    "SELECT_OPTIONS_MAX": Agreement(
        limits.SELECT_OPTIONS_MAX,
        StaticSelectElement.options_max_length,
        block=lambda n: _input(_select(options=_options(n))),
    ),
    "SELECT_OPTION_GROUPS_MAX": Agreement(
        limits.SELECT_OPTION_GROUPS_MAX,
        StaticSelectElement.option_groups_max_length,
        block=lambda n: _input(
            _select(
                option_groups=[
                    {"label": {"type": "plain_text", "text": f"g{i}"}, "options": _options(1)}
                    for i in range(n)
                ]
            )
        ),
    ),
    # slack_sdk leaves a parsed select's options as dicts: it checks them only on Option.
    "OPTION_TEXT_MAX": Agreement(
        limits.OPTION_TEXT_MAX,
        Option.label_max_length,
        block=lambda n: _input(
            _select(options=[{"text": {"type": "plain_text", "text": "o" * n}, "value": "v"}])
        ),
        sdk_check=lambda n: Option(text="o" * n, value="v").validate_json(),
    ),
    "OPTION_VALUE_MAX": Agreement(
        limits.OPTION_VALUE_MAX,
        Option.value_max_length,
        block=lambda n: _input(
            _select(options=[{"text": {"type": "plain_text", "text": "o"}, "value": "v" * n}])
        ),
        sdk_check=lambda n: Option(text="o", value="v" * n).validate_json(),
    ),
    "OPTION_GROUP_LABEL_MAX": Agreement(
        limits.OPTION_GROUP_LABEL_MAX,
        OptionGroup.label_max_length,
        block=lambda n: _input(
            _select(
                option_groups=[
                    {"label": {"type": "plain_text", "text": "g" * n}, "options": _options(1)}
                ]
            )
        ),
        sdk_check=lambda n: OptionGroup(
            label="g" * n, options=[Option(text="o", value="v")]
        ).validate_json(),
    ),
    "OVERFLOW_OPTIONS_MAX": Agreement(
        limits.OVERFLOW_OPTIONS_MAX,
        OverflowMenuElement.options_max_length,
        block=lambda n: {
            "type": "actions",
            "elements": [{"type": "overflow", "action_id": "o", "options": _options(n)}],
        },
    ),
    "MODAL_TITLE_MAX": Agreement(
        limits.MODAL_TITLE_MAX,
        View.title_max_length,
        view=lambda n: _modal(title={"type": "plain_text", "text": "t" * n}),
    ),
    "MODAL_BUTTON_TEXT_MAX": Agreement(
        limits.MODAL_BUTTON_TEXT_MAX,
        View.close_max_length,
        view=lambda n: _modal(close={"type": "plain_text", "text": "c" * n}),
    ),
    "VIEW_BLOCKS_MAX": Agreement(
        limits.VIEW_BLOCKS_MAX,
        View.blocks_max_length,
        view=lambda n: _modal(blocks=[{"type": "divider"}] * n),
    ),
    "PRIVATE_METADATA_MAX": Agreement(
        limits.PRIVATE_METADATA_MAX,
        View.private_metadata_max_length,
        view=lambda n: _modal(private_metadata="m" * n),
    ),
    "CALLBACK_ID_MAX": Agreement(
        limits.CALLBACK_ID_MAX,
        View.callback_id_max_length,
        view=lambda n: _modal(callback_id="c" * n),
    ),
}


def _problems(agreement: Agreement, n: int) -> list[str]:
    if agreement.view is not None:
        return view_problems(agreement.view(n))
    assert agreement.block is not None
    return message_problems([agreement.block(n)], "text")


def _sdk_refuses(agreement: Agreement, n: int) -> bool:
    if agreement.sdk_check is not None:
        check = agreement.sdk_check
    elif agreement.view is not None:
        make_view = agreement.view
        check = lambda n: View(**make_view(n)).validate_json()  # noqa: E731
    else:
        assert agreement.block is not None
        check = _sdk_parses(agreement.block)
    try:
        check(n)
    except Exception:  # slack_sdk raises several kinds
        return True
    return False


@pytest.mark.parametrize("name", AGREEMENTS)
def test_a_limit_slack_sdk_checks_too_has_slack_sdks_figure(name: str) -> None:
    agreement = AGREEMENTS[name]

    assert getattr(limits, name) == agreement.limit == agreement.sdk_figure


@pytest.mark.parametrize("name", AGREEMENTS)
def test_the_validator_and_slack_sdk_both_accept_the_limit_and_both_refuse_one_more(
    name: str,
) -> None:
    agreement = AGREEMENTS[name]

    assert _problems(agreement, agreement.limit) == []
    assert not _sdk_refuses(agreement, agreement.limit)
    assert _problems(agreement, agreement.limit + 1) != []
    assert _sdk_refuses(agreement, agreement.limit + 1)


def test_a_header_of_151_characters_is_refused_by_both() -> None:
    header = {"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}

    [problem] = message_problems([header], "text")

    assert "150" in problem
    with pytest.raises(Exception, match="150"):
        HeaderBlock(text="h" * 151).validate_json()


# --- one module: every limit is used, no builder writes one as a number ------------------

LIMIT_NAMES = sorted(
    name for name, value in vars(limits).items() if name.isupper() and isinstance(value, int)
)
# Figures Slack sets that a builder might be tempted to write again as a number.
LIMIT_FIGURES = {150, 2000, 3000, 12000, 40000}


def _numbers_in(path: Path) -> list[tuple[int, str]]:
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
    return [
        (token.start[0], token.string)
        for token in tokens
        if token.type == tokenize.NUMBER
        and token.string.replace("_", "").isdigit()
        and int(token.string) in LIMIT_FIGURES
    ]


def test_no_builder_writes_a_slack_limit_as_a_number() -> None:
    literals = [
        f"{path.relative_to(ROOT)}:{line}: {number}"
        for path in sorted(BLOCKS.rglob("*.py"))
        if path.name != "limits.py"
        for line, number in _numbers_in(path)
    ]

    assert literals == []


def test_no_builder_defines_its_own_constant_for_a_slack_limit() -> None:
    # Builders keep product choices (REQUEST_TYPE_MAX, HANDOFF_LINE_MAX), never Slack's names.
    redefined = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in sorted(BLOCKS.rglob("*.py"))
        if path.name != "limits.py"
        for name in LIMIT_NAMES
        if re.search(rf"^{name}\s*[:=]", path.read_text(encoding="utf-8"), flags=re.M)
    ]

    assert redefined == []


def test_every_limit_is_used_by_a_builder_the_validator_or_slack_sdk() -> None:
    users = [p for p in BLOCKS.rglob("*.py") if p.name != "limits.py"]
    users.append(ROOT / "tests" / "blocks" / "conftest.py")
    source = "\n".join(p.read_text(encoding="utf-8") for p in users)
    used = {name for name in LIMIT_NAMES if re.search(rf"\b{name}\b", source)}

    # A limit nobody names is still enforced when slack_sdk checks it with the same figure.
    assert set(LIMIT_NAMES) - used - set(AGREEMENTS) == set()


def test_the_validator_imports_nothing_but_slack_sdk_models_and_the_standard_library() -> None:
    code = (
        "import json, sys\n"
        "before = set(sys.modules)\n"
        "import blocks.validate\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in set(sys.modules) - before})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(result.stdout))

    assert loaded & {"aiohttp", "jinja2", "bot", "storage", "sqlalchemy", "sandbox"} == set()
    assert {"slack_sdk", "blocks"} <= loaded
