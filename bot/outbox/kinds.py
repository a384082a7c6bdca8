"""What an outbox row is (its kind), how it is recognised in Slack later (message metadata),
and which of Slack's limits paces it (its pacing key)."""

from __future__ import annotations

CARD = "card"
THREAD = "thread"
MESSAGE = "message"  # a templated post to a channel, or a DM when the channel is a user id
HOME = "home"  # publish one person's App Home (channel "home:<user>")
OPS = "ops"  # a notice about CareQueue itself to the managers' channel (dead letters)
DIGEST = "digest"  # the end-of-day digest to the managers' channel (payload: day, since)

CARD_METADATA = "carequeue_card"
ENTRY_METADATA = "carequeue_entry"

WORKSPACE_EDITS = "edit:workspace"
HOME_PUBLISHES = "publish:workspace"


def pace_key_of(kind: str, channel: str, card_ts: str | None) -> str:
    """Slack's limits as pacing keys: posts per channel, edits and publishes per workspace."""
    if kind == CARD and card_ts is not None:
        return WORKSPACE_EDITS
    if kind == HOME:
        return HOME_PUBLISHES
    return f"post:{channel}"
