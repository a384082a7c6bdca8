"""The `carequeue` command: run, sandbox, check-config, db upgrade, outbox, tokens, export,
purge."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

from bot import event_loop
from bot.config import ConfigError, Settings, check_practice_file, load_practice, settings_from_env
from bot.services.audit import ExportFormat, export_events
from bot.structured_logs import configure_logging

if TYPE_CHECKING:
    from bot.deps import Deps

log = logging.getLogger("carequeue")

EXIT_CONFIG = 2
SANDBOX_PORT = 8000


def _wiring_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--practice", type=Path, help="practice file (CAREQUEUE_PRACTICE_FILE)")
    parser.add_argument("--database-url", help="database URL (DATABASE_URL)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="carequeue", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run the Slack app (Socket Mode or HTTP)")
    _wiring_flags(run)
    run.add_argument("--host", help="HTTP bind address (HOST, default 127.0.0.1)")
    run.add_argument("--port", type=int, help="HTTP port (PORT, default 3000)")
    run.add_argument("--api-url", help="Slack Web API base URL (SLACK_API_URL)")

    sandbox = commands.add_parser(
        "sandbox", help="run the app against a local workspace in your browser (no Slack)"
    )
    _wiring_flags(sandbox)
    sandbox.add_argument("--port", type=int, default=SANDBOX_PORT, help="page port (8000)")
    sandbox.add_argument("--demo", action="store_true", help="seed a realistic morning")

    check = commands.add_parser("check-config", help="validate a practice file")
    check.add_argument("file", type=Path)

    db = commands.add_parser("db", help="database schema")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_commands.add_parser("upgrade", help="apply Alembic migrations")
    upgrade.add_argument("--database-url", help="database URL (DATABASE_URL)")

    outbox = commands.add_parser("outbox", help="Slack writes the outbox gave up on")
    outbox_commands = outbox.add_subparsers(dest="outbox_command", required=True)
    listing = outbox_commands.add_parser("list", help="show the dead letters")
    _wiring_flags(listing)
    retry = outbox_commands.add_parser("retry", help="send dead letters again")
    _wiring_flags(retry)
    retry.add_argument("ids", nargs="*", type=int, help="outbox row ids (see `outbox list`)")
    retry.add_argument("--all", action="store_true", help="every dead letter")

    tokens = commands.add_parser("tokens", help="intake API tokens, one per integration")
    token_commands = tokens.add_subparsers(dest="tokens_command", required=True)
    create = token_commands.add_parser("create", help="make a token (printed once)")
    _wiring_flags(create)
    create.add_argument("name", help='the integration, e.g. "Phone system"')
    listed = token_commands.add_parser("list", help="every token, active or revoked")
    _wiring_flags(listed)
    revoke = token_commands.add_parser("revoke", help="stop a token working, at once")
    _wiring_flags(revoke)
    revoke.add_argument("id", type=int, help="the token's id (see `tokens list`)")

    export = commands.add_parser("export", help="export the audit trail")
    export_what = export.add_subparsers(dest="export_what", required=True)
    events = export_what.add_parser("events", help="every event since a date")
    _wiring_flags(events)
    events.add_argument("--since", required=True, type=date.fromisoformat, help="YYYY-MM-DD")
    events.add_argument("--format", choices=[f.value for f in ExportFormat], default="csv")
    events.add_argument("--output", type=Path, help="file to write (default: standard output)")

    purge = commands.add_parser(
        "purge", help="remove patient text from items closed longer than retention_days"
    )
    _wiring_flags(purge)
    purge.add_argument(
        "--dry-run", action="store_true", help="count what would go, per lane; change nothing"
    )
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    return settings_from_env(
        os.environ,
        practice_file=getattr(args, "practice", None),
        database_url=getattr(args, "database_url", None),
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
        slack_api_url=getattr(args, "api_url", None),
    )


def _print_problems(title: str, problems: Sequence[str]) -> None:
    print(title, file=sys.stderr)
    for problem in problems:
        print(f"  - {problem}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(os.environ)
    try:
        if args.command == "check-config":
            return _check_config(args.file)
        settings = _settings(args)
        if args.command == "run":
            return event_loop.run(_run(settings), settings.event_loop)
        if args.command == "sandbox":
            return event_loop.run(_sandbox(settings, demo=args.demo), settings.event_loop)
        if args.command == "db":
            return asyncio.run(_db_upgrade(settings))
        if args.command == "export":
            return asyncio.run(_export(settings, args))
        if args.command == "outbox":
            return asyncio.run(_outbox(settings, args))
        if args.command == "tokens":
            return asyncio.run(_tokens(settings, args))
        if args.command == "purge":
            return asyncio.run(_purge(settings, dry_run=args.dry_run))
    except ConfigError as err:
        _print_problems("CareQueue cannot start: the configuration has problems:", err.problems)
        return EXIT_CONFIG
    return 1


def _check_config(path: Path) -> int:
    problems = check_practice_file(path)
    if problems:
        _print_problems(f"{path}: {len(problems)} problem(s):", problems)
        return EXIT_CONFIG
    practice = load_practice(path)
    print(f"{path}: OK: {practice.name}, {len(practice.lanes)} lanes, privacy {practice.privacy}")
    return 0


async def _prepare_database(settings: Settings) -> None:
    from storage.db import create_engine, is_sqlite
    from storage.migrate import current_revision, head_revision, upgrade

    engine = create_engine(settings.database_url)
    try:
        if is_sqlite(settings.database_url):
            await upgrade(engine)
        elif await current_revision(engine) != head_revision():
            raise ConfigError(
                ["DATABASE_URL: the schema is not up to date: run `carequeue db upgrade` first"]
            )
    finally:
        await engine.dispose()


async def _db_upgrade(settings: Settings) -> int:
    from storage.db import create_engine
    from storage.migrate import current_revision, upgrade

    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        print(f"database at revision {await current_revision(engine)}")
    finally:
        await engine.dispose()
    return 0


async def _export(settings: Settings, args: argparse.Namespace) -> int:
    from bot.deps import build_deps

    deps = build_deps(settings)
    since = datetime.combine(args.since, time.min, tzinfo=deps.practice.timezone)
    try:
        if args.output:
            with args.output.open("w", newline="", encoding="utf-8") as out:
                count = await export_events(deps.uow, since, ExportFormat(args.format), out)
        else:
            count = await export_events(deps.uow, since, ExportFormat(args.format), sys.stdout)
    finally:
        await deps.close()
    print(f"exported {count} event(s) since {args.since}", file=sys.stderr)
    return 0


async def _outbox(settings: Settings, args: argparse.Namespace) -> int:
    from bot.deps import build_deps
    from bot.services import operations

    await _prepare_database(settings)
    deps = build_deps(settings)
    try:
        if args.outbox_command == "list":
            letters = await operations.dead_letters(deps.uow)
            if not letters:
                print("no dead letters: every Slack write was delivered or is still queued")
            for letter in letters:
                dead_at = letter.dead_at.isoformat(timespec="seconds") if letter.dead_at else "?"
                print(
                    f"{letter.id}\t{letter.kind}\t{letter.item_key or '-'}\t{letter.channel}"
                    f"\tattempts={letter.attempts}\tdead since {dead_at}\t{letter.error}"
                )
            return 0
        if not args.ids and not args.all:
            print(
                "name the rows to send again (see `carequeue outbox list`), or --all",
                file=sys.stderr,
            )
            return 2
        ids = None if args.all else args.ids
        requeued = await operations.requeue(deps.uow, ids, deps.clock.now())
        print(f"requeued {len(requeued)} row(s): {' '.join(map(str, requeued)) or '-'}")
        missing = sorted(set(args.ids) - set(requeued)) if ids is not None else []
        if missing:
            print(f"not dead letters: {' '.join(map(str, missing))}", file=sys.stderr)
            return 1
        return 0
    finally:
        await deps.close()


async def _tokens(settings: Settings, args: argparse.Namespace) -> int:
    """Integration tokens: the secret is printed once at creation and never again."""
    from bot.deps import build_deps

    await _prepare_database(settings)
    deps = build_deps(settings)
    api = deps.intake_api
    try:
        if args.tokens_command == "create":
            name = args.name.strip()
            if not name or len(name) > 100:
                print("name the integration in 1 to 100 characters", file=sys.stderr)
                return 2
            token, secret = await api.create_token(name)
            print(f"token {token.id} for {token.name!r} (shown only now; store it safely):")
            print(secret)
            return 0
        if args.tokens_command == "list":
            tokens = await api.tokens()
            if not tokens:
                print('no tokens yet: carequeue tokens create "Phone system"')
            for token in tokens:
                state = (
                    f"revoked {token.revoked_at.isoformat(timespec='seconds')}"
                    if token.revoked_at
                    else "active"
                )
                created = token.created_at.isoformat(timespec="seconds")
                print(f"{token.id}\t{token.name}\tcreated {created}\t{state}")
            return 0
        if await api.revoke_token(args.id):
            print(f"revoked token {args.id}: it is refused from now on")
            return 0
        print(f"no active token {args.id} (see `carequeue tokens list`)", file=sys.stderr)
        return 1
    finally:
        await deps.close()


async def _purge(settings: Settings, *, dry_run: bool) -> int:
    """Redact closed items past the practice's retention period (or, dry, count them)."""
    from bot.deps import build_deps
    from bot.services.retention import purge

    await _prepare_database(settings)
    deps = build_deps(settings)
    try:
        report = await purge(deps.uow, deps.practice, deps.clock.now(), dry_run=dry_run)
    finally:
        await deps.close()
    print("\n".join(report.lines(dry_run=dry_run)))
    return 0


async def _sandbox(settings: Settings, *, demo: bool) -> int:
    from sandbox.workspace import run_sandbox

    def announce(url: str, _workspace: object) -> None:
        print(f"CareQueue sandbox: open {url} (Ctrl-C to stop)", flush=True)

    await run_sandbox(settings, load_practice(settings.practice_file), demo=demo, on_ready=announce)
    return 0


def _missing_slack_settings(settings: Settings) -> list[str]:
    problems = []
    if not settings.slack_bot_token:
        problems.append("SLACK_BOT_TOKEN: not set (the bot token, xoxb-…)")
    elif not settings.slack_bot_token.startswith("xoxb-"):
        problems.append("SLACK_BOT_TOKEN: must be a bot token (xoxb-…)")
    if settings.slack_app_token and not settings.slack_app_token.startswith("xapp-"):
        problems.append("SLACK_APP_TOKEN: must be an app-level token (xapp-…)")
    if not settings.socket_mode and not settings.slack_signing_secret:
        problems.append(
            "SLACK_SIGNING_SECRET: not set (needed in HTTP mode; or set SLACK_APP_TOKEN "
            "for Socket Mode)"
        )
    return problems


async def _check_app_token(deps: Deps) -> None:
    """Ask Slack once before starting: a refused app token would otherwise be retried forever."""
    from slack_sdk.errors import SlackApiError

    try:
        await deps.client.apps_connections_open(app_token=deps.settings.slack_app_token or "")
    except SlackApiError as err:
        data = err.response.data
        reason = data.get("error") if isinstance(data, dict) else f"HTTP {err.response.status_code}"
        raise ConfigError([f"SLACK_APP_TOKEN: Slack refused it ({reason})"]) from err


async def _warn_about_unconfigured_lanes(deps: Deps) -> None:
    """Open items whose lane left the practice file still show and can be moved: say so."""
    from bot.services.operations import unconfigured_lanes

    for lane, count in (await unconfigured_lanes(deps.uow, deps.practice)).items():
        log.warning(
            "lane %r has %s open item(s) but is not in the practice file: their cards still "
            "show; move them to a configured lane",
            lane,
            count,
        )


async def _run(settings: Settings) -> int:
    from bot.app import build_app
    from bot.deps import build_deps
    from bot.server import build_web_app, freeze_startup_heap

    practice = load_practice(settings.practice_file)
    missing = _missing_slack_settings(settings)
    if missing:
        raise ConfigError(missing)
    await _prepare_database(settings)
    deps = build_deps(settings, practice=practice)
    await _warn_about_unconfigured_lanes(deps)
    if settings.socket_mode:
        try:
            await _check_app_token(deps)
        except ConfigError:
            await deps.close()
            raise
    bolt = build_app(deps)
    web_app = build_web_app(deps, bolt, http_events=not settings.socket_mode)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    socket_handler = None
    try:
        await site.start()
        mode = (
            "Socket Mode"
            if settings.socket_mode
            else f"HTTP on http://{settings.host}:{settings.port}"
        )
        log.info(
            "CareQueue running for %s (%s lanes), %s", practice.name, len(practice.lanes), mode
        )
        if settings.socket_mode:
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            socket_handler = AsyncSocketModeHandler(bolt, settings.slack_app_token)
            await socket_handler.connect_async()
        freeze_startup_heap()
        await stop.wait()
    finally:
        log.info("CareQueue stopping")
        if socket_handler is not None:
            await socket_handler.close_async()
        await runner.cleanup()
        await deps.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
