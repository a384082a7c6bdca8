"""SQLAlchemy 2 table mappings. Only storage/ sees rows; the layers above get domain objects."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


_KNOWN_MOMENTS = 256  # texts a SQLite bind processor keeps (see UTCDateTime.bind_processor)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC; always hands back an aware UTC datetime (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; pass an aware UTC time")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def bind_processor(self, dialect: Dialect) -> Any:
        """On SQLite, `process_bind_param` and SQLite's own DATETIME text in one step:
        every row an item writes binds several times, and SQLAlchemy's chain of the two
        (a %-format of a dict) was most of a row's binding. The same text, to the
        character (tests/storage/test_driver_statements.py)."""
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        # A batch binds its one `now` many times (each row's created, updated, sent-at…):
        # the text of the last few UTC moments is kept. Only UTC ones: two times in one
        # zone compare by their wall clocks, fold ignored, so the two 1:30s of a fall-back
        # night would find each other's text; a time in another zone compares with a UTC
        # one by its instant, which is all the text says. A naive one matches none.
        known: dict[datetime, str] = {}

        def process(value: datetime | None) -> str | None:
            if value is None:
                return None
            text = known.get(value)
            if text is not None:
                return text
            if value.tzinfo is None:
                raise ValueError("naive datetime stored; pass an aware UTC time")
            text = value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
            if value.tzinfo is UTC:
                if len(known) >= _KNOWN_MOMENTS:
                    known.clear()
                known[value] = text
            return text

        return process

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ItemRow(Base):
    __tablename__ = "items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(16), unique=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    lane: Mapped[str] = mapped_column(String(32), index=True)
    request_type: Mapped[str] = mapped_column(String(60))
    origin: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), index=True)
    owner: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    patient_ref: Mapped[str] = mapped_column(String(64), index=True)
    patient_name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(40))
    callback_window: Mapped[str] = mapped_column(String(200), default="")
    summary: Mapped[str] = mapped_column(Text)
    source_link: Mapped[str] = mapped_column(String(500), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    next_action: Mapped[str] = mapped_column(String(200))
    resolution: Mapped[str] = mapped_column(String(60), default="")
    told_patient: Mapped[str] = mapped_column(Text, default="")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    closed_by: Mapped[str | None] = mapped_column(String(32))
    clinical_ack_by: Mapped[str | None] = mapped_column(String(32))
    created_by: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    waiting_on: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # Who it waits on, as a choice (bot.domain.waiting.WaitingParty's value): what channels show.
    waiting_for: Mapped[str] = mapped_column(String(32), default="", server_default="")
    check_back_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    sla_remaining_minutes: Mapped[float | None] = mapped_column(Float)
    repeat_count: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    related_key: Mapped[str | None] = mapped_column(String(16))
    merged_into: Mapped[str | None] = mapped_column(String(16))
    # Red-flag phrases found at intake, one per line: a mark for a human, never a decision.
    red_flags: Mapped[str] = mapped_column(Text, default="", server_default="")
    red_flag_dismissed_by: Mapped[str | None] = mapped_column(String(32))
    # Aging (bot/services/aging.py): when the aging job must look at this item next (set to
    # now by every change; None when nothing will change without one), and the card stage
    # it last saw, so a card is re-rendered once per threshold, not every minute.
    aging_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    aging_stage: Mapped[str] = mapped_column(String(16), default="", server_default="")
    # When the retention purge removed its patient text (bot/services/retention.py).
    redacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AttemptRow(Base):
    """One callback try and its outcome."""

    __tablename__ = "attempts"
    __table_args__ = (UniqueConstraint("item_id", "number", name="uq_attempts_item_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(32))
    identity_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    confirmed: Mapped[str] = mapped_column(Text, default="")
    next_step: Mapped[str] = mapped_column(String(300), default="")
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    by: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class PromiseRow(Base):
    """An update the patient was told to expect, with its deadline."""

    __tablename__ = "promises"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    text: Mapped[str] = mapped_column(String(300))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    made_by: Mapped[str] = mapped_column(String(32))
    made_at: Mapped[datetime] = mapped_column(UTCDateTime())
    fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    fulfilled_by: Mapped[str | None] = mapped_column(String(32))


class HandoffRow(Base):
    """A structured handoff note: what lets the next person continue."""

    __tablename__ = "handoffs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    asked: Mapped[str] = mapped_column(Text)
    confirmed: Mapped[str] = mapped_column(Text, default="")
    unresolved: Mapped[str] = mapped_column(Text, default="")
    promised: Mapped[str] = mapped_column(Text, default="")
    promised_by: Mapped[datetime | None] = mapped_column(UTCDateTime())
    not_to_promise: Mapped[str] = mapped_column(Text, default="")
    next_owner: Mapped[str | None] = mapped_column(String(32))
    next_lane: Mapped[str | None] = mapped_column(String(32))
    by: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class EventRow(Base):
    """Append-only: rows are inserted, never deleted, and updated only by the retention
    purge, which replaces the patient text in `before`/`after` with "redacted"."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    item_key: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    before: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


_CURRENT_CARD = text("moved_to_lane IS NULL")


class CardRow(Base):
    """A Slack message that shows an item in a lane channel; `ts` is set once posted.

    An item has one current card (`moved_to_lane` NULL), in its lane's channel; each move
    retires it and adds one in the new lane. An item moved back to a lane it was in gets a
    new card there, beside the retired one (which points onward), so the outbox never
    mistakes the old message for the new post (bot/outbox/reconcile.py finds a card's
    message by its id)."""

    __tablename__ = "cards"
    __table_args__ = (
        Index(
            "uq_cards_current",
            "item_id",
            unique=True,
            sqlite_where=_CURRENT_CARD,
            postgresql_where=_CURRENT_CARD,
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    lane: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(80))
    channel_id: Mapped[str | None] = mapped_column(String(32))
    ts: Mapped[str | None] = mapped_column(String(32))
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Set when the item moved to another lane: this card then only points to the new one.
    moved_to_lane: Mapped[str | None] = mapped_column(String(32))


class OutboxRow(Base):
    """One Slack write waiting to happen, committed with the change that caused it."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_queue", "status", "priority", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    priority: Mapped[int] = mapped_column(Integer, default=100)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"), index=True)
    card_id: Mapped[int | None] = mapped_column(ForeignKey("cards.id"), index=True)
    channel: Mapped[str] = mapped_column(String(80))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Attempts that ended in an error of the row's own (not Slack's, not the network's):
    # after Pacing.max_failures of them the row is a dead letter.
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Waiting out a backoff after a Slack or network error; ends as soon as Slack answers.
    backing_off: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    maybe_sent: Mapped[bool] = mapped_column(Boolean, default=False)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(String(200), default="")
    result_ts: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    dead_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class EscalationRow(Base):
    """One escalation of an item: its chain, who was paged, and how it ended."""

    __tablename__ = "escalations"
    __table_args__ = (Index("ix_escalations_due", "state", "ack_due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    item_key: Mapped[str] = mapped_column(String(16))
    lane: Mapped[str] = mapped_column(String(32))
    rule: Mapped[str] = mapped_column(String(32))
    chain: Mapped[list[str]] = mapped_column(JSON, default=list)
    level: Mapped[int] = mapped_column(Integer, default=0)
    paged: Mapped[list[str]] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(16))
    reminded: Mapped[bool] = mapped_column(Boolean, default=False)
    context: Mapped[str] = mapped_column(Text, default="")
    opened_by: Mapped[str] = mapped_column(String(32))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ack_due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    acknowledged_by: Mapped[str | None] = mapped_column(String(32))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by: Mapped[str | None] = mapped_column(String(32))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision: Mapped[str] = mapped_column(Text, default="")
    told_patient: Mapped[str] = mapped_column(Text, default="")
    appropriate: Mapped[bool | None] = mapped_column(Boolean)
    version: Mapped[int] = mapped_column(Integer, default=1)


class PaceRow(Base):
    """When the next write of a kind may go out (per channel for posts, workspace for edits)."""

    __tablename__ = "pacing"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    next_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CounterRow(Base):
    """Named counters, bumped with one conditional statement (item numbers)."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class ApiTokenRow(Base):
    """One integration's bearer token for the intake API; only its SHA-256 is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ApiDeliveryRow(Base):
    """One request an integration delivered, under its idempotency key: a retried delivery
    finds this row (the unique constraint decides a race) and gets the same item back."""

    __tablename__ = "api_deliveries"
    __table_args__ = (
        UniqueConstraint("token_id", "idempotency_key", name="uq_api_deliveries_token_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id"))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    source_id: Mapped[str] = mapped_column(String(200), default="")
    # Set in the same transaction as the claim; empty only while that transaction runs.
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # SHA-256 of the request this key first carried (bot.services.intake_api.fingerprint):
    # the same key with another request is refused, not answered with this item. None for
    # deliveries stored before it was kept, and once the item's patient text is purged.
    fingerprint: Mapped[str | None] = mapped_column(String(64), default=None)


class JobRunRow(Base):
    """One scheduled job's claim on one period (the digest of 2026-12-03, the aging scan of
    one minute): unique, so a period runs once whichever process or restart gets there."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "period", name="uq_job_runs_job_period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(64))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ItemAlertRow(Base):
    """One aging or promise alert about one item: unique per (item, kind, subject), so it
    is raised once whichever process or run gets there. `subject` names the deadline it is
    about (`due:<iso>` or `promise:<id>`); cleared once it is no longer true."""

    __tablename__ = "item_alerts"
    __table_args__ = (
        UniqueConstraint("item_id", "kind", "subject", name="uq_item_alerts_item_kind_subject"),
        Index("ix_item_alerts_active", "item_id", "cleared_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    kind: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(64))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    owner: Mapped[str | None] = mapped_column(String(32))
    promise_id: Mapped[int | None] = mapped_column(Integer)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime())
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cleared_reason: Mapped[str] = mapped_column(String(16), default="", server_default="")
    cleared_by: Mapped[str | None] = mapped_column(String(32))


class ItemAlertMessageRow(Base):
    """Where one alert was (or will be) posted: the card's thread, a DM or the managers'
    channel; `channel_id`/`ts` once posted, so a cleared alert is edited in place."""

    __tablename__ = "item_alert_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("item_alerts.id"), index=True)
    target: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(80))
    channel_id: Mapped[str | None] = mapped_column(String(32))
    ts: Mapped[str | None] = mapped_column(String(32))


class SeenEventRow(Base):
    """An Events API delivery already taken: Slack redelivers an event (same `event_id`,
    `X-Slack-Retry-Num`) when the first answer was slow, and a redelivery must do nothing.
    Kept a day (Slack retries within minutes), then pruned."""

    __tablename__ = "seen_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class ViewSubmissionRow(Base):
    """A modal submission that acted (made an item, or changed one), once per view: a
    captured, validly signed submission replayed within Slack's five minutes finds this row
    and changes nothing. Written in the same transaction as what it did; kept a day."""

    __tablename__ = "view_submissions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    view_id: Mapped[str] = mapped_column(String(64), unique=True)
    view_hash: Mapped[str] = mapped_column(String(128), default="")
    # Set in the same transaction as the claim; empty only while that transaction runs.
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"), index=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
