"""The weekly metrics, computed from the event log: one pure function per metric.

Each takes the histories of the items that matter to a period (`ItemHistory`: the item's
events in order, plus when the patient contacted the practice and their language, which
the item holds) and answers a `Breakdown`: the practice overall and each lane. An item
counts in the lane it was in at the moment the metric looks at (its last lane for the
period's end). Each function's docstring is the metric's definition, as the README gives
it. No clock reads: the caller passes the period.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain import sla
from bot.domain.event_details import Closed, Escalated, EscalationResolved, QaReviewed, details_of
from bot.domain.item_history import (
    Breakdown,
    ItemHistory,
    OldestOpen,
    Period,
    Rate,
    Times,
    by_lane,
    closes,
    days_before,
)
from bot.domain.items import Action
from bot.domain.lanes import BusinessCalendar, Lane, SameDay

# Leaving the waiting state by any road ends the wait (bot/services/base.py NOT_WAITING).
WAIT_ENDS = frozenset({Action.RESUME, Action.RELEASE, Action.CLOSE, Action.MERGE, Action.MOVE})
# What a person does that counts as the practice answering: taking it on or contacting the
# patient (see first_response_times).
RESPONSE_ACTIONS = frozenset({Action.CLAIM, Action.REASSIGN, Action.LOG_ATTEMPT, Action.CLOSE})
ESCALATION_ACTIONS = frozenset({Action.ESCALATE, Action.RESOLVE_ESCALATION, Action.NOT_CLINICAL})


def _rate(flags: list[bool]) -> Rate:
    return Rate(sum(flags), len(flags))


# --- the metrics -------------------------------------------------------------------------


def first_response_times(
    histories: Iterable[ItemHistory], period: Period, cal: BusinessCalendar
) -> Breakdown[Times]:
    """**Time to first response**: for requests received in the period, the business time
    (the practice's opening hours and holidays) from when the patient contacted the practice
    to the first time a person took the request on or contacted the patient: a claim, an
    assignment by a manager, a documented callback attempt, or closing it, whichever came
    first (up to the period's end). Average and 90th percentile (nearest rank), in business
    minutes; requests nobody has answered yet are not in it (see `oldest_open`)."""
    pairs = []
    for h in histories:
        if not period.contains(h.received_at):
            continue
        first = h.first(RESPONSE_ACTIONS)
        if first is None or first.at >= period.end:
            continue
        pairs.append(
            (h.lane_at(first.at), sla.business_minutes_between(h.received_at, first.at, cal))
        )
    return by_lane(pairs, Times.of)


def oldest_open(histories: Iterable[ItemHistory], at: datetime) -> Breakdown[OldestOpen | None]:
    """**Oldest open item**: at the period's end, the open item whose patient has waited
    longest (earliest contact time), by key; its age is wall-clock time from that contact."""

    def oldest(found: list[OldestOpen]) -> OldestOpen | None:
        return min(found, key=lambda o: (o.received_at, o.key), default=None)

    pairs = [
        (h.lane_at(at), OldestOpen(h.key, h.received_at)) for h in histories if h.is_open_at(at)
    ]
    return by_lane(pairs, oldest)


def cutoff_for(lane: Lane | None, origin: str) -> time | None:
    """The lane's cut-off for a request by `origin`: its same-day target's, else closing."""
    if lane is None:
        return None
    target = lane.target_for(origin)
    return target.cutoff if isinstance(target, SameDay) else None


def same_day_callback_completion(
    histories: Iterable[ItemHistory],
    period: Period,
    cal: BusinessCalendar,
    lanes: Mapping[str, Lane],
) -> Breakdown[Rate]:
    """**Same-day callback completion**: of the requests whose clinic day (the day of the
    first opening at or after the patient's contact) fell in the period and had closed by its
    end, and which arrived before the lane's cut-off that day (a same-day target's cut-off,
    else closing time), the share with a documented callback attempt (Log call, any outcome)
    before that day's closing. A reply by other means or a claim is not an attempt."""
    pairs = []
    for h in histories:
        lane = h.lane_at(h.received_at)
        start, closes, before_cutoff = sla.clinic_day(
            h.received_at, cal, cutoff_for(lanes.get(lane), h.origin)
        )
        if not before_cutoff or not period.contains(start) or closes > period.end:
            continue
        attempted = any(e.action is Action.LOG_ATTEMPT and e.at < closes for e in h.events)
        pairs.append((lane, attempted))
    return by_lane(pairs, _rate)


def attempts_per_resolved_item(histories: Iterable[ItemHistory], period: Period) -> Breakdown[Rate]:
    """**Callback attempts per resolved item**: for the items closed in the period (their
    last close; merges are not resolutions), every documented callback attempt they ever had,
    divided by how many there are (`done` attempts over `of` items)."""
    pairs = []
    for h in histories:
        closes = [e for e in h.events if e.action is Action.CLOSE]
        if not closes or not period.contains(closes[-1].at) or not _closed_at_end(h, period):
            continue
        attempts = sum(1 for e in h.events if e.action is Action.LOG_ATTEMPT)
        pairs.append((h.lane_at(closes[-1].at), Rate(attempts, 1)))
    return by_lane(pairs, lambda rates: sum(rates, Rate()))


def _closed_at_end(h: ItemHistory, period: Period) -> bool:
    return not h.is_open_at(period.end - timedelta(microseconds=1))


def waiting_on_outside(histories: Iterable[ItemHistory], at: datetime) -> Breakdown[Times]:
    """**Unresolved outside-document age**: the open items waiting on someone outside the
    practice (a referral office, a payer, records: More ▸ Waiting on…) at the period's end,
    and for how long each has waited, in wall-clock minutes since the wait began (count,
    average, 90th percentile, oldest)."""
    pairs = []
    for h in histories:
        if not h.is_open_at(at):
            continue
        since: datetime | None = None
        for e in h.events:
            if e.at > at:
                break
            if e.action is Action.WAIT:
                since = since or e.at
            elif e.action in (Action.RESUME, Action.RELEASE, Action.MOVE) or closes(e):
                since = None
        if since is not None:
            pairs.append((h.lane_at(at), (at - since) / timedelta(minutes=1)))
    return by_lane(pairs, Times.of)


def appointment_confirmation_completion(
    histories: Iterable[ItemHistory],
    period: Period,
    request_types: frozenset[str],
    confirmed: frozenset[str],
) -> Breakdown[Rate]:
    """**Appointment-confirmation completion**: of the appointment requests (request types
    naming an appointment) closed in the period, the share closed with a confirmed
    appointment outcome (a resolution naming an appointment: booked, rescheduled,
    cancelled), rather than a next step or unreachable."""
    pairs = []
    for h in histories:
        created = h.created()
        if created is None or created.request_type not in request_types:
            continue
        closes = h.in_period(Action.CLOSE, period)
        if not closes or not _closed_at_end(h, period):
            continue
        details = details_of(closes[-1])
        resolution = details.resolution if isinstance(details, Closed) else None
        pairs.append((h.lane_at(closes[-1].at), resolution in confirmed))
    return by_lane(pairs, _rate)


def bilingual_callback_completion(
    histories: Iterable[ItemHistory], period: Period, default_language: str
) -> Breakdown[Rate]:
    """**Bilingual callback completion**: of the requests received in the period from
    patients whose language is not the practice's default, the share with a documented
    callback attempt by the period's end."""
    pairs = []
    for h in histories:
        if not period.contains(h.received_at) or h.language == default_language:
            continue
        attempted = any(e.action is Action.LOG_ATTEMPT and e.at < period.end for e in h.events)
        pairs.append((h.lane_at(h.received_at), attempted))
    return by_lane(pairs, _rate)


def repeat_contact_rate(histories: Iterable[ItemHistory], period: Period) -> Breakdown[Rate]:
    """**Repeat-contact rate**: of the requests received in the period, the share from a
    patient who already had an open item at the time (CareQueue linked it as a repeat
    contact: the patient had to ask again)."""
    pairs = [
        (h.lane_at(h.received_at), h.related_key is not None)
        for h in histories
        if period.contains(h.received_at)
    ]
    return by_lane(pairs, _rate)


@dataclass(frozen=True)
class EscalationStats:
    """Escalations raised in the period, and the decisions on them made in the period:
    `accuracy` is appropriate decisions over all decisions."""

    count: Breakdown[int]
    by_rule: Mapping[str, int]
    accuracy: Breakdown[Rate]
    accuracy_by_rule: Mapping[str, Rate]


def escalations(histories: Iterable[ItemHistory], period: Period) -> EscalationStats:
    """**Escalation count and accuracy**: escalations raised in the period, per lane and per
    reason (rule); and of the escalations decided in the period (Resolve or Not clinical),
    the share the deciding clinician or manager marked as appropriate to escalate."""
    raised: list[tuple[str, str]] = []
    decided: list[tuple[str, str, bool]] = []
    for h in histories:
        for e in h.events:
            if e.action not in ESCALATION_ACTIONS or not period.contains(e.at):
                continue
            details = details_of(e)
            if isinstance(details, Escalated):
                raised.append((h.lane_at(e.at), details.rule))
            elif isinstance(details, EscalationResolved):
                decided.append((h.lane_at(e.at), details.rule, details.appropriate))
    by_rule: dict[str, int] = defaultdict(int)
    for _, rule in raised:
        by_rule[rule] += 1
    accuracy_by_rule: dict[str, Rate] = defaultdict(Rate)
    for _, rule, ok in decided:
        accuracy_by_rule[rule] += Rate(int(ok), 1)
    return EscalationStats(
        count=by_lane(((lane, 1) for lane, _ in raised), sum),
        by_rule=dict(by_rule),
        accuracy=by_lane(((lane, ok) for lane, _, ok in decided), _rate),
        accuracy_by_rule=dict(accuracy_by_rule),
    )


def open_at_day_ends(
    histories: Iterable[ItemHistory], period: Period, cal: BusinessCalendar
) -> tuple[tuple[date, Breakdown[int]], ...]:
    """**Items open at each day's end**: for each business day that closed in the period,
    how many items were open at its closing time (received by then, not closed or merged)."""
    items = list(histories)
    days: list[tuple[date, Breakdown[int]]] = []
    at = period.end
    while True:
        closed = sla.last_closing(at, cal, within=at - period.start)
        if closed is None or closed[1] < period.start:
            break
        day, closing = closed
        pairs = [(h.lane_at(closing), 1) for h in items if h.is_open_at(closing)]
        days.append((day, by_lane(pairs, sum)))
        at = closing - timedelta(microseconds=1)
    return tuple(reversed(days))


def qa_scores(histories: Iterable[ItemHistory], period: Period) -> Breakdown[Times]:
    """**QA score**: the reviews of sampled closed items recorded in the period, each the
    mean of its five scores (greeting, empathy, accuracy, escalation handling, closing; 1 to
    5), averaged per lane and overall; `p90` is unused. A failed privacy check is counted
    beside it (`qa_privacy_failures`)."""
    pairs = []
    for h in histories:
        for e in h.in_period(Action.QA_REVIEW, period):
            details = details_of(e)
            if isinstance(details, QaReviewed) and details.scores:
                pairs.append((h.lane_at(e.at), sum(details.scores) / len(details.scores)))
    return by_lane(pairs, Times.of)


def qa_privacy_failures(histories: Iterable[ItemHistory], period: Period) -> Breakdown[Rate]:
    """**QA privacy check**: of the reviews recorded in the period, how many found the
    privacy check failed (`done` failures of `of` reviews)."""
    pairs = []
    for h in histories:
        for e in h.in_period(Action.QA_REVIEW, period):
            details = details_of(e)
            if isinstance(details, QaReviewed):
                pairs.append((h.lane_at(e.at), not details.privacy_ok))
    return by_lane(pairs, _rate)


def first_response_by_week(
    histories: Iterable[ItemHistory], end: datetime, weeks: int, cal: BusinessCalendar
) -> tuple[tuple[Period, Breakdown[Times]], ...]:
    """The chart's series: first-response times for each of the `weeks` weeks ending at
    `end`, oldest first."""
    items = list(histories)
    ends = [days_before(end, 7 * n, cal.tz) for n in reversed(range(weeks))]
    spans = [Period.ending(span_end, 7, cal.tz) for span_end in ends]
    return tuple((span, first_response_times(items, span, cal)) for span in spans)


@dataclass(frozen=True)
class MetricsReport:
    """Every metric over one period, as the weekly post and `/cq metrics` show it."""

    period: Period
    first_response: Breakdown[Times]
    oldest_open: Breakdown[OldestOpen | None]
    same_day_callbacks: Breakdown[Rate]
    attempts_per_resolved: Breakdown[Rate]
    waiting_on_outside: Breakdown[Times]
    appointment_confirmation: Breakdown[Rate]
    bilingual_callbacks: Breakdown[Rate]
    repeat_contacts: Breakdown[Rate]
    escalations: EscalationStats
    open_at_day_end: tuple[tuple[date, Breakdown[int]], ...]
    qa_scores: Breakdown[Times]
    qa_privacy_failures: Breakdown[Rate]


def naming_appointments(labels: Iterable[str]) -> frozenset[str]:
    """The request types or resolutions that name an appointment (what the appointment-
    confirmation metric counts): "new appointment", "appointment booked", ..."""
    return frozenset(label for label in labels if "appointment" in label.casefold())


def report(
    histories: Iterable[ItemHistory],
    period: Period,
    cal: BusinessCalendar,
    lanes: Mapping[str, Lane],
    default_language: str,
) -> MetricsReport:
    """Every metric of the period, from one read of the histories."""
    items = list(histories)
    request_types = naming_appointments(t for lane in lanes.values() for t in lane.request_types)
    confirmed = naming_appointments(r for lane in lanes.values() for r in lane.resolutions)
    return MetricsReport(
        period=period,
        first_response=first_response_times(items, period, cal),
        oldest_open=oldest_open(items, period.end),
        same_day_callbacks=same_day_callback_completion(items, period, cal, lanes),
        attempts_per_resolved=attempts_per_resolved_item(items, period),
        waiting_on_outside=waiting_on_outside(items, period.end),
        appointment_confirmation=appointment_confirmation_completion(
            items, period, request_types, confirmed
        ),
        bilingual_callbacks=bilingual_callback_completion(items, period, default_language),
        repeat_contacts=repeat_contact_rate(items, period),
        escalations=escalations(items, period),
        open_at_day_end=open_at_day_ends(items, period, cal),
        qa_scores=qa_scores(items, period),
        qa_privacy_failures=qa_privacy_failures(items, period),
    )


def last_weekly(now: datetime, weekday: int, at: time, tz: ZoneInfo) -> datetime:
    """The latest moment at or before `now` that was `weekday` (0 = Monday) at `at`, local
    time in `tz`. A wall time a DST change skipped is read with the offset before the
    change, so it lands as far after the jump as it was meant after the hour (Sunday 2:30
    on the spring-forward night is 3:30)."""
    local = now.astimezone(tz)
    day = local.date() - timedelta(days=(local.weekday() - weekday) % 7)
    moment = datetime.combine(day, at, tzinfo=tz)
    if moment > now:
        moment = datetime.combine(day - timedelta(days=7), at, tzinfo=tz)
    return moment.astimezone(UTC)
