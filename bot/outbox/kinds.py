"""What an outbox row is (its kind), how it is recognised in Slack later (message metadata),
and which of Slack's limits paces it (its pacing key)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from storage.repositories.outbox import Held

CARD = "card"
THREAD = "thread"
MESSAGE = "message"  # a templated post to a channel, or a DM when the channel is a user id
HOME = "home"  # publish one person's App Home (channel "home:<user>")
OPS = "ops"  # a notice about CareQueue itself to the managers' channel (dead letters)
ALERT = "alert"  # an aging or promise alert, posted or edited (payload: message id)
DIGEST = "digest"  # the end-of-day digest to the managers' channel (payload: day, since)
# The morning summary to the managers' channel (payload: day, since, clinical lane keys)
MORNING = "morning"
# The weekly metrics (payload: end, days), their chart as an uploaded image (payload: end,
# weeks), and the QA sample with its Review buttons (payload: keys); to the managers'
# channel, or a DM when the channel is a user id (`/cq metrics`).
METRICS = "metrics"
CHART = "chart"
QA_SAMPLE = "qa_sample"

# Outbox priority (lower goes first): clinical pages and red-flag prompts go ahead of the
# card posts and edits queued before them (the default, 100).
URGENT_PRIORITY = 10

CARD_METADATA = "carequeue_card"
ENTRY_METADATA = "carequeue_entry"

WORKSPACE_EDITS = "edit:workspace"
HOME_PUBLISHES = "publish:workspace"
POSTS_TO = "post:"  # + the channel: posts to one channel


def pace_key_of(kind: str, channel: str, card_ts: str | None) -> str:
    """Slack's limits as pacing keys: posts per channel, edits and publishes per workspace."""
    if kind == CARD and card_ts is not None:
        return WORKSPACE_EDITS
    if kind == HOME:
        return HOME_PUBLISHES
    return f"{POSTS_TO}{channel}"


def held_paces(paced: Mapping[str, datetime], until: datetime) -> Held:
    """The writes `due` may leave out: those whose pacing key is held past `until`."""
    held = {key for key, at in paced.items() if at > until}
    return Held(
        card_kind=CARD,
        publish_kind=HOME,
        channels=frozenset(key.removeprefix(POSTS_TO) for key in held if key.startswith(POSTS_TO)),
        edits=WORKSPACE_EDITS in held,
        publishes=HOME_PUBLISHES in held,
    )
