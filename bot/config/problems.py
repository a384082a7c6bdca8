"""The problems a person reads: `ConfigError`, and pydantic's errors reworded as one
`path: message` each (`lanes[3].response_target: must be a duration like 4h or 1d`)."""

from __future__ import annotations

import difflib
import types
from collections.abc import Iterable, Sequence
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError

Loc = tuple[str | int, ...]


class ConfigError(Exception):
    """The configuration cannot be used; `problems` lists every reason, one `path: message` each."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems: list[str] = list(problems)
        super().__init__("\n".join(self.problems))


_ADAPTERS: dict[object, TypeAdapter[Any]] = {}


def validate(tp: object, value: object, at: Loc, problems: list[str]) -> Any:
    """Validate `value` as `tp`; on failure add one problem per error and return None."""
    adapter = _ADAPTERS.get(tp)
    if adapter is None:
        adapter = _ADAPTERS[tp] = TypeAdapter(tp)
    try:
        return adapter.validate_python(value)
    except ValidationError as exc:
        problems.extend(_describe_errors(exc, tp, at))
        return None


def _describe_errors(exc: ValidationError, tp: object, at: Loc) -> list[str]:
    errors = exc.errors(include_url=False)
    for error in errors:
        error["loc"] = tuple(part for part in error["loc"] if part != "[key]")
    # A misspelt key also makes the real one "missing"; report only the misspelling.
    suggested: set[Loc] = set()
    suggestions: dict[Loc, str] = {}
    for error in errors:
        if error["type"] == "extra_forbidden":
            loc = error["loc"]
            known = _known_keys(tp, loc[:-1])
            match = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
            if match:
                suggestions[loc] = match[0]
                suggested.add((*loc[:-1], match[0]))
    problems: list[str] = []
    for error in errors:
        loc = error["loc"]
        if error["type"] == "missing" and loc in suggested:
            continue
        if error["type"] == "extra_forbidden":
            hint = f" (did you mean {suggestions[loc]!r}?)" if loc in suggestions else ""
            message = f"unknown setting{hint}"
        else:
            message = _message(error)
        problems.append(f"{path_of(at + loc)}: {message}")
    return problems


def _message(error: Any) -> str:
    """Pydantic's error, reworded for a practice manager where a plainer sentence is easy."""
    kind: str = error["type"]
    ctx: dict[str, Any] = error.get("ctx") or {}
    value = error.get("input")
    match kind:
        case "missing":
            return "required setting is missing"
        case "value_error" | "assertion_error":
            return str(ctx.get("error", error["msg"]))
        case "string_type":
            return f"must be text, not {shown(value)}"
        case "string_too_short":
            return "must not be empty"
        case "string_too_long":
            return f"must be at most {ctx['max_length']} characters"
        case "int_type" | "int_parsing" | "int_from_float":
            return f"must be a whole number, not {shown(value)}"
        case "bool_type" | "bool_parsing":
            return f"must be true or false, not {shown(value)}"
        case "greater_than_equal":
            return f"must be at least {ctx['ge']}"
        case "list_type":
            return f"must be a list, not {shown(value)}"
        case "dict_type" | "model_type" | "model_attributes_type":
            return f"must be a set of `name: value` settings, not {shown(value)}"
        case "too_short":
            count = ctx["min_length"]
            return f"must list at least {count} {'entry' if count == 1 else 'entries'}"
        case "too_long":
            return f"must list at most {ctx['max_length']} entries, not {ctx['actual_length']}"
        case "enum" | "literal_error":
            return f"must be one of {ctx['expected']}, not {shown(value)}"
        case _ if kind.startswith("date_"):
            return f"must be a date like 2026-12-25, not {shown(value)}"
        case _:
            return str(error["msg"])


def shown(value: object) -> str:
    """`value` as a problem quotes it: text in quotes, a missing value as `empty`."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a set of settings"
    if isinstance(value, str):
        return repr(value)
    return str(value)


def path_of(loc: Sequence[object]) -> str:
    """`("lanes", 3, "response_target")` -> `lanes[3].response_target`."""
    text = ""
    for part in loc:
        if isinstance(part, int) and not isinstance(part, bool):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(file)"


def _known_keys(tp: object, loc: Sequence[object]) -> list[str]:
    """The setting names allowed at `loc` inside `tp`, for did-you-mean suggestions."""
    current: object = tp
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel) and isinstance(part, str):
            info = current.model_fields.get(part)
            if info is None:
                return []
            current = info.annotation
        elif get_origin(current) in (list, tuple) and isinstance(part, int):
            current = get_args(current)[0]
        elif get_origin(current) is dict:
            current = get_args(current)[1]
        else:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _unwrap(tp: object) -> object:
    """Strip Annotated and `X | None` down to the type that holds fields."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            arms = [arm for arm in get_args(tp) if arm is not type(None)]
            if len(arms) != 1:
                return tp
            tp = arms[0]
        else:
            return tp
