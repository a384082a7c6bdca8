"""Where the red-flag prompt at intake goes, and what its outbox row carries.

Every intake path (the modal, the "Log as patient request" shortcut, the intake API) logs
through `ItemServices.log_in`, which queues the prompt in the intake's own transaction when
the summary matched a red-flag phrase: an outbox row committed with the item, so a crash or
a Slack outage delays it and never loses it.
"""

from __future__ import annotations

from datetime import datetime

from bot.domain.escalation import RED_FLAG_WAIT, who_is_asked
from bot.domain.items import Item
from bot.domain.practice import Practice


def red_flag_prompt_for(
    item: Item, practice: Practice, now: datetime
) -> tuple[str, dict[str, str]]:
    """The prompt's channel and params: to whoever logged `item` (a DM); for a request an
    integration posted, the channel its escalation would page (the clinical channel, or the
    managers' for a manager's or team's reason, like a legal threat). Unanswered, the item
    escalates at `escalates_at` (`EscalationServices.run_red_flags`), which needs no Slack."""
    rule = practice.red_flag_rule(item.red_flags)
    clinical = rule is None or rule.clinical
    channel = practice.clinical_channel if clinical else practice.managers_channel
    ask = who_is_asked(item.created_by, channel)
    params = {"audience": ask.audience.value, "escalates_at": (now + RED_FLAG_WAIT).isoformat()}
    return ask.channel, params
