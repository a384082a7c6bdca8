"""CAREQUEUE_LOG_FORMAT: plain lines by default, one JSON object per line when asked."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.structured_logs import configure_logging


@pytest.fixture
def restored_root() -> Iterator[logging.Logger]:
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield root
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_lines_carry_time_level_logger_message_and_the_item_key(
    restored_root: logging.Logger,
) -> None:
    out = io.StringIO()
    configure_logging({"CAREQUEUE_LOG_FORMAT": "json"}, out)
    logging.getLogger("bot.services.items").info(
        "item claimed key=%s by=%s", "CQ-1042", "U1", extra={"item": "CQ-1042"}
    )
    logging.getLogger("bot.jobs").debug("below INFO: not written")

    (line,) = out.getvalue().splitlines()
    entry = json.loads(line)
    assert entry["level"] == "INFO" and entry["logger"] == "bot.services.items"
    assert entry["message"] == "item claimed key=CQ-1042 by=U1"
    assert entry["item"] == "CQ-1042"
    assert entry["time"].endswith("+00:00")


def test_a_json_traceback_keeps_the_frames_but_not_the_exception_message(
    restored_root: logging.Logger,
) -> None:
    out = io.StringIO()
    configure_logging({"CAREQUEUE_LOG_FORMAT": "json"}, out)
    patient = "Zelda Quimby"  # a database error can quote what it was given
    try:
        raise ValueError(f"duplicate key value (patient_name)=({patient})")
    except ValueError:
        logging.getLogger("bot.app").exception("something went wrong ref 7KQ2")

    entry = json.loads(out.getvalue())
    assert entry["error"] == "ValueError"
    assert "raise ValueError" in entry["traceback"]  # the source line, where it happened
    assert "Zelda" not in out.getvalue()


def test_without_the_setting_logs_stay_plain_lines(restored_root: logging.Logger) -> None:
    out = io.StringIO()
    configure_logging({}, out)
    logging.getLogger("carequeue").warning("CareQueue stopping")

    assert out.getvalue().rstrip().endswith("WARNING carequeue CareQueue stopping")
