"""The process environment and command-line flags, read into `Settings`: secrets, the
database, where to listen, which practice file; every bad value reported at once."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

from bot.config.problems import ConfigError, shown

EXAMPLE_PRACTICE: Path = Path(__file__).resolve().parents[2] / "examples" / "practice.yml"
"""The shipped example practice file, used when no other file is configured."""

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///carequeue.db"


@dataclass(frozen=True)
class Settings:
    """Wiring from the environment and command-line flags. Secrets stay out of repr()."""

    slack_bot_token: str | None = field(default=None, repr=False)
    slack_signing_secret: str | None = field(default=None, repr=False)
    slack_app_token: str | None = field(default=None, repr=False)
    slack_api_url: str = DEFAULT_SLACK_API_URL
    # repr=False: a PostgreSQL URL carries its password.
    database_url: str = field(default=DEFAULT_DATABASE_URL, repr=False)
    # PostgreSQL connections kept open, and how many more a burst may open; None keeps
    # the defaults storage.db chooses and explains. SQLite ignores both.
    database_pool_size: int | None = None
    database_max_overflow: int | None = None
    host: str = "127.0.0.1"
    port: int = 3000
    practice_file: Path = EXAMPLE_PRACTICE
    log_level: str = "INFO"
    # Seconds between posts to one channel, counted from Slack's answer (Slack: about 1 a
    # second). Tests and the sandbox may go faster than Slack.
    post_interval: float = 1.0
    # The bot's own identity, so requests never wait for Slack's auth.test to learn it.
    slack_bot_user_id: str | None = None
    slack_bot_id: str | None = None
    # For simulations and training only: a file holding seconds to add to the real time
    # (bot/clock.py's FileClock), so several processes share one moved clock.
    clock_file: Path | None = None
    # The event loop `run` and `sandbox` serve on (bot/event_loop.py): uvloop, or asyncio's
    # own (CAREQUEUE_EVENT_LOOP=asyncio) to rule uvloop out when a problem is found.
    event_loop: str = "uvloop"

    @property
    def socket_mode(self) -> bool:
        """True when an app-level token is set: connect over Socket Mode instead of HTTP."""
        return bool(self.slack_app_token)

    @property
    def is_default_sqlite(self) -> bool:
        """True when no DATABASE_URL was given and the embedded SQLite file is used."""
        return self.database_url == DEFAULT_DATABASE_URL


_ENV_VARS: Mapping[str, str] = {
    "slack_bot_token": "SLACK_BOT_TOKEN",
    "slack_signing_secret": "SLACK_SIGNING_SECRET",
    "slack_app_token": "SLACK_APP_TOKEN",
    "slack_api_url": "SLACK_API_URL",
    "database_url": "DATABASE_URL",
    "database_pool_size": "DATABASE_POOL_SIZE",
    "database_max_overflow": "DATABASE_MAX_OVERFLOW",
    "host": "HOST",
    "port": "PORT",
    "practice_file": "CAREQUEUE_PRACTICE_FILE",
    "log_level": "LOG_LEVEL",
    "post_interval": "CAREQUEUE_POST_INTERVAL",
    "slack_bot_user_id": "SLACK_BOT_USER_ID",
    "slack_bot_id": "SLACK_BOT_ID",
    "clock_file": "CAREQUEUE_CLOCK_FILE",
    "event_loop": "CAREQUEUE_EVENT_LOOP",
}
_BOT_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_BOT_ID = re.compile(r"^B[A-Z0-9]{2,}$")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
EVENT_LOOPS = ("uvloop", "asyncio")


def _seconds(value: object) -> float | None:
    try:
        seconds = float(str(value).strip())
    except ValueError:
        return None
    return seconds if 0 <= seconds <= 60 else None


def settings_from_env(env: Mapping[str, str], **overrides: object) -> Settings:
    """Build `Settings` from environment variables, with command-line values on top.

    An override (keyword named like a `Settings` field) wins when it is not None; an
    empty environment variable counts as unset. `DATABASE_URL` is normalized to the
    async drivers (`postgres://` -> `postgresql+asyncpg://`, `sqlite:///` ->
    `sqlite+aiosqlite:///`). Raises ConfigError listing every bad value (PORT,
    LOG_LEVEL, the pool sizes); TypeError for an override name that is not a setting.
    """
    unknown = sorted(set(overrides) - {f.name for f in fields(Settings)})
    if unknown:
        raise TypeError(f"unknown settings: {', '.join(unknown)}")

    values: dict[str, object] = {}
    sources: dict[str, str] = {}
    for name, variable in _ENV_VARS.items():
        text = env.get(variable, "").strip()
        if text:
            values[name], sources[name] = text, variable
    for name, value in overrides.items():
        if value is not None:
            values[name], sources[name] = value, f"--{name.replace('_', '-')}"

    problems: list[str] = []
    if "port" in values:
        port = _port(values["port"])
        if port is None:
            problems.append(
                f"{sources['port']}: must be a port number from 0 to 65535, "
                f"not {shown(values['port'])}"
            )
        values["port"] = port
    for name, smallest in (("database_pool_size", 1), ("database_max_overflow", 0)):
        if name in values:
            count = _count(values[name], smallest)
            if count is None:
                problems.append(
                    f"{sources[name]}: must be a whole number of at least {smallest}, "
                    f"not {shown(values[name])}"
                )
            values[name] = count
    _one_of(values, sources, problems, "log_level", _LOG_LEVELS, str.upper)
    if "post_interval" in values:
        interval = _seconds(values["post_interval"])
        if interval is None:
            problems.append(
                f"{sources['post_interval']}: must be a number of seconds from 0 to 60, "
                f"not {shown(values['post_interval'])}"
            )
        values["post_interval"] = interval
    _one_of(values, sources, problems, "event_loop", EVENT_LOOPS, str.lower)
    problems.extend(_bot_identity_problems(values, sources))
    if problems:
        raise ConfigError(problems)

    if "database_url" in values:
        values["database_url"] = normalize_database_url(str(values["database_url"]))
    if "slack_api_url" in values:
        url = str(values["slack_api_url"])
        values["slack_api_url"] = url if url.endswith("/") else f"{url}/"
    for name in ("practice_file", "clock_file"):
        if name in values:
            values[name] = Path(str(values[name])).expanduser()
    return Settings(**values)  # type: ignore[arg-type]


def _one_of(
    values: dict[str, object],
    sources: Mapping[str, str],
    problems: list[str],
    name: str,
    choices: tuple[str, ...],
    case: Callable[[str], str],
) -> None:
    """Read setting `name`, when given, as one of `choices` (in `case`), or say it is not."""
    if name not in values:
        return
    choice = case(str(values[name]).strip())
    if choice not in choices:
        problems.append(
            f"{sources[name]}: must be one of {', '.join(choices)}, not {shown(values[name])}"
        )
    values[name] = choice


def _bot_identity_problems(values: Mapping[str, object], sources: Mapping[str, str]) -> list[str]:
    problems = []
    user_id, bot_id = values.get("slack_bot_user_id"), values.get("slack_bot_id")
    if user_id is not None and not _BOT_USER_ID.match(str(user_id)):
        problems.append(
            f"{sources['slack_bot_user_id']}: must be the bot's user id like U0123ABCD "
            f"(auth.test's user_id), not {shown(user_id)}"
        )
    if bot_id is not None and not _BOT_ID.match(str(bot_id)):
        problems.append(
            f"{sources['slack_bot_id']}: must be a bot id like B0123ABCD (auth.test's bot_id), "
            f"not {shown(bot_id)}"
        )
    if bot_id is not None and user_id is None:
        problems.append(f"{sources['slack_bot_id']}: set SLACK_BOT_USER_ID with it")
    return problems


def normalize_database_url(url: str) -> str:
    """Point PostgreSQL and SQLite URLs at the async drivers the app runs on."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        return url
    driver = {"postgres": "postgresql+asyncpg", "postgresql": "postgresql+asyncpg"}.get(scheme)
    if scheme == "sqlite":
        driver = "sqlite+aiosqlite"
    return f"{driver}://{rest}" if driver else url


def _count(value: object, smallest: int) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip()
        if not value.isdigit():
            return None
        value = int(value)
    return value if isinstance(value, int) and value >= smallest else None


def _port(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip()
        if not value.isdigit():
            return None
        value = int(value)
    if isinstance(value, int) and 0 <= value <= 65535:
        return value
    return None
