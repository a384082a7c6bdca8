"""app-manifest.yml is a valid Slack manifest and declares exactly what the code registers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft7Validator
from referencing import Registry, Resource

from blocks.ids import Command, Shortcut

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "tests" / "data" / "slack-manifest-schema"
SCHEMA_BASE = "https://raw.githubusercontent.com/slackapi/manifest-schema/v0.5.0/schemas/"


@pytest.fixture(scope="module")
def manifest() -> dict:
    return yaml.safe_load((ROOT / "app-manifest.yml").read_text())


def _validator() -> Draft7Validator:
    """Slack's top-level schema, with the versioned schemas it references served locally."""
    top = json.loads((SCHEMAS / "manifest.schema.json").read_text())
    resources = [
        (SCHEMA_BASE + path.name, Resource.from_contents(json.loads(path.read_text())))
        for path in (SCHEMAS / "schemas").glob("manifest.schema.*.json")
    ]
    return Draft7Validator(top, registry=Registry().with_resources(resources))


def test_manifest_passes_slacks_json_schema(manifest: dict) -> None:
    errors = sorted(_validator().iter_errors(manifest), key=lambda e: list(e.path))
    assert [f"{list(e.path)}: {e.message}" for e in errors] == []


def test_manifest_declares_every_registered_command_and_shortcut(manifest: dict) -> None:
    declared_commands = {c["command"] for c in manifest["features"]["slash_commands"]}
    declared_shortcuts = {s["callback_id"] for s in manifest["features"]["shortcuts"]}
    assert declared_commands == {c.value for c in Command}
    assert declared_shortcuts == {s.value for s in Shortcut}


def test_schema_check_catches_a_broken_manifest(manifest: dict) -> None:
    broken = json.loads(json.dumps(manifest))
    broken["features"]["shortcuts"][0]["name"] = "A name far longer than twenty-four characters"
    assert list(_validator().iter_errors(broken))
