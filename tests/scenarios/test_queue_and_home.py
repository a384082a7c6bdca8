"""My work at a glance: /queue, /queue <lane>, the Home tab, and the /cq router."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from blocks.ids import ActionId, Command, FieldId, ViewId
from tests.blocks.conftest import text_of
from tests.scenarios.conftest import ASSISTANT, DEFAULT_REQUEST, FRONT_DESK, MANAGER, Clinic

TELEHEALTH = {
    FieldId.LANE: "telehealth",
    FieldId.REQUEST_TYPE: "telehealth|cannot join video visit",
}


async def claim(clinic: Clinic, user: str, key: str) -> None:
    response = await clinic.slack.slash_command(user, Command.CLAIM, text=key)
    assert response.json is not None and "You own" in response.json["text"], response.body


def item_lines(answer: dict[str, Any]) -> list[str]:
    return [line for line in text_of(answer["blocks"]).splitlines() if line.startswith("*CQ-")]


async def queue_answer(clinic: Clinic, user: str, text: str = "") -> dict[str, Any]:
    response = await clinic.slack.slash_command(user, Command.QUEUE, text=text)
    assert response.status == 200 and response.json is not None, response.body
    assert response.json.get("response_type", "ephemeral") == "ephemeral"
    return response.json


async def open_home(clinic: Clinic, user: str) -> dict[str, Any]:
    response = await clinic.then_wait_for("views.publish", clinic.slack.app_home_opened(user))
    assert response.status == 200
    home = clinic.stub.home_view(user)
    assert home is not None and home["type"] == "home"
    return home


async def test_queue_lists_my_items_soonest_due_first_with_the_overdue_one_marked(
    clinic: Clinic,
) -> None:
    # Scheduling answers within 4 business hours, telehealth within 1: logged in this
    # order and claimed in this order, the telehealth item is still due first.
    scheduling = await clinic.log_request()
    telehealth = await clinic.log_request(**TELEHEALTH)
    await claim(clinic, FRONT_DESK, scheduling)
    await claim(clinic, FRONT_DESK, telehealth)
    clinic.clock.advance(timedelta(minutes=90))

    answer = await queue_answer(clinic, FRONT_DESK)

    first, second = item_lines(answer)
    assert first.startswith(f"*{telehealth}* · Telehealth access · cannot join video visit")
    assert "overdue" in first
    assert second.startswith(f"*{scheduling}* · Scheduling help · reschedule · Claimed")
    assert "overdue" not in second
    assert f"<@{FRONT_DESK}>" in first
    assert answer["text"] == "Your open items: 2 open, 1 overdue"
    shown = text_of(answer["blocks"]) + answer["text"]
    for patient_detail in ("Jane", "Doe", "201-4477", "MRN-", "Tuesday"):
        assert patient_detail not in shown


async def test_queue_shows_only_the_callers_items(clinic: Clinic) -> None:
    mine = await clinic.log_request()
    theirs = await clinic.log_request()
    await claim(clinic, FRONT_DESK, mine)
    await claim(clinic, ASSISTANT, theirs)

    lines = item_lines(await queue_answer(clinic, FRONT_DESK))

    assert [line.split(" · ")[0] for line in lines] == [f"*{mine}*"]


async def test_queue_with_a_lane_shows_that_lanes_queue_claimed_or_not(clinic: Clinic) -> None:
    claimed = await clinic.log_request()
    unclaimed = await clinic.log_request()
    await clinic.log_request(**TELEHEALTH)
    await claim(clinic, ASSISTANT, claimed)

    answer = await queue_answer(clinic, FRONT_DESK, "scheduling")

    keys = [line.split(" · ")[0] for line in item_lines(answer)]
    assert keys == [f"*{claimed}*", f"*{unclaimed}*"]
    assert "Scheduling help" in answer["blocks"][0]["text"]["text"]
    assert "Unclaimed" in text_of(answer["blocks"])


async def test_queue_with_a_lane_name_works_too(clinic: Clinic) -> None:
    key = await clinic.log_request(**TELEHEALTH)

    answer = await queue_answer(clinic, FRONT_DESK, "Telehealth Access")

    assert [line.split(" · ")[0] for line in item_lines(answer)] == [f"*{key}*"]


async def test_queue_with_an_unknown_lane_lists_the_lanes(clinic: Clinic) -> None:
    answer = await queue_answer(clinic, FRONT_DESK, "radiology")

    shown = text_of(answer["blocks"])
    assert "no lane called “radiology”" in shown
    assert "`scheduling` Scheduling help" in shown
    assert "`telehealth` Telehealth access" in shown


async def test_opening_home_publishes_it(clinic: Clinic) -> None:
    home = await open_home(clinic, FRONT_DESK)

    shown = text_of(home["blocks"])
    for section in ("My items", "Due in the next hour", "Waiting"):
        assert section in shown
    assert "Nothing is yours right now" in shown


async def test_home_is_republished_with_the_item_after_its_owner_claims_it(
    clinic: Clinic,
) -> None:
    await open_home(clinic, FRONT_DESK)
    key = await clinic.log_request(user=ASSISTANT)
    await clinic.deliver()
    publishes = len(clinic.stub.calls_to("views.publish"))

    await claim(clinic, FRONT_DESK, key)
    await clinic.deliver()

    assert len(clinic.stub.calls_to("views.publish")) > publishes
    home = clinic.stub.home_view(FRONT_DESK)
    assert home is not None
    my_items = text_of(home["blocks"]).split("My items")[1].split("Waiting")[0]
    assert f"*{key}* · Scheduling help · reschedule · Claimed" in my_items
    for patient_detail in (DEFAULT_REQUEST[FieldId.PATIENT_NAME], DEFAULT_REQUEST[FieldId.PHONE]):
        assert patient_detail not in str(home["blocks"])


async def test_managers_see_lane_counts_and_staff_do_not(clinic: Clinic) -> None:
    await clinic.log_request()
    await clinic.log_request()
    clinic.clock.advance(timedelta(minutes=45))

    manager = text_of((await open_home(clinic, MANAGER))["blocks"])
    staff = text_of((await open_home(clinic, FRONT_DESK))["blocks"])

    assert "Lanes" in manager
    assert "*Scheduling help* · 2 open · 2 unclaimed · 0 overdue · 2 due today · oldest" in manager
    assert "45 min" in manager.split("*Scheduling help*")[1].split("\n")[0]
    assert "*Telehealth access* · nothing open" in manager
    assert "Lanes" not in staff and "2 open" not in staff


async def test_refresh_button_republishes_home(clinic: Clinic) -> None:
    home = await open_home(clinic, FRONT_DESK)
    key = await clinic.log_request()
    await claim(clinic, FRONT_DESK, key)

    await clinic.then_wait_for(
        "views.publish",
        clinic.slack.click_view_button(FRONT_DESK, home["id"], ActionId.HOME_REFRESH),
    )

    refreshed = clinic.stub.home_view(FRONT_DESK)
    assert refreshed is not None and f"*{key}*" in text_of(refreshed["blocks"])


async def test_cq_help_lists_every_command_and_the_card_buttons(clinic: Clinic) -> None:
    for text in ("help", "", "what is this"):
        response = await clinic.slack.slash_command(FRONT_DESK, Command.CQ, text=text)
        assert response.json is not None
        shown = response.json["text"]
        for command in ("/intake", "/claim", "/queue", "/cq log", "/cq handoff"):
            assert command in shown
        assert "Claim" in shown and "Close" in shown


async def test_cq_queue_is_the_same_as_queue(clinic: Clinic) -> None:
    key = await clinic.log_request()
    await claim(clinic, FRONT_DESK, key)

    response = await clinic.slack.slash_command(FRONT_DESK, Command.CQ, text="queue")
    by_lane = await clinic.slack.slash_command(FRONT_DESK, Command.CQ, text="queue scheduling")

    assert response.json is not None and by_lane.json is not None
    assert item_lines(response.json) == item_lines(await queue_answer(clinic, FRONT_DESK))
    assert f"*{key}*" in text_of(by_lane.json["blocks"])


async def test_cq_log_and_handoff_without_a_key_explain_their_usage(clinic: Clinic) -> None:
    for verb in ("log", "handoff"):
        response = await clinic.slack.slash_command(FRONT_DESK, Command.CQ, text=f"{verb} Jane")
        assert response.json is not None
        assert f"Usage: `/cq {verb} CQ-1042`" in response.json["text"]
    assert clinic.stub.open_views(FRONT_DESK) == []


async def test_cq_log_opens_the_call_attempt_modal(clinic: Clinic) -> None:
    key = await clinic.log_request()
    await claim(clinic, FRONT_DESK, key)

    # A loading modal takes the trigger id at once; the form replaces it.
    await clinic.then_wait_for(
        "views.update", clinic.slack.slash_command(FRONT_DESK, Command.CQ, text=f"log {key}")
    )

    (modal,) = clinic.stub.open_views(FRONT_DESK)
    assert modal["callback_id"] == ViewId.ATTEMPT


async def test_cq_handoff_opens_the_handoff_modal(clinic: Clinic) -> None:
    key = await clinic.log_request()
    await claim(clinic, FRONT_DESK, key)

    await clinic.then_wait_for(
        "views.update",
        clinic.slack.slash_command(FRONT_DESK, Command.CQ, text=f"handoff {key.lower()}"),
    )

    (modal,) = clinic.stub.open_views(FRONT_DESK)
    assert modal["callback_id"] == ViewId.HANDOFF


async def test_someone_with_no_role_is_told_so_on_home_not_that_every_item_has_an_owner(
    clinic: Clinic,
) -> None:
    clinic.stub.add_user("U0GUEST01", "gus")
    await clinic.log_request()
    await clinic.deliver()

    home = await open_home(clinic, "U0GUEST01")

    shown = str(home["blocks"])
    assert "You have no role in CareQueue yet" in shown
    assert "has an owner" not in shown and ActionId.HOME_CLAIM.value not in shown
