"""Roles come from the practice file: user ids directly, user groups through their members as
last loaded. Pure: the groups' members are given, nothing asks Slack."""

from __future__ import annotations

import dataclasses

import pytest

from bot.config import Practice
from bot.domain.items import Role
from bot.domain.practice import ClinicalLevel, Roles
from bot.roles import RoleDirectory, group_ids


class KnownGroups:
    """Groups whose members were loaded (a group missing here never loaded)."""

    def __init__(self, **members: list[str]) -> None:
        self.members = {group: frozenset(users) for group, users in members.items()}

    def members_of(self, group_id: str) -> frozenset[str]:
        return self.members.get(group_id, frozenset())


@pytest.fixture
def practice(example_practice: Practice) -> Practice:
    roles = Roles(
        managers=frozenset({"U0MANAGER1", "S0MANAGERS"}),
        clinical=(
            ClinicalLevel("nurse", ("S0NURSES", "U0NURSE09")),
            ClinicalLevel("provider_on_call", ("U0DOC001",)),
        ),
        bilingual={"Spanish": ("U0FRONT02", "S0SPANISH")},
    )
    return dataclasses.replace(example_practice, roles=roles)


def test_a_member_of_a_clinical_group_is_clinical(practice: Practice) -> None:
    roles = RoleDirectory(practice, KnownGroups(S0NURSES=["U0NURSE01"]))

    assert roles.actor_for("U0NURSE01").is_clinical
    assert not roles.actor_for("U0NURSE01").is_manager
    assert roles.actor_for("U0NURSE09").is_clinical  # named by id beside the group
    assert not roles.actor_for("UFRONT01").is_clinical


def test_a_member_of_a_managers_group_is_a_manager(practice: Practice) -> None:
    roles = RoleDirectory(practice, KnownGroups(S0MANAGERS=["U0BOSS"]))

    assert roles.actor_for("U0BOSS").is_manager
    assert roles.actor_for("U0MANAGER1").is_manager
    assert not roles.actor_for("U0BOSS").is_clinical


def test_a_group_never_loaded_grants_nothing(practice: Practice) -> None:
    roles = RoleDirectory(practice, KnownGroups())

    assert not roles.actor_for("U0NURSE01").is_clinical
    assert roles.members("nurse") == ("U0NURSE09",)
    # Nor is the group id itself anyone: it cannot be paged or made an owner.
    assert not roles.actor_for("S0NURSES").is_clinical


def test_without_groups_only_user_ids_grant_a_role(practice: Practice) -> None:
    roles = RoleDirectory(practice)

    assert roles.actor_for("U0DOC001").is_clinical
    assert roles.actor_for("U0MANAGER1").is_manager
    assert roles.managers() == ("U0MANAGER1",)


def test_members_of_a_level_list_its_people_with_groups_resolved(practice: Practice) -> None:
    roles = RoleDirectory(
        practice,
        KnownGroups(S0NURSES=["U0NURSE02", "U0NURSE01", "U0NURSE09"], S0MANAGERS=["U0BOSS"]),
    )

    assert roles.members("nurse") == ("U0NURSE01", "U0NURSE02", "U0NURSE09")
    assert roles.members("provider_on_call") == ("U0DOC001",)
    assert roles.members("manager") == roles.managers() == ("U0BOSS", "U0MANAGER1")
    with pytest.raises(KeyError):
        roles.members("pharmacist")


def test_bilingual_staff_keep_the_files_order_with_groups_resolved(practice: Practice) -> None:
    roles = RoleDirectory(practice, KnownGroups(S0SPANISH=["U0FRONT03", "U0FRONT02"]))

    assert roles.bilingual("Spanish") == ("U0FRONT02", "U0FRONT03")
    assert roles.bilingual("French") == ()


def test_group_ids_are_every_group_the_roles_name_once(practice: Practice) -> None:
    assert group_ids(practice) == ("S0MANAGERS", "S0NURSES", "S0SPANISH")


def test_a_change_in_the_groups_members_changes_the_role(practice: Practice) -> None:
    groups = KnownGroups(S0NURSES=["U0NURSE01"])
    roles = RoleDirectory(practice, groups)
    assert roles.actor_for("U0NURSE01").is_clinical

    groups.members["S0NURSES"] = frozenset()

    assert not roles.actor_for("U0NURSE01").is_clinical


# --- staff and assistants, by lane (issue 14) ---------------------------------------------


def with_lanes(practice: Practice, **sections: object) -> Practice:
    return dataclasses.replace(practice, roles=dataclasses.replace(practice.roles, **sections))


def test_staff_work_the_lanes_the_file_gives_them(practice: Practice) -> None:
    staffed = with_lanes(
        practice,
        staff={"scheduling": ("U0SCHED1", "S0BILLERS"), "all": ("U0LEAD01",)},
        assistants={"telehealth": ("U0VA0001",)},
    )
    roles = RoleDirectory(staffed, KnownGroups(S0BILLERS=["U0BILL01"]))

    scheduler = roles.actor_for("U0SCHED1")
    assert scheduler.works_in("scheduling") and not scheduler.works_in("billing")
    assert roles.actor_for("U0BILL01").works_in("scheduling")  # through the group
    assert roles.actor_for("U0LEAD01").works_in("billing")  # `all`: every lane
    va = roles.actor_for("U0VA0001")
    assert va.is_assistant and va.works_in("telehealth") and not va.works_in("scheduling")


def test_with_staff_named_someone_named_nowhere_has_no_role(practice: Practice) -> None:
    roles = RoleDirectory(with_lanes(practice, staff={"scheduling": ("U0SCHED1",)}))

    stranger = roles.actor_for("U0STRANGER")
    assert stranger.roles == frozenset()
    assert not stranger.works_in("scheduling")


def test_without_staff_in_the_file_everyone_works_every_lane(practice: Practice) -> None:
    roles = RoleDirectory(with_lanes(practice, staff=None, assistants={"billing": ("U0VA0001",)}))

    anyone = roles.actor_for("U0ANYONE")
    assert Role.STAFF in anyone.roles and anyone.works_in("billing")
    # An assistant stays an assistant, and only in their lanes.
    va = roles.actor_for("U0VA0001")
    assert va.is_assistant and not va.works_in("scheduling")


def test_a_manager_or_clinician_who_is_also_an_assistant_is_not_held_back(
    practice: Practice,
) -> None:
    roles = RoleDirectory(with_lanes(practice, staff={}, assistants={"all": ("U0MANAGER1",)}))

    assert not roles.actor_for("U0MANAGER1").is_assistant


def test_group_ids_include_the_lanes_groups(practice: Practice) -> None:
    staffed = with_lanes(practice, staff={"all": ("S0FRONT",)}, assistants={"billing": ("S0VA",)})

    assert group_ids(staffed) == ("S0FRONT", "S0MANAGERS", "S0NURSES", "S0SPANISH", "S0VA")
