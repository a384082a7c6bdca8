"""A realistic Monday morning for the sandbox: forty after-hours requests across the lanes.

They arrive through the intake API over HTTP, as a phone system and a portal would post
them (a token of their own, an Idempotency-Key each, contacted_at spread over the night
before); missed calls carry only a phone number. Every name, number and reference here is
invented.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp

from bot.config import Practice

DEMO_INTEGRATION = "Sandbox demo (phone system and portal)"
REQUESTS = 40


@dataclass(frozen=True)
class DemoRequest:
    lane: str
    request_type: str
    origin: str
    summary: str
    language: str = ""
    caller_known: bool = True  # False: a missed call with only a phone number


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
        origin = ORIGINS[rotation % len(ORIGINS)]
        chosen.append(
            DemoRequest(
                lane.key,
                request_type,
                origin,
                SUMMARIES.get(lane.key, "Asked for a callback."),
                caller_known=origin != "missed_call",
            )
        )
        rotation += 1
    return chosen[:count]


def demo_body(n: int, demo: DemoRequest, received: datetime, practice: Practice) -> dict[str, Any]:
    """The JSON a phone system or portal would post for the `n`th request of the morning."""
    body: dict[str, Any] = {
        "callback_phone": f"(555) 201-{1000 + n * 17:04d}",
        "origin": demo.origin,
        "lane": demo.lane,
        "contacted_at": received.isoformat(),
        "source_id": f"demo-{n}",
    }
    if demo.caller_known:
        body |= {
            "patient_reference": f"MRN-{40000 + n * 37}",
            "patient_name": f"{FIRST[n % len(FIRST)]} {LAST[(n * 3) % len(LAST)]}",
            "request_type": demo.request_type,
            "summary": demo.summary,
            "language": demo.language or practice.languages[0],
        }
    return body


async def seed_demo(
    api_root: str, token: str, practice: Practice, now: datetime, *, seed: int = 20261123
) -> list[str]:
    """Post the demo morning to the intake API at `api_root` with `token`; return the item
    keys. Contact times (when each patient called or wrote) fall over the last 14 h, so an
    overnight voicemail in a same-day lane is due by today's close and every age on a card
    is the patient's wait. Raises ValueError when a request does not fit the practice (the
    API's 422 problems say why)."""
    rng = random.Random(seed)
    requests = demo_requests(practice)
    moments = sorted(now - timedelta(minutes=rng.randint(5, 14 * 60)) for _ in requests)
    keys: list[str] = []
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        for n, (demo, received) in enumerate(zip(requests, moments, strict=True)):
            body = demo_body(n, demo, received, practice)
            keys.append(await _post(session, f"{api_root}/api/v1/requests", body, n))
    return keys


async def _post(session: aiohttp.ClientSession, url: str, body: dict[str, Any], n: int) -> str:
    """Post one request, waiting out the token's rate limit (a practice file may set it low)."""
    while True:
        async with session.post(url, json=body, headers={"Idempotency-Key": f"demo-{n}"}) as r:
            answer = await r.json()
            if r.status == 429:
                await asyncio.sleep(int(r.headers.get("Retry-After", "1")))
                continue
            if r.status not in (200, 201):
                raise ValueError(f"demo request {n} does not fit this practice: {answer}")
            return str(answer["key"])
