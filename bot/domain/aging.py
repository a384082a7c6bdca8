"""Aging: the moments an open item crosses a threshold (warning, due soon, due, twice its
target), the alerts each crossing raises, when a promise's owner is reminded, and when an
alert that was true is no longer. Pure rules: the caller passes `now`.

The SLA here is business time (bot/domain/sla.py): a threshold never passes while the
practice is closed. Promise deadlines are wall-clock, as the patient was told them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.items import Item, Status
from bot.domain.lanes import BusinessCalendar, BusinessDuration, Target, Unit
from bot.domain.sla import (
    add_business_time,
    business_minutes_between,
    due_soon_window,
    is_open,
    last_closing,
    next_opening,
    target_minutes,
)

DEFAULT_WARN_AT = 0.75
PROMISE_REMINDER_LEAD = timedelta(minutes=30)


class Stage(StrEnum):
    """Where a card stands; the job re-renders a card once when its stage changes."""

    ON_TRACK = "on_track"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    TWICE = "twice"  # past twice its target


class AlertKind(StrEnum):
    """What an alert is about. Values are stored: never rename."""

    WARNING = "warning"  # at the lane's warn_at share of the target
    BREACH = "breach"  # at the due time
    TWICE = "twice"  # at twice the target: the managers are told
    PROMISE_SOON = "promise_soon"  # 30 minutes before a promise falls due
    PROMISE_MISSED = "promise_missed"  # the promise's deadline passed unkept


@dataclass(frozen=True)
class Milestones:
    """The moments (UTC) an item received at `received` and due at `due` crosses each
    threshold, all in business time from `received`."""

    warning: datetime
    due_soon: datetime
    breach: datetime
    twice: datetime


def milestones(
    received: datetime,
    due: datetime,
    cal: BusinessCalendar,
    warn_at: float = DEFAULT_WARN_AT,
    target: Target | None = None,
) -> Milestones:
    """The item's thresholds, each measured back from the due time by the item's target
    (sla.target_minutes: its lane's `target`, so a move or a resumed wait does not stretch
    it): the warning at `warn_at` of it, due soon by the card's rule (sla.due_soon_window),
    and twice the target one target past the due time."""
    elapsed = business_minutes_between(received, due, cal)
    minutes = target_minutes(received, due, target, cal)
    after = _minutes_after(received, cal)  # `elapsed` after `received` is the due time
    return Milestones(
        warning=min(after(_whole(elapsed - minutes * (1 - warn_at))), due),
        due_soon=min(after(_whole(elapsed - due_soon_window(minutes))), due),
        breach=due,
        twice=_minutes_after(due, cal)(_whole(minutes)),
    )


def _whole(minutes: float) -> int:
    """Minutes rounded up to a whole minute, ignoring float noise (40 - 40 * 0.2 is 32, not 33)."""
    return math.ceil(round(minutes, 6))


def _minutes_after(start: datetime, cal: BusinessCalendar) -> Callable[[int], datetime]:
    def after(minutes: int) -> datetime:
        return add_business_time(start, BusinessDuration(max(0, minutes), Unit.MINUTES), cal)

    return after


def stage_at(m: Milestones, now: datetime) -> Stage:
    if now >= m.twice:
        return Stage.TWICE
    if now >= m.breach:
        return Stage.OVERDUE
    if now >= m.due_soon:
        return Stage.DUE_SOON
    return Stage.ON_TRACK


def alerts_due(m: Milestones, now: datetime) -> list[AlertKind]:
    """The aging alerts true at `now`. A breach supersedes the warning (an item first seen
    overdue is not also warned about); twice the target adds the managers' alert."""
    kinds: list[AlertKind] = []
    if now >= m.breach:
        kinds.append(AlertKind.BREACH)
    elif now >= m.warning:
        kinds.append(AlertKind.WARNING)
    if now >= m.twice:
        kinds.append(AlertKind.TWICE)
    return kinds


def promise_reminder_at(due: datetime, cal: BusinessCalendar) -> datetime:
    """When the owner is reminded of a promise due at `due`: 30 minutes before, or, when
    the practice is closed then, a minute before the last closing before it (the last open
    moment), so a promise due at 8:15 is remembered the evening before, not at 7:45."""
    at = due - PROMISE_REMINDER_LEAD
    if is_open(at, cal):
        return at
    closed = last_closing(at, cal, within=timedelta(days=14))
    return at if closed is None else closed[1] - timedelta(minutes=1)


@dataclass(frozen=True)
class PromiseDeadline:
    id: int
    due_at: datetime
    made_at: datetime


def reminder_for(promise: PromiseDeadline, cal: BusinessCalendar) -> datetime | None:
    """When this promise's owner is reminded, or None. At `promise_reminder_at`, unless the
    promise was made after that: then, if it was made while the practice was closed (a
    promise made at 17:30 for 8:15), at the next opening before its deadline; a promise
    made during opening hours close to its deadline needs no reminder (its maker knows)."""
    remind = promise_reminder_at(promise.due_at, cal)
    if remind > promise.made_at:
        return remind
    opening = next_opening(promise.made_at, cal)
    return opening if promise.made_at < opening < promise.due_at else None


def promise_alerts_due(
    promise: PromiseDeadline, now: datetime, cal: BusinessCalendar
) -> list[AlertKind]:
    """The promise alerts true at `now`: missed once its deadline passed, else the reminder
    once its time came."""
    if now >= promise.due_at:
        return [AlertKind.PROMISE_MISSED]
    remind = reminder_for(promise, cal)
    if remind is not None and now >= remind:
        return [AlertKind.PROMISE_SOON]
    return []


def next_look(
    m: Milestones | None,
    promises: Iterable[PromiseDeadline],
    now: datetime,
    cal: BusinessCalendar,
) -> datetime | None:
    """The next moment after `now` at which anything about this item changes: a stage, an
    alert or a promise's reminder or deadline. None when nothing ever will."""
    moments: list[datetime] = []
    if m is not None:
        moments += [m.warning, m.due_soon, m.breach, m.twice]
    for promise in promises:
        remind = reminder_for(promise, cal)
        moments += [promise.due_at] if remind is None else [remind, promise.due_at]
    later = [moment for moment in moments if moment > now]
    return min(later) if later else None


@dataclass(frozen=True)
class FirstLook:
    """When the aging job first needs to look at a new item (`at`; None: never), and the
    stage its new card shows (`stage`; "" when the job looks at once and records it)."""

    at: datetime | None
    stage: str


def first_look(m: Milestones, now: datetime, cal: BusinessCalendar) -> FirstLook:
    """For an open item logged at `now` with no promises and no alerts yet: at once when an
    alert is already due (a voicemail logged the morning after, past its warning), else
    its next threshold, with the stage its card shows now. What the job's first look would
    record, without a look, and so a transaction, for every new item."""
    if alerts_due(m, now):
        return FirstLook(now, "")
    return FirstLook(next_look(m, (), now, cal), stage_at(m, now).value)


class Cleared(StrEnum):
    """Why an alert is no longer true. Values are stored: never rename."""

    CLAIMED = "claimed"
    CLOSED = "closed"
    UPDATED = "updated"  # answered: the next action has a new due time
    KEPT = "kept"  # the promise was kept
    OVERDUE = "overdue"  # a warning the breach alert replaced: "due soon" is past


@dataclass(frozen=True)
class Alert:
    """One alert as it was raised: about which deadline (`due_at`) and owned by whom then."""

    id: int
    kind: AlertKind
    due_at: datetime
    owner: str | None
    promise_id: int | None = None


def no_longer_true(
    alert: Alert, item: Item, open_promise_ids: Iterable[int] = ()
) -> Cleared | None:
    """Why `alert` is no longer true of `item` now, or None while it still is.

    Closed: every alert. A promise alert: when its promise is no longer open (kept). An aging
    alert: when the item's due time is no longer the one it was raised for (a call was
    logged, the item waits, moved or reopened) or, raised while nobody owned the item, once
    someone claimed it.
    """
    if item.status is Status.RESOLVED:
        return Cleared.CLOSED
    if alert.kind in (AlertKind.PROMISE_SOON, AlertKind.PROMISE_MISSED):
        return None if alert.promise_id in set(open_promise_ids) else Cleared.KEPT
    if item.status is Status.WAITING or item.due_at != alert.due_at:
        return Cleared.UPDATED
    if alert.owner is None and item.owner is not None:
        return Cleared.CLAIMED
    return None


@dataclass(frozen=True)
class AlertNotice:
    """What one alert message shows, as the outbox delivers it: the alert, where it goes
    (`target`: thread, owner, managers), the item's current owner and card, and, once it is
    no longer true, why, by whom, when and the item's new due time."""

    kind: AlertKind
    item_key: str
    lane: str
    target: str
    due_at: datetime
    owner: str | None
    card_channel_id: str | None = None
    card_link: str | None = None  # the card's permalink, for a DM or the managers' channel
    cleared: Cleared | None = None
    cleared_by: str | None = None
    cleared_at: datetime | None = None
    now_due_at: datetime | None = None
