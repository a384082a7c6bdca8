"""A stopped app leaves nothing behind: nothing in the app holds its deps once it stops.

A whole run of the suite starts thousands of apps in each worker. When stopped apps stayed
reachable, full garbage collections grew to seconds and stalled tests at random moments.
"""

from __future__ import annotations

import gc
import weakref

from bot.clock import ManualClock
from bot.config import Practice
from sandbox.stub.server import SlackStub
from tests.conftest import forget_stopped_web_apps
from tests.scenarios.conftest import start_clinic, stop_clinic


async def test_a_stopped_clinic_is_collected_with_its_deps_and_engine(
    database_url: str, example_practice: Practice, clock: ManualClock, stub: SlackStub
) -> None:
    clinic, runner = await start_clinic(database_url, example_practice, clock, stub)
    key = await clinic.log_request()
    await clinic.deps.services.claim(item_key=key, actor="UFRONT01")
    await clinic.deliver()
    assert len(clinic.cards("scheduling")) == 1
    deps = weakref.ref(clinic.deps)
    engine = weakref.ref(clinic.deps.engine)
    web = weakref.ref(runner.app)

    await stop_clinic(clinic, runner)
    del clinic, runner
    forget_stopped_web_apps()
    gc.collect()

    assert web() is None, "the stopped web app is still reachable"
    assert deps() is None, "the stopped app's deps are still reachable"
    assert engine() is None, "the stopped app's engine is still reachable"
