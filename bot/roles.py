"""Who is staff (in which lanes), an assistant, a manager, a clinician or bilingual staff:
the one place a Slack user id becomes an Actor with roles, and the one place that says who
holds a role.

The practice file names people by user id (U…/W…) or by user group (S…). A group stands for
its members as Slack last reported them (`usergroups.users.list`, asked in the background
by bot/user_groups.py and kept in memory): deciding a role never waits on Slack. A group
whose members were never loaded grants nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from bot.config import MANAGER_ESCALATION, Practice
from bot.domain.items import Actor, Role
from bot.domain.practice import ALL_LANES


class GroupMembers(Protocol):
    """What is known of user groups' members (bot.user_groups.UserGroups in the app)."""

    def members_of(self, group_id: str) -> frozenset[str]:
        """The group's members as last loaded; empty if never loaded."""
        ...


class NoGroups:
    """Knows no group's members: only user ids named in the practice file grant a role."""

    def members_of(self, group_id: str) -> frozenset[str]:
        return frozenset()


def is_group(slack_id: str) -> bool:
    """A user group id (S…), as opposed to a user id (U…/W…)."""
    return slack_id.startswith("S")


def group_ids(practice: Practice) -> tuple[str, ...]:
    """Every user group the practice file names in its roles, each once, sorted."""
    roles = practice.roles
    named = [*roles.managers]
    for level in roles.clinical:
        named += level.members
    for staff in roles.bilingual.values():
        named += staff
    for members in roles.teams.values():
        named += members
    for by_lane in (roles.staff or {}, roles.assistants):
        for members in by_lane.values():
            named += members
    return tuple(sorted({slack_id for slack_id in named if is_group(slack_id)}))


class RoleDirectory:
    """The practice's roles with user groups resolved from what `groups` knows now.

    `actor_for` decides a person's roles; `members`, `managers` and `bilingual` say who
    holds one (user ids, groups replaced by their members), for paging a level or routing
    a caller. Every answer reads memory only.
    """

    def __init__(self, practice: Practice, groups: GroupMembers | None = None) -> None:
        self.practice = practice
        self.groups: GroupMembers = groups or NoGroups()

    def actor_for(self, user_id: str) -> Actor:
        """The person's roles and the lanes they work, from the practice file, directly or
        through a user group: staff and assistants per lane (`all` for every lane),
        managers, clinicians. A file without roles.staff makes everyone in the workspace
        (but its assistants) staff in every lane; with it, someone it names nowhere has no
        role."""
        named = self.practice.roles
        roles: set[Role] = set()
        lanes: set[str] = set()
        for role, by_lane in ((Role.STAFF, named.staff or {}), (Role.ASSISTANT, named.assistants)):
            worked = {lane for lane, people in by_lane.items() if self._named(user_id, people)}
            if worked:
                roles.add(role)
                lanes |= worked
        if named.staff is None and Role.ASSISTANT not in roles:
            roles.add(Role.STAFF)
            lanes.add(ALL_LANES)
        if self._named(user_id, named.managers):
            roles.add(Role.MANAGER)
        if any(self._named(user_id, level.members) for level in named.clinical):
            roles.add(Role.CLINICAL)
        return Actor(
            user_id=user_id,
            roles=frozenset(roles),
            lanes=None if ALL_LANES in lanes else frozenset(lanes),
        )

    def members(self, level: str) -> tuple[str, ...]:
        """The user ids to page at an escalation target: a clinical level's name, or
        `manager` for the managers. Raises KeyError for a level the practice lacks."""
        if level == MANAGER_ESCALATION:
            return self.managers()
        for clinical in self.practice.roles.clinical:
            if clinical.level == level:
                return self._resolve(clinical.members)
        raise KeyError(level)

    def managers(self) -> tuple[str, ...]:
        return self._resolve(sorted(self.practice.roles.managers))

    def clinical_members(self) -> tuple[str, ...]:
        """Everyone clinical, at any level, groups resolved."""
        return self._resolve(m for level in self.practice.roles.clinical for m in level.members)

    def team(self, name: str) -> tuple[str, ...]:
        """The members of a team an escalation rule pages (roles.teams), groups resolved."""
        return self._resolve(self.practice.roles.teams.get(name, ()))

    def bilingual(self, language: str) -> tuple[str, ...]:
        """Staff who call back in `language`, in the file's order."""
        return self._resolve(self.practice.roles.bilingual.get(language, ()))

    def _named(self, user_id: str, named: Iterable[str]) -> bool:
        """Whether `user_id` is named: by id, or as a member of a named group (a group's own
        id is nobody)."""
        for slack_id in named:
            if is_group(slack_id):
                if user_id in self.groups.members_of(slack_id):
                    return True
            elif slack_id == user_id:
                return True
        return False

    def _resolve(self, named: Iterable[str]) -> tuple[str, ...]:
        """User ids in the order named, each group replaced by its members (sorted), each
        person once."""
        found: dict[str, None] = {}
        for slack_id in named:
            if is_group(slack_id):
                found.update(dict.fromkeys(sorted(self.groups.members_of(slack_id))))
            else:
                found[slack_id] = None
        return tuple(found)
