"""The end-of-day digest's numbers, as plain values: what the managers read at closing time.

Storage fills a `Digest` with one read (storage/repositories/digest.py); blocks/digest.py
turns it into a message. Lists are capped by the query (the oldest or most urgent first),
with their full counts beside them, so the digest costs the same at 8 or 800 open items.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class DigestItem:
    """One item named in the digest, with where its card is (to link its key)."""

    key: str
    lane: str
    received_at: datetime
    due_at: datetime
    owner: str | None
    patient_name: str
    card_channel_id: str | None = None
    card_ts: str | None = None


@dataclass(frozen=True)
class LaneDigest:
    lane: str
    open: int
    overdue: int
    oldest_received_at: datetime | None


@dataclass(frozen=True)
class Digest:
    """The practice at `now` on business day `day`: the header numbers, then the detail.

    `overdue_items`, `unclaimed_items` and `resolved_items` hold at most the query's cap
    each; `overdue`, `unclaimed` and `resolved_today` are the full counts.
    """

    day: date
    now: datetime
    open: int
    unclaimed: int
    overdue: int
    promises_missed: int
    escalations_open: int
    resolved_today: int
    lanes: tuple[LaneDigest, ...]
    owners: tuple[tuple[str, int], ...]  # (owner, open items), most first
    overdue_items: tuple[DigestItem, ...]
    unclaimed_items: tuple[DigestItem, ...]
    resolved_items: tuple[DigestItem, ...]
