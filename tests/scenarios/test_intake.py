"""Logging a request from Slack: /intake, the shortcuts, the modal, and the card it makes."""

from __future__ import annotations

from sqlalchemy import func, select

from blocks.ids import Command, FieldId, Shortcut
from storage.models import ItemRow, OutboxRow
from tests.scenarios.conftest import DEFAULT_REQUEST, FRONT_DESK, Clinic


async def count_items(clinic: Clinic) -> int:
    async with clinic.deps.uow() as tx:
        return int(await tx.session.scalar(select(func.count()).select_from(ItemRow)) or 0)


async def test_intake_modal_submission_posts_exactly_one_card_in_its_lane_channel(
    clinic: Clinic,
) -> None:
    response = await clinic.submit_intake()
    assert response.status == 200
    assert response.json is not None and response.json.get("response_action") == "update"
    await clinic.deliver()

    cards = clinic.cards("scheduling")
    assert len(cards) == 1
    card = cards[0]
    assert card.text.startswith("CQ-1001 ")
    assert "Unclaimed" in card.text
    assert "Scheduling help" in str(card.blocks)
    for other in clinic.practice.lanes:
        if other != "scheduling":
            assert clinic.cards(other) == []
    assert len(clinic.stub.calls_to("chat.postMessage")) == 1


async def test_logged_card_shows_key_lane_status_and_a_claim_button(clinic: Clinic) -> None:
    await clinic.log_request()
    await clinic.deliver()
    card = clinic.card_of("scheduling", "CQ-1001")
    rendered = str(card.blocks)
    assert "CQ-1001" in rendered and "Scheduling help" in rendered
    assert "Voicemail" in rendered
    assert "card.claim" in rendered


async def test_invalid_submission_is_answered_next_to_each_field_and_stores_nothing(
    clinic: Clinic,
) -> None:
    response = await clinic.submit_intake(
        **{FieldId.PHONE: "call me maybe", FieldId.SUMMARY: "   "}
    )
    assert response.status == 200 and response.json is not None
    assert response.json["response_action"] == "errors"
    errors = response.json["errors"]
    assert "phone" in errors[FieldId.PHONE].lower()
    assert errors[FieldId.SUMMARY]
    assert await count_items(clinic) == 0
    await clinic.deliver()
    assert clinic.stub.calls_to("chat.postMessage") == []


async def test_summary_over_the_limit_is_refused_in_the_modal(clinic: Clinic) -> None:
    too_long = "x" * 2001
    view_id = await clinic.open_intake()
    view = clinic.stub.view(view_id)
    summary_input = next(b for b in view["blocks"] if b.get("block_id") == FieldId.SUMMARY)
    # The modal itself caps input at the limit; a client that ignores the cap is still refused.
    assert summary_input["element"]["max_length"] == 2000
    response = await clinic.slack.submit_view(
        FRONT_DESK,
        view_id,
        {
            FieldId.PATIENT_REF: "MRN-1",
            FieldId.PATIENT_NAME: "Sam Lee",
            FieldId.PHONE: "555-201-4477",
            FieldId.ORIGIN: "web_form",
            FieldId.LANE: "scheduling",
            FieldId.REQUEST_TYPE: "scheduling|reschedule",
            FieldId.SUMMARY: too_long,
        },
    )
    assert response.json is not None and FieldId.SUMMARY in response.json["errors"]
    assert await count_items(clinic) == 0


async def test_request_type_from_another_lane_is_refused(clinic: Clinic) -> None:
    response = await clinic.submit_intake(
        **{FieldId.REQUEST_TYPE: "billing|" + _billing_type(clinic)}
    )
    assert response.json is not None
    assert FieldId.REQUEST_TYPE in response.json["errors"]
    assert await count_items(clinic) == 0


def _billing_type(clinic: Clinic) -> str:
    return clinic.practice.lane("billing").request_types[0]


async def test_intake_typed_with_a_lane_name_preselects_that_lane(clinic: Clinic) -> None:
    view_id = await clinic.open_intake(text="referrals")
    view = clinic.stub.view(view_id)
    lane_input = next(b for b in view["blocks"] if b.get("block_id") == FieldId.LANE)
    assert lane_input["element"]["initial_option"]["value"] == "referrals"


async def preselected(clinic: Clinic, text: str, channel: str) -> str | None:
    before = len(clinic.stub.calls_to("views.open"))
    await clinic.slack.slash_command(FRONT_DESK, Command.INTAKE, text=text, channel=channel)
    await clinic.stub.wait_for_call("views.open", count=before + 1, timeout=10)
    view = clinic.stub.open_views(FRONT_DESK)[-1]
    lane_input = next(b for b in view["blocks"] if b.get("block_id") == FieldId.LANE)
    chosen = lane_input["element"].get("initial_option")
    return chosen["value"] if chosen else None


async def test_the_lane_typed_after_intake_wins_over_the_channels_and_is_read_as_queue_reads_it(
    clinic: Clinic,
) -> None:
    """/intake billing in #cq-scheduling used to preselect Scheduling (the channel's lane
    won when it came first in the practice file), and "new patient" matched nothing."""
    assert await preselected(clinic, "billing", "#cq-scheduling") == "billing"
    assert await preselected(clinic, "scheduling", "#cq-billing") == "scheduling"
    assert await preselected(clinic, "new patient", "#general") == "new_patient"
    assert await preselected(clinic, "", "#cq-billing") == "billing"


async def test_global_shortcut_opens_the_same_form(clinic: Clinic) -> None:
    await clinic.then_wait_for(
        "views.open", clinic.slack.global_shortcut(FRONT_DESK, Shortcut.NEW_REQUEST)
    )
    views = clinic.stub.open_views(FRONT_DESK)
    assert views and views[-1]["callback_id"] == "view.intake"


async def test_message_shortcut_prefills_summary_and_links_the_source_message(
    clinic: Clinic,
) -> None:
    channel = clinic.stub.channel_id("#phone-voicemails")
    posted = clinic.stub.add_message(
        channel, "Voicemail from 555-201-4477: needs a refill &amp; a callback", user="UPHONE"
    )
    await clinic.then_wait_for(
        "views.open",
        clinic.slack.message_shortcut(FRONT_DESK, Shortcut.LOG_MESSAGE, channel, posted.ts),
    )
    view = clinic.stub.open_views(FRONT_DESK)[-1]
    summary_input = next(b for b in view["blocks"] if b.get("block_id") == FieldId.SUMMARY)
    assert summary_input["element"]["initial_value"] == (
        "Voicemail from 555-201-4477: needs a refill & a callback"
    )
    assert posted.ts.replace(".", "") in view["private_metadata"]

    response = await clinic.slack.submit_view(
        FRONT_DESK,
        view["id"],
        {
            FieldId.PATIENT_REF: "MRN-77",
            FieldId.PATIENT_NAME: "Ray Park",
            FieldId.PHONE: "555-201-4477",
            FieldId.ORIGIN: "voicemail",
            FieldId.LANE: "clinical",
            FieldId.REQUEST_TYPE: "clinical|refill request",
        },
    )
    assert response.status == 200 and "errors" not in (response.json or {})
    item = await clinic.deps.services.get("CQ-1001")
    assert item is not None and item.source_link.endswith(posted.ts.replace(".", ""))
    assert item.summary.startswith("Voicemail from")


async def test_each_logged_request_queues_one_card_post(clinic: Clinic) -> None:
    for _ in range(3):
        await clinic.log_request()
    async with clinic.deps.uow() as tx:
        kinds = list(await tx.session.scalars(select(OutboxRow.kind)))
    assert kinds == ["card", "card", "card"]


async def test_choosing_a_lane_brings_its_request_types_and_keeps_what_was_typed(
    clinic: Clinic,
) -> None:
    view_id = await clinic.open_intake()
    typed = {FieldId.PATIENT_NAME: "Ray Park", FieldId.PHONE: "555-201-4477"}

    await clinic.then_wait_for(
        "views.update",
        clinic.slack.act_in_view(
            FRONT_DESK,
            view_id,
            FieldId.LANE,
            "telehealth",
            kind="static_select",
            values={**typed, FieldId.LANE: "telehealth"},
        ),
    )

    view = clinic.stub.open_views(FRONT_DESK)[-1]
    types = next(b for b in view["blocks"] if b.get("block_id") == FieldId.REQUEST_TYPE)
    values = [o["value"] for g in types["element"]["option_groups"] for o in g["options"]]
    assert values and all(value.startswith("telehealth|") for value in values)
    name = next(b for b in view["blocks"] if b.get("block_id") == FieldId.PATIENT_NAME)
    assert name["element"]["initial_value"] == "Ray Park"
    response = await clinic.slack.submit_view(
        FRONT_DESK,
        view_id,
        {
            **DEFAULT_REQUEST,
            FieldId.LANE: "telehealth",
            FieldId.REQUEST_TYPE: "telehealth|cannot join video visit",
        },
    )
    assert response.status == 200 and "errors" not in (response.json or {}), response.body


async def test_a_message_longer_than_a_summary_says_so_and_keeps_the_link(
    clinic: Clinic,
) -> None:
    channel = clinic.stub.channel_id("#phone-voicemails")
    transcript = "Voicemail transcription. " + "words " * 830  # about 5,000 characters
    posted = clinic.stub.add_message(channel, transcript, user="UPHONE")

    await clinic.then_wait_for(
        "views.open",
        clinic.slack.message_shortcut(FRONT_DESK, Shortcut.LOG_MESSAGE, channel, posted.ts),
    )

    view = clinic.stub.open_views(FRONT_DESK)[-1]
    shown = str(view["blocks"])
    assert f"The message is {len(transcript):,} characters; the summary below keeps the first" in (
        shown
    )
    assert "2,000" in shown and posted.ts.replace(".", "") in view["private_metadata"]
