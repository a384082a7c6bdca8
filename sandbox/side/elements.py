"""Block Kit read as a person's Slack client reads it: the element a person acts on, the
option they pick, and the ``view.state.values`` Slack builds from what they entered."""

from __future__ import annotations

from datetime import date
from datetime import time as clock_time
from typing import Any

# element type -> (key in view.state.values, value when the person left it empty)
_STATE_SHAPES: dict[str, tuple[str, Any]] = {
    "plain_text_input": ("value", None),
    "email_text_input": ("value", None),
    "url_text_input": ("value", None),
    "number_input": ("value", None),
    "static_select": ("selected_option", None),
    "external_select": ("selected_option", None),
    "radio_buttons": ("selected_option", None),
    "multi_static_select": ("selected_options", []),
    "multi_external_select": ("selected_options", []),
    "checkboxes": ("selected_options", []),
    "users_select": ("selected_user", None),
    "multi_users_select": ("selected_users", []),
    "conversations_select": ("selected_conversation", None),
    "multi_conversations_select": ("selected_conversations", []),
    "channels_select": ("selected_channel", None),
    "multi_channels_select": ("selected_channels", []),
    "datepicker": ("selected_date", None),
    "timepicker": ("selected_time", None),
    "datetimepicker": ("selected_date_time", None),
    "rich_text_input": ("rich_text_value", None),
}

# state key -> the element field that holds its initial value (sent if the person
# does not touch the input, as Slack does)
_INITIAL_FIELDS: dict[str, str] = {
    "value": "initial_value",
    "selected_option": "initial_option",
    "selected_options": "initial_options",
    "selected_user": "initial_user",
    "selected_users": "initial_users",
    "selected_conversation": "initial_conversation",
    "selected_conversations": "initial_conversations",
    "selected_channel": "initial_channel",
    "selected_channels": "initial_channels",
    "selected_date": "initial_date",
    "selected_time": "initial_time",
    "selected_date_time": "initial_date_time",
    "rich_text_value": "initial_value",
}


def _elements_of(block: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for key in ("elements", "accessory", "element"):
        value = block.get(key)
        if isinstance(value, dict):
            found.append(value)
        elif isinstance(value, list):
            found.extend(v for v in value if isinstance(v, dict))
    return found


def find_element(
    blocks: list[dict[str, Any]],
    action_id: str,
    block_id: str | None,
    value: str | None,
    kinds: tuple[str, ...],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The block and element of one of ``kinds`` with ``action_id`` (narrowed by ``block_id``
    and a button's ``value``); ValueError naming what there is instead."""
    available = []
    for block in blocks:
        for element in _elements_of(block):
            if element.get("type") not in kinds:
                continue
            available.append(f"{block.get('block_id')}/{element.get('action_id')}")
            if element.get("action_id") != action_id:
                continue
            if block_id is not None and block.get("block_id") != block_id:
                continue
            if value is not None and element.get("value") != value:
                continue
            return block, element
    raise ValueError(
        f"no {'/'.join(kinds)} with action_id={action_id!r}"
        f"{f' block_id={block_id!r}' if block_id else ''}"
        f"{f' value={value!r}' if value is not None else ''}; there are: {available or 'none'}"
    )


def find_option(element: dict[str, Any], value: str) -> dict[str, Any]:
    """The option with ``value`` in a select or overflow menu, groups included."""
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    for option in options:
        if option.get("value") == value:
            return option
    offered = [o.get("value") for o in options]
    raise ValueError(f"no option with value {value!r} in {element.get('action_id')!r}: {offered}")


def state_values(view: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """Build ``view.state.values`` as Slack does, from what the person entered."""
    inputs = {
        b["block_id"]: b
        for b in view.get("blocks", [])
        if b.get("type") == "input" and "element" in b
    }
    unknown = set(values) - set(inputs)
    if unknown:
        raise ValueError(f"no input blocks {sorted(unknown)} in the view; it has {sorted(inputs)}")
    state: dict[str, Any] = {}
    for block_id, block in inputs.items():
        element = block["element"]
        kind = element.get("type")
        if kind not in _STATE_SHAPES:
            raise ValueError(f"input {block_id!r} has an element type the sandbox lacks: {kind}")
        key, empty = _STATE_SHAPES[kind]
        if block_id in values:
            entered = _shape_value(element, key, values[block_id])
        else:
            entered = element.get(_INITIAL_FIELDS[key], empty)
        state[block_id] = {element["action_id"]: {"type": kind, key: entered}}
    return state


def _shape_value(element: dict[str, Any], key: str, value: Any) -> Any:
    if value is None:
        return _STATE_SHAPES[element["type"]][1]
    if key == "selected_option":
        return value if isinstance(value, dict) else find_option(element, str(value))
    if key == "selected_options":
        return [v if isinstance(v, dict) else find_option(element, str(v)) for v in value]
    if key in ("selected_users", "selected_conversations", "selected_channels"):
        return [str(v) for v in value]
    if key == "selected_date" and isinstance(value, date):
        return value.isoformat()
    if key == "selected_time" and isinstance(value, clock_time):
        return value.strftime("%H:%M")
    if key == "selected_date_time":
        return int(value)
    if key == "rich_text_value":
        return value
    return str(value)
