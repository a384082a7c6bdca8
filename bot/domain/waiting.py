"""Who an item waits on, as a choice: what cards, threads and App Home say at every privacy
level. The words staff type beside it are free text, shown only where the level allows (the
same rule as call notes). Values are stored: never rename."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class WaitingParty(StrEnum):
    PAYER = "payer"
    REFERRAL_OFFICE = "referral_office"
    LAB = "lab"
    PHARMACY = "pharmacy"
    PATIENT = "patient"
    OTHER = "other"

    @property
    def label(self) -> str:
        """As a choice in the form: "Referral office"."""
        return _LABELS[self]

    @property
    def phrase(self) -> str:
        """As a sentence says it: "waiting on the referral office"."""
        return _PHRASES[self]


_LABELS: Mapping[WaitingParty, str] = {
    WaitingParty.PAYER: "Payer (insurance)",
    WaitingParty.REFERRAL_OFFICE: "Referral office",
    WaitingParty.LAB: "Lab",
    WaitingParty.PHARMACY: "Pharmacy",
    WaitingParty.PATIENT: "Patient",
    WaitingParty.OTHER: "Other",
}

_PHRASES: Mapping[WaitingParty, str] = {
    WaitingParty.PAYER: "the payer",
    WaitingParty.REFERRAL_OFFICE: "the referral office",
    WaitingParty.LAB: "the lab",
    WaitingParty.PHARMACY: "the pharmacy",
    WaitingParty.PATIENT: "the patient",
    WaitingParty.OTHER: "an outside party",
}


def party(value: str | None) -> WaitingParty | None:
    """The stored value as a party; None for none, or one this version does not know."""
    try:
        return WaitingParty(value) if value else None
    except ValueError:
        return None


def waiting_phrase(value: str | None) -> str:
    """What a card or thread says an item waits on: the party, never staff's words; "an
    outside party" for a wait recorded before the choice existed."""
    chosen = party(value)
    return chosen.phrase if chosen is not None else WaitingParty.OTHER.phrase
