"""Escalation use cases: escalate an item, acknowledge, resolve or mark not clinical, and the
re-escalation check. Each is one transaction: the item's change, its event, the escalation
row and the pages (outbox rows ahead of any card post) commit together.

Pages are DMs to each person at the chain's current level plus one post in the clinical
channel (the managers' for a manager's or team's rule); their notification text names only
the kind of escalation and the item key.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from bot.domain.escalation import (
    MANAGER,
    RED_FLAG_WAIT,
    Escalation,
    EscalationNotice,
    EscalationRule,
    EscalationState,
    StepKind,
    may_answer,
    next_step,
    supersedes,
)
from bot.domain.event_details import (
    Escalated,
    EscalationAcknowledged,
    EscalationResolved,
    MarkedNotClinical,
    NextLevelPaged,
    NoResponse,
    RedFlagDismissed,
)
from bot.domain.items import SYSTEM, Action, Item, Refusal, RefusalCode, Status
from bot.outbox.kinds import URGENT_PRIORITY
from bot.services.base import NOT_WAITING, Done, Invalid, Once, Rejected, Result, ServiceBase
from bot.services.work import after_business_minutes
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

# Outbox priority of a page: lower goes first, and card posts are 100.
PAGE_PRIORITY = URGENT_PRIORITY
PAGE, REMINDER = EscalationNotice.PAGE.value, EscalationNotice.REMINDER.value
NO_RESPONSE_NOTICE = EscalationNotice.NO_RESPONSE.value
# A rule that left the practice file still gets re-escalated, on this window.
FALLBACK_WINDOW = timedelta(minutes=5)
DECISION_MAX = 1800  # what the forms accept (blocks/modals/escalate.py)

_ANSWER_CODES = {
    "not_clinical": RefusalCode.ESCALATION_NEEDS_CLINICIAN,
    "not_paged": RefusalCode.ESCALATION_NOT_PAGED,
    "closed": RefusalCode.NO_OPEN_ESCALATION,
}


class EscalationServices(ServiceBase):
    """Escalate, acknowledge, resolve, not clinical, and the re-escalation check."""

    # -- reading ------------------------------------------------------------------------

    async def current(self, item_key: str) -> Escalation | None:
        """The item's open escalation, else its latest (None if it was never escalated)."""
        async with self._uow.read() as tx:
            item_id = await tx.items.id_of(item_key)
            return await tx.escalations.current_for(item_id) if item_id is not None else None

    def rule(self, key: str) -> EscalationRule | None:
        return self.practice.escalation.rule(key)

    def members_of(self, target: str) -> tuple[str, ...]:
        """Who is paged at a chain target: a clinical level's members, the managers or a
        team's members, user groups resolved to their members (bot/roles.py)."""
        if target == MANAGER or target in self.practice.escalation.levels:
            try:
                return self.roles.members(target)
            except KeyError:
                return ()
        return self.roles.team(target)

    # -- use cases ----------------------------------------------------------------------

    async def escalate(
        self,
        *,
        item_key: str,
        actor: str,
        rule: str,
        context: str = "",
        once: Once | None = None,
    ) -> Result:
        """Escalate an open item for one of the matrix's reasons: page the first level of its
        chain (outside opening hours, the after-hours chain) and start its wall-clock window.
        Invalid for a reason the practice file does not list; refused for a closed item or
        one already escalated, unless the new reason is more urgent (`supersedes`): then the
        open escalation ends as superseded and the new one pages its chain from the start,
        so an emergency is never held behind a same-day question. An item merged into
        another (since the form or prompt was drawn) is escalated where its request is now:
        a patient's emergency is never lost to a merge, and the guidance names that item."""
        chosen = self.rule(rule)
        if chosen is None:
            return Invalid({"rule": "Choose a reason from the list."})
        held = await self.now_in(item_key)
        if held is not None and held.key != item_key and held.status.is_open:
            item_key = held.key
        text = context.strip()[:DECISION_MAX]

        def changes(item: Item, to: Status, now: datetime) -> dict[str, Any]:
            changed: dict[str, Any] = {"status": to, "next_action": f"Escalated: {chosen.label}"}
            if item.status is Status.WAITING:
                # Escalating ends the wait as any other way out of it does: the response
                # clock runs again from the time it had left, or the due time would stay
                # the check-back (days away) and the item never go overdue.
                remaining = max(item.sla_remaining_minutes or 0.0, 0.0)
                changed.update(NOT_WAITING)
                changed["due_at"] = after_business_minutes(now, remaining, self.practice.calendar)
            return changed

        async def also(
            tx: UnitOfWork, before: Item, after: Item, item_id: int, now: datetime
        ) -> Escalated:
            if before.status is Status.ESCALATED:
                await self._supersede(tx, item_id, before.key, chosen, now)
            chain = self.practice.escalation.chain(chosen, now, self.practice.calendar)
            paged = self.members_of(chain[0])
            escalation = Escalation(
                item_key=before.key,
                lane=before.lane,
                rule=chosen.key,
                chain=chain,
                paged=paged,
                opened_by=actor,
                opened_at=now,
                ack_due_at=now + chosen.ack_within,
                context=text,
            )
            escalation_id = await tx.escalations.add(escalation, item_id=item_id)
            escalation = replace(escalation, id=escalation_id)
            await self._page(tx, escalation, chosen, paged, item_id, now, level=0)
            return Escalated(
                escalation_id=escalation_id,
                rule=chosen.key,
                chain=chain,
                paged=paged,
                ack_due_at=escalation.ack_due_at,
                after_hours=chain != chosen.to,
            )

        return await self._transition(item_key, actor, Action.ESCALATE, changes, also, once=once)

    async def _supersede(
        self, tx: UnitOfWork, item_id: int, item_key: str, new: EscalationRule, now: datetime
    ) -> None:
        """End the item's open escalation as superseded by `new`, or refuse (it is already
        escalated for a reason at least as urgent)."""
        open_one = await tx.escalations.open_for(item_id)
        if open_one is None or not supersedes(new, self.rule(open_one.rule)):
            raise Rejected(Refusal(RefusalCode.ALREADY_ESCALATED, item_key=item_key))
        await self._change(
            tx,
            open_one,
            {
                "state": EscalationState.SUPERSEDED,
                "resolved_at": now,
                "decision": f"Superseded by a more urgent escalation: {new.label}",
            },
        )

    async def acknowledge(
        self, *, item_key: str, actor: str, escalation_id: int | None = None
    ) -> Result:
        """The person paged says they have it: the re-escalation timer stops, and the card
        shows who acknowledged and when; a clinician's acknowledgment is also the clinical
        lane's. Refused for someone the rule does not page, and (`escalation_id`, the one
        the page or card was for) once that escalation has ended, even if the item was
        escalated again since: an old page never acknowledges a new emergency."""
        ended = await self.ended(item_key, escalation_id)
        if ended is not None:
            return ended
        current = await self.current(item_key)
        rule = self.rule(current.rule) if current is not None else None
        clinical = rule is None or rule.clinical

        def changes(item: Item, to: Status, now: datetime) -> dict[str, Any]:
            if clinical:
                return {"status": to, "clinical_ack_by": item.clinical_ack_by or actor}
            return {"status": to}

        async def also(
            tx: UnitOfWork, before: Item, after: Item, item_id: int, now: datetime
        ) -> EscalationAcknowledged:
            escalation, _ = await self._answerable(tx, item_id, before.key, actor, escalation_id)
            await self._change(
                tx,
                escalation,
                {
                    "state": EscalationState.ACKNOWLEDGED,
                    "acknowledged_by": actor,
                    "acknowledged_at": now,
                },
            )
            return EscalationAcknowledged(escalation_id=escalation.id, rule=escalation.rule)

        return await self._transition(item_key, actor, Action.ACKNOWLEDGE, changes, also)

    async def resolve(
        self,
        *,
        item_key: str,
        actor: str,
        decision: str,
        told_patient: str,
        appropriate: bool,
        not_clinical: bool = False,
        escalation_id: int | None = None,
        once: Once | None = None,
    ) -> Result:
        """End the escalation with what was decided and what the patient was told, and
        whether escalating was the right call (counted per lane and rule). The item goes
        back to its owner, or unowned to its lane. `not_clinical` says the question needs no
        clinician: the item may then be moved out of clinical handling. With
        `escalation_id` (the escalation the form was opened for), refused once that one has
        ended: a form about a rash never ends a later emergency escalation."""
        decision, told = decision.strip()[:DECISION_MAX], told_patient.strip()[:DECISION_MAX]
        if not decision or not told:
            return Invalid({"decision": "Say what was decided and what the patient was told."})
        ended = await self.ended(item_key, escalation_id)
        if ended is not None:
            return ended
        action = Action.NOT_CLINICAL if not_clinical else Action.RESOLVE_ESCALATION
        kind = MarkedNotClinical if not_clinical else EscalationResolved

        def changes(item: Item, to: Status, now: datetime) -> dict[str, Any]:
            lane = self.practice.lane(item.lane)
            next_action = "Follow the decision in the thread" if item.owner else lane.first_action
            return {"status": to, "next_action": next_action}

        async def also(
            tx: UnitOfWork, before: Item, after: Item, item_id: int, now: datetime
        ) -> EscalationResolved:
            escalation, _ = await self._answerable(tx, item_id, before.key, actor, escalation_id)
            state = EscalationState.NOT_CLINICAL if not_clinical else EscalationState.RESOLVED
            await self._change(
                tx,
                escalation,
                {
                    "state": state,
                    "resolved_by": actor,
                    "resolved_at": now,
                    "decision": decision,
                    "told_patient": told,
                    "appropriate": appropriate,
                    "acknowledged_by": escalation.acknowledged_by or actor,
                    "acknowledged_at": escalation.acknowledged_at or now,
                },
            )
            return kind(
                escalation_id=escalation.id,
                rule=escalation.rule,
                decision=decision,
                patient_told=told,
                appropriate=appropriate,
            )

        return await self._transition(item_key, actor, action, changes, also, once=once)

    async def confirm_red_flag(self, *, item_key: str, actor: str) -> Result:
        """ "Escalate" on the red-flag prompt: escalate now under the most urgent rule the
        flags name (the default red-flag rule for a phrase naming none)."""
        flags = await self._flags_of(item_key)
        rule = self.practice.red_flag_rule(flags)
        if rule is None:
            return Invalid({"rule": "The practice file lists no immediate clinical reason."})
        earlier = await self._escalation_of(item_key)
        if earlier is not None and not earlier.state.is_open:
            # A prompt still on someone's screen after the clinical team decided: a click
            # on it must not page them again by accident. Escalating again stays one
            # deliberate step away.
            return Invalid(
                {
                    "red_flag": f"{item_key} was escalated already and the escalation has"
                    " ended. To escalate it again, use More ▸ Escalate… on its card."
                }
            )
        context = "Possible emergency words at intake: " + ", ".join(flags)
        return await self.escalate(item_key=item_key, actor=actor, rule=rule.key, context=context)

    async def dismiss_red_flag(self, *, item_key: str, actor: str) -> Result:
        """ "Not an emergency" on the red-flag prompt: records who said so; the card keeps the
        mark and nothing is cleared."""

        def changes(item: Item, to: Status, now: datetime) -> dict[str, Any] | Refusal:
            if not item.red_flags or item.red_flag_dismissed_by is not None:
                return Refusal(RefusalCode.NOT_ALLOWED_IN_STATE, item_key=item.key)
            return {"status": to, "red_flag_dismissed_by": actor}

        dismissed = RedFlagDismissed(red_flag_dismissed_by=actor)
        return await self._transition(item_key, actor, Action.DISMISS_RED_FLAG, changes, dismissed)

    async def run_red_flags(self) -> list[str]:
        """Escalate, as CareQueue, every item flagged at intake that nobody confirmed or
        dismissed within RED_FLAG_WAIT, under the most urgent rule its flags name; the keys
        escalated."""
        async with self._uow.read() as tx:
            due = await tx.items.red_flags_unanswered(self.clock.now() - RED_FLAG_WAIT)
        escalated = []
        for item in due:
            rule = self.practice.red_flag_rule(item.red_flags)
            if rule is None:
                continue
            context = "Unanswered red flag at intake: " + ", ".join(item.red_flags)
            result = await self.escalate(
                item_key=item.key, actor=SYSTEM, rule=rule.key, context=context
            )
            if isinstance(result, Done):
                escalated.append(item.key)
        if escalated:
            log.info("red flags escalated %d item(s): %s", len(escalated), " ".join(escalated))
        return escalated

    async def _escalation_of(self, item_key: str) -> Escalation | None:
        """The item's open escalation, else its latest; None if it never had one."""
        async with self._uow.read() as tx:
            item_id = await tx.items.id_of(item_key)
            return None if item_id is None else await tx.escalations.current_for(item_id)

    async def _flags_of(self, item_key: str) -> tuple[str, ...]:
        item = await self.get(item_key)
        return item.red_flags if item is not None else ()

    async def run_escalations(self) -> list[str]:
        """The re-escalation check: every unacknowledged escalation whose window has passed
        pages its next level (the first recipient reminded once), or after the last level
        ends in "no response" with a post in the managers' channel. Version-checked: two
        replicas running it page a level once. Returns the keys it acted on."""
        now = self.clock.now()
        async with self._uow.read() as tx:
            due = await tx.escalations.due(now)
        acted = []
        for escalation in due:
            step = next_step(escalation, now)
            if step.kind is StepKind.NOTHING:
                continue
            result = await self._step(escalation, step.kind, step.level, step.remind_first)
            if isinstance(result, Done):
                acted.append(escalation.item_key)
        if acted:
            log.info("re-escalation acted on %d escalation(s): %s", len(acted), " ".join(acted))
        return acted

    # -- shared steps -------------------------------------------------------------------

    async def _step(
        self, escalation: Escalation, kind: StepKind, level: int, remind: bool
    ) -> Result:
        rule = self.rule(escalation.rule)
        window = rule.ack_within if rule is not None else FALLBACK_WINDOW
        action = Action.PAGE_NEXT if kind is StepKind.PAGE_NEXT else Action.NO_RESPONSE

        def changes(item: Item, to: Status, now: datetime) -> dict[str, Any]:
            if kind is StepKind.NO_RESPONSE:
                return {"status": to, "next_action": "No response to the escalation"}
            return {"status": to}

        async def also(
            tx: UnitOfWork, before: Item, after: Item, item_id: int, now: datetime
        ) -> NoResponse | NextLevelPaged:
            if kind is StepKind.NO_RESPONSE:
                await self._change(tx, escalation, {"state": EscalationState.NO_RESPONSE})
                await self._notice(
                    tx, self.practice.managers_channel, NO_RESPONSE_NOTICE, escalation, item_id, now
                )
                return NoResponse(escalation_id=escalation.id, rule=escalation.rule)
            target = escalation.chain[level]
            paged = self.members_of(target)
            due = now + window
            await self._change(
                tx,
                escalation,
                {
                    "level": level,
                    "paged": tuple(dict.fromkeys((*escalation.paged, *paged))),
                    "ack_due_at": due,
                    "reminded": escalation.reminded or remind,
                },
            )
            moved = replace(escalation, level=level, ack_due_at=due)
            if rule is not None:
                await self._page(tx, moved, rule, paged, item_id, now, level=level)
            first = escalation.chain[0]
            if remind:
                for person in self.members_of(first):
                    await self._notice(tx, person, REMINDER, moved, item_id, now)
            return NextLevelPaged(
                escalation_id=escalation.id,
                rule=escalation.rule,
                level=level,
                target=target,
                paged=paged,
                ack_due_at=due,
                reminded=first if remind else None,
            )

        return await self._transition(escalation.item_key, SYSTEM, action, changes, also)

    async def ended(self, item_key: str, escalation_id: int | None) -> Refusal | None:
        """The refusal for answering escalation `escalation_id` of `item_key` when it has
        ended (who ended it, and when); None while it is open, or with no id to check."""
        if escalation_id is None:
            return None
        async with self._uow.read() as tx:
            escalation = await tx.escalations.get(escalation_id)
        if escalation is None or escalation.item_key != item_key:
            return Refusal(RefusalCode.NO_OPEN_ESCALATION, item_key=item_key)
        if escalation.state.is_open:
            return None
        return Refusal(
            RefusalCode.ESCALATION_ENDED,
            item_key=item_key,
            owner=escalation.resolved_by,
            since=escalation.resolved_at,
        )

    async def _answerable(
        self,
        tx: UnitOfWork,
        item_id: int,
        item_key: str,
        actor: str,
        escalation_id: int | None = None,
    ) -> tuple[Escalation, EscalationRule | None]:
        """The item's open escalation, if `actor` may answer it (and it is `escalation_id`,
        when given); else abandon the use case with the reason."""
        escalation = await tx.escalations.open_for(item_id)
        if escalation is None:
            raise Rejected(Refusal(RefusalCode.NO_OPEN_ESCALATION, item_key=item_key))
        if escalation_id is not None and escalation.id != escalation_id:
            # Ended and escalated again between the check above and this transaction.
            raise Rejected(Refusal(RefusalCode.ESCALATION_ENDED, item_key=item_key))
        rule = self.rule(escalation.rule)
        refusal = may_answer(escalation, rule, self._actor(actor))
        if refusal is not None:
            raise Rejected(Refusal(_ANSWER_CODES[refusal.value], item_key=item_key))
        return escalation, rule

    async def _change(
        self, tx: UnitOfWork, escalation: Escalation, changes: dict[str, Any]
    ) -> None:
        if not await tx.escalations.change(escalation, changes):
            raise Rejected(Refusal(RefusalCode.STALE, item_key=escalation.item_key))

    async def _page(
        self,
        tx: UnitOfWork,
        escalation: Escalation,
        rule: EscalationRule,
        paged: tuple[str, ...],
        item_id: int,
        now: datetime,
        *,
        level: int,
    ) -> None:
        """DM everyone at this level and post once in the clinical (or managers') channel,
        ahead of any queued card post."""
        channel = (
            self.practice.clinical_channel if rule.clinical else self.practice.managers_channel
        )
        for person in paged:  # user ids: the directory resolved groups to their members
            await self._notice(tx, person, PAGE, escalation, item_id, now)
        await self._notice(tx, channel, PAGE, escalation, item_id, now, paged=paged)

    async def _notice(
        self,
        tx: UnitOfWork,
        channel: str,
        template: str,
        escalation: Escalation,
        item_id: int,
        now: datetime,
        paged: tuple[str, ...] = (),
    ) -> None:
        await self._message(
            tx,
            channel,
            template,
            item_id,
            now,
            priority=PAGE_PRIORITY,
            escalation_id=escalation.id,
            rule=escalation.rule,
            level=escalation.level,
            target=escalation.target,
            ack_due_at=escalation.ack_due_at.isoformat(),
            paged=list(paged),
        )
