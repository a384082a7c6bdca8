"""A database error's words never reach a log record; other errors are left alone."""

from __future__ import annotations

import logging
import sqlite3

import pytest
from sqlalchemy.exc import IntegrityError

from storage import log_scrub

PATIENT = "Jane Q. Doe"


def raised_from_the_database() -> BaseException:
    try:
        try:
            raise sqlite3.IntegrityError(f"Key (patient_name)=({PATIENT}) already exists")
        except sqlite3.IntegrityError as driver:
            raise IntegrityError(
                "INSERT INTO items (patient_name) VALUES (?)", None, driver
            ) from driver
    except IntegrityError as error:
        try:
            raise RuntimeError("the intake failed") from error
        except RuntimeError as outer:
            return outer


def test_an_error_with_a_database_error_in_its_chain_keeps_only_classes_and_statement() -> None:
    clean = log_scrub.scrubbed(raised_from_the_database())

    assert isinstance(clean, log_scrub.ScrubbedDatabaseError)
    assert PATIENT not in str(clean)
    assert "sqlite3.IntegrityError" in str(clean) and "INSERT INTO items" in str(clean)
    assert clean.__traceback__ is not None and clean.__cause__ is None


def test_an_error_without_a_database_error_is_logged_as_it_is() -> None:
    error = ValueError("not a date")
    assert log_scrub.scrubbed(error) is error


def test_a_logged_database_error_is_scrubbed_whatever_the_handler(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log_scrub.install()
    error = raised_from_the_database()

    logging.getLogger("anything").error("failed: %s", error.__cause__, exc_info=error)

    assert PATIENT not in caplog.text
    assert "withheld" in caplog.text
