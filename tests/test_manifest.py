"""app-manifest.yml is a valid Slack manifest and declares exactly what the code registers."""

from __future__ import annotations

import json
import re
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


# The bot scopes each Web API method the product calls accepts (one is enough), from Slack's
# method pages; an empty set: no bot scope (apps.connections.open uses the app-level token).
SCOPES_OF_METHOD: dict[str, frozenset[str]] = {
    "apps.connections.open": frozenset(),
    "auth.test": frozenset(),
    "chat.getPermalink": frozenset(),
    "chat.postEphemeral": frozenset({"chat:write"}),
    "chat.postMessage": frozenset({"chat:write"}),
    "chat.update": frozenset({"chat:write"}),
    "conversations.history": frozenset({"channels:history", "groups:history"}),
    "conversations.join": frozenset({"channels:join"}),
    "conversations.list": frozenset({"channels:read", "groups:read"}),
    "conversations.open": frozenset({"im:write"}),
    "conversations.replies": frozenset({"channels:history", "groups:history"}),
    "usergroups.users.list": frozenset({"usergroups:read"}),
    "views.open": frozenset(),
    "views.publish": frozenset(),
    "views.update": frozenset(),
    "users.info": frozenset({"users:read"}),
    # files_upload_v2: files.getUploadURLExternal and files.completeUploadExternal
    "files.upload.v2": frozenset({"files:write"}),
}
# `client.chat_postMessage(`, `self._client.…(`, `delivery._client.…(`
CLIENT_CALL = re.compile(r"(?:\b|_)client\.([a-z]+(?:_[A-Za-z0-9]+)+)\(")


def web_api_methods_called() -> set[str]:
    """Every `client.method_name(` / `self._client.method_name(` in the product, as Slack
    spells the method (`chat.postMessage`)."""
    found: set[str] = set()
    for folder in ("bot", "handlers", "blocks", "storage"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8").replace("self._client.", "self.client.")
            found |= {name.replace("_", ".") for name in CLIENT_CALL.findall(text)}
    return found


def test_manifest_grants_a_scope_for_every_web_api_method_the_code_calls(manifest: dict) -> None:
    called = web_api_methods_called()
    granted = set(manifest["oauth_config"]["scopes"]["bot"])

    assert "usergroups.users.list" in called  # the scan sees the calls
    assert called <= SCOPES_OF_METHOD.keys(), "add the new method's scopes to SCOPES_OF_METHOD"
    missing = {m: sorted(s) for m, s in SCOPES_OF_METHOD.items() if s and not s & granted}
    assert missing == {}


def test_schema_check_catches_a_broken_manifest(manifest: dict) -> None:
    broken = json.loads(json.dumps(manifest))
    broken["features"]["shortcuts"][0]["name"] = "A name far longer than twenty-four characters"
    assert list(_validator().iter_errors(broken))
