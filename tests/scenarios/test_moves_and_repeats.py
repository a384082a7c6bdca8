"""Moving an item to another lane, and a patient who asks twice: linked, then merged."""

from __future__ import annotations

import json
from datetime import timedelta

from blocks.ids import ActionId, FieldId, More, ViewId, more_value
from bot.domain import sla
from bot.domain.items import Action, Refusal, Status
from sandbox.side.wire import SlackResponse
from tests.scenarios.conftest import ASSISTANT, FRONT_DESK, Clinic
from tests.scenarios.test_waiting import claimed_item, open_more_form

PATIENT = {FieldId.PATIENT_REF: "MRN-55120"}
FIRST_SUMMARY = "Needs to move Tuesday's appointment to later in the week"
SECOND_SUMMARY = "Called again: Thursday afternoon works best"


async def move(
    clinic: Clinic, user: str, key: str, lane: str, from_lane: str = "scheduling"
) -> SlackResponse:
    view = await open_more_form(clinic, user, key, More.MOVE, lane=from_lane)
    assert view["callback_id"] == ViewId.MOVE, view["callback_id"]
    return await clinic.slack.submit_view(user, view["id"], {FieldId.MOVE_LANE: lane})


async def test_moving_points_the_old_card_onward_and_posts_a_new_card_in_the_new_lane(
    clinic: Clinic,
) -> None:
    key = await claimed_item(clinic)
    moved_at = clinic.clock.now()
    response = await move(clinic, FRONT_DESK, key, "referrals")
    assert response.status == 200 and "errors" not in (response.json or {}), response.body
    await clinic.deliver()

    item = await clinic.deps.services.get(key)
    assert item is not None and item.lane == "referrals"
    assert item.status is Status.NEW and item.owner is None
    referrals = clinic.practice.lane("referrals")
    calendar = clinic.practice.calendar
    assert item.due_at == sla.due_at(moved_at, referrals.response_target, calendar)
    assert item.due_at == moved_at + timedelta(days=1)  # 1 business day: Tuesday, same time

    new_card = clinic.card_of("referrals", key)
    assert ActionId.CLAIM.value in str(new_card.blocks)
    old_card = clinic.card_of("scheduling", key)
    assert referrals.name in str(old_card.blocks) or referrals.name in old_card.text
    for button in (ActionId.CLAIM, ActionId.CLOSE, ActionId.MORE):
        assert button.value not in str(old_card.blocks)


async def test_an_item_moved_back_to_a_lane_it_left_gets_a_new_card_there(
    clinic: Clinic,
) -> None:
    """Filed in the wrong lane and moved back: the lane's channel keeps the first card,
    pointing onward, and gets a new one to claim (the move used to fail on the database's
    one-card-per-channel rule)."""
    key = await claimed_item(clinic)
    first = clinic.card_of("scheduling", key)
    away = await move(clinic, FRONT_DESK, key, "referrals")
    assert away.status == 200 and "errors" not in (away.json or {}), away.body
    await clinic.deliver()
    await clinic.deps.services.claim(item_key=key, actor=FRONT_DESK)
    await clinic.deliver()

    back = await move(clinic, FRONT_DESK, key, "scheduling", from_lane="referrals")
    assert back.status == 200 and "errors" not in (back.json or {}), back.body
    await clinic.deliver()

    item = await clinic.deps.services.get(key)
    assert item is not None and item.lane == "scheduling" and item.status is Status.NEW
    assert [e.action for e in await clinic.deps.services.history(key)].count(Action.MOVE) == 2
    cards = [m for m in clinic.cards("scheduling") if m.text.startswith(f"{key} ")]
    assert len(cards) == 2, cards
    old, new = cards
    assert old.ts == first.ts
    referrals = clinic.practice.lane("referrals")
    assert referrals.name in str(old.blocks) or referrals.name in old.text
    assert ActionId.CLAIM.value not in str(old.blocks)
    assert ActionId.CLAIM.value in str(new.blocks)
    scheduling = clinic.practice.lane("scheduling")
    in_referrals = clinic.card_of("referrals", key)
    assert scheduling.name in str(in_referrals.blocks) or scheduling.name in in_referrals.text
    assert ActionId.CLAIM.value not in str(in_referrals.blocks)

    # The new card is the one that works: a claim on it is taken and shown on it.
    await clinic.slack.click_button(ASSISTANT, new.channel, new.ts, ActionId.CLAIM, key)
    await clinic.deliver()
    claimed = await clinic.deps.services.get(key)
    assert claimed is not None and claimed.owner == ASSISTANT
    now_shown = {m.ts: str(m.blocks) for m in clinic.cards("scheduling")}
    assert ActionId.CLAIM.value not in now_shown[new.ts]
    assert ActionId.CLAIM.value not in now_shown[old.ts]


async def test_the_new_card_links_back_to_the_history_in_the_previous_lane(
    clinic: Clinic,
) -> None:
    key = await claimed_item(clinic)
    old_card = clinic.card_of("scheduling", key)
    await move(clinic, FRONT_DESK, key, "referrals")
    await clinic.deliver()

    [asked] = clinic.stub.calls_to("chat.getPermalink")
    assert (asked.args["channel"], asked.args["message_ts"]) == (old_card.channel, old_card.ts)
    permalink = asked.response["permalink"]
    new_card = clinic.card_of("referrals", key)
    assert f"<{permalink}|earlier history>" in str(new_card.blocks)


async def test_move_offers_only_the_other_lanes(clinic: Clinic) -> None:
    key = await claimed_item(clinic)
    view = await open_more_form(clinic, FRONT_DESK, key, More.MOVE)
    select = next(b for b in view["blocks"] if b.get("block_id") == FieldId.MOVE_LANE)["element"]
    offered = [o["value"] for o in select["options"]]
    assert "scheduling" not in offered
    assert set(offered) == set(clinic.practice.lanes) - {"scheduling"}


async def test_someone_else_cannot_move_my_item(clinic: Clinic) -> None:
    key = await claimed_item(clinic)
    view = await open_more_form(clinic, ASSISTANT, key, More.MOVE)
    assert view["callback_id"] == ViewId.STATUS and "owner" in str(view["blocks"])
    item = await clinic.deps.services.get(key)
    assert item is not None and item.lane == "scheduling"


async def two_requests_from_one_patient(clinic: Clinic) -> tuple[str, str]:
    first = await clinic.log_request(**PATIENT, **{FieldId.SUMMARY: FIRST_SUMMARY})
    clinic.clock.advance(timedelta(minutes=5))
    second = await clinic.log_request(**PATIENT, **{FieldId.SUMMARY: SECOND_SUMMARY})
    await clinic.deliver()
    return first, second


async def test_a_patient_who_asks_again_is_linked_to_their_open_request(clinic: Clinic) -> None:
    first, second = await two_requests_from_one_patient(clinic)

    repeat = await clinic.deps.services.get(second)
    original = await clinic.deps.services.get(first)
    assert repeat is not None and repeat.related_key == first
    assert original is not None and original.repeat_count == 2 and original.status is Status.NEW
    history = await clinic.deps.services.history(first)
    repeats = [e for e in history if e.action is Action.REPEAT_CONTACT]
    assert len(repeats) == 1 and repeats[0].after["from"] == second
    thread = clinic.replies(clinic.card_of("scheduling", first))
    assert sum(second in m.text or second in str(m.blocks) for m in thread) == 1


async def test_an_unrelated_patient_is_not_linked(clinic: Clinic) -> None:
    first = await clinic.log_request()
    second = await clinic.log_request()
    assert first != second
    item = await clinic.deps.services.get(second)
    assert item is not None and item.related_key is None


async def test_merge_keeps_one_open_item_with_both_summaries_and_every_event(
    clinic: Clinic,
) -> None:
    first, second = await two_requests_from_one_patient(clinic)
    card = clinic.card_of("scheduling", second)
    await clinic.slack.click_button(
        FRONT_DESK, card.channel, card.ts, ActionId.MERGE, f"{second}|{first}"
    )
    await clinic.deliver()

    kept = await clinic.deps.services.get(first)
    merged = await clinic.deps.services.get(second)
    assert kept is not None and kept.status.is_open
    assert FIRST_SUMMARY in kept.summary and SECOND_SUMMARY in kept.summary
    assert merged is not None and merged.status is Status.RESOLVED
    assert merged.merged_into == first
    first_actions = [e.action for e in await clinic.deps.services.history(first)]
    second_actions = [e.action for e in await clinic.deps.services.history(second)]
    assert first_actions == [Action.CREATE, Action.REPEAT_CONTACT, Action.MERGE]
    assert second_actions == [Action.CREATE, Action.MERGE]
    assert clinic.stub.ephemerals() == []


async def test_merging_into_an_item_closed_meanwhile_is_refused_to_the_clicker(
    clinic: Clinic,
) -> None:
    first, second = await two_requests_from_one_patient(clinic)
    await clinic.deps.services.claim(item_key=first, actor=ASSISTANT)
    await clinic.deps.services.close(
        item_key=first, actor=ASSISTANT, resolution="appointment booked", told_patient="Thu 2 PM"
    )
    card = clinic.card_of("scheduling", second)
    await clinic.then_wait_for(
        "chat.postEphemeral",
        clinic.slack.click_button(
            FRONT_DESK, card.channel, card.ts, ActionId.MERGE, f"{second}|{first}"
        ),
    )
    refused = clinic.stub.ephemerals(FRONT_DESK)
    assert len(refused) == 1 and first in refused[0].text
    merged = await clinic.deps.services.get(second)
    assert merged is not None and merged.status is Status.NEW and merged.merged_into is None


async def merged(clinic: Clinic, key: str, into: str) -> None:
    done = await clinic.deps.work.merge(item_key=key, actor=FRONT_DESK, into=into)
    assert not isinstance(done, Refusal), done
    await clinic.deliver()


async def test_a_merged_item_is_not_reopened_its_request_is_in_the_item_it_joined(
    clinic: Clinic,
) -> None:
    """Reopening it would put the same request in two open items (and merging it again
    would copy its summary twice)."""
    first, second = await two_requests_from_one_patient(clinic)
    await merged(clinic, second, into=first)
    closed_card = clinic.card_of("scheduling", second)
    shown = json.dumps(closed_card.blocks)
    assert more_value(More.REOPEN, second) not in shown and ActionId.DETAILS.value in shown

    # A ⋯ drawn before the merge still offers it: the click is told where the request is.
    await clinic.then_wait_for(
        "chat.postEphemeral",
        clinic.slack.click_button(
            ASSISTANT,
            closed_card.channel,
            closed_card.ts,
            ActionId.REOPEN,
            second,
            block_id="old",
            as_last_seen=True,
        ),
    )
    (told,) = clinic.stub.ephemerals(ASSISTANT)
    assert f"{second} was merged into {first}, which holds its request now" in told.text
    item = await clinic.deps.services.get(second)
    assert item is not None and item.status is Status.RESOLVED and item.owner is None


async def test_merging_into_an_item_that_was_merged_itself_goes_where_it_went(
    clinic: Clinic,
) -> None:
    first, second = await two_requests_from_one_patient(clinic)
    clinic.clock.advance(timedelta(minutes=5))
    third = await clinic.log_request(**PATIENT, **{FieldId.SUMMARY: "Asks for a morning slot"})
    await clinic.deliver()
    await merged(clinic, first, into=second)  # the card of the third still says "Merge into" first

    card = clinic.card_of("scheduling", third)
    await clinic.slack.click_button(
        FRONT_DESK, card.channel, card.ts, ActionId.MERGE, f"{third}|{first}"
    )
    await clinic.settled()
    await clinic.deliver()
    kept = await clinic.deps.services.get(second)
    folded = await clinic.deps.services.get(third)
    assert folded is not None and folded.merged_into == second
    assert kept is not None and kept.status.is_open
    assert kept.summary.count("Asks for a morning slot") == 1
    assert clinic.stub.ephemerals(FRONT_DESK) == []


async def test_an_escalate_form_saved_after_a_merge_escalates_the_item_that_holds_it(
    clinic: Clinic,
) -> None:
    """The patient says "chest pain" while the form is open and a colleague merges the
    request: the escalation must not be lost, and the person on the phone still gets what
    to tell the patient."""
    first, second = await two_requests_from_one_patient(clinic)
    await clinic.deps.services.claim(item_key=second, actor=FRONT_DESK)
    await clinic.deliver()
    form = await open_more_form(clinic, FRONT_DESK, second, More.ESCALATE)
    assert form["callback_id"] == ViewId.ESCALATE
    await merged(clinic, second, into=first)

    answer = await clinic.slack.submit_view(
        FRONT_DESK,
        form["id"],
        {FieldId.ESCALATION_RULE: "emergency", FieldId.ESCALATION_CONTEXT: "Chest pain now"},
    )
    assert "errors" not in (answer.json or {}), answer.body
    await clinic.stub.wait_for_call("chat.postEphemeral", timeout=10)
    (guidance,) = clinic.stub.ephemerals(FRONT_DESK)
    assert "call 911 now" in str(guidance.blocks) and first in str(guidance.blocks)
    kept = await clinic.deps.services.get(first)
    assert kept is not None and kept.status is Status.ESCALATED
    escalation = await clinic.deps.escalations.current(first)
    assert escalation is not None and escalation.rule == "emergency"


async def test_a_move_form_saved_after_someone_moved_the_item_there_says_so(
    clinic: Clinic,
) -> None:
    key = await claimed_item(clinic)
    view = await open_more_form(clinic, FRONT_DESK, key, More.MOVE)
    moved = await clinic.deps.work.move(item_key=key, actor=FRONT_DESK, lane="billing")
    assert not isinstance(moved, Refusal), moved
    answer = await clinic.slack.submit_view(FRONT_DESK, view["id"], {FieldId.MOVE_LANE: "billing"})
    errors = (answer.json or {}).get("errors", {})
    assert list(errors.values()) == [
        f"{key} is in Billing handoff already: someone moved it there since this form opened."
    ], answer.body
