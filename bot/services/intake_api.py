"""The intake API's use cases: integration tokens (created, listed, revoked, checked) and
deliveries, which become items through the same intake as Slack's, once per idempotency key."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import uuid4

from bot.clock import Clock
from bot.domain.intake import IntakeRequest
from bot.domain.integrations import ApiToken
from bot.domain.items import INTEGRATION_ACTOR_PREFIX, Item
from bot.domain.practice import Practice
from bot.services.base import ServiceBase
from bot.services.items import ItemServices
from storage.uow import UnitOfWorkFactory

TOKEN_PREFIX = "cq_"


def token_hash(secret: str) -> str:
    """What is stored for a token: its SHA-256. The secret has 256 random bits, so a plain
    hash is enough (nothing to guess); the secret itself is shown once and never kept."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def integration_actor(token: ApiToken) -> str:
    return f"{INTEGRATION_ACTOR_PREFIX}{token.id}"


@dataclass(frozen=True)
class Delivered:
    """The item a delivery made, or (`created` False) the one an earlier delivery with the
    same idempotency key made."""

    item: Item
    created: bool


class IntakeApiServices(ServiceBase):
    """Tokens and deliveries of the intake API."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        practice: Practice,
        clock: Clock,
        items: ItemServices,
        on_enqueued: Callable[[], None] = lambda: None,
    ) -> None:
        super().__init__(uow, practice, clock, on_enqueued)
        self._items = items

    async def create_token(self, name: str) -> tuple[ApiToken, str]:
        """A new token for the integration `name`; the secret is returned once, never stored."""
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        async with self._uow() as tx:
            token = await tx.api_tokens.add(name.strip(), token_hash(secret), self.clock.now())
            await tx.commit()
        return token, secret

    async def tokens(self) -> list[ApiToken]:
        async with self._uow.read() as tx:
            return await tx.api_tokens.all()

    async def revoke_token(self, token_id: int) -> bool:
        """Revoke a token at once; False when there is no such active token."""
        async with self._uow() as tx:
            revoked = await tx.api_tokens.revoke(token_id, self.clock.now())
            await tx.commit()
        return revoked

    async def authenticate(self, secret: str) -> ApiToken | None:
        """The active token `secret` belongs to; None for an unknown or revoked one."""
        if not secret.startswith(TOKEN_PREFIX):
            return None
        async with self._uow.read() as tx:
            token = await tx.api_tokens.by_hash(token_hash(secret))
        return token if token is not None and token.active else None

    async def deliver(
        self,
        token: ApiToken,
        request: IntakeRequest,
        *,
        received_at: datetime | None,
        idempotency_key: str = "",
        source_id: str = "",
    ) -> Delivered:
        """Log a request an integration sent, exactly as Slack intake logs one (routing,
        repeat contacts, the card), in one transaction with the record of its delivery.

        With an idempotency key (or the source system's id in its place), a delivery
        whose key this token used before makes nothing and answers the item the first
        one made: retries and simultaneous duplicates give one item (a unique constraint
        decides, on SQLite and PostgreSQL alike).
        """
        # Without either, every delivery is new; its row still says which token made the item.
        key = idempotency_key or (f"source:{source_id}" if source_id else f"once:{uuid4()}")
        async with self._uow() as tx:
            delivery_id = await tx.api_deliveries.claim(token.id, key, source_id, self.clock.now())
            if delivery_id is None:
                existing = await tx.api_deliveries.item_key(token.id, key)
                item = await tx.items.get(existing or "")
                if item is None:  # the claim and its item commit together: never
                    raise RuntimeError("a delivery was claimed without its item")
                return Delivered(item=item, created=False)
            done, item_id = await self._items.log_in(
                tx, request, actor=integration_actor(token), received_at=received_at
            )
            await tx.api_deliveries.settle(delivery_id, item_id)
            await tx.commit()
        self._items.logged(done.item)
        return Delivered(item=done.item, created=True)

    async def status(self, token: ApiToken, item_key: str) -> Item | None:
        """The item `item_key`, if this token delivered it: an integration sees what it
        sent, never the rest of the queue (keys are a counter, easy to walk)."""
        async with self._uow.read() as tx:
            return await tx.api_deliveries.delivered(token.id, item_key)
