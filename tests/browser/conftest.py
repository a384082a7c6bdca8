"""Browser tests of the sandbox page: Debian's Chromium, driven by Playwright, on a sandbox
started in this process (the real app in HTTP mode behind the local workspace page).

Everything runs on one event loop (the session's): Playwright's objects belong to the loop
that made them, and the sandbox serves the page from the same loop. Never a downloaded
browser: the tests use /usr/bin/chromium (or `chromium` on PATH) and skip without it.
"""

from __future__ import annotations

import asyncio
import importlib.util
import shutil
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

DEBIAN_CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM = str(DEBIAN_CHROMIUM) if DEBIAN_CHROMIUM.exists() else shutil.which("chromium")
if CHROMIUM is None:
    pytest.skip(
        "browser tests need Debian's Chromium (/usr/bin/chromium or `chromium` on PATH); "
        "install it with `apt-get install chromium`",
        allow_module_level=True,
    )
if importlib.util.find_spec("playwright") is None:
    pytest.skip(
        "browser tests need the playwright package: pip install -e '.[dev]'",
        allow_module_level=True,
    )

import pytest_asyncio  # noqa: E402
from playwright.async_api import (  # noqa: E402
    Browser,
    BrowserContext,
    Page,
    async_playwright,
    expect,
)

from bot.config import EXAMPLE_PRACTICE, load_practice, settings_from_env  # noqa: E402
from sandbox.workspace import Workspace, run_sandbox  # noqa: E402

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1440, "height": 900}
# A Monday morning in the example practice's zone: "To closing time" is then 5:00 PM
# whatever day the suite runs (Wednesdays close at 7 PM, Fridays at 4 PM).
MONDAY_9AM = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("America/New_York"))

# Cards arrive through the outbox worker, paced like Slack (a post per channel per second,
# an edit per 1.2 s): give auto-waiting assertions room for a few of those.
expect.set_options(timeout=15_000)

CALL_FAILED = pytest.StashKey[bool]()


@dataclass
class Sandbox:
    url: str
    workspace: Workspace


@dataclass
class Pages:
    """Opens pages, each in its own browser context (its own person), and closes them all."""

    browser: Browser
    errors: list[str] = field(default_factory=list)
    allowed: list[str] = field(default_factory=list)
    _contexts: list[BrowserContext] = field(default_factory=list)

    def allow(self, error: str) -> None:
        """A test provokes an error the page reports: do not count it against the page."""
        self.allowed.append(error)

    def unexpected_errors(self) -> list[str]:
        return [e for e in self.errors if not any(a in e for a in self.allowed)]

    async def open(self, url: str, *, polling: bool = True) -> Page:
        """A new person's tab on `url`. Without `polling` the page's timers never fire, so
        it re-reads the state only when the person acts in it: a stale (background) tab."""
        context = await self.browser.new_context(viewport=VIEWPORT)
        self._contexts.append(context)
        if not polling:
            start = datetime.now(UTC)
            await context.clock.install(time=start)
            await context.clock.pause_at(start + timedelta(seconds=1))
        page = await context.new_page()
        page.on("pageerror", lambda err: self.errors.append(f"page error: {err}"))
        page.on(
            "console",
            lambda msg: self.errors.append(f"console: {msg.text}") if msg.type == "error" else None,
        )
        await page.goto(url)
        return page

    async def screenshot_all(self, folder: Path, name: str) -> None:
        """Keep what each open page showed (for a failed test)."""
        shown = [page for context in self._contexts for page in context.pages]
        for number, page in enumerate(shown, start=1):
            await page.screenshot(path=folder / f"failed-{name}-{number}.png")

    async def close(self) -> None:
        for context in self._contexts:
            await context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """test-artifacts/ at the repository root (gitignored): screenshots land here."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[CALL_FAILED] = report.failed
    return report


@pytest_asyncio.fixture(loop_scope="session")
async def pages(
    browser: Browser, request: pytest.FixtureRequest, artifacts: Path
) -> AsyncIterator[Pages]:
    """Browser pages for one test; a failed test leaves test-artifacts/failed-<test>-<n>.png."""
    opened = Pages(browser)
    yield opened
    if request.node.stash.get(CALL_FAILED, False):
        await opened.screenshot_all(artifacts, request.node.name)
    await opened.close()
    unexpected = opened.unexpected_errors()
    assert not unexpected, "the page logged errors:\n" + "\n".join(unexpected)


async def _running(
    demo: bool, prepare: Callable[[Workspace], None] = lambda workspace: None
) -> AsyncIterator[Sandbox]:
    practice = load_practice(EXAMPLE_PRACTICE)
    ready: asyncio.Queue[tuple[str, Workspace]] = asyncio.Queue()
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_sandbox(
            settings_from_env({}, port=0),
            practice,
            demo=demo,
            on_ready=lambda url, workspace: ready.put_nowait((url, workspace)),
            stop=stop,
        )
    )
    url, workspace = await asyncio.wait_for(ready.get(), timeout=30)
    prepare(workspace)
    try:
        yield Sandbox(url, workspace)
        workspace.stub.assert_no_problems()
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=30)


def _monday_morning(workspace: Workspace) -> None:
    workspace.clock.set(MONDAY_9AM)


@pytest_asyncio.fixture(loop_scope="session")
async def sandbox() -> AsyncIterator[Sandbox]:
    """An empty practice whose clock reads Monday 9:00 AM (and runs on from there)."""
    async for started in _running(demo=False, prepare=_monday_morning):
        yield started


@pytest_asyncio.fixture(loop_scope="session")
async def demo_sandbox() -> AsyncIterator[Sandbox]:
    """`carequeue sandbox --demo`: forty requests logged at 8:05 AM on a working day."""
    async for started in _running(demo=True):
        yield started
