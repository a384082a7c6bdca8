"""`/cq metrics [7d|30d]`: the metrics on demand, for managers, as a DM with its chart."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp

from blocks.ephemeral import notice
from blocks.ids import Command
from bot.deps import ListenerDeps
from bot.domain.items import Role

PERIODS = {"": 7, "7d": 7, "30d": 30}


def register(app: AsyncApp) -> None:
    """Nothing of its own: `/cq` (handlers/cq.py) routes `metrics` here."""


async def answer_metrics(ack: AsyncAck, deps: ListenerDeps, user: str, rest: str) -> None:
    """Queue the metrics of the last 7 or 30 days to the asker's DM (the outbox posts them
    and uploads the chart, so an outage delays rather than loses them); managers only."""
    if Role.MANAGER not in deps.roles.actor_for(user).roles:
        await ack(**notice("The metrics are for the practice's managers.").to_payload())
        return
    days = PERIODS.get(rest.strip().casefold())
    if days is None:
        await ack(**notice(f"Usage: `{Command.CQ} metrics [7d|30d]`.").to_payload())
        return
    await deps.metrics.send_report(user, days)
    text = f"The metrics of the last {days} days are on their way to your DM with CareQueue."
    await ack(**notice(text).to_payload())
