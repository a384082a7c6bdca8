"""What Slack would refuse in a message or a view: slack_sdk's checks, then the limits it misses.

Pure (slack_sdk.models and json): the builders' tests and the stub Web API both ask it, so
a payload the tests accept is one the stub accepts. Each function returns the problems as
sentences, empty when Slack would take the payload.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from slack_sdk.models.basic_objects import JsonObject
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from blocks import limits


def message_problems(
    blocks: object = None,
    text: object = None,
    *,
    text_required: bool = True,
) -> list[str]:
    """What Slack would refuse in a message's ``blocks`` (dicts or slack_sdk blocks) and ``text``.

    ``text_required``: blocks need a notification ``text`` beside them (slack_sdk only warns,
    but lock screens show nothing else); methods that take no text pass False.
    """
    problems: list[str] = []
    if blocks is not None:
        dicts, problems = _as_dicts(blocks)
        if dicts is not None:
            problems.extend(
                _blocks_problems(
                    dicts,
                    max_blocks=limits.MESSAGE_BLOCKS_MAX,
                    max_json_chars=limits.MESSAGE_BLOCKS_JSON_MAX,
                )
            )
        if text_required and not text:
            problems.append("text is required alongside blocks (it is the notification)")
    if isinstance(text, str) and len(text) > limits.MESSAGE_TEXT_MAX:
        problems.append(f"text is {len(text)} chars, more than {limits.MESSAGE_TEXT_MAX}")
    return problems


def view_problems(view: object, *, expected_type: str | None = None) -> list[str]:
    """What Slack would refuse in a view (a dict or a slack_sdk View): modal or App Home."""
    if isinstance(view, View):
        try:
            view = view.to_dict()
        except Exception as exc:  # to_dict validates; slack_sdk raises several kinds
            return [f"view: {exc}"]
    if not isinstance(view, dict):
        return [f"view must be an object, got {type(view).__name__}"]
    problems: list[str] = []
    view_type = view.get("type")
    if view_type not in ("modal", "home"):
        problems.append(f"view type must be 'modal' or 'home', got {view_type!r}")
    elif expected_type is not None and view_type != expected_type:
        problems.append(f"view type must be {expected_type!r} here, got {view_type!r}")
    try:
        View(**view).validate_json()
    except Exception as exc:  # slack_sdk raises several kinds for malformed input
        problems.append(f"view: {exc}")
    if view_type == "modal":
        problems.extend(_modal_problems(view))
    metadata = view.get("private_metadata")
    if isinstance(metadata, str) and len(metadata) > limits.PRIVATE_METADATA_MAX:
        problems.append(
            f"view: private_metadata is {len(metadata)} chars, "
            f"more than {limits.PRIVATE_METADATA_MAX}"
        )
    if view.get("blocks") is None:
        problems.append("view: a view needs blocks")
    problems.extend(
        f"view {p}"
        for p in _blocks_problems(
            view.get("blocks") or [], max_blocks=limits.VIEW_BLOCKS_MAX, max_json_chars=None
        )
    )
    return problems


def _modal_problems(view: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    title = view.get("title")
    if not isinstance(title, dict) or not title.get("text"):
        problems.append("view: a modal needs a title")
    for key, most in (
        ("title", limits.MODAL_TITLE_MAX),
        ("submit", limits.MODAL_BUTTON_TEXT_MAX),
        ("close", limits.MODAL_BUTTON_TEXT_MAX),
    ):
        value = view.get(key)
        text = _text_of(value)
        if text is not None and len(text) > most:
            problems.append(f"view: {key} is {len(text)} chars, more than {most}")
        if text == "":
            problems.append(f"view: {key} is empty")
        if isinstance(value, dict) and value.get("type", "plain_text") != "plain_text":
            problems.append(f"view: {key} must be plain_text")
    blocks = view.get("blocks") or []
    has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
    if has_input and not view.get("submit"):
        problems.append("view: a modal with input blocks needs a submit button")
    return problems


def _as_dicts(blocks: object) -> tuple[list[Any] | None, list[str]]:
    """Blocks as dicts: slack_sdk blocks rendered (to_dict validates them), dicts as they are."""
    if not isinstance(blocks, list | tuple):
        return None, [f"blocks must be a list, got {type(blocks).__name__}"]
    dicts: list[Any] = []
    problems: list[str] = []
    for index, block in enumerate(blocks):
        if isinstance(block, JsonObject):
            try:
                dicts.append(block.to_dict())
            except Exception as exc:  # slack_sdk raises several kinds for malformed input
                problems.append(f"block {index}: {exc}")
        else:
            dicts.append(block)
    return dicts, problems


def _blocks_problems(blocks: object, *, max_blocks: int, max_json_chars: int | None) -> list[str]:
    if not isinstance(blocks, list):
        return [f"blocks must be a list, got {type(blocks).__name__}"]
    problems: list[str] = []
    if len(blocks) > max_blocks:
        problems.append(f"{len(blocks)} blocks, more than {max_blocks}")
    if max_json_chars is not None:
        size = len(json.dumps(blocks, separators=(",", ":"), ensure_ascii=False))
        if size > max_json_chars:
            problems.append(f"blocks JSON is {size} chars, more than {max_json_chars}")
    seen_block_ids: set[str] = set()
    for index, raw in enumerate(blocks):
        if not isinstance(raw, dict):
            problems.append(f"block {index} is not an object")
            continue
        where = f"block {index} ({raw.get('type')!r}, block_id={raw.get('block_id')!r})"
        block_id = raw.get("block_id")
        if isinstance(block_id, str):
            if block_id in seen_block_ids:
                problems.append(f"{where}: duplicate block_id")
            seen_block_ids.add(block_id)
        problems.extend(f"{where}: {p}" for p in _one_block_problems(raw))
    return problems


def _one_block_problems(raw: dict[str, Any]) -> list[str]:
    try:
        block = Block.parse(raw)
    except Exception as exc:
        return [f"cannot be parsed: {exc}"]
    if block is None or type(block) is Block:
        return ["unknown block type"]
    problems: list[str] = []
    try:
        _validate_tree(block)
    except Exception as exc:
        problems.append(str(exc))
    if _has_unparsed_element(block):
        problems.append("contains an element of unknown type")
    problems.extend(_limits_slack_sdk_misses(raw))
    return problems


def _validate_tree(obj: JsonObject) -> None:
    """validate_json() on ``obj`` and every nested slack_sdk object (it does not recurse)."""
    obj.validate_json()
    for name in obj.attributes:
        value = getattr(obj, name, None)
        children = value if isinstance(value, list | tuple) else [value]
        for child in children:
            if isinstance(child, JsonObject):
                _validate_tree(child)


def _has_unparsed_element(obj: JsonObject) -> bool:
    for name in obj.attributes:
        value = getattr(obj, name, None)
        if isinstance(value, list | tuple):
            if any(child is None for child in value):
                return True
            if any(isinstance(c, JsonObject) and _has_unparsed_element(c) for c in value):
                return True
        elif isinstance(value, JsonObject) and _has_unparsed_element(value):
            return True
    return False


def _limits_slack_sdk_misses(node: object, path: str = "") -> list[str]:
    """Limits Slack enforces that slack_sdk.models lets through, checked on the raw dicts."""
    if isinstance(node, list):
        return [
            problem
            for i, child in enumerate(node)
            for problem in _limits_slack_sdk_misses(child, f"{path}[{i}]")
        ]
    if not isinstance(node, dict):
        return []
    problems = list(_node_problems(node, path))
    for i, option in enumerate(_options_of(node)):
        problems.extend(_option_problems(option, f"{path}.option[{i}]"))
    for key, value in node.items():
        if key not in ("options", "initial_options", "option_groups") and isinstance(
            value, dict | list
        ):
            problems.extend(_limits_slack_sdk_misses(value, f"{path}.{key}"))
    return problems


def _node_problems(node: dict[str, Any], path: str) -> Iterator[str]:
    kind = node.get("type")
    if kind in ("plain_text", "mrkdwn"):
        text = node.get("text")
        if not text:
            yield f"{path}: empty {kind} text"
        elif isinstance(text, str) and len(text) > limits.TEXT_OBJECT_MAX:
            # Any text object, e.g. a context block's (slack_sdk checks only a section's).
            yield f"{path} is {len(text)} chars, more than {limits.TEXT_OBJECT_MAX}"
    if kind == "section":
        for i, fld in enumerate(node.get("fields") or []):
            text = _text_of(fld)
            if text is not None and len(text) > limits.SECTION_FIELD_TEXT_MAX:
                yield (
                    f"{path}.fields[{i}] is {len(text)} chars, "
                    f"more than {limits.SECTION_FIELD_TEXT_MAX}"
                )
    if kind == "header":
        text_type = (node.get("text") or {}).get("type")
        if text_type != "plain_text":
            yield f"{path}: a header's text must be plain_text, got {text_type!r}"
    if kind == "context":
        elements = node.get("elements") or []
        if not elements:
            yield f"{path}: a context block needs at least one element"
    if kind == "actions" and not node.get("elements"):
        yield f"{path}: an actions block needs at least one element"
    if kind == "plain_text_input":
        yield from _text_input_problems(node, path)
    if kind == "overflow":
        count = len(node.get("options") or [])
        if not limits.OVERFLOW_OPTIONS_MIN <= count <= limits.OVERFLOW_OPTIONS_MAX:
            yield (
                f"{path}: overflow menu has {count} options, needs "
                f"{limits.OVERFLOW_OPTIONS_MIN}-{limits.OVERFLOW_OPTIONS_MAX}"
            )
    if kind in ("static_select", "multi_static_select"):
        yield from _static_select_problems(node, path)


def _text_input_problems(node: dict[str, Any], path: str) -> Iterator[str]:
    for key in ("max_length", "min_length"):
        value = node.get(key)
        if isinstance(value, int) and value > limits.PLAIN_TEXT_INPUT_MAX_LENGTH:
            yield f"{path}.{key} is {value}, more than {limits.PLAIN_TEXT_INPUT_MAX_LENGTH}"
    most, initial = node.get("max_length"), node.get("initial_value")
    if isinstance(most, int) and most < 1:
        yield f"{path}.max_length is {most}, less than 1"
    if isinstance(most, int) and isinstance(initial, str) and len(initial) > most:
        yield f"{path}.initial_value is {len(initial)} chars, more than its max_length {most}"


def _static_select_problems(node: dict[str, Any], path: str) -> Iterator[str]:
    groups = [g for g in node.get("option_groups") or [] if isinstance(g, dict)]
    for i, group in enumerate(groups):
        if not group.get("options"):
            yield f"{path}.option_groups[{i}] has no options"
        label = _text_of(group.get("label"))
        if label is not None and len(label) > limits.OPTION_GROUP_LABEL_MAX:
            yield (
                f"{path}.option_groups[{i}].label is {len(label)} chars, "
                f"more than {limits.OPTION_GROUP_LABEL_MAX}"
            )
    options = list(_options_of({"options": node.get("options"), "option_groups": groups}))
    if not options:
        yield f"{path}: a select without options"
    initial = node.get("initial_option")
    if initial is not None and initial not in options:
        yield f"{path}.initial_option is not one of its options"


def _options_of(node: dict[str, Any]) -> Iterable[object]:
    """Every option of an element, its initial ones and those inside its option groups."""
    for key in ("options", "initial_options"):
        yield from node.get(key) or []
    for group in node.get("option_groups") or []:
        if isinstance(group, dict):
            yield from group.get("options") or []


def _option_problems(option: object, path: str) -> list[str]:
    if not isinstance(option, dict):
        return [f"{path} is not an object"]
    problems = []
    text = _text_of(option.get("text"))
    if text is not None and len(text) > limits.OPTION_TEXT_MAX:
        problems.append(f"{path}.text is {len(text)} chars, more than {limits.OPTION_TEXT_MAX}")
    value = option.get("value")
    if isinstance(value, str) and len(value) > limits.OPTION_VALUE_MAX:
        problems.append(f"{path}.value is {len(value)} chars, more than {limits.OPTION_VALUE_MAX}")
    return problems


def _text_of(obj: object) -> str | None:
    if isinstance(obj, dict) and isinstance(obj.get("text"), str):
        return obj["text"]
    if isinstance(obj, str):
        return obj
    return None
