"""Integrations: the phone systems, portals and web forms that post requests to the intake API,
each with its own token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ApiToken:
    """An integration allowed to post requests; `revoked_at` set once it no longer is. Only
    the token's hash is stored; this is never the secret."""

    id: int
    name: str
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None
