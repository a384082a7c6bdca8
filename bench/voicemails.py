"""The after-hours voicemail every benchmark logs: one new patient per number, spread over
the practice's lanes, and the practice they log into. Imported by the scripts beside it (they
run as `python bench/X.py`)."""

from __future__ import annotations

import dataclasses

from bot.config import EXAMPLE_PRACTICE, Practice, load_practice
from bot.domain.intake import IntakeRequest
from bot.domain.items import Origin
from bot.domain.lanes import Lane


def voicemail(n: int, lane: Lane, *, run: str = "", language: str = "English") -> IntakeRequest:
    """Voicemail number `n` for `lane`; `run` keeps references apart between runs on one
    database (so a second run makes no repeat contacts)."""
    reference = f"MRN-{run}-{n:05d}" if run else f"MRN-{n:05d}"
    return IntakeRequest(
        patient_ref=reference,
        patient_name=f"Patient {n}",
        phone="(555) 201-4477",
        origin=Origin.VOICEMAIL,
        lane=lane.key,
        request_type=lane.request_types[0],
        summary="After-hours voicemail asking for a callback",
        language=language,
    )


def bench_practice() -> Practice:
    """The shipped example, without its roles.staff: the benches' invented people (UBENCH00,
    U01, ...) are then staff in every lane, as in a practice file that names no staff."""
    practice = load_practice(EXAMPLE_PRACTICE)
    return dataclasses.replace(practice, roles=dataclasses.replace(practice.roles, staff=None))
