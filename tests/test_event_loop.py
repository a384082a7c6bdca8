"""The event loop `carequeue run` and the sandbox serve on (bot/event_loop.py)."""

from __future__ import annotations

import asyncio
import logging
import sys

import pytest
import uvloop

from bot import cli, event_loop
from bot.config import ConfigError, settings_from_env


async def loop_type() -> type:
    return type(asyncio.get_running_loop())


def test_the_app_serves_on_uvloop_unless_told_asyncio() -> None:
    assert settings_from_env({}).event_loop == "uvloop"
    assert settings_from_env({"CAREQUEUE_EVENT_LOOP": " Asyncio "}).event_loop == "asyncio"

    assert issubclass(event_loop.run(loop_type()), uvloop.Loop)
    assert issubclass(event_loop.run(loop_type(), "uvloop"), uvloop.Loop)
    on_asyncio = event_loop.run(loop_type(), "asyncio")
    assert issubclass(on_asyncio, asyncio.AbstractEventLoop)
    assert not issubclass(on_asyncio, uvloop.Loop)


def test_an_unknown_loop_is_a_configuration_problem() -> None:
    with pytest.raises(ConfigError) as raised:
        settings_from_env({"CAREQUEUE_EVENT_LOOP": "trio"})
    assert raised.value.problems == [
        "CAREQUEUE_EVENT_LOOP: must be one of uvloop, asyncio, not 'trio'"
    ]


def test_without_uvloop_installed_the_app_serves_on_asyncio_and_says_so(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # import uvloop raises ImportError

    with caplog.at_level(logging.WARNING, logger="bot.event_loop"):
        served_on = event_loop.run(loop_type(), "uvloop")

    assert not issubclass(served_on, uvloop.Loop)
    assert "uvloop is not installed" in caplog.text


@pytest.mark.parametrize(
    ("command", "variable", "expected"),
    [
        (["run"], "", "uvloop"),
        (["sandbox"], "", "uvloop"),
        (["run"], "asyncio", "asyncio"),
    ],
)
def test_run_and_sandbox_are_served_on_the_configured_loop(
    monkeypatch: pytest.MonkeyPatch, command: list[str], variable: str, expected: str
) -> None:
    chosen: list[str] = []

    def served(main: object, loop: str = "uvloop") -> int:
        chosen.append(loop)
        main.close()  # type: ignore[attr-defined]  # the coroutine is not run here
        return 0

    monkeypatch.setattr(event_loop, "run", served)
    monkeypatch.setenv("CAREQUEUE_EVENT_LOOP", variable)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "secret")

    assert cli.main(command) == 0
    assert chosen == [expected]
