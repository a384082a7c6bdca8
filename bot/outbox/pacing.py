"""How fast the outbox may write to Slack, and what it knows of Slack's health.

Pacing counts from Slack's answer, not from when a row was picked up: the next post to a
channel goes `post_interval` after the previous one was answered, so Slack never sees two
posts to one channel closer than that. While Slack fails (5xx, timeouts, refused
connections) one probe call at a time finds out when it is back; the first answer ends
every backoff.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.outbox.kinds import HOME_PUBLISHES, WORKSPACE_EDITS


@dataclass(frozen=True)
class Pacing:
    """Seconds between writes and the outbox's patience.

    post_interval: posts to one channel (Slack: about 1 a second); edit_interval: chat.update
    per workspace (about 50 a minute); publish_interval: views.publish (Tier 4, about 100 a
    minute). lease_seconds: how long a row in flight is held, renewed while its call runs, so
    a crashed process's rows are free again within that. probe_seconds: while Slack fails,
    one call this often finds out whether it is back. max_failures: errors of a row's own
    (not Slack's, not the network's) before it becomes a dead letter.
    """

    post_interval: float = 1.0
    edit_interval: float = 1.2
    publish_interval: float = 0.6
    lease_seconds: float = 10.0
    max_backoff_seconds: float = 300.0
    probe_seconds: float = 5.0
    max_failures: int = 5
    batch: int = 200

    @property
    def round_gap(self) -> float:
        """Seconds between the starts of two delivery rounds, at least. Every commit that
        queues a write wakes the worker: in a burst of clicks that is hundreds of wake-ups a
        second, each a round that reads the queue to find that every channel is still paced.
        A tenth of a second (or the shortest pace, if shorter) costs a card nothing Slack's
        pace would not, and a burst a round per gap instead of a round per commit."""
        return max(0.0, min(0.1, self.post_interval, self.edit_interval, self.publish_interval))

    def interval(self, key: str) -> timedelta:
        seconds = {
            WORKSPACE_EDITS: self.edit_interval,
            HOME_PUBLISHES: self.publish_interval,
        }.get(key, self.post_interval)
        return timedelta(seconds=seconds)

    def backoff(self, attempts: int) -> float:
        return float(min(2 ** max(attempts - 1, 0), self.max_backoff_seconds))


class SlackProbe:
    """What this outbox has seen of Slack lately: failing since when, and when to probe."""

    def __init__(self, probe_seconds: float) -> None:
        self._probe = timedelta(seconds=probe_seconds)
        self.failing_since: datetime | None = None
        self.next_probe: datetime | None = None

    @property
    def failing(self) -> bool:
        return self.failing_since is not None

    def failed(self, now: datetime) -> None:
        if self.failing_since is None:
            self.failing_since = now
        self.next_probe = now + self._probe

    def answered(self) -> bool:
        """Slack answered; returns whether it had been failing."""
        was = self.failing
        self.failing_since = None
        self.next_probe = None
        return was

    def may_probe(self, now: datetime) -> bool:
        return self.next_probe is None or now >= self.next_probe
