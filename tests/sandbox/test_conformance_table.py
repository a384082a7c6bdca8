"""The stub's table of required Web API arguments is generated from Slack's spec and shipped."""

from __future__ import annotations

import fnmatch
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from sandbox.conformance.required_params import as_json
from sandbox.stub.conformance import WEB_API_REQUIRED_PARAMS

ROOT = Path(__file__).resolve().parents[2]
GENERATOR = ROOT / "sandbox" / "conformance" / "required_params.py"

# A two-method slice of Slack's OpenAPI 2.0 spec, in its shape.
SPEC = {
    "swagger": "2.0",
    "paths": {
        "/chat.postEphemeral": {
            "post": {
                "description": "Sends an ephemeral message to a user in a channel.",
                "parameters": [
                    {"in": "header", "name": "token", "required": True, "type": "string"},
                    {"in": "formData", "name": "user", "required": True, "type": "string"},
                    {"in": "formData", "name": "channel", "required": True, "type": "string"},
                    {"in": "formData", "name": "text", "type": "string"},
                ],
                "responses": {"200": {"examples": {"application/json": {"ok": True}}}},
            }
        },
        "/auth.test": {"get": {"parameters": [{"in": "header", "name": "token"}]}},
    },
}


def test_the_generator_keeps_every_method_and_only_the_names_it_requires(tmp_path: Path) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(SPEC))
    table = tmp_path / "table.json"

    subprocess.run([sys.executable, str(GENERATOR), str(spec), "--output", str(table)], check=True)

    assert json.loads(table.read_text()) == {
        "auth.test": [],
        "chat.postEphemeral": ["channel", "user"],
    }


def test_the_generator_needs_the_path_of_the_spec() -> None:
    answer = subprocess.run([sys.executable, str(GENERATOR)], capture_output=True, text=True)

    assert answer.returncode != 0
    assert "spec" in answer.stderr


def test_the_committed_table_is_the_generators_output_of_the_whole_spec() -> None:
    text = WEB_API_REQUIRED_PARAMS.read_text(encoding="utf-8")
    table = json.loads(text)

    assert as_json(table) == text
    assert len(table) == 174  # every method of the 2020-10 spec, see the README beside it
    assert table["chat.postMessage"] == ["channel"]
    assert table["views.open"] == ["trigger_id", "view"]


@pytest.mark.parametrize("shipped", ["web_api_required_params.json", "slack-api-specs.LICENSE"])
def test_the_table_and_its_licence_are_package_data(shipped: str) -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["sandbox"]

    assert (WEB_API_REQUIRED_PARAMS.parent / shipped).is_file()
    assert any(fnmatch.fnmatch(f"conformance/{shipped}", p) for p in patterns)
