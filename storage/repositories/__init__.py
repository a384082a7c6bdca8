"""Queries. Repositories share the unit of work's session, return domain objects, never commit.

One module per repository; storage/uow.py opens them all on one session."""

from storage.repositories.attempts import AttemptRepository
from storage.repositories.cards import Card, CardRepository
from storage.repositories.escalations import Accuracy, EscalationRepository
from storage.repositories.events import EventRepository
from storage.repositories.handoffs import HandoffRepository
from storage.repositories.items import ItemRepository
from storage.repositories.outbox import DeadLetter, OutboxEntry, OutboxRepository
from storage.repositories.promises import PromiseRepository

__all__ = [
    "Accuracy",
    "AttemptRepository",
    "Card",
    "CardRepository",
    "DeadLetter",
    "EscalationRepository",
    "EventRepository",
    "HandoffRepository",
    "ItemRepository",
    "OutboxEntry",
    "OutboxRepository",
    "PromiseRepository",
]
