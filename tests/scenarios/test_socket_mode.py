"""`carequeue run` with SLACK_APP_TOKEN serves Slack over Socket Mode, end to end, offline.

The real CLI runs as a subprocess with its Web API pointed at the stub. It opens its
WebSocket through the stub's ``apps.connections.open``; a person's /intake and modal
submission arrive as envelopes, and the app's own outbox worker posts the card on the
real clock, so the test waits for it instead of draining an outbox itself.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import aiohttp
import pytest
from sqlalchemy import select

from blocks.ids import Command
from bot.config import EXAMPLE_PRACTICE
from sandbox.side.interactions import SlackSide
from sandbox.stub.server import SlackStub
from storage.db import create_engine
from storage.models import ItemRow
from tests.scenarios.conftest import DEFAULT_REQUEST, FRONT_DESK
from tests.scenarios.intake_api import PHONE_SYSTEM_REQUEST

REPO_ROOT = Path(__file__).resolve().parents[2]
BOT_TOKEN = "xoxb-socket-scenario"
APP_TOKEN = "xapp-1-A0CAREQ-1-socket-scenario"
STARTUP_SECONDS = 30.0
SHUTDOWN_SECONDS = 15.0
# The subprocess answers on the real clock, on a loaded CI machine too.
APP_SECONDS = 15.0

# Settings the parent process may carry that would change what the child does.
_INHERITED_OUT = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_API_URL",
    "DATABASE_URL",
    "HOST",
    "PORT",
    "CAREQUEUE_PRACTICE_FILE",
    "LOG_LEVEL",
)


def free_port() -> int:
    """A TCP port nobody listens on right now (the child binds it moments later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def socket_mode_env(stub: SlackStub, database_url: str, port: int) -> dict[str, str]:
    """The child's environment: Socket Mode tokens, the stub, no signing secret, no proxy."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in _INHERITED_OUT and not key.lower().endswith("_proxy")
    }
    env.update(
        {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_APP_TOKEN": APP_TOKEN,
            "SLACK_API_URL": stub.base_url,
            "DATABASE_URL": database_url,
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "CAREQUEUE_PRACTICE_FILE": str(EXAMPLE_PRACTICE),
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def app_output(log_path: Path) -> str:
    """What the child printed so far, for failure messages."""
    return log_path.read_text(encoding="utf-8", errors="replace")


@pytest.fixture
def app_log(tmp_path: Path) -> Iterator[tuple[Path, IO[bytes]]]:
    """A file for the child's output (a pipe nobody reads could fill and stall it)."""
    path = tmp_path / "carequeue-run.log"
    with path.open("wb") as handle:
        yield path, handle


async def wait_until_healthy(
    process: asyncio.subprocess.Process, url: str, log_path: Path
) -> dict[str, object]:
    """Poll /healthz until it answers 200, the process exits, or the startup bound passes."""
    deadline = asyncio.get_running_loop().time() + STARTUP_SECONDS
    async with aiohttp.ClientSession() as session:
        while asyncio.get_running_loop().time() < deadline:
            if process.returncode is not None:
                pytest.fail(
                    f"carequeue run exited with {process.returncode}:\n{app_output(log_path)}"
                )
            try:
                async with session.get(url) as response:
                    if response.status == 200:
                        return await response.json()
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)  # the bounded readiness loop for a starting process
    pytest.fail(f"no /healthz within {STARTUP_SECONDS}s:\n{app_output(log_path)}")


async def latest_item_key(database_url: str) -> str | None:
    """The newest item's key, read from the database the child writes."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            return await connection.scalar(select(ItemRow.key).order_by(ItemRow.id.desc()))
    finally:
        await engine.dispose()


async def test_carequeue_run_serves_slack_over_socket_mode(
    stub: SlackStub, database_url: str, app_log: tuple[Path, IO[bytes]]
) -> None:
    log_path, log_file = app_log
    port = free_port()
    app_root = f"http://127.0.0.1:{port}"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        cwd=REPO_ROOT,
        env=socket_mode_env(stub, database_url, port),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=log_file,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        health = await wait_until_healthy(process, f"{app_root}/healthz", log_path)
        assert health["status"] == "ok"
        await stub.socket_connected(timeout=APP_SECONDS)

        # The app token went to apps.connections.open on SLACK_API_URL, nowhere else:
        # once to check it at start-up, once to connect.
        opened = stub.calls_to("apps.connections.open")
        assert len(opened) == 2 and all(call.response["ok"] for call in opened)

        # In Socket Mode there is no request URL to serve; health still is.
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{app_root}/slack/events", data="command=%2Fintake") as r:
                assert r.status == 404
            async with session.get(f"{app_root}/healthz") as r:
                assert r.status == 200

        async with SlackSide(stub=stub, transport="socket", ack_timeout=APP_SECONDS) as slack:
            typed = await slack.slash_command(FRONT_DESK, Command.INTAKE)
            assert typed.status == 200
            [opened_modal] = await stub.wait_for_call("views.open", timeout=APP_SECONDS)
            assert opened_modal.response["ok"] is True, opened_modal.response
            view_id = stub.open_views(FRONT_DESK)[-1]["id"]

            submitted = await slack.submit_view(FRONT_DESK, view_id, DEFAULT_REQUEST)
            assert submitted.status == 200
            assert submitted.json is not None, submitted.body
            assert "errors" not in submitted.json, submitted.json

        await stub.wait_until(lambda: bool(stub.messages("#cq-scheduling")), timeout=APP_SECONDS)
        key = await latest_item_key(database_url)
        assert key is not None
        [card] = stub.messages("#cq-scheduling")
        assert card.text.startswith(f"{key} "), card.text
        assert card.blocks

        # The intake API is served on the same HTTP server in Socket Mode too.
        secret = await create_token(database_url)
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                f"{app_root}/api/v1/requests",
                json=PHONE_SYSTEM_REQUEST,
                headers={"Authorization": f"Bearer {secret}"},
            ) as r,
        ):
            assert r.status == 201, await r.text()
            posted = (await r.json())["key"]
        await stub.wait_until(
            lambda: len(stub.messages("#cq-scheduling")) == 2, timeout=APP_SECONDS
        )
        assert stub.messages("#cq-scheduling")[-1].text.startswith(f"{posted} ")

        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), timeout=SHUTDOWN_SECONDS)
        assert process.returncode == 0, app_output(log_path)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def create_token(database_url: str) -> str:
    """A token for an integration, made in the database the child reads (as `carequeue
    tokens create` would)."""
    from bot.clock import SystemClock
    from bot.config import load_practice
    from bot.services.intake_api import IntakeApiServices
    from bot.services.items import ItemServices
    from storage.db import session_factory
    from storage.uow import UnitOfWorkFactory

    engine = create_engine(database_url)
    try:
        uow, practice, clock = (
            UnitOfWorkFactory(session_factory(engine)),
            load_practice(EXAMPLE_PRACTICE),
            SystemClock(),
        )
        api = IntakeApiServices(uow, practice, clock, ItemServices(uow, practice, clock))
        _, secret = await api.create_token("Phone system")
        return secret
    finally:
        await engine.dispose()


async def test_carequeue_run_stops_at_once_when_slack_refuses_the_app_token(
    database_url: str, stub: SlackStub
) -> None:
    stub.fail_next("apps.connections.open", times=1, status=200, error="invalid_auth")
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        cwd=REPO_ROOT,
        env=socket_mode_env(stub, database_url, port),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(process.communicate(), timeout=APP_SECONDS)
    assert process.returncode == 2
    assert b"SLACK_APP_TOKEN: Slack refused it (invalid_auth)" in err
