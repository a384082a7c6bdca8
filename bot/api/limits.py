"""How fast one integration token may post: a token bucket per token, in this process.

Several replicas each keep their own buckets, so a practice running N of them allows up to
N times the configured rate; the limit is there to stop a runaway integration, not to meter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime


@dataclass
class _Bucket:
    tokens: float
    at: datetime


class RateLimiter:
    """`burst` requests at once per key, refilled at `per_minute`."""

    def __init__(self, per_minute: int, burst: int) -> None:
        self.per_second = per_minute / 60
        self.burst = burst
        self._buckets: dict[int, _Bucket] = {}

    def take(self, key: int, now: datetime) -> float:
        """Take one request for `key`: 0 when allowed, else the seconds until one is."""
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(tokens=float(self.burst), at=now)
        elapsed = max(0.0, (now - bucket.at).total_seconds())
        bucket.tokens = min(float(self.burst), bucket.tokens + elapsed * self.per_second)
        bucket.at = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.per_second


def retry_after(seconds: float) -> str:
    """The Retry-After header: whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))
