"""Delivery of the Slack writes that services committed to the outbox table.

kinds.py: what a row is and which of Slack's limits paces it; pacing.py: how fast, and
Slack's health; delivery.py: one row, one Slack call; reconcile.py: was it posted already?;
errors.py: what became of a delivery; worker.py: the loop that leases, delivers, records
and dead-letters.
"""

from bot.outbox.delivery import Renderer
from bot.outbox.pacing import Pacing
from bot.outbox.worker import DrainReport, Outbox

__all__ = ["DrainReport", "Outbox", "Pacing", "Renderer"]
