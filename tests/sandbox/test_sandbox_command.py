"""The README's first command, run as a newcomer runs it: `carequeue sandbox --demo`.

The installed console script starts as a process of its own, announces the page, serves it
on loopback, delivers the demo morning's forty cards to the lane channels, and stops
cleanly on Ctrl-C.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path
from typing import Any

import aiohttp

from bot.config import EXAMPLE_PRACTICE, load_practice
from sandbox.demo import REQUESTS
from tests.scenarios.test_socket_mode import free_port

CAREQUEUE = Path(sys.executable).with_name("carequeue")
START_SECONDS = 60.0
STOP_SECONDS = 15.0


async def read_announcement(process: asyncio.subprocess.Process) -> str:
    """The page URL the command prints once all is up."""
    assert process.stdout is not None
    seen: list[str] = []
    async with asyncio.timeout(START_SECONDS):
        async for raw in process.stdout:
            line = raw.decode(errors="replace")
            seen.append(line)
            found = re.search(r"open (http://\S+)", line)
            if found:
                return found.group(1)
    raise AssertionError("the sandbox exited without announcing its page:\n" + "".join(seen))


async def lane_card_count(session: aiohttp.ClientSession, url: str) -> int:
    async with session.get(url + "sandbox/state") as response:
        assert response.status == 200
        state: dict[str, Any] = await response.json()
    lanes = {
        lane.channel.removeprefix("#") for lane in load_practice(EXAMPLE_PRACTICE).lanes.values()
    }
    return sum(c["message_count"] for c in state["channels"] if c["name"] in lanes)


async def test_the_readme_sandbox_command_serves_the_demo_morning_and_stops_on_ctrl_c() -> None:
    assert CAREQUEUE.exists(), f"{CAREQUEUE} is missing: pip install -e '.[dev]' installs it"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
    process = await asyncio.create_subprocess_exec(
        str(CAREQUEUE),
        "sandbox",
        "--demo",
        "--port",
        str(port),
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        url = await read_announcement(process)
        assert url == f"http://127.0.0.1:{port}/"

        # Keep reading the output, or a chatty process would block on a full pipe.
        assert process.stdout is not None
        drain = asyncio.create_task(process.stdout.read())
        async with aiohttp.ClientSession() as session:
            async with session.get(url) as page:
                assert page.status == 200
                assert "CareQueue" in await page.text()
            cards = 0
            for _ in range(int(START_SECONDS * 2)):  # the outbox paces a post per channel per s
                cards = await lane_card_count(session, url)
                if cards >= REQUESTS:
                    break
                await asyncio.sleep(0.5)
            assert cards == REQUESTS

        process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.wait(), timeout=STOP_SECONDS)
        output = (await drain).decode(errors="replace")
        assert process.returncode == 0, output
        assert "Traceback" not in output
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
