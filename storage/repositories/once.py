"""What Slack may deliver twice and must act on once: Events API deliveries (by event id)
and modal submissions (by view id: the intake form's and every form that changes an item)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ItemRow, SeenEventRow, ViewSubmissionRow
from storage.repositories.dialect import insert_ignoring_conflict


class OnceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def first_sight_of_event(self, event_id: str, now: datetime) -> bool:
        """Record `event_id`; True for the one delivery that inserted it, False for every
        redelivery (one INSERT … ON CONFLICT DO NOTHING, on SQLite and PostgreSQL)."""
        statement = insert_ignoring_conflict(
            self.session, SeenEventRow, {"event_id": event_id, "seen_at": now}, ["event_id"]
        ).returning(SeenEventRow.id)
        return (await self.session.execute(statement)).scalar_one_or_none() is not None

    async def forget_events_before(self, cutoff: datetime) -> int:
        """Delete event ids seen before `cutoff`; how many went."""
        result = await self.session.execute(
            delete(SeenEventRow).where(SeenEventRow.seen_at < cutoff)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def forget_views_before(self, cutoff: datetime) -> int:
        """Delete submissions recorded before `cutoff`; how many went."""
        result = await self.session.execute(
            delete(ViewSubmissionRow).where(ViewSubmissionRow.submitted_at < cutoff)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def claim_view(
        self, view_id: str, view_hash: str, now: datetime, item_id: int | None = None
    ) -> int | None:
        """Claim the submission of view `view_id` (for the item `item_id` when known): the
        new row's id, or None when an earlier submission of that view holds it (on
        PostgreSQL a simultaneous one waits for the first transaction and then finds its
        row). The unique view id decides, on SQLite and PostgreSQL alike."""
        values = {
            "view_id": view_id,
            "view_hash": view_hash,
            "submitted_at": now,
            "item_id": item_id,
        }
        statement = insert_ignoring_conflict(
            self.session, ViewSubmissionRow, values, ["view_id"]
        ).returning(ViewSubmissionRow.id)
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def settle_view(self, claim_id: int, item_id: int) -> None:
        """Record the item a claimed submission made."""
        await self.session.execute(
            update(ViewSubmissionRow)
            .where(ViewSubmissionRow.id == claim_id)
            .values(item_id=item_id)
        )

    async def view_submitted(self, view_id: str) -> bool:
        """Whether a submission of view `view_id` was acted on (and committed)."""
        found = await self.session.scalar(
            select(ViewSubmissionRow.id).where(ViewSubmissionRow.view_id == view_id)
        )
        return found is not None

    async def item_key_of_view(self, view_id: str) -> str | None:
        """The key of the item the submission of `view_id` made."""
        return await self.session.scalar(
            select(ItemRow.key)
            .join(ViewSubmissionRow, ViewSubmissionRow.item_id == ItemRow.id)
            .where(ViewSubmissionRow.view_id == view_id)
        )
