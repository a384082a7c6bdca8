"""What the use cases record reads back whole: every event a day's work leaves on an item
parses into its kind's details with nothing missing that the use case knew, so a key a
service stopped writing (or wrote under another name) fails here, not in a thread line."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from blocks.ids import FieldId
from bot.domain.callbacks import AttemptNote, Outcome
from bot.domain.event_details import Details, details_of
from bot.domain.events import Event
from bot.domain.handoff import HandoffNote
from bot.domain.items import Action
from bot.domain.waiting import WaitingParty
from bot.services.base import Done
from tests.scenarios.conftest import ASSISTANT, FRONT_DESK, Clinic

PATIENT = {FieldId.PATIENT_REF: "MRN-77001"}


def unset(details: Details) -> set[str]:
    """The fields of `details` still at their "missing" default."""
    return {f.name for f in dataclasses.fields(details) if getattr(details, f.name) == f.default}


# What intake records only when it applies: language routing kept it in a clinical lane, or
# the summary held red-flag phrases (these requests have neither).
KEPT_FOR_LANGUAGE = {"kept_for_language", "bilingual_clinicians", "red_flags"}


def read_back(events: list[Event]) -> list[tuple[Action, set[str]]]:
    return [(event.action, unset(details_of(event))) for event in events]


async def test_every_event_of_a_worked_item_reads_back_with_what_its_use_case_knew(
    clinic: Clinic,
) -> None:
    services, work = clinic.deps.services, clinic.deps.work
    key = await clinic.log_request(**PATIENT)
    now = clinic.clock.now()

    def done(result: object) -> None:
        assert isinstance(result, Done), result

    done(await services.claim(item_key=key, actor=FRONT_DESK))
    note = AttemptNote(
        outcome=Outcome.LEFT_VOICEMAIL,
        identity_verified=True,
        confirmed="Voicemail box is the patient's",
        next_step="Call after lunch",
        next_due=now + timedelta(hours=3),
    )
    done(await work.log_attempt(item_key=key, actor=FRONT_DESK, note=note))
    repeat = await clinic.log_request(**PATIENT)
    done(
        await work.add_promise(
            item_key=key, actor=FRONT_DESK, text="A call back", due_at=now + timedelta(days=1)
        )
    )
    done(
        await work.wait_on(
            item_key=key,
            actor=FRONT_DESK,
            waiting_for=WaitingParty.PAYER,
            check_back_at=now + timedelta(days=2),
        )
    )
    done(await work.resume(item_key=key, actor=FRONT_DESK))
    handoff = HandoffNote(
        asked="Move Tuesday's visit",
        unresolved="Which afternoon",
        promised="Options by tomorrow",
        promised_by=now + timedelta(days=1),
        next_owner=ASSISTANT,
    )
    done(await work.handoff(item_key=key, actor=FRONT_DESK, note=handoff))
    done(await work.set_language(item_key=key, actor=ASSISTANT, language="Spanish"))
    done(await work.move(item_key=key, actor=ASSISTANT, lane="referrals"))
    done(await work.merge(item_key=repeat, actor=ASSISTANT, into=key))
    done(await services.claim(item_key=key, actor=ASSISTANT))
    done(
        await services.close(
            item_key=key,
            actor=ASSISTANT,
            resolution="patient given next step",
            told_patient="We will call with options",
        )
    )

    assert read_back(await services.history(key)) == [
        # Nobody owns a new request, it was asked for in its own lane and was the first,
        # and language routing had no clinical request to keep in its lane.
        (Action.CREATE, {"owner", "routed_from", "related_key", *KEPT_FOR_LANGUAGE}),
        (Action.CLAIM, set()),
        # The cadence goes on: no final step yet.
        (Action.LOG_ATTEMPT, {"final"}),
        (Action.REPEAT_CONTACT, set()),
        (Action.PROMISE, set()),
        (Action.WAIT, set()),
        (Action.RESUME, set()),
        # Handed to a person, not to a lane.
        (Action.HANDOFF, {"lane"}),
        (Action.SET_LANGUAGE, set()),
        # Out of a non-clinical lane: no clinician's "Not clinical" decision to record.
        (Action.MOVE, {"not_clinical"}),
        # The open item records what was merged in, not where it went.
        (Action.MERGE, {"into"}),
        (Action.CLAIM, set()),
        (Action.CLOSE, set()),
    ]
    assert read_back(await services.history(repeat)) == [
        (Action.CREATE, {"owner", "routed_from", *KEPT_FOR_LANGUAGE}),
        (Action.SET_LANGUAGE, {"also"}),  # it followed the patient from the other item
        (Action.MERGE, {"merged"}),
    ]
