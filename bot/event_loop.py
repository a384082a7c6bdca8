"""The event loop the app serves on: uvloop (libuv), where it is installed, else asyncio's.

The app is one process on one loop: every Slack request, intake API delivery, outbox post
and job shares it. uvloop runs the same code with less of the loop's own work per socket
event and callback: the intake API served 1,700 items/s on SQLite on uvloop against about
1,250 on asyncio's loop (bench/intake_api.py, README's Benchmarks). Tests run on asyncio's
loop (pytest-asyncio); the processes the scenario tests start (`carequeue run`, the
sandbox) run on the loop this module picks, as a practice's would.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T], loop: str = "uvloop") -> T:
    """`asyncio.run(main)` on the loop named `loop` (Settings.event_loop): "uvloop", which
    falls back to asyncio's own where uvloop is not installed (Windows), or "asyncio"."""
    if loop == "uvloop":
        try:
            import uvloop
        except ImportError:
            log.warning("uvloop is not installed: serving on asyncio's event loop")
        else:
            return uvloop.run(main)
    return asyncio.run(main)
