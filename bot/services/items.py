"""Use cases on items. Each is one transaction: change, event and outbox rows commit together."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from bot.domain import sla
from bot.domain.closing import close_problems
from bot.domain.escalation import EscalationState
from bot.domain.event_details import (
    CallerIdentified,
    Claimed,
    Closed,
    Reassigned,
    Released,
    Reopened,
    Viewed,
)
from bot.domain.events import Event
from bot.domain.intake import check_caller
from bot.domain.items import (
    Action,
    Item,
    Refusal,
    RefusalCode,
    Status,
    reassign_refusal,
)
from bot.domain.permissions import check
from bot.services.base import (
    NOT_WAITING,
    RESOLVED_NEXT_ACTION,
    Invalid,
    Once,
    Rejected,
    Result,
)
from bot.services.intake import IntakeServices
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


class ItemServices(IntakeServices):
    """The item life cycle: intake (IntakeServices), claim, release, reassign, close,
    reopen, details."""

    async def claim(self, *, item_key: str, actor: str) -> Result:
        """Make `actor` the owner of an unowned item.

        Exactly one of any number of simultaneous claims wins (one conditional UPDATE);
        the others are refused with the current owner and since when. One transaction
        either way, and as few statements as it takes (on SQLite it holds the one write
        lock): one read of the item with its card, the UPDATE, the event, the outbox rows.
        """
        now = self.clock.now()
        who = self.roles.actor_for(actor)
        async with self._uow() as tx:
            found = await tx.items.get_with_card(item_key)
            if found is None:
                return Refusal(RefusalCode.NOT_FOUND, item_key=item_key)
            item, item_id, card = found
            decision = self._decide(item, Action.CLAIM, who)
            if isinstance(decision, Refusal):
                return await self._refused(tx, decision, actor)
            if not await tx.items.claim(item_key, actor, now):
                return await self._refusal_after_lost_race(tx, item_key, Action.CLAIM, who)
            changes = {"owner": actor, "status": Status.CLAIMED, "claimed_at": now}
            done = await self._record(
                tx, item, Action.CLAIM, actor, now, changes, Claimed(), item_id, card=card
            )
            await tx.commit()
        log.info("item claimed key=%s by=%s", item_key, actor, extra={"item": item_key})
        self._on_enqueued()
        return done

    async def release(self, *, item_key: str, actor: str) -> Result:
        """Give an item back to the lane unowned. Only its owner or a manager may."""
        return await self._transition(
            item_key,
            actor,
            Action.RELEASE,
            lambda item, to, now: {"owner": None, "status": to, "claimed_at": None, **NOT_WAITING},
            Released(),
        )

    async def reassign(
        self, *, item_key: str, actor: str, new_owner: str, once: Once | None = None
    ) -> Result:
        """Hand an item to `new_owner`. Its owner or a manager may; a manager may assign new items.

        Refuses reassigning to the person who already owns it. The new owner gets a direct
        message saying who gave it to them (no patient data), as after a handoff.
        """

        def changes(item: Item, to: Status, now: datetime) -> dict[str, Any] | Refusal:
            refused = reassign_refusal(item, new_owner) or self._new_owner_refusal(item, new_owner)
            if refused is not None:
                return refused
            return {"owner": new_owner, "status": to, "claimed_at": now}

        async def tell_the_new_owner(
            tx: UnitOfWork, before: Item, after: Item, item_id: int, at: datetime
        ) -> Reassigned:
            # As a handoff does: a DM without patient data, unless they took it themselves.
            if new_owner != actor:
                await self._message(tx, new_owner, "reassign_dm", item_id, at, by=actor)
            return Reassigned()

        return await self._transition(
            item_key, actor, Action.REASSIGN, changes, tell_the_new_owner, once=once
        )

    async def close(
        self,
        *,
        item_key: str,
        actor: str,
        resolution: str,
        told_patient: str,
        once: Once | None = None,
    ) -> Result:
        """Resolve an item with the lane's definition of done: a resolution and what the
        patient was told.

        Refuses non-owners (managers excepted), unclaimed items (claim first) and, in a
        clinical lane, anyone not clinical unless a clinician acknowledged the item.
        Invalid when the resolution or the words to the patient are missing or say nothing,
        or the resolution claims more calls than were logged (bot/domain/closing.py).
        """
        told = told_patient.strip()

        def changes(item: Item, to: Status, now: datetime) -> dict[str, Any] | Invalid:
            problems = close_problems(item, self.practice.lane(item.lane), resolution, told)
            if problems:
                return Invalid(problems)
            return {
                "status": to,
                "resolution": resolution,
                "told_patient": told,
                "closed_at": now,
                "closed_by": actor,
                "next_action": RESOLVED_NEXT_ACTION,
                **NOT_WAITING,
            }

        async def end_its_escalation(
            tx: UnitOfWork, before: Item, after: Item, item_id: int, now: datetime
        ) -> Closed:
            # A clinician may close an escalated item: its escalation ends with it, answered
            # by the close, or it would stay open in the counts and page again after a
            # reopen.
            if before.status is Status.ESCALATED:
                escalation = await tx.escalations.open_for(item_id)
                if escalation is not None:
                    ended = await tx.escalations.change(
                        escalation,
                        {
                            "state": EscalationState.RESOLVED,
                            "resolved_by": actor,
                            "resolved_at": now,
                            "decision": f"Closed: {resolution}",
                            "told_patient": told,
                            "acknowledged_by": escalation.acknowledged_by or actor,
                            "acknowledged_at": escalation.acknowledged_at or now,
                        },
                    )
                    if not ended:
                        raise Rejected(Refusal(RefusalCode.STALE, item_key=before.key))
            return Closed()

        return await self._transition(
            item_key, actor, Action.CLOSE, changes, end_its_escalation, once=once
        )

    async def reopen(self, *, item_key: str, actor: str) -> Result:
        """Reopen a resolved item, owned by whoever reopens it, with a fresh response target."""

        def changes(item: Item, to: Status, now: datetime) -> dict[str, Any]:
            lane = self.practice.lane(item.lane)
            return {
                "status": to,
                "owner": actor,
                "claimed_at": now,
                "resolution": "",
                "told_patient": "",
                "closed_at": None,
                "closed_by": None,
                "next_action": lane.first_action,
                "due_at": sla.due_at(now, lane.target_for(item.origin), self.practice.calendar),
                # Reopened, it is a new episode: a clinician's acknowledgment of the last
                # one does not let anyone but a clinician close this one.
                "clinical_ack_by": None,
            }

        return await self._transition(item_key, actor, Action.REOPEN, changes, Reopened())

    async def identify_caller(
        self,
        *,
        item_key: str,
        actor: str,
        patient_ref: str,
        patient_name: str,
        once: Once | None = None,
    ) -> Result:
        """Say who a request came from (a missed call logged with only a phone number).

        Fills in the reference and name where they are missing; what is already known
        stays. Once the reference is known, an open item of the same patient is named as
        related, so the card offers to merge. Its owner, a manager, or anyone while it is
        unclaimed may. Invalid when the reference or name is missing or malformed.
        """
        reference, name, problems = check_caller(patient_ref, patient_name)
        if problems:
            return Invalid({p.field.value: p.message for p in problems})

        async def also(
            tx: UnitOfWork, before: Item, after: Item, item_id: int, at: datetime
        ) -> CallerIdentified:
            filled = tuple(
                what
                for what, old, new in (
                    ("name", before.patient.name, after.patient.name),
                    ("reference", before.patient.reference, after.patient.reference),
                )
                if old != new
            )
            related = None
            if "reference" in filled and after.related_key is None:
                others = await tx.items.open_for_patient(
                    after.patient.reference, excluding=after.key
                )
                if others and await tx.items.change(after, {"related_key": others[0].key}, at):
                    related = others[0]
                    await self._link_repeat(tx, related, after.key, at)
            return CallerIdentified(
                filled=filled, related_key=related.key if related is not None else None
            )

        def changes(item: Item, to: Status, now: datetime) -> dict[str, Any] | Invalid:
            known = (item.patient.reference.strip(), item.patient.name.strip())
            said = (reference, name)
            if any(k and k.casefold() != s.casefold() for k, s in zip(known, said, strict=True)):
                # Someone identified the caller meanwhile, as another patient: keeping the
                # first answer quietly would pair one patient's name with another's record.
                return Invalid(
                    {
                        "patient_ref": f"{item.key}'s caller was identified meanwhile "
                        "as someone else; nothing was changed. If this call was from another "
                        "patient, log a new request for them."
                    }
                )
            if all(known):
                return Invalid(
                    {
                        "patient_ref": f"{item.key}'s caller was identified already, "
                        "as this patient: nothing needed changing."
                    }
                )
            return {
                "status": to,
                "patient_ref": item.patient.reference or reference,
                "patient_name": item.patient.name or name,
            }

        return await self._transition(
            item_key, actor, Action.IDENTIFY_CALLER, changes, also, once=once
        )

    async def view_details(self, *, item_key: str, actor: str) -> Item | Refusal:
        """The full record (name, phone, reference, summary) for someone with a reason to
        see it, and the record that they saw it (an event per reveal).

        Opens for the item's owner, its lane's staff and assistants, managers, clinicians
        when it is a clinical matter, and whoever its open escalation paged; anyone else is
        refused with the role that would do, and the refusal is an event too.
        """
        now = self.clock.now()
        who = self._actor(actor)
        async with self._uow() as tx:
            found = await tx.items.get_with_id(item_key)
            if found is None:
                return Refusal(RefusalCode.NOT_FOUND, item_key=item_key)
            item, item_id = found
            escalation = await tx.escalations.open_for(item_id)
            paged = escalation is not None and actor in escalation.paged
            refused = check(who, Action.VIEW, item, clinical=self._clinical(item), paged=paged)
            if refused is not None:
                return await self._refused(tx, refused, actor)
            await tx.events.add(
                Event(
                    item_key=item_key,
                    action=Action.VIEW,
                    actor=actor,
                    at=now,
                    after=Viewed().to_after(),
                ),
                item_id=item_id,
            )
            await tx.commit()
        log.info("item viewed key=%s by=%s", item_key, actor, extra={"item": item_key})
        return item

    async def history(self, item_key: str) -> list[Event]:
        async with self._uow.read() as tx:
            return await tx.events.for_item(item_key)
