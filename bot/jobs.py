"""Work CareQueue does by itself on the app's event loop: bringing waiting items back.

Every replica may run it: each resume is a version-checked change, so an item comes back once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.deps import Deps

log = logging.getLogger(__name__)

CHECK_BACK_EVERY_SECONDS = 60.0


async def check_back_loop(
    deps: Deps, stop: asyncio.Event, every: float = CHECK_BACK_EVERY_SECONDS
) -> None:
    """Resume waiting items whose check-back time has come, now and then every `every`
    seconds, until `stop` is set.

    A failing run is logged with its traceback and tried again on the next turn: one bad
    item or a database blip must not end check-backs for good. Logs item keys only.
    """
    while not stop.is_set():
        try:
            resumed = await deps.work.run_check_backs()
        except Exception:
            log.exception("check-back run failed; trying again in %.0fs", every)
        else:
            if resumed:
                log.info("check-backs resumed %d item(s): %s", len(resumed), " ".join(resumed))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every)
