"""The parts of CareQueue import only what the table below allows: the domain is pure,
builders never reach storage or the network, listeners never reach storage, and the
product never imports the Slack imitation (`carequeue sandbox` alone starts it)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# The parts, by module prefix (the longest prefix wins).
PARTS: dict[str, str] = {
    "bot.domain": "domain",
    "blocks": "builders",
    "storage": "storage",
    "bot": "application",  # services, outbox, jobs, roles, clock, config
    "bot.deps": "wiring",
    "bot.app": "wiring",
    "bot.server": "wiring",
    "bot.cli": "wiring",
    "bot.jobs": "wiring",  # the scheduler: registers jobs that call services
    "bot.api": "api",  # the intake API's HTTP routes (integrations, not Slack)
    "handlers": "listeners",
    "sandbox": "sandbox",
}

# Which parts each part may import (itself included). The one table of the layers.
ALLOWED: dict[str, frozenset[str]] = {
    "domain": frozenset({"domain"}),
    "builders": frozenset({"builders", "domain"}),
    "storage": frozenset({"storage", "domain"}),
    "application": frozenset({"application", "domain", "storage"}),
    # Listeners get `Deps` (bot/deps.py) and call services; never storage itself.
    "listeners": frozenset({"listeners", "builders", "domain", "application", "wiring"}),
    # Like listeners, for integrations: call use cases through `Deps`, never storage.
    "api": frozenset({"api", "domain", "application", "wiring"}),
    "wiring": frozenset(
        {"wiring", "application", "domain", "storage", "builders", "listeners", "sandbox", "api"}
    ),
    "sandbox": frozenset(
        {"sandbox", "wiring", "application", "domain", "storage", "builders", "listeners", "api"}
    ),
}

# Third-party packages a part must never load.
FORBIDDEN_PACKAGES: dict[str, frozenset[str]] = {
    "domain": frozenset({"slack_sdk", "slack_bolt", "sqlalchemy", "aiohttp", "jinja2", "yaml"}),
    "builders": frozenset({"sqlalchemy", "aiohttp", "slack_bolt", "yaml", "pydantic"}),
    "storage": frozenset({"slack_sdk", "slack_bolt", "aiohttp", "jinja2"}),
}

# Only `carequeue sandbox` starts the imitation, from inside the command's function.
SANDBOX_ENTRY = {"bot.cli"}


def part_of(module: str) -> str | None:
    matches = [p for p in PARTS if module == p or module.startswith(f"{p}.")]
    return PARTS[max(matches, key=len)] if matches else None


def product_modules() -> dict[str, Path]:
    found = {}
    for top in ("bot", "blocks", "storage", "handlers", "sandbox"):
        for path in (ROOT / top).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def imports_of(path: Path) -> set[str]:
    """Every module an import statement in the file names, at any depth."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_every_product_module_belongs_to_a_part() -> None:
    assert all(part_of(module) for module in product_modules())


def test_every_import_between_parts_is_allowed_by_the_table() -> None:
    broken = []
    for module, path in sorted(product_modules().items()):
        own = part_of(module)
        assert own is not None
        for name in sorted(imports_of(path)):
            other = part_of(name)
            if other is None or other in ALLOWED[own]:
                continue
            broken.append(f"{module} ({own}) imports {name} ({other})")
    assert broken == []


def test_only_the_sandbox_command_imports_the_slack_imitation() -> None:
    importers = {
        module
        for module, path in product_modules().items()
        if part_of(module) != "sandbox"
        and any(part_of(name) == "sandbox" for name in imports_of(path))
    }
    assert importers <= SANDBOX_ENTRY


def _loaded_by(modules: list[str]) -> set[str]:
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


@pytest.mark.parametrize("part", sorted(FORBIDDEN_PACKAGES))
def test_a_part_never_loads_the_packages_it_must_not(part: str) -> None:
    modules = sorted(m for m in product_modules() if part_of(m) == part)
    assert _loaded_by(modules) & FORBIDDEN_PACKAGES[part] == set()


def test_listeners_get_a_dependency_object_without_storage_or_the_outbox() -> None:
    import dataclasses

    from bot.deps import ListenerDeps

    names = {f.name for f in dataclasses.fields(ListenerDeps)}
    assert names.isdisjoint({"uow", "engine", "outbox", "client"})
    types = " ".join(str(f.type) for f in dataclasses.fields(ListenerDeps))
    assert "UnitOfWork" not in types and "Engine" not in types and "Outbox" not in types


def test_the_app_hands_listeners_the_dependency_object_without_storage() -> None:
    source = (ROOT / "bot" / "app.py").read_text(encoding="utf-8")
    assert 'context["deps"] = listeners' in source
    for path in (ROOT / "handlers").glob("*.py"):
        assert "deps: Deps" not in path.read_text(encoding="utf-8"), path.name
