"""Ids are a wire protocol: each has exactly one listener, lives only in blocks/ids.py, and every
listener asks Bolt only for arguments Bolt (or our middleware) provides."""

from __future__ import annotations

import inspect
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from slack_bolt.kwargs_injection.async_args import AsyncArgs

from blocks import ids
from bot.app import FEATURES
from handlers import outdated

ROOT = Path(__file__).resolve().parents[1]
PROVIDED_BY_MIDDLEWARE = {"deps"}
BOLT_ARGUMENTS = set(inspect.signature(AsyncArgs.__init__).parameters) - {"self", "kwargs"}


class RegistrationRecorder:
    """Stands in for AsyncApp while each feature registers: records what listens to what."""

    def __init__(self) -> None:
        self.listeners: list[tuple[str, str, Callable[..., Any]]] = []

    def _kind(self, kind: str) -> Callable[[Any], Callable[[Callable[..., Any]], Any]]:
        def register(constraint: Any) -> Callable[[Callable[..., Any]], Any]:
            def decorate(listener: Callable[..., Any]) -> Callable[..., Any]:
                self.listeners.append((kind, str(constraint), listener))
                return listener

            return decorate

        return register

    def __getattr__(self, kind: str) -> Any:
        if kind in {"action", "view", "view_closed", "command", "shortcut", "event", "options"}:
            return self._kind(kind)
        raise AttributeError(kind)

    def error(self, listener: Callable[..., Any]) -> None:
        self.listeners.append(("error", "", listener))


def registered() -> RegistrationRecorder:
    recorder = RegistrationRecorder()
    for feature in FEATURES:
        feature.register(recorder)  # type: ignore[arg-type]
    return recorder


def test_every_id_has_exactly_one_listener() -> None:
    recorder = registered()
    counts = Counter((kind, constraint) for kind, constraint, _ in recorder.listeners)
    expected = (
        [("action", a.value) for a in ids.ActionId]
        + [("view", v.value) for v in ids.ViewId if v not in ids.READ_ONLY_VIEWS]
        + [("command", c.value) for c in ids.Command]
        + [("shortcut", s.value) for s in ids.Shortcut]
        + [("event", "app_home_opened")]
        + [("action", f.value) for f in ids.DISPATCHED_FIELDS]
    )
    for key in expected:
        assert counts[key] == 1, f"{key} has {counts[key]} listeners"
    catch_all = {(kind, str(outdated.ANY_ID)) for kind, _, _ in recorder.listeners}
    extra = set(counts) - set(expected) - {("error", "")} - catch_all
    assert not extra, f"listeners for ids not in blocks/ids.py: {extra}"


def test_what_no_listener_answers_is_answered_by_the_catch_all_registered_last() -> None:
    """Bolt takes the first listener that matches: a catch-all before a feature would
    swallow its clicks."""
    kinds = [(kind, constraint) for kind, constraint, _ in registered().listeners]
    catch_all = [i for i, (_, constraint) in enumerate(kinds) if constraint == str(outdated.ANY_ID)]
    assert catch_all == list(range(len(kinds) - len(catch_all), len(kinds)))
    assert {kinds[i][0] for i in catch_all} >= {"action", "view", "shortcut", "command", "event"}


def test_every_listener_asks_only_for_arguments_that_exist() -> None:
    for kind, constraint, listener in registered().listeners:
        names = set(inspect.signature(listener).parameters)
        unknown = (
            names
            - BOLT_ARGUMENTS
            - PROVIDED_BY_MIDDLEWARE
            - ({"error", "response"} if kind == "error" else set())
        )
        assert not unknown, f"{kind} {constraint}: {listener.__name__} asks for {unknown}"


def test_no_id_is_written_as_a_literal_outside_ids_module() -> None:
    values = [
        member.value
        for enum in (ids.ActionId, ids.ViewId, ids.Shortcut, ids.Command, ids.FieldId)
        for member in enum
    ]
    pattern = re.compile("|".join(rf"[\"']{re.escape(v)}[\"']" for v in values))
    offenders = []
    for folder in ("bot", "handlers", "blocks", "storage"):
        for path in (ROOT / folder).rglob("*.py"):
            if path == ROOT / "blocks" / "ids.py":
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if pattern.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_every_form_that_changes_an_item_answers_through_the_once_per_view_path() -> None:
    """A form's submission acts once per view only if its use case is given the view id:
    `answer_submission` hands it over. Intake has its own (the item it makes is the answer);
    the catch-all changes nothing."""
    own_path = {ids.ViewId.INTAKE.value, str(outdated.ANY_ID)}
    for kind, constraint, listener in registered().listeners:
        if kind != "view" or constraint in own_path:
            continue
        source = inspect.getsource(listener)
        assert "answer_submission(" in source, f"{constraint}: {listener.__name__}"
