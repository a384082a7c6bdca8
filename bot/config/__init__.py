"""The practice file and the process environment, read into typed, validated settings.

`load_practice` turns the YAML a practice manager edits into a frozen `Practice` of
domain values, or raises `ConfigError` listing every problem at once, each with its
path (`lanes[3].response_target: must be a duration like 4h or 1d`), so the app can
refuse to start with a list a person can fix in one pass. `settings_from_env` does
the same for secrets and wiring.

Where each part lives: practice_file.py reads the file (parse, load, check) through
schema.py (one model per section) and values.py (what each value may be, and the
sentence when it is not); problems.py words pydantic's errors as `path: message`;
environment.py holds `Settings`.
"""

from bot.config.environment import (
    DEFAULT_DATABASE_URL,
    DEFAULT_SLACK_API_URL,
    EXAMPLE_PRACTICE,
    Settings,
    normalize_database_url,
    settings_from_env,
)
from bot.config.practice_file import check_practice_file, load_practice, parse_practice
from bot.config.problems import ConfigError
from bot.config.values import MANAGER_ESCALATION
from bot.domain.practice import Practice

__all__ = [
    "DEFAULT_DATABASE_URL",
    "DEFAULT_SLACK_API_URL",
    "EXAMPLE_PRACTICE",
    "MANAGER_ESCALATION",
    "ConfigError",
    "Practice",
    "Settings",
    "check_practice_file",
    "load_practice",
    "normalize_database_url",
    "parse_practice",
    "settings_from_env",
]
