"""Settings from the environment and the command line (bot/config/environment.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import (
    DEFAULT_DATABASE_URL,
    EXAMPLE_PRACTICE,
    ConfigError,
    Settings,
    settings_from_env,
)

# --- settings from the environment --------------------------------------------------------


def test_settings_defaults_with_an_empty_environment() -> None:
    settings = settings_from_env({})

    assert settings == Settings()
    assert settings.slack_bot_token is None
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.database_url == DEFAULT_DATABASE_URL == "sqlite+aiosqlite:///carequeue.db"
    assert settings.is_default_sqlite
    assert settings.host == "127.0.0.1"
    assert settings.port == 3000
    assert settings.practice_file == EXAMPLE_PRACTICE
    assert settings.log_level == "INFO"
    assert not settings.socket_mode


def test_settings_are_read_from_the_environment() -> None:
    settings = settings_from_env(
        {
            "SLACK_BOT_TOKEN": "xoxb-1",
            "SLACK_SIGNING_SECRET": "shh",
            "SLACK_APP_TOKEN": "xapp-1",
            "SLACK_API_URL": "http://127.0.0.1:9999/api",
            "HOST": "0.0.0.0",
            "PORT": "8080",
            "CAREQUEUE_PRACTICE_FILE": "/etc/carequeue/practice.yml",
            "LOG_LEVEL": "debug",
        }
    )

    assert settings.slack_bot_token == "xoxb-1"
    assert settings.slack_signing_secret == "shh"
    assert settings.socket_mode
    assert settings.slack_api_url == "http://127.0.0.1:9999/api/"
    assert (settings.host, settings.port) == ("0.0.0.0", 8080)
    assert settings.practice_file == Path("/etc/carequeue/practice.yml")
    assert settings.log_level == "DEBUG"


def test_empty_environment_variable_counts_as_unset() -> None:
    settings = settings_from_env({"SLACK_APP_TOKEN": "", "PORT": " "})

    assert not settings.socket_mode
    assert settings.port == 3000


def test_command_line_overrides_win_unless_none() -> None:
    env = {"PORT": "8080", "HOST": "0.0.0.0", "DATABASE_URL": "sqlite:///env.db"}

    settings = settings_from_env(env, port=9000, host=None, database_url="sqlite:///flag.db")

    assert settings.port == 9000
    assert settings.host == "0.0.0.0"
    assert settings.database_url == "sqlite+aiosqlite:///flag.db"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://cq:pw@db:5432/carequeue", "postgresql+asyncpg://cq:pw@db:5432/carequeue"),
        ("postgresql://cq@db/carequeue", "postgresql+asyncpg://cq@db/carequeue"),
        ("postgresql+asyncpg://cq@db/carequeue", "postgresql+asyncpg://cq@db/carequeue"),
        ("sqlite:///data/cq.db", "sqlite+aiosqlite:///data/cq.db"),
        ("sqlite+aiosqlite:///cq.db", "sqlite+aiosqlite:///cq.db"),
    ],
)
def test_database_url_is_normalized_to_async_drivers(given: str, expected: str) -> None:
    settings = settings_from_env({"DATABASE_URL": given})

    assert settings.database_url == expected
    assert not settings.is_default_sqlite


def test_bad_port_and_log_level_are_reported_together() -> None:
    with pytest.raises(ConfigError) as raised:
        settings_from_env({"PORT": "http", "LOG_LEVEL": "loud"})

    assert raised.value.problems == [
        "PORT: must be a port number from 0 to 65535, not 'http'",
        "LOG_LEVEL: must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, not 'loud'",
    ]


def test_bad_port_flag_is_reported_by_its_flag_name() -> None:
    with pytest.raises(ConfigError, match=r"^--port: must be a port number"):
        settings_from_env({}, port=70000)


def test_unknown_override_is_a_programming_error() -> None:
    with pytest.raises(TypeError, match="prot"):
        settings_from_env({}, prot=1)


def test_secrets_stay_out_of_settings_repr() -> None:
    settings = settings_from_env(
        {"SLACK_BOT_TOKEN": "xoxb-secret", "DATABASE_URL": "postgres://cq:pw@db/cq"}
    )

    assert "xoxb-secret" not in repr(settings)
    assert "pw" not in repr(settings)
