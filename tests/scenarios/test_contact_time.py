"""When the patient contacted the practice, given at intake: the item's received time, from
which its response target counts (the lane's target for the request's origin)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from blocks.ids import ActionId, FieldId
from bot.domain.events import Event
from bot.domain.items import Action
from storage.models import ItemRow
from tests.scenarios.conftest import DEFAULT_REQUEST, FRONT_DESK, Clinic
from tests.scenarios.test_intake import count_items

# The clinic's clock reads Monday 23 November 2026, 9:00 in New York (14:00 UTC).
NEW_YORK = ZoneInfo("America/New_York")
SUNDAY = date(2026, 11, 22)
MONDAY = date(2026, 11, 23)


def new_york(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=NEW_YORK).astimezone(UTC)


async def test_a_voicemail_left_overnight_is_received_when_the_patient_called_and_due_today(
    clinic: Clinic,
) -> None:
    key = await clinic.log_request(
        **{FieldId.CONTACTED_DATE: SUNDAY, FieldId.CONTACTED_TIME: time(21, 40)}
    )

    item = await clinic.deps.services.get(key)
    assert item is not None
    assert item.received_at == new_york(SUNDAY, 21, 40)
    # Scheduling calls voicemails back the same day: by Monday's close, not 4 h after logging.
    assert item.due_at == new_york(MONDAY, 17)
    created: Event = (await clinic.deps.services.history(key))[0]
    assert created.action is Action.CREATE and created.at == clinic.clock.now()
    await clinic.deliver()
    # The compact card says how it stands (due today); when the patient called is in Details.
    details = await clinic.open_from_card(FRONT_DESK, key, ActionId.DETAILS)
    assert "Sun Nov 22 9:40 PM EST" in str(details["blocks"])


async def test_a_portal_message_counts_its_four_hours_from_when_the_patient_wrote(
    clinic: Clinic,
) -> None:
    key = await clinic.log_request(
        **{
            FieldId.ORIGIN: "portal_message",
            FieldId.CONTACTED_DATE: MONDAY,
            FieldId.CONTACTED_TIME: time(8, 30),
        }
    )

    item = await clinic.deps.services.get(key)
    assert item is not None
    assert (item.received_at, item.due_at) == (new_york(MONDAY, 8, 30), new_york(MONDAY, 12, 30))


async def test_an_untouched_contact_time_is_when_the_form_opened(clinic: Clinic) -> None:
    key = await clinic.log_request(**{FieldId.ORIGIN: "web_form"})

    item = await clinic.deps.services.get(key)
    assert item is not None
    assert item.received_at == clinic.clock.now()
    assert item.due_at == new_york(MONDAY, 13)


async def test_a_cleared_contact_time_means_received_now(clinic: Clinic) -> None:
    view_id = await clinic.open_intake()
    clinic.clock.advance(timedelta(minutes=3))

    response = await clinic.slack.submit_view(
        FRONT_DESK,
        view_id,
        {**DEFAULT_REQUEST, FieldId.CONTACTED_DATE: None, FieldId.CONTACTED_TIME: None},
    )

    assert response.status == 200 and response.json is not None
    assert response.json["response_action"] == "update"
    async with clinic.deps.uow() as tx:
        received = await tx.session.scalar(select(ItemRow.received_at))
    assert received == clinic.clock.now()


async def test_a_contact_time_in_the_future_is_refused_next_to_the_field_and_stores_nothing(
    clinic: Clinic,
) -> None:
    response = await clinic.submit_intake(
        **{FieldId.CONTACTED_DATE: MONDAY, FieldId.CONTACTED_TIME: time(11, 0)}
    )

    assert response.status == 200 and response.json is not None
    assert response.json["response_action"] == "errors"
    assert response.json["errors"] == {
        FieldId.CONTACTED_DATE: "That is in the future: pick when the patient called, wrote "
        "or came in."
    }
    assert await count_items(clinic) == 0


async def test_a_contact_more_than_a_week_ago_is_refused_with_other_problems_together(
    clinic: Clinic,
) -> None:
    response = await clinic.submit_intake(
        **{
            FieldId.CONTACTED_DATE: date(2026, 11, 13),
            FieldId.CONTACTED_TIME: time(9, 0),
            FieldId.PHONE: "call me maybe",
        }
    )

    assert response.json is not None
    errors = response.json["errors"]
    assert set(errors) == {FieldId.CONTACTED_DATE, FieldId.PHONE}
    assert errors[FieldId.CONTACTED_DATE].startswith("That is more than 7 days ago")
    assert await count_items(clinic) == 0


async def test_half_a_contact_time_asks_for_the_other_half(clinic: Clinic) -> None:
    view_id = await clinic.open_intake()

    response = await clinic.slack.submit_view(
        FRONT_DESK, view_id, {**DEFAULT_REQUEST, FieldId.CONTACTED_TIME: None}
    )

    assert response.json is not None
    assert response.json["errors"] == {
        FieldId.CONTACTED_DATE: "Pick both a date and a time, or clear both for now."
    }
    assert await count_items(clinic) == 0
