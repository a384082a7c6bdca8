"""The end-of-day digest's numbers, as plain values: what the managers read at closing time.

Storage fills a `Digest` with one read (storage/repositories/digest.py); blocks/digest.py
turns it into a message. Lists are capped by the query (the oldest or most urgent first),
with their full counts beside them, so the digest costs the same at 8 or 800 open items.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.domain.escalation import EscalationState


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
class DigestPromise:
    """A promise to a patient due today and not kept. `text` is staff's free text: a
    builder shows it only where the privacy level allows a summary."""

    item: DigestItem
    due_at: datetime
    text: str


@dataclass(frozen=True)
class DigestWaiting:
    """An item parked on an outside party (`waiting_for`, the choice: "referral_office")
    since `since` (the latest Waiting on…; None when no such event is recorded). Staff's
    own words about the wait never reach the digest."""

    item: DigestItem
    waiting_for: str
    since: datetime | None
    check_back_at: datetime | None


@dataclass(frozen=True)
class DigestEscalation:
    """An escalation not yet resolved: unacknowledged (`OPEN`, `NO_RESPONSE`) or
    acknowledged and still open."""

    item: DigestItem
    rule: str
    state: EscalationState
    opened_at: datetime
    ack_due_at: datetime
    acknowledged_by: str | None


@dataclass(frozen=True)
class LaneDigest:
    lane: str
    open: int
    overdue: int
    oldest_received_at: datetime | None


@dataclass(frozen=True)
class Digest:
    """The practice at `now` on business day `day`: the header numbers, then the detail.

    `overdue_items`, `unclaimed_items`, `resolved_items`, `promises_due`, `waiting_items`
    and `escalations` hold at most the query's cap each; `overdue`, `unclaimed`,
    `resolved_today`, `promises_missed`, `waiting` and `escalations_open` are the full counts.
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
    promises_due: tuple[DigestPromise, ...] = ()
    waiting: int = 0
    waiting_items: tuple[DigestWaiting, ...] = ()
    escalations: tuple[DigestEscalation, ...] = ()

    def listed(self) -> tuple[DigestItem, ...]:
        """Every item the digest names, in every list (to learn the workspace's address
        from any one posted card)."""
        return (
            *self.overdue_items,
            *self.unclaimed_items,
            *self.resolved_items,
            *(p.item for p in self.promises_due),
            *(w.item for w in self.waiting_items),
            *(e.item for e in self.escalations),
        )
