"""What a closing must say: a resolution from the lane's list, words to the patient that say
something, and, for a resolution that claims unanswered calls, those calls logged.

Pure: the Close form checks it before submitting and the close use case decides again.
"""

from __future__ import annotations

import re

from bot.domain.items import Item
from bot.domain.lanes import Lane

RESOLUTION, TOLD_PATIENT = "resolution", "told_patient"
TOLD_PATIENT_MIN = 6  # characters: "x", "ok", "n/a" say nothing the next person can use
# Words that stand for nothing when they are all that was written.
_PLACEHOLDERS = frozenset(
    {"n/a", "na", "none", "nothing", "no", "yes", "ok", "okay", "done", "tbd", "see above"}
)
_CLAIMED_ATTEMPTS = re.compile(r"\bafter\s+(\d+)\s+(?:call\s+)?attempts?\b", re.IGNORECASE)


def attempts_claimed(resolution: str, lane: Lane) -> int:
    """How many logged calls a resolution claims: "unable to reach patient after 3
    attempts" claims 3; the lane's unreachable resolution claims its cadence's attempts
    whatever its wording; anything else claims none."""
    found = _CLAIMED_ATTEMPTS.search(resolution)
    if found:
        return int(found.group(1))
    if resolution and resolution == lane.cadence.unreachable_resolution:
        return lane.cadence.attempts
    return 0


def says_something(told: str) -> bool:
    """Whether what the patient was told is more than a placeholder: a few characters, with
    letters in them, and not a word like "n/a" or "done" on its own."""
    text = " ".join(told.split())
    letters = sum(1 for char in text if char.isalpha())
    return len(text) >= TOLD_PATIENT_MIN and letters >= 3 and text.casefold() not in _PLACEHOLDERS


def close_problems(item: Item, lane: Lane, resolution: str, told: str) -> dict[str, str]:
    """What is wrong with closing `item` this way, by field (`resolution`, `told_patient`);
    empty when it may close."""
    problems: dict[str, str] = {}
    if resolution not in lane.resolutions:
        problems[RESOLUTION] = f"Choose a resolution from the {lane.name} list."
    else:
        claimed = attempts_claimed(resolution, lane)
        if item.attempts < claimed:
            if item.attempts == 1:
                logged = "only 1 call is logged"
            elif item.attempts > 1:
                logged = f"only {item.attempts} calls are logged"
            else:
                logged = "no call is logged"
            problems[RESOLUTION] = (
                f"This resolution says {claimed} attempts, and {logged}. Log each call"
                " (Log call) first, or choose another resolution."
            )
    if not told.strip():
        problems[TOLD_PATIENT] = "Write what the patient was told."
    elif not says_something(told):
        problems[TOLD_PATIENT] = (
            "Say what the patient was told in a few words (for example “Voicemail: asked"
            " them to call back about their appointment”), so the next person knows."
        )
    return problems
