"""The layers import only what lies below them: the domain is pure, builders never reach storage."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOMAIN = sorted(f"bot.domain.{p.stem}" for p in (ROOT / "bot" / "domain").glob("[!_]*.py"))
BUILDERS = sorted(
    ".".join(p.relative_to(ROOT).with_suffix("").parts) for p in (ROOT / "blocks").rglob("[!_]*.py")
)


def imported_by(modules: list[str]) -> set[str]:
    """Top-level packages a fresh interpreter has loaded after importing `modules`."""
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return set(json.loads(result.stdout))


def test_domain_rules_import_no_slack_sql_web_or_templates() -> None:
    forbidden = {"slack_sdk", "slack_bolt", "sqlalchemy", "aiohttp", "jinja2", "storage"}
    assert imported_by(DOMAIN) & forbidden == set()


@pytest.mark.parametrize("package", ["storage", "sqlalchemy", "handlers", "aiohttp"])
def test_builders_never_reach_storage_handlers_or_the_network(package: str) -> None:
    assert package not in imported_by(BUILDERS)
