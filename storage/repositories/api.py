"""The intake API's rows: integration tokens (only their hashes) and deliveries claimed by
idempotency key, so that a retried delivery finds the item the first one made."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.integrations import ApiToken
from bot.domain.items import Item
from storage.models import ApiDeliveryRow, ApiTokenRow, ItemRow
from storage.repositories.dialect import (
    DriverStatement,
    insert_new,
    planned_for_the_tables_as_they_are,
)
from storage.repositories.items import to_item

_IS_ACTIVE = DriverStatement(
    lambda _: select(ApiTokenRow.id).where(
        ApiTokenRow.id == bindparam("token"), ApiTokenRow.revoked_at.is_(None)
    )
)
_DELIVERIES = ApiDeliveryRow.__table__
_SETTLE = DriverStatement(
    lambda _: (
        update(_DELIVERIES)
        .where(_DELIVERIES.c.id == bindparam("delivery"))
        .values(item_id=bindparam("item"))
    )
)


def _token(row: ApiTokenRow) -> ApiToken:
    return ApiToken(id=row.id, name=row.name, created_at=row.created_at, revoked_at=row.revoked_at)


class ApiTokenRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, name: str, token_hash: str, now: datetime) -> ApiToken:
        row = ApiTokenRow(name=name, token_hash=token_hash, created_at=now)
        self.session.add(row)
        await self.session.flush()
        return _token(row)

    async def by_hash(self, token_hash: str) -> ApiToken | None:
        row = await self.session.scalar(
            select(ApiTokenRow).where(ApiTokenRow.token_hash == token_hash)
        )
        return _token(row) if row is not None else None

    async def is_active(self, token_id: int) -> bool:
        """True while the token exists and has not been revoked (every intake API batch
        asks: a statement the driver runs, see DriverStatement)."""
        return bool(await _IS_ACTIVE.fetch(self.session, token=token_id))

    async def all(self) -> list[ApiToken]:
        rows = await self.session.scalars(select(ApiTokenRow).order_by(ApiTokenRow.id))
        return [_token(row) for row in rows]

    async def revoke(self, token_id: int, now: datetime) -> bool:
        """Revoke an active token; False when there is no such token or it was revoked."""
        result = await self.session.execute(
            update(ApiTokenRow)
            .where(ApiTokenRow.id == token_id, ApiTokenRow.revoked_at.is_(None))
            .values(revoked_at=now)
            .returning(ApiTokenRow.id)
        )
        return result.scalar_one_or_none() is not None


class ApiDeliveryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim_many(
        self, token_id: int, keys: list[tuple[str, str, str]], now: datetime
    ) -> dict[str, int]:
        """Claim idempotency keys for one token, as (key, source id, fingerprint of the
        request), in one INSERT … ON CONFLICT DO NOTHING: the new rows' ids by key; a key a
        delivery already holds is not in the answer. On PostgreSQL a claim of a key another
        transaction holds waits for it and then finds its row (or, had it rolled back, takes
        the key itself); on SQLite writers take turns."""
        values = [
            {
                "token_id": token_id,
                "idempotency_key": key,
                "source_id": source_id,
                "created_at": now,
                "fingerprint": fingerprint,
            }
            # In key order: two processes claiming overlapping keys lock them in the same
            # order on PostgreSQL, so they wait for each other instead of deadlocking.
            for key, source_id, fingerprint in sorted(keys)
        ]
        held = await insert_new(
            self.session,
            ApiDeliveryRow.__table__,
            values,
            match="idempotency_key",
            unique=("token_id", "idempotency_key"),
        )
        return {str(key): delivery_id for key, delivery_id in held.items()}

    async def settle_many(self, settled: list[tuple[int, int]]) -> None:
        """Record the item each claimed delivery made, as (delivery id, item id) pairs, in
        one executemany."""
        await _SETTLE.execute_many(
            self.session, [{"delivery": delivery, "item": item} for delivery, item in settled]
        )

    async def items_of(self, token_id: int, keys: list[str]) -> dict[str, tuple[Item, str | None]]:
        """The items made by this token's deliveries holding `keys`, with the fingerprint
        of the request each key first carried (None: not known), by key (a portal retrying
        a batch after a timeout: a list as long as the batch)."""
        async with planned_for_the_tables_as_they_are(self.session):
            rows = await self.session.execute(
                select(ApiDeliveryRow.idempotency_key, ApiDeliveryRow.fingerprint, ItemRow)
                .join(ItemRow, ApiDeliveryRow.item_id == ItemRow.id)
                .where(
                    ApiDeliveryRow.token_id == token_id,
                    ApiDeliveryRow.idempotency_key.in_(keys),
                )
            )
        return {str(key): (to_item(row), fingerprint) for key, fingerprint, row in rows.all()}

    async def delivered(self, token_id: int, item_key: str) -> Item | None:
        """The item `item_key` if this token's delivery made it (else None)."""
        row = await self.session.scalar(
            select(ItemRow)
            .join(ApiDeliveryRow, ApiDeliveryRow.item_id == ItemRow.id)
            .where(ApiDeliveryRow.token_id == token_id, ItemRow.key == item_key)
        )
        return to_item(row) if row is not None else None
