"""What Slack would refuse before running a method: arguments its Web API spec requires,
unknown methods, and payloads over Block Kit's limits."""

from __future__ import annotations

import inspect
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from blocks.validate import message_problems, view_problems

WEB_API_REQUIRED_PARAMS = Path(__file__).parents[1] / "conformance" / "web_api_required_params.json"
"""Every method in Slack's Web API spec with the arguments it requires (see its README)."""
NEWER_METHODS = WEB_API_REQUIRED_PARAMS.with_name("newer_methods.json")
"""Methods newer than that spec, with the arguments Slack's documentation requires."""

TEXT_REQUIRED_WITH_BLOCKS = frozenset(
    {"chat.postMessage", "chat.update", "chat.postEphemeral", "chat.scheduleMessage"}
)
_VIEW_TYPE_BY_METHOD = {"views.publish": "home", "views.open": "modal", "views.push": "modal"}


@lru_cache(maxsize=1)
def load_required_params() -> dict[str, tuple[str, ...]]:
    """Method name -> arguments Slack's spec marks required (token aside), plus the methods
    newer than the spec."""
    newer = json.loads(NEWER_METHODS.read_text(encoding="utf-8"))
    table = {**newer, **json.loads(WEB_API_REQUIRED_PARAMS.read_text(encoding="utf-8"))}
    return {method: tuple(names) for method, names in table.items()}


@lru_cache(maxsize=1)
def slack_sdk_methods() -> frozenset[str]:
    """Every Web API method AsyncWebClient can call (covers methods newer than the spec)."""
    try:
        source = inspect.getsource(AsyncWebClient)
    except (OSError, TypeError):
        source = ""
    names = set(re.findall(r'api_call\(\s*"([A-Za-z0-9_.]+)"', source))
    if not names:  # no source available: derive from the method names instead
        names = {
            name.replace("_", ".")
            for name, _ in inspect.getmembers(AsyncWebClient, inspect.iscoroutinefunction)
            if not name.startswith("_")
        }
    return frozenset(names)


def spec_problems(
    method: str, args: dict[str, Any], required: dict[str, tuple[str, ...]]
) -> tuple[list[str], str]:
    """What the spec's table says is wrong with the call, and the error Slack answers."""
    needed = required.get(method)
    if needed is None:
        if method in slack_sdk_methods():
            return [], ""
        return [f"unknown method {method!r} (not in Slack's spec or slack_sdk)"], "unknown_method"
    missing = [name for name in needed if args.get(name) in (None, "")]
    return [f"missing required argument {name!r}" for name in missing], "invalid_arguments"


def payload_problems(method: str, args: dict[str, Any]) -> list[str]:
    """Block Kit problems in the call's blocks, text and view."""
    problems = message_problems(
        args.get("blocks"),
        args.get("text"),
        text_required=method in TEXT_REQUIRED_WITH_BLOCKS,
    )
    if args.get("view") is not None:
        expected = _VIEW_TYPE_BY_METHOD.get(method)
        problems.extend(view_problems(args["view"], expected_type=expected))
    return problems
