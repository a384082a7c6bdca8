"""A database error never carries patient text into the log, and the person still gets a
clear answer (a reference) with a 200.

The database is made to refuse new items with a trigger whose message quotes the patient's
name and summary, as PostgreSQL's own messages quote values ("DETAIL: Key (…)=(…)",
asyncpg's "invalid input for query argument $3: '…'"). On SQLite the trigger's message
cannot quote a value; there the statement's parameters are what must stay out.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select, text

from blocks.ids import FieldId
from storage.models import ItemRow
from tests.scenarios.conftest import Clinic
from tests.scenarios.intake_api import PHONE_SYSTEM_REQUEST, connect

NAME = "Zebulon Quixote-Marsh"
SUMMARY = "Rash after the new amoxicillin, worried about the baby"
PHONE = "(555) 867-5309"

POSTGRES_REFUSAL = [
    """
    CREATE FUNCTION test_refuse_item() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'refused the item of %', NEW.patient_name
            USING DETAIL = 'summary: ' || NEW.summary || ', phone: ' || NEW.phone;
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER test_refuse_item BEFORE INSERT ON items
    FOR EACH ROW EXECUTE FUNCTION test_refuse_item()
    """,
]
POSTGRES_CLEAN_UP = [
    "DROP TRIGGER IF EXISTS test_refuse_item ON items",
    "DROP FUNCTION IF EXISTS test_refuse_item()",
]
SQLITE_REFUSAL = [
    "CREATE TRIGGER test_refuse_item BEFORE INSERT ON items "
    "BEGIN SELECT RAISE(ABORT, 'refused the item'); END"
]


async def run(clinic: Clinic, statements: list[str]) -> None:
    async with clinic.deps.engine.begin() as connection:
        for statement in statements:
            await connection.execute(text(statement))


@pytest.fixture
async def refusing_database(clinic: Clinic) -> AsyncIterator[Clinic]:
    postgres = clinic.deps.engine.dialect.name == "postgresql"
    await run(clinic, POSTGRES_REFUSAL if postgres else SQLITE_REFUSAL)
    try:
        yield clinic
    finally:
        if postgres:
            await run(clinic, POSTGRES_CLEAN_UP)


def assert_no_patient_text(log: str) -> None:
    for value in (NAME, "Quixote", SUMMARY, "amoxicillin", PHONE, "867-5309", "8675309"):
        assert value not in log, f"the log quotes {value!r}"


async def items(clinic: Clinic) -> int:
    async with clinic.deps.uow.read() as tx:
        return int(await tx.session.scalar(select(func.count()).select_from(ItemRow)) or 0)


async def test_a_failing_intake_form_answers_with_a_reference_and_logs_no_patient_text(
    refusing_database: Clinic, caplog: pytest.LogCaptureFixture
) -> None:
    clinic = refusing_database
    caplog.set_level(logging.INFO)

    response = await clinic.submit_intake(
        **{FieldId.PATIENT_NAME: NAME, FieldId.SUMMARY: SUMMARY, FieldId.PHONE: PHONE}
    )

    assert response.status == 200 and response.json is not None
    assert response.json["response_action"] == "push"  # over the form, which keeps its text
    assert "Something went wrong — ref" in str(response.json["view"])
    assert await items(clinic) == 0
    assert "unhandled error ref=" in caplog.text
    assert_no_patient_text(caplog.text)
    assert "withheld" in caplog.text  # the database error is there, without its words


async def test_a_failing_api_delivery_logs_no_patient_text(
    refusing_database: Clinic, caplog: pytest.LogCaptureFixture
) -> None:
    clinic = refusing_database
    caplog.set_level(logging.INFO)
    integration = await connect(clinic)
    try:
        answer = await integration.post(
            {
                **PHONE_SYSTEM_REQUEST,
                "patient_name": NAME,
                "summary": SUMMARY,
                "callback_phone": PHONE,
            }
        )
    finally:
        await integration.session.close()

    assert answer.status == 500
    assert await items(clinic) == 0
    assert_no_patient_text(caplog.text)
    assert "withheld" in caplog.text
