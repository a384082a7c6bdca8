"""Storage tests race many invented people (U01, U02, …) over the same rows: they run on
the shipped example without its `roles.staff`, where everyone is staff in every lane, as in
a practice file that names no staff. Who may act is tested in tests/domain/test_permissions.py
and tests/scenarios/test_permissions.py."""

from __future__ import annotations

import dataclasses

import pytest

from bot.config import EXAMPLE_PRACTICE, Practice, load_practice


@pytest.fixture
def example_practice() -> Practice:
    practice = load_practice(EXAMPLE_PRACTICE)
    return dataclasses.replace(practice, roles=dataclasses.replace(practice.roles, staff=None))
