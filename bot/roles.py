"""Who is a manager or clinical: the one place a Slack user id becomes an Actor with roles."""

from __future__ import annotations

from bot.config import Practice
from bot.domain.items import Actor, Role


def actor_for(user_id: str, practice: Practice) -> Actor:
    """Everyone in the workspace is staff; the practice file names managers and clinicians.

    User-group ids (S…) in the file are resolved by the membership cache that arrives
    with the escalation issue; until then only user ids grant a role.
    """
    roles = {Role.STAFF}
    if user_id in practice.roles.managers:
        roles.add(Role.MANAGER)
    if any(user_id in level.members for level in practice.roles.clinical):
        roles.add(Role.CLINICAL)
    return Actor(user_id=user_id, roles=frozenset(roles))
