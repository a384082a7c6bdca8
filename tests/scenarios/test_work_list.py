"""One work list across lanes: Home's "Needs an owner" with Claim, its Overdue section, the
manager's board, `/queue unclaimed|overdue|mine` and `/cq find`, through signed requests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from blocks.ids import ActionId, Command, FieldId
from tests.blocks.conftest import text_of
from tests.scenarios.conftest import ASSISTANT, FRONT_DESK, MANAGER, Clinic
from tests.scenarios.test_queue_and_home import claim, item_lines, open_home, queue_answer

NURSE = "U0NURSE01"
SYMPTOM = {
    FieldId.LANE: "clinical",
    FieldId.REQUEST_TYPE: "clinical|symptom question",
    FieldId.SUMMARY: "Rash on both arms since Monday, itchy",
}
CHEST_PAIN = {**SYMPTOM, FieldId.SUMMARY: "Chest pain since last night"}
CHEST_PAIN_IN_SCHEDULING = {FieldId.SUMMARY: "Wants to reschedule, mentions chest pain"}
TELEHEALTH = {
    FieldId.LANE: "telehealth",
    FieldId.REQUEST_TYPE: "telehealth|cannot join video visit",
}


def section(home: dict[str, Any], title: str) -> str:
    """The text under the header that starts with `title`, up to the next header."""
    text, taking = [], False
    for block in home["blocks"]:
        if block["type"] == "header":
            taking = block["text"]["text"].startswith(title)
        elif taking:
            text.append(text_of(block.get("text", block)))
    return "\n".join(text)


def claim_buttons(home: dict[str, Any]) -> list[str]:
    return [
        block["accessory"]["value"]
        for block in home["blocks"]
        if block.get("accessory", {}).get("action_id") == ActionId.HOME_CLAIM
    ]


async def test_needs_an_owner_lists_unclaimed_work_across_lanes_red_flags_first(
    clinic: Clinic,
) -> None:
    scheduling = await clinic.log_request()
    telehealth = await clinic.log_request(**TELEHEALTH)
    flagged = await clinic.log_request(**CHEST_PAIN_IN_SCHEDULING)
    mine = await clinic.log_request()
    await claim(clinic, FRONT_DESK, mine)

    home = await open_home(clinic, FRONT_DESK)

    # Telehealth is due within 1 business hour, scheduling within 4: after the flagged one.
    assert claim_buttons(home) == [flagged, telehealth, scheduling]
    listed = section(home, "Needs an owner (3)")
    assert "red flag" in listed.splitlines()[0] and flagged in listed.splitlines()[0]
    assert mine not in listed


async def test_a_front_desk_list_leaves_clinical_lanes_to_clinicians(clinic: Clinic) -> None:
    administrative = await clinic.log_request()
    clinical = await clinic.log_request(**SYMPTOM)

    front_desk = await open_home(clinic, FRONT_DESK)
    nurse = await open_home(clinic, NURSE)
    manager = await open_home(clinic, MANAGER)

    assert claim_buttons(front_desk) == [administrative]
    assert claim_buttons(nurse) == [clinical]
    assert set(claim_buttons(manager)) == {administrative, clinical}


async def test_claim_on_home_claims_the_item_and_moves_it_to_my_items(clinic: Clinic) -> None:
    key = await clinic.log_request()
    home = await open_home(clinic, FRONT_DESK)

    await clinic.slack.click_view_button(FRONT_DESK, home["id"], ActionId.HOME_CLAIM, value=key)
    await clinic.settled()
    await clinic.deliver()

    item = await clinic.deps.services.get(key)
    assert item is not None and item.owner == FRONT_DESK
    republished = clinic.stub.home_view(FRONT_DESK)
    assert republished is not None
    assert claim_buttons(republished) == []
    assert key in section(republished, "My items")
    assert f"<@{FRONT_DESK}>" in str(clinic.card_of("scheduling", key).blocks)


async def test_a_claim_on_home_that_lost_the_race_is_told_in_a_direct_message(
    clinic: Clinic,
) -> None:
    key = await clinic.log_request()
    home = await open_home(clinic, FRONT_DESK)
    await claim(clinic, ASSISTANT, key)

    await clinic.then_wait_for(
        "chat.postMessage",
        clinic.slack.click_view_button(FRONT_DESK, home["id"], ActionId.HOME_CLAIM, value=key),
    )

    told = clinic.stub.messages(FRONT_DESK)[-1]
    assert key in told.text and "already" in told.text.casefold()
    item = await clinic.deps.services.get(key)
    assert item is not None and item.owner == ASSISTANT


async def test_overdue_has_its_own_section_apart_from_due_in_the_next_hour(
    clinic: Clinic,
) -> None:
    late = await clinic.log_request(**TELEHEALTH)  # due in 1 business hour
    soon = await clinic.log_request(**{FieldId.ORIGIN: "phone_call"})  # due in 4
    await claim(clinic, FRONT_DESK, late)
    await claim(clinic, FRONT_DESK, soon)
    clinic.clock.advance(timedelta(hours=3, minutes=30))

    home = await open_home(clinic, FRONT_DESK)

    assert late in section(home, "Overdue") and soon not in section(home, "Overdue")
    assert soon in section(home, "Due in the next hour")
    assert late not in section(home, "Due in the next hour")


async def test_the_managers_home_counts_each_lane_each_person_and_open_escalations(
    clinic: Clinic,
) -> None:
    await clinic.log_request()
    late = await clinic.log_request(**TELEHEALTH)
    await claim(clinic, FRONT_DESK, late)
    await clinic.log_request(**TELEHEALTH)
    chest = await clinic.log_request(**CHEST_PAIN)
    await clinic.deps.escalations.confirm_red_flag(item_key=chest, actor=FRONT_DESK)
    await clinic.deliver()
    clinic.clock.advance(timedelta(minutes=90))

    home = await open_home(clinic, MANAGER)

    lanes = section(home, "Lanes")
    assert "*Telehealth access* · 2 open · 1 unclaimed · :warning: 2 overdue" in lanes
    assert "*Scheduling help* · 1 open · 1 unclaimed · 0 overdue · 1 due today" in lanes
    assert f"<@{FRONT_DESK}> · 1 open · :warning: 1 overdue" in section(home, "People")
    assert "1 escalation open" in section(home, "The practice now")
    staff = await open_home(clinic, FRONT_DESK)
    assert "People" not in text_of(staff["blocks"])


async def test_queue_filters_unclaimed_overdue_and_mine(clinic: Clinic) -> None:
    unclaimed = await clinic.log_request()
    late = await clinic.log_request(**TELEHEALTH)
    await claim(clinic, FRONT_DESK, late)
    clinic.clock.advance(timedelta(minutes=90))

    needs_owner = item_lines(await queue_answer(clinic, FRONT_DESK, "unclaimed"))
    overdue = item_lines(await queue_answer(clinic, FRONT_DESK, "overdue"))
    mine = item_lines(await queue_answer(clinic, FRONT_DESK, "mine"))

    assert [line.split("*")[1] for line in needs_owner] == [unclaimed]
    assert [line.split("*")[1] for line in overdue] == [late]
    assert [line.split("*")[1] for line in mine] == [late]


async def test_cq_find_links_the_key_to_its_card(clinic: Clinic) -> None:
    key = await clinic.log_request()
    await clinic.deliver()
    await clinic.deps.slack.check()  # Slack has said the workspace's address
    card = clinic.card_of("scheduling", key)

    response = await clinic.slack.slash_command(FRONT_DESK, Command.CQ, text=f"find {key}")

    assert response.json is not None
    shown = text_of(response.json["blocks"])
    permalink = f"https://carequeue.slack.com/archives/{card.channel}/p{card.ts.replace('.', '')}"
    assert f"<{permalink}|{key}>" in shown
    assert "Jane" not in shown and "555" not in shown


async def test_cq_find_of_an_unknown_key_says_so(clinic: Clinic) -> None:
    response = await clinic.slack.slash_command(FRONT_DESK, Command.CQ, text="find CQ-9999")

    assert response.json is not None
    assert "There is no item CQ-9999." in text_of(response.json["blocks"])


async def test_cq_find_of_a_merged_item_says_where_its_request_is(clinic: Clinic) -> None:
    patient = {"intake.patient_ref": "MRN-50511"}
    first = await clinic.log_request(**patient)
    repeat = await clinic.log_request(**patient)
    merged = await clinic.deps.work.merge(item_key=repeat, actor=FRONT_DESK, into=first)
    assert getattr(merged, "item", None) is not None, merged

    response = await clinic.slack.slash_command(FRONT_DESK, Command.CQ, text=f"find {repeat}")

    assert response.json is not None
    shown = text_of(response.json["blocks"])
    assert f"merged into *{first}*" in shown and " · closed" not in shown


@pytest.mark.parametrize("asked", ["", "mine", "scheduling"])
async def test_queue_mine_and_a_lanes_queue_link_each_key_to_its_card(
    clinic: Clinic, asked: str
) -> None:
    """The README says so; only the unclaimed and overdue lists did."""
    key = await clinic.log_request()
    claimed = await clinic.deps.services.claim(item_key=key, actor=FRONT_DESK)
    assert getattr(claimed, "item", None) is not None, claimed
    await clinic.deliver()
    await clinic.deps.slack.check()  # Slack has said the workspace's address
    card = clinic.card_of("scheduling", key)

    response = await clinic.slack.slash_command(FRONT_DESK, Command.QUEUE, text=asked)

    assert response.json is not None
    permalink = f"https://carequeue.slack.com/archives/{card.channel}/p{card.ts.replace('.', '')}"
    assert f"<{permalink}|{key}>" in text_of(response.json["blocks"])


async def test_a_claim_on_home_that_lost_the_race_refreshes_home(clinic: Clinic) -> None:
    """Told by DM that someone was quicker, the person's Home still offered the Claim they had
    just lost: nothing changed, so nothing republished it."""
    key = await clinic.log_request()
    await clinic.deliver()
    home = await open_home(clinic, ASSISTANT)
    assert claim_buttons(home) == [key]
    taken = await clinic.deps.services.claim(item_key=key, actor=FRONT_DESK)
    assert getattr(taken, "item", None) is not None, taken
    await clinic.deliver()

    await clinic.then_wait_for(
        "chat.postMessage",
        clinic.slack.click_view_button(ASSISTANT, home["id"], ActionId.HOME_CLAIM, value=key),
    )
    await clinic.settled()

    assert "already owned" in clinic.stub.messages(ASSISTANT)[-1].text
    assert claim_buttons(clinic.stub.home_view(ASSISTANT)) == []
