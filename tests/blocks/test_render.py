"""One renderer per practice: its wording reaches every reply, and no builder can quietly fall
back to the packaged wording."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import blocks
from blocks.render import PracticeRenderer
from bot.config import Practice
from bot.domain.events import Event
from bot.domain.items import Action, Refusal, RefusalCode
from tests.blocks.conftest import NOW, make_claimed


def _public_callables() -> Iterator[tuple[str, Callable[..., Any]]]:
    """Every public function and method defined in a module of blocks/."""
    for info in pkgutil.walk_packages(blocks.__path__, prefix="blocks."):
        module = importlib.import_module(info.name)
        for name, member in vars(module).items():
            if name.startswith("_") or getattr(member, "__module__", None) != module.__name__:
                continue
            if inspect.isfunction(member):
                yield f"{module.__name__}.{name}", member
            elif inspect.isclass(member):
                for method_name, method in vars(member).items():
                    if inspect.isfunction(method):
                        yield f"{module.__name__}.{name}.{method_name}", method


BUILDERS = dict(_public_callables())


def test_the_builders_are_found() -> None:
    assert "blocks.ephemeral.refusal_message" in BUILDERS
    assert "blocks.card.item_card" in BUILDERS
    assert "blocks.render.PracticeRenderer.refusal" in BUILDERS


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_no_builder_has_an_optional_environment(name: str) -> None:
    """A default environment would be the packaged wording, silently ignoring the practice's."""
    env = inspect.signature(BUILDERS[name]).parameters.get("env")
    assert env is None or env.default is inspect.Parameter.empty, (
        f"{name}: `env` must be passed (the practice's renderer has it)"
    )


@pytest.fixture
def renderer(example_practice: Practice, tmp_path: Path) -> PracticeRenderer:
    for name, text in {
        "refusal.not_owner.j2": "Sólo {{ owner_mention }} puede tocar {{ key|slack }}.",
        "error.j2": "Falló (ref {{ reference|slack }}).",
        "notice.form_not_opened.j2": "El formulario no abrió.",
        "thread.claim.j2": "Lo tomó {{ actor_mention }}",
    }.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return PracticeRenderer(dataclasses.replace(example_practice, templates_dir=tmp_path))


def test_the_renderer_speaks_the_practices_words_in_direct_replies(
    renderer: PracticeRenderer,
) -> None:
    refused = Refusal(RefusalCode.NOT_OWNER, "CQ-7", Action.CLOSE, owner="U1")
    assert renderer.refusal(refused).text == "Sólo <@U1> puede tocar CQ-7."
    assert renderer.error("7KQ2").text == "Falló (ref 7KQ2)."
    assert renderer.form_not_opened().text == "El formulario no abrió."


def test_the_renderer_speaks_the_practices_words_in_the_thread(
    renderer: PracticeRenderer,
) -> None:
    event = Event(item_key="CQ-1042", action=Action.CLAIM, actor="U2", at=NOW)
    assert renderer.thread_entry(event, make_claimed())["text"] == "Lo tomó <@U2>"


def test_what_the_practice_did_not_override_keeps_the_packaged_wording(
    renderer: PracticeRenderer,
) -> None:
    missing = renderer.refusal(Refusal(RefusalCode.NOT_FOUND, "CQ-9"))
    assert missing.text == "There is no item CQ-9."
