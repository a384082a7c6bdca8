"""A realistic Monday morning for the sandbox: forty after-hours requests across the lanes.

They arrive through the same path the intake API will use (validate_intake, then the
intake service), with received times spread over the night before. Every name, number and
reference here is invented.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.config import Practice
from bot.domain.intake import IntakeDraft, IntakeRequest, received_time, validate_intake
from bot.services.items import ItemServices

INTAKE_API_ACTOR = "UINTAKEAPI"
REQUESTS = 40


@dataclass(frozen=True)
class DemoRequest:
    lane: str
    request_type: str
    origin: str
    summary: str
    language: str = ""


# Hand-written so the morning reads like a real one; the rest is filled by rotation.
NOTABLE = [
    DemoRequest(
        "clinical",
        "symptom question",
        "portal_message",
        "Chest pain since last night, worse when climbing stairs. Should I come in?",
    ),
    DemoRequest(
        "clinical",
        "refill request",
        "voicemail",
        "Needs a refill of blood pressure medication, down to two pills.",
    ),
    DemoRequest(
        "referrals",
        "fax not received",
        "referral_partner",
        "Cardiology office says they never received the referral documents; please re-send.",
    ),
    DemoRequest(
        "language",
        "callback in Spanish",
        "voicemail",
        "Llamó para cambiar su cita del jueves; prefiere que le llamen en español.",
        "Spanish",
    ),
    DemoRequest(
        "telehealth",
        "visit link not received",
        "missed_call",
        "Has a 9:30 video visit and never got the link.",
    ),
    DemoRequest(
        "billing",
        "statement question",
        "email",
        "Question about a charge on the October statement.",
    ),
]

SUMMARIES = {
    "scheduling": "Would like to move next week's appointment to a morning.",
    "new_patient": "Asking whether the practice takes new patients with their plan.",
    "insurance": "Changed insurance this month, wants to update the card on file.",
    "referrals": "Checking on the status of a dermatology referral.",
    "telehealth": "Cannot hear the provider in video visits; wants help before the next one.",
    "clinical": "Question about a side effect of a new prescription.",
    "complaints": "Waited 50 minutes past appointment time last week and wants a call.",
    "language": "Needs an interpreter for Thursday's visit.",
    "billing": "Wants to set up a payment plan.",
}
ORIGINS = ["voicemail", "missed_call", "portal_message", "web_form", "voicemail", "email"]
FIRST = ["Avery", "Jordan", "Sam", "Riley", "Morgan", "Casey", "Quinn", "Rowan", "Elena", "Tomas"]
LAST = ["Brooks", "Nguyen", "Okafor", "Lindqvist", "Haddad", "Moreau", "Castillo", "Iwata"]


def demo_requests(practice: Practice, count: int = REQUESTS) -> list[DemoRequest]:
    lanes = list(practice.lanes.values())
    chosen = [r for r in NOTABLE if r.lane in practice.lanes]
    rotation = 0
    while len(chosen) < count:
        lane = lanes[rotation % len(lanes)]
        request_type = lane.request_types[rotation % len(lane.request_types)]
        chosen.append(
            DemoRequest(
                lane.key,
                request_type,
                ORIGINS[rotation % len(ORIGINS)],
                SUMMARIES.get(lane.key, "Asked for a callback."),
            )
        )
        rotation += 1
    return chosen[:count]


async def seed_demo(
    services: ItemServices, practice: Practice, now: datetime, *, seed: int = 20261123
) -> list[str]:
    """Log the demo morning; return the item keys. Received times (when each patient called
    or wrote) fall over the last 14 h, so an overnight voicemail in a same-day lane is due by
    today's close and every age on a card is the patient's wait."""
    rng = random.Random(seed)
    requests = demo_requests(practice)
    moments = sorted(now - timedelta(minutes=rng.randint(5, 14 * 60)) for _ in requests)
    keys: list[str] = []
    for n, (demo, received) in enumerate(zip(requests, moments, strict=True)):
        draft = IntakeDraft(
            patient_ref=f"MRN-{40000 + n * 37}",
            patient_name=f"{FIRST[n % len(FIRST)]} {LAST[(n * 3) % len(LAST)]}",
            phone=f"(555) 201-{1000 + n * 17:04d}",
            origin=demo.origin,
            lane=demo.lane,
            request_type=demo.request_type,
            summary=demo.summary,
            language=demo.language or practice.languages[0],
        )
        checked = validate_intake(draft, practice.lanes, practice.languages)
        contacted = received_time(received, now)
        if not isinstance(checked, IntakeRequest) or not isinstance(contacted, datetime):
            raise ValueError(f"demo request {n} does not fit this practice: {checked}")
        # Each carries when the patient called or wrote overnight: targets count from then.
        done = await services.log_request(checked, actor=INTAKE_API_ACTOR, received_at=contacted)
        keys.append(done.item.key)
    return keys
