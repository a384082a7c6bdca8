"""The retention purge: closed items past `retention_days` lose every trace of patient text
(item, calls, promises, handoffs, escalations, events' values), keep their events, and a
second run changes nothing. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from blocks.ids import FieldId
from bot.config import EXAMPLE_PRACTICE
from bot.domain.callbacks import AttemptNote, Outcome
from bot.domain.handoff import HandoffNote
from bot.domain.items import Refusal
from bot.domain.waiting import WaitingParty
from bot.services.retention import purge
from storage.models import (
    ApiDeliveryRow,
    AttemptRow,
    EscalationRow,
    EventRow,
    HandoffRow,
    ItemRow,
    PromiseRow,
)
from tests.scenarios.conftest import ASSISTANT, FRONT_DESK, SIGNING_SECRET, Clinic
from tests.scenarios.intake_api import PHONE_SYSTEM_REQUEST, connect
from tests.scenarios.test_privacy import HOSTILE_REQUEST, PATIENT_DATA

ROOT = Path(__file__).resolve().parents[2]
NURSE = "U0NURSE01"
# What staff wrote about the patient, each word distinctive enough to find anywhere.
NOTES = {
    "call": "Okafor confirmed",
    "next": "Wrenfield card",
    "promise": "Thistlewood will call",
    "wait": "Marchetti at the payer",
    "asked": "Ellingsworth asked",
    "context": "Brackenridge pain",
    "decision": "Hollowmere advice",
    "told": "Fenwright told",
}
WRITTEN = ("Zelda Quimby", "867-5309", "MRN-88231", "evil.example", "after 3pm")
WRITTEN += tuple(note.split()[0] for note in NOTES.values())
SECRETS = (*PATIENT_DATA, *WRITTEN)


def done(result: Any) -> None:
    assert not isinstance(result, Refusal) and not hasattr(result, "errors"), result


async def worked_and_closed(clinic: Clinic) -> str:
    """A request worked every way that stores free text (a call, a promise, a wait, a
    handoff, an escalation a nurse resolved), then closed by its owner."""
    key = await clinic.log_request(**HOSTILE_REQUEST)
    deps, now = clinic.deps, clinic.clock.now()
    done(await deps.services.claim(item_key=key, actor=FRONT_DESK))
    note = AttemptNote(Outcome.REACHED, True, NOTES["call"], NOTES["next"])
    done(await deps.work.log_attempt(item_key=key, actor=FRONT_DESK, note=note))
    done(
        await deps.work.add_promise(
            item_key=key, actor=FRONT_DESK, text=NOTES["promise"], due_at=now + timedelta(days=1)
        )
    )
    done(
        await deps.work.wait_on(
            item_key=key,
            actor=FRONT_DESK,
            waiting_for=WaitingParty.OTHER,
            waiting_on=NOTES["wait"],
            check_back_at=now + timedelta(days=1),
        )
    )
    done(await deps.work.resume(item_key=key, actor=FRONT_DESK))
    handoff = HandoffNote(asked=NOTES["asked"], unresolved=NOTES["asked"], next_owner=ASSISTANT)
    done(await deps.work.handoff(item_key=key, actor=FRONT_DESK, note=handoff))
    done(
        await deps.escalations.escalate(
            item_key=key, actor=ASSISTANT, rule="emergency", context=NOTES["context"]
        )
    )
    done(
        await deps.escalations.resolve(
            item_key=key,
            actor=NURSE,
            decision=NOTES["decision"],
            told_patient=NOTES["told"],
            appropriate=True,
        )
    )
    done(
        await deps.services.close(
            item_key=key,
            actor=ASSISTANT,
            resolution="appointment booked",
            told_patient=NOTES["told"],
        )
    )
    return key


async def stored_text(clinic: Clinic, key: str | None = None) -> str:
    """Every row that can hold patient text, of one item (or all), as one string."""
    tables = (ItemRow, AttemptRow, PromiseRow, HandoffRow, EscalationRow, EventRow)
    dump: list[dict[str, Any]] = []
    async with clinic.deps.uow.read() as tx:
        item_id = await tx.items.id_of(key) if key else None
        for table in tables:
            query = select(table)
            if item_id is not None:
                column = table.id if table is ItemRow else table.item_id
                query = query.where(column == item_id)
            for row in await tx.session.scalars(query):
                dump.append({c.key: getattr(row, c.key) for c in table.__table__.columns})
    return json.dumps(dump, default=str)


async def test_purge_redacts_old_closed_items_everywhere_and_keeps_their_events(
    clinic: Clinic,
) -> None:
    practice = dataclasses.replace(clinic.practice, retention_days=30)
    deps = clinic.deps
    old = await worked_and_closed(clinic)
    old_too = await worked_and_closed(clinic)
    still_open = await clinic.log_request(
        **{FieldId.PATIENT_NAME: "Rava Ostrander", FieldId.PATIENT_REF: "MRN-55555"}
    )
    clinic.clock.advance(timedelta(days=20))
    recent = await worked_and_closed(clinic)
    clinic.clock.advance(timedelta(days=11))
    before = await stored_text(clinic, old)
    assert [s for s in WRITTEN if s not in before] == []  # stored, each of them
    events_before = len(await deps.services.history(old))

    dry = await purge(deps.uow, practice, clinic.clock.now(), dry_run=True)
    assert dry.total_due == 2 and set(dry.due) == {"scheduling"}
    assert dry.oldest_closed_at is not None
    assert dry.oldest_closed_at <= clinic.clock.now() - timedelta(days=31)
    assert dry.redacted == 0 and await stored_text(clinic, old) == before  # nothing changed

    report = await purge(deps.uow, practice, clinic.clock.now(), batch=1)
    assert (report.redacted, report.batches) == (2, 2)

    for key in (old, old_too):
        text = await stored_text(clinic, key)
        for secret in SECRETS:
            assert secret not in text, (key, secret)
        assert "redacted" in text
        assert len(await deps.services.history(key)) == events_before  # events kept
    # Closed 11 days ago: kept whole. Open for 31 days: never purged, however old.
    kept = await stored_text(clinic, recent)
    assert all(s in kept for s in WRITTEN)
    assert "Rava Ostrander" in await stored_text(clinic, still_open)

    again = await purge(deps.uow, practice, clinic.clock.now())
    assert (again.total_due, again.redacted) == (0, 0)


async def test_no_retention_period_purges_nothing(clinic: Clinic) -> None:
    forever = dataclasses.replace(clinic.practice, retention_days=None)
    key = await worked_and_closed(clinic)
    clinic.clock.advance(timedelta(days=4000))

    report = await purge(clinic.deps.uow, forever, clinic.clock.now())

    assert report.cutoff is None and report.redacted == 0
    assert "Zelda" in await stored_text(clinic, key)


async def carequeue(*args: str, env: dict[str, str]) -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, out.decode()
    return out.decode()


async def test_carequeue_purge_dry_run_counts_then_purge_redacts_once(
    database_url: str, clinic: Clinic, tmp_path: Path
) -> None:
    key = await worked_and_closed(clinic)  # closed on the test clock's Monday, days ago
    practice_file = tmp_path / "practice.yml"
    practice_file.write_text(
        EXAMPLE_PRACTICE.read_text().replace("retention_days: 2555", "retention_days: 1")
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "LOG_LEVEL": "WARNING",
    }
    wiring = ("--database-url", database_url, "--practice", str(practice_file))

    dry = await carequeue("purge", "--dry-run", *wiring, env=env)
    assert dry.startswith("would redact 1 item(s) closed before")
    assert "  scheduling\t1\toldest closed 2026-11-23" in dry
    assert "Zelda" in await stored_text(clinic, key)

    assert (await carequeue("purge", *wiring, env=env)).startswith("redacted 1 item(s)")
    assert "Zelda" not in await stored_text(clinic, key)
    assert (await carequeue("purge", *wiring, env=env)).startswith("redacted 0 item(s)")
    async with clinic.deps.uow.read() as tx:
        assert await tx.session.scalar(select(func.count()).select_from(ItemRow)) == 1


async def test_an_item_reopened_after_its_purge_is_purged_again_once_closed_long_enough(
    clinic: Clinic,
) -> None:
    practice = dataclasses.replace(clinic.practice, retention_days=30)
    deps = clinic.deps
    key = await worked_and_closed(clinic)
    clinic.clock.advance(timedelta(days=31))
    assert (await purge(deps.uow, practice, clinic.clock.now())).redacted == 1

    clinic.clock.advance(timedelta(hours=2))  # the patient calls again about it
    done(await deps.services.reopen(item_key=key, actor=FRONT_DESK))
    note = AttemptNote(Outcome.REACHED, True, "Quillfeather called back", "Nothing more")
    done(await deps.work.log_attempt(item_key=key, actor=FRONT_DESK, note=note))
    done(
        await deps.services.close(
            item_key=key,
            actor=FRONT_DESK,
            resolution="appointment booked",
            told_patient="Booked Friday 9:00 AM",
        )
    )
    clinic.clock.advance(timedelta(days=10))
    assert (await purge(deps.uow, practice, clinic.clock.now())).redacted == 0  # too recent
    assert "Quillfeather" in await stored_text(clinic, key)

    clinic.clock.advance(timedelta(days=21))
    assert (await purge(deps.uow, practice, clinic.clock.now())).redacted == 1
    assert "Quillfeather" not in await stored_text(clinic, key)


async def test_the_purge_drops_the_fingerprint_of_the_request_an_integration_sent(
    clinic: Clinic,
) -> None:
    """A delivery's fingerprint is a hash of the patient's text (who called, from which
    number): it goes with that text. A retry under the key afterwards is answered with
    the (redacted) item, as for a delivery stored before fingerprints were kept."""
    practice = dataclasses.replace(clinic.practice, retention_days=30)
    portal = await connect(clinic, "Patient portal")
    try:
        headers = {"Idempotency-Key": "vm-31"}
        first = await portal.post(PHONE_SYSTEM_REQUEST, headers=headers)
        assert first.status == 201
        key = first.json["key"]
        done(await clinic.deps.services.claim(item_key=key, actor=FRONT_DESK))
        done(
            await clinic.deps.services.close(
                item_key=key,
                actor=FRONT_DESK,
                resolution="appointment rescheduled",
                told_patient="Moved to Thursday 10:00 AM",
            )
        )
        assert await fingerprints(clinic) != [None]
        clinic.clock.advance(timedelta(days=31))
        assert (await purge(clinic.deps.uow, practice, clinic.clock.now())).redacted == 1
        assert await fingerprints(clinic) == [None]
        again = await portal.post(PHONE_SYSTEM_REQUEST, headers=headers)
        assert (again.status, again.json["key"]) == (200, key)
    finally:
        await portal.session.close()


async def fingerprints(clinic: Clinic) -> list[str | None]:
    async with clinic.deps.uow.read() as tx:
        return list(await tx.session.scalars(select(ApiDeliveryRow.fingerprint)))
