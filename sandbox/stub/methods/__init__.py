"""The Web API methods the stub answers, one module per family of methods. Each module's
``METHODS`` maps a method name to a function of the state it works on and the arguments."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, TypeVar

Handler = Callable[[dict[str, Any]], dict[str, Any]]
"""A method bound to its state: the call's arguments -> the answer (or SlackError)."""

State = TypeVar("State")


def bind(
    methods: Mapping[str, Callable[[State, dict[str, Any]], dict[str, Any]]], state: State
) -> dict[str, Handler]:
    """``methods`` with their state argument filled in."""
    return {name: partial(method, state) for name, method in methods.items()}
