"""The retention purge (`carequeue purge`): closed items older than the practice's
`retention_days` lose their patient text, everywhere it is stored; the items, their events
(who did what, when) and their keys stay, labelled "redacted"."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.practice import Practice
from bot.domain.retention import ITEM_REDACTIONS, retention_cutoff
from storage.repositories.retention import LaneDue
from storage.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)

# Items redacted per transaction: short transactions, so a first purge of years of closed
# items never holds the database (SQLite's one writer) for long.
PURGE_BATCH = 200


@dataclass
class PurgeReport:
    """What a purge found due (per lane) and, unless it was a dry run, redacted."""

    cutoff: datetime | None  # None: the practice keeps closed items indefinitely
    due: dict[str, LaneDue] = field(default_factory=dict)
    redacted: int = 0
    batches: int = 0

    @property
    def oldest_closed_at(self) -> datetime | None:
        return min((d.oldest_closed_at for d in self.due.values()), default=None)

    @property
    def total_due(self) -> int:
        return sum(d.count for d in self.due.values())

    def lines(self, *, dry_run: bool) -> list[str]:
        """What `carequeue purge` prints: the total, then each lane's count and oldest."""
        if self.cutoff is None:
            return ["privacy.retention_days is not set: closed items are kept indefinitely"]
        verb, count = ("would redact", self.total_due) if dry_run else ("redacted", self.redacted)
        out = [f"{verb} {count} item(s) closed before {self.cutoff.isoformat(timespec='seconds')}"]
        for lane, due in sorted(self.due.items()):
            oldest = due.oldest_closed_at.isoformat(timespec="seconds")
            out.append(f"  {lane}\t{due.count}\toldest closed {oldest}")
        return out


async def purge(
    uow: UnitOfWorkFactory,
    practice: Practice,
    now: datetime,
    *,
    dry_run: bool = False,
    batch: int = PURGE_BATCH,
) -> PurgeReport:
    """Redact closed items closed more than `practice.retention_days` ago, `batch` items per
    transaction, longest closed first. A dry run only counts them. Nothing without a
    retention period, and an item already redacted is passed by: running it again changes
    nothing. Open items are never touched, however old."""
    if practice.retention_days is None:
        return PurgeReport(cutoff=None)
    cutoff = retention_cutoff(now, practice.retention_days)
    async with uow.read() as tx:
        report = PurgeReport(cutoff=cutoff, due=await tx.retention.due_per_lane(cutoff))
    if dry_run:
        return report
    while True:
        async with uow() as tx:
            ids = await tx.retention.next_batch(cutoff, limit=batch)
            if not ids:
                break
            await tx.retention.redact(ids, ITEM_REDACTIONS, now)
            await tx.commit()
        report.redacted += len(ids)
        report.batches += 1
    if report.redacted:
        log.info(
            "retention purge redacted %d closed item(s) closed before %s", report.redacted, cutoff
        )
    return report
