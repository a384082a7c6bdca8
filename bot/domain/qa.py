"""The weekly QA sample: which closed items the managers review, spread over the lanes."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable

SCORE_MIN, SCORE_MAX = 1, 5
QA_CRITERIA = ("greeting", "empathy", "accuracy", "escalation_handling", "closing")
"""What a reviewer scores, 1 to 5 each, in the form's order (QaReviewed's fields)."""


def stratified_sample(closed: Iterable[tuple[str, str]], size: int, seed: str) -> tuple[str, ...]:
    """`size` item keys from `closed` ((key, lane) pairs), taken lane by lane in turn so
    every lane with closed items is represented before any lane gets a second; within a lane
    the order is shuffled by `seed` (the period), so the sample is random yet the same for
    every process that draws it. Lanes take turns in key order."""
    by_lane: dict[str, list[str]] = defaultdict(list)
    for key, lane in closed:
        by_lane[lane].append(key)
    chooser = random.Random(seed)
    queues = []
    for lane in sorted(by_lane):
        keys = sorted(by_lane[lane])
        chooser.shuffle(keys)
        queues.append(keys)
    picked: list[str] = []
    while len(picked) < size and any(queues):
        for queue in queues:
            if queue and len(picked) < size:
                picked.append(queue.pop(0))
    return tuple(picked)
