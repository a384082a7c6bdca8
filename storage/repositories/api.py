"""The intake API's rows: integration tokens (only their hashes) and deliveries claimed by
idempotency key, so that a retried delivery finds the item the first one made."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.integrations import ApiToken
from bot.domain.items import Item
from storage.models import ApiDeliveryRow, ApiTokenRow, ItemRow
from storage.repositories.dialect import insert_ignoring_conflict
from storage.repositories.items import to_item


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

    async def claim(
        self, token_id: int, idempotency_key: str, source_id: str, now: datetime
    ) -> int | None:
        """Claim the key for this token: the new row's id, or None when a delivery holds it.

        One INSERT ... ON CONFLICT DO NOTHING: on PostgreSQL a second claim of the same key
        waits for the first transaction and then finds its row (or, had it rolled back,
        takes the key itself); on SQLite writers take turns.
        """
        values = {
            "token_id": token_id,
            "idempotency_key": idempotency_key,
            "source_id": source_id,
            "created_at": now,
        }
        statement = insert_ignoring_conflict(
            self.session, ApiDeliveryRow, values, ["token_id", "idempotency_key"]
        ).returning(ApiDeliveryRow.id)
        result = await self.session.execute(statement)
        return result.scalar_one_or_none()

    async def settle(self, delivery_id: int, item_id: int) -> None:
        """Record the item a claimed delivery made."""
        await self.session.execute(
            update(ApiDeliveryRow).where(ApiDeliveryRow.id == delivery_id).values(item_id=item_id)
        )

    async def delivered(self, token_id: int, item_key: str) -> Item | None:
        """The item `item_key` if this token's delivery made it (else None)."""
        row = await self.session.scalar(
            select(ItemRow)
            .join(ApiDeliveryRow, ApiDeliveryRow.item_id == ItemRow.id)
            .where(ApiDeliveryRow.token_id == token_id, ItemRow.key == item_key)
        )
        return to_item(row) if row is not None else None

    async def item_key(self, token_id: int, idempotency_key: str) -> str | None:
        """The key of the item made by the delivery holding this idempotency key."""
        return await self.session.scalar(
            select(ItemRow.key)
            .join(ApiDeliveryRow, ApiDeliveryRow.item_id == ItemRow.id)
            .where(
                ApiDeliveryRow.token_id == token_id,
                ApiDeliveryRow.idempotency_key == idempotency_key,
            )
        )
