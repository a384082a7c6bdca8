"""How `carequeue` logs: plain lines by default, or one JSON object per line
(`CAREQUEUE_LOG_FORMAT=json`) with time, level, logger, message and the item key a record
carries (`log.info(..., extra={"item": key})`).

The JSON form never carries an exception's message: a database error can quote the values
it was given (a patient's name in an INSERT), so only the exception's type and the
traceback's frames (source lines, not data) are written."""

from __future__ import annotations

import json
import logging
import sys
import traceback
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import IO

FORMAT_VARIABLE = "CAREQUEUE_LOG_FORMAT"
LEVEL_VARIABLE = "LOG_LEVEL"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
# Loggers that print whole requests and answers below these levels: Slack's bodies carry
# patient text.
QUIET_LOGGERS = {"slack_sdk": logging.WARNING, "slack_bolt": logging.WARNING}


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        item = getattr(record, "item", None)
        if item:
            entry["item"] = str(item)
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            entry["error"] = type(error).__name__
            entry["traceback"] = "".join(traceback.format_tb(error.__traceback__)).rstrip()
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(env: Mapping[str, str], stream: IO[str] | None = None) -> logging.Handler:
    """Send the root logger's records to `stream` (standard error) in the format `env`
    asks for, at its LOG_LEVEL (INFO by default); returns the handler it added."""
    handler = logging.StreamHandler(stream or sys.stderr)
    if env.get(FORMAT_VARIABLE, "").strip().lower() == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.setLevel(env.get(LEVEL_VARIABLE, "INFO").upper())
    root.addHandler(handler)
    for name, level in QUIET_LOGGERS.items():
        logger = logging.getLogger(name)
        logger.setLevel(max(logger.getEffectiveLevel(), level))
    return handler
