"""The audit trail out of the database: every event since a date, as CSV or JSON lines."""

from __future__ import annotations

import csv
import json
from collections.abc import AsyncIterator
from datetime import datetime
from enum import StrEnum
from typing import TextIO

from bot.domain.events import Event
from storage.uow import UnitOfWorkFactory

COLUMNS = ("id", "at", "item_key", "action", "actor", "before", "after")
PAGE = 1000


class ExportFormat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"


async def events_since(uow: UnitOfWorkFactory, since: datetime) -> AsyncIterator[Event]:
    """Every event at or after `since`, oldest first, read a page at a time."""
    after_id = 0
    while True:
        async with uow.read() as tx:
            page = await tx.events.page_after(since, after_id, PAGE)
        for event in page:
            yield event
        if len(page) < PAGE:
            return
        after_id = page[-1].id or after_id


def _row(event: Event) -> dict[str, object]:
    return {
        "id": event.id,
        "at": event.at.isoformat(),
        "item_key": event.item_key,
        "action": event.action.value,
        "actor": event.actor,
        "before": dict(event.before),
        "after": dict(event.after),
    }


async def export_events(
    uow: UnitOfWorkFactory, since: datetime, fmt: ExportFormat, out: TextIO
) -> int:
    """Write the events since `since` to `out`; return how many were written."""
    count = 0
    writer = csv.DictWriter(out, fieldnames=COLUMNS) if fmt is ExportFormat.CSV else None
    if writer is not None:
        writer.writeheader()
    async for event in events_since(uow, since):
        row = _row(event)
        if writer is not None:
            row["before"] = json.dumps(row["before"], sort_keys=True)
            row["after"] = json.dumps(row["after"], sort_keys=True)
            writer.writerow(row)
        else:
            out.write(json.dumps(row, sort_keys=True) + "\n")
        count += 1
    return count
