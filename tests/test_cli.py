"""The `carequeue` command: check-config, refusing to start, db upgrade, export."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.clock import ManualClock
from bot.config import EXAMPLE_PRACTICE, Practice
from bot.domain.intake import IntakeRequest
from bot.domain.items import Origin
from bot.services.items import ItemServices
from storage.db import create_engine, session_factory
from storage.migrate import head_revision
from storage.uow import UnitOfWorkFactory
from tests.conftest import MONDAY_9AM

BROKEN = EXAMPLE_PRACTICE.read_text().replace("response_target: 4h", "response_target: soon", 1)


def test_check_config_accepts_the_shipped_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-config", str(EXAMPLE_PRACTICE)]) == 0
    assert "OK" in capsys.readouterr().out


def test_check_config_lists_each_problem_with_its_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "practice.yml"
    path.write_text(BROKEN)
    assert main(["check-config", str(path)]) == 2
    assert "lanes[0].response_target: must be a duration like 4h or 1d" in capsys.readouterr().err


def test_check_config_refuses_closing_a_clinical_lanes_unreachable_patients(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = EXAMPLE_PRACTICE.read_text()
    clinical = text.index("  - key: clinical")
    after = text.index("after_last: supervisor_review", clinical)
    path = tmp_path / "practice.yml"
    path.write_text(
        text[:after]
        + "after_last: close_unreachable\n      unreachable_resolution: patient given next step"
        + text[after + len("after_last: supervisor_review") :]
    )
    assert main(["check-config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "lanes[5].callbacks.after_last: a clinical lane never closes an unreachable" in err


def test_check_config_refuses_a_callback_number_nobody_can_dial(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = EXAMPLE_PRACTICE.read_text()
    path = tmp_path / "practice.yml"
    written = 'callback_number: "(555) 201-0000"'
    path.write_text(text.replace(written, 'callback_number: "201-0000"'))
    assert main(["check-config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "practice.callback_number: '201-0000' is not a phone number" in err


def test_run_refuses_an_invalid_practice_file_with_the_same_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "practice.yml"
    path.write_text(BROKEN)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-x")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    assert (
        main(["run", "--practice", str(path), "--database-url", f"sqlite:///{tmp_path}/x.db"]) == 2
    )
    assert "lanes[0].response_target: must be a duration" in capsys.readouterr().err


def test_run_without_slack_credentials_says_which_are_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert main(["run", "--database-url", f"sqlite:///{tmp_path}/x.db"]) == 2
    err = capsys.readouterr().err
    assert "SLACK_BOT_TOKEN" in err and "SLACK_SIGNING_SECRET" in err


async def _seed(url: str, practice: Practice) -> None:
    engine = create_engine(url)
    services = ItemServices(
        UnitOfWorkFactory(session_factory(engine)),
        practice,
        ManualClock(MONDAY_9AM),
    )
    request = IntakeRequest(
        patient_ref="MRN-1",
        patient_name="Pat Lee",
        phone="(555) 201-4477",
        origin=Origin.PORTAL_MESSAGE,
        lane="billing",
        request_type="statement question",
        summary="Question about a statement",
        language="English",
    )
    done = await services.log_request(request, actor="UFRONT01")
    await services.claim(item_key=done.item.key, actor="UFRONT01")
    await engine.dispose()


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_export_events_writes_every_event_since_a_date(
    fmt: str,
    database_url: str,
    example_practice: Practice,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asyncio.run(_seed(database_url, example_practice))
    out = tmp_path / f"events.{fmt}"
    monkeypatch.setenv("DATABASE_URL", database_url)
    argv = ["export", "events", "--since", "2026-01-01", "--format", fmt, "--output", str(out)]
    assert main(argv) == 0
    text = out.read_text()
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(text)))
    else:
        rows = [json.loads(line) for line in text.splitlines()]
    assert [(r["item_key"], r["action"], r["actor"]) for r in rows] == [
        ("CQ-1001", "create", "UFRONT01"),
        ("CQ-1001", "claim", "UFRONT01"),
    ]
    assert main([*argv[:3], "2027-01-01", *argv[4:]]) == 0
    assert len(out.read_text().strip().splitlines()) == (1 if fmt == "csv" else 0)


def test_db_upgrade_brings_a_new_database_to_the_latest_revision(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "upgrade", "--database-url", f"sqlite:///{tmp_path}/new.db"]) == 0
    assert f"revision {head_revision()}" in capsys.readouterr().out


def test_run_refuses_tokens_of_the_wrong_kind(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xapp-not-a-bot-token")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xoxb-not-an-app-token")
    assert main(["run", "--database-url", f"sqlite:///{tmp_path}/x.db"]) == 2
    err = capsys.readouterr().err
    assert "SLACK_BOT_TOKEN: must be a bot token" in err
    assert "SLACK_APP_TOKEN: must be an app-level token" in err


async def _stored_tokens(url: str) -> list[tuple[int, str, object]]:
    from sqlalchemy import select

    from storage.models import ApiTokenRow

    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            result = await connection.execute(
                select(ApiTokenRow.id, ApiTokenRow.token_hash, ApiTokenRow.revoked_at)
            )
            return [tuple(row) for row in result.all()]
    finally:
        await engine.dispose()


def test_tokens_create_prints_the_secret_once_and_stores_only_its_hash(
    database_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import hashlib

    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["tokens", "create", "Phone system"]) == 0
    out = capsys.readouterr().out
    secret = out.strip().splitlines()[-1]
    assert secret.startswith("cq_") and len(secret) > 40
    [(token_id, stored, revoked)] = asyncio.run(_stored_tokens(database_url))
    assert stored == hashlib.sha256(secret.encode()).hexdigest() and revoked is None

    assert main(["tokens", "list"]) == 0
    listed = capsys.readouterr().out
    assert f"{token_id}\tPhone system\t" in listed and "active" in listed
    assert secret not in listed

    assert main(["tokens", "revoke", str(token_id)]) == 0
    assert main(["tokens", "list"]) == 0
    assert "revoked" in capsys.readouterr().out
    assert main(["tokens", "revoke", str(token_id)]) == 1
    assert "no active token" in capsys.readouterr().err


def test_tokens_create_wants_a_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/t.db")
    assert main(["tokens", "create", "  "]) == 2
    assert "name the integration" in capsys.readouterr().err
