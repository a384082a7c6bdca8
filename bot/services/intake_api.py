"""The intake API's use cases: integration tokens (created, listed, revoked, checked) and
deliveries, which become items through the same intake as Slack's, once per idempotency key."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from uuid import uuid4

from bot.clock import Clock
from bot.domain.intake import IntakeRequest
from bot.domain.integrations import ApiToken
from bot.domain.items import INTEGRATION_ACTOR_PREFIX, Item
from bot.domain.practice import Practice
from bot.services.base import OnEnqueued, ServiceBase, followed_merges
from bot.services.group_commit import GroupCommit
from bot.services.intake import Intake
from bot.services.items import ItemServices
from storage.uow import UnitOfWork, UnitOfWorkFactory

TOKEN_PREFIX = "cq_"
# How long a token found active is trusted before it is read again (a revocation still
# stops the next delivery at once: its transaction checks).
AUTH_CACHE_SECONDS = 5.0
AUTH_CACHE_MAX = 1000


class TokenRevoked(Exception):
    """The token was revoked after the request was authenticated: nothing was stored."""

    def __init__(self, token_id: int) -> None:
        super().__init__(f"token {token_id} was revoked")
        self.token_id = token_id


def token_hash(secret: str) -> str:
    """What is stored for a token: its SHA-256. The secret has 256 random bits, so a plain
    hash is enough (nothing to guess); the secret itself is shown once and never kept."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


# api_deliveries.idempotency_key holds 200 characters, as does a source id.
KEY_COLUMN = 200
SOURCE_PREFIX = "source:"


def source_key(source_id: str) -> str:
    """The key a delivery without an Idempotency-Key is stored under: its source id,
    prefixed, or for a source id too long to fit beside the prefix its SHA-256 (the column
    would refuse it on PostgreSQL)."""
    key = f"{SOURCE_PREFIX}{source_id}"
    if len(key) <= KEY_COLUMN:
        return key
    return f"source-sha256:{hashlib.sha256(source_id.encode('utf-8')).hexdigest()}"


def integration_actor(token: ApiToken) -> str:
    return f"{INTEGRATION_ACTOR_PREFIX}{token.id}"


@dataclass(frozen=True)
class Delivered:
    """The item a delivery made, or (`created` False) the one an earlier delivery with the
    same idempotency key made. `same_request` False: that earlier delivery carried a
    different request (its fingerprint differs), so this one stored nothing and must be
    refused, not answered with the other request's item."""

    item: Item
    created: bool
    same_request: bool = True


@dataclass(frozen=True)
class Delivery:
    """One delivery handed to the group commit: what to log, and the key it is stored under."""

    token: ApiToken
    request: IntakeRequest
    received_at: datetime | None
    key: str
    source_id: str
    fingerprint: str | None  # of the request (bot.api.body.fingerprint); None: not compared


def _same(first: str | None, again: str | None) -> bool:
    """Whether a delivery under a used key carries the request the key was first used for
    (not known on either side, as for a key stored before fingerprints were kept: the same)."""
    return first is None or again is None or first == again


class IntakeApiServices(ServiceBase):
    """Tokens and deliveries of the intake API."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        practice: Practice,
        clock: Clock,
        items: ItemServices,
        on_enqueued: OnEnqueued = lambda keys=None: None,
    ) -> None:
        super().__init__(uow, practice, clock, on_enqueued)
        self._items = items
        self._group: GroupCommit[Delivery, Delivered] = GroupCommit(uow, self._deliver_all)
        self._active: dict[str, tuple[ApiToken, float]] = {}  # token hash -> (token, when)
        self._reading: dict[str, asyncio.Future[ApiToken | None]] = {}  # token hash -> read

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
        self._active.clear()  # this process forgets it now; every other checks in its writes
        return revoked

    async def authenticate(self, secret: str) -> ApiToken | None:
        """The active token `secret` belongs to; None for an unknown or revoked one.

        A token found active is remembered for AUTH_CACHE_SECONDS, so a burst of
        deliveries does not read it each time; a delivery still checks, in the transaction
        that writes its item, that the token was not revoked meanwhile (TokenRevoked).
        """
        if not secret.startswith(TOKEN_PREFIX):
            return None
        digest = token_hash(secret)
        cached = self._active.get(digest)
        if cached is not None and time.monotonic() - cached[1] < AUTH_CACHE_SECONDS:
            return cached[0]
        # Requests that find the token unknown or stale together share one read: a burst
        # of 50 read it once a cache period, not 50 times.
        reading = self._reading.get(digest)
        if reading is None:
            reading = self._reading[digest] = asyncio.ensure_future(self._read_token(digest))
            reading.add_done_callback(lambda _: self._reading.pop(digest, None))
        return await asyncio.shield(reading)

    async def _read_token(self, digest: str) -> ApiToken | None:
        async with self._uow.read() as tx:
            token = await tx.api_tokens.by_hash(digest)
        if token is None or not token.active:
            self._active.pop(digest, None)
            return None
        if len(self._active) >= AUTH_CACHE_MAX:
            self._active.clear()
        self._active[digest] = (token, time.monotonic())
        return token

    async def deliver(
        self,
        token: ApiToken,
        request: IntakeRequest,
        *,
        received_at: datetime | None,
        idempotency_key: str = "",
        source_id: str = "",
        fingerprint: str | None = None,
    ) -> Delivered:
        """Log a request an integration sent, exactly as Slack intake logs one (routing,
        repeat contacts, the card), in one transaction with the record of its delivery.

        With an idempotency key (or the source system's id in its place), a delivery
        whose key this token used before makes nothing and answers the item the first
        one made: retries and simultaneous duplicates give one item (a unique constraint
        decides, on SQLite and PostgreSQL alike). Deliveries that arrive together share
        one transaction (group commit); each still stands alone in what it writes, and one
        that fails is run again alone. A token revoked since it was checked stores nothing
        (TokenRevoked). With a `fingerprint` of the request, a key that an earlier delivery
        used for a different request stores nothing and answers `same_request` False: a
        second patient's request is never answered with the first one's item.
        """
        # Without either, every delivery is new; its row still says which token made the item.
        key = idempotency_key or (source_key(source_id) if source_id else f"once:{uuid4()}")
        # Deliveries that arrive together share a transaction (bot/services/group_commit.py).
        delivered = await self._group.run(
            Delivery(token, request, received_at, key, source_id, fingerprint)
        )
        if delivered.created:
            self._items.logged(delivered.item)
        return delivered

    async def _deliver_all(self, tx: UnitOfWork, deliveries: list[Delivery]) -> list[Delivered]:
        """Store deliveries that arrived together, in `tx`, with one statement per table:
        claim their idempotency keys (one INSERT … ON CONFLICT DO NOTHING per token), log
        the new ones through the one intake path (`log_many_in`) and record their items.
        A key claimed earlier answers its item; the same key twice in the batch, the item
        the first made."""
        now = self.clock.now()
        firsts: dict[tuple[int, str], Delivery] = {}
        for delivery in deliveries:
            firsts.setdefault((delivery.token.id, delivery.key), delivery)
        claimed: dict[tuple[int, str], int] = {}
        earlier: dict[tuple[int, str], tuple[Item, str | None]] = {}  # item, fingerprint
        for token in {delivery.token.id: delivery.token for delivery in deliveries}.values():
            if not await self._still_active(tx, token):
                raise TokenRevoked(token.id)
            mine = [d for d in firsts.values() if d.token.id == token.id]
            held = await tx.api_deliveries.claim_many(
                token.id, [(d.key, d.source_id, d.fingerprint) for d in mine], now
            )
            claimed.update({(token.id, key): delivery_id for key, delivery_id in held.items()})
            taken = [d.key for d in mine if d.key not in held]
            if taken:
                found = await tx.api_deliveries.items_of(token.id, taken)
                if len(found) != len(taken):  # a claim and its item commit together: never
                    raise RuntimeError("a delivery was claimed without its item")
                earlier.update({(token.id, key): found[key] for key in found})
        new = [firsts[which] for which in firsts if which in claimed]
        logged = await self._items.log_many_in(
            tx,
            [Intake(d.request, integration_actor(d.token), d.received_at) for d in new],
        )
        await tx.api_deliveries.settle_many(
            [
                (claimed[(d.token.id, d.key)], item_id)
                for d, (_, item_id) in zip(new, logged, strict=True)
            ]
        )
        made = {(d.token.id, d.key): done.item for d, (done, _) in zip(new, logged, strict=True)}
        answers: list[Delivered] = []
        for delivery in deliveries:
            which = (delivery.token.id, delivery.key)
            if which in made:
                first = firsts[which]
                item, created, fingerprint = made[which], first is delivery, first.fingerprint
            else:
                (item, fingerprint), created = earlier[which], False
            answers.append(
                Delivered(item, created, same_request=_same(fingerprint, delivery.fingerprint))
            )
        return answers

    async def _still_active(self, tx: UnitOfWork, token: ApiToken) -> bool:
        """Whether `token` is still active, read once per transaction."""
        memo_key = ("api_token_active", token.id)
        if memo_key not in tx.memo:
            tx.memo[memo_key] = await tx.api_tokens.is_active(token.id)
        return bool(tx.memo[memo_key])

    async def close(self) -> None:
        """Finish the deliveries already handed in (a stopping process)."""
        await self._group.close()

    async def status(self, token: ApiToken, item_key: str) -> Standing | None:
        """Where the request `item_key` stands, if this token delivered it: an integration
        sees what it sent, never the rest of the queue (keys are a counter, easy to walk)."""
        async with self._uow.read() as tx:
            if not await tx.api_tokens.is_active(token.id):
                raise TokenRevoked(token.id)
            item = await tx.api_deliveries.delivered(token.id, item_key)
            return None if item is None else await _standing(tx, item)

    async def standing(self, item: Item) -> Standing:
        """Where `item` stands now (the item it was merged into, if it was)."""
        if item.merged_into is None:
            return Standing(item, item)
        async with self._uow.read() as tx:
            return await _standing(tx, item)


@dataclass(frozen=True)
class Standing:
    """A delivered request and the item it lives in now: itself, or the patient's item it
    was merged into (whose status is the request's: merged is not resolved)."""

    request: Item
    now_in: Item


async def _standing(tx: UnitOfWork, item: Item) -> Standing:
    return Standing(item, await followed_merges(tx, item))
