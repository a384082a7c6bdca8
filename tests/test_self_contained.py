"""A clone runs and tests with nothing beside it: no code or test reads the folder next door."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Tooling and caches, not the project; .ci/ may describe the machine it runs on.
SKIPPED_DIRS = {".git", ".venv", ".ci", "test-artifacts", "__pycache__", ".ruff_cache"}
# The shared folder beside the checkout, and its data folder, by the names people write
# (split here so that `git grep` for them finds only real uses, never this list).
QUOTE, FOLDER = chr(34), "sha" + "red"
OUTSIDE = (".." + "/" + FOLDER, "conformance" + "-data", QUOTE + FOLDER + QUOTE)


def _project_files() -> list[Path]:
    return [
        path
        for path in ROOT.rglob("*")
        if path.is_file()
        and path != Path(__file__).resolve()
        and not SKIPPED_DIRS.intersection(path.relative_to(ROOT).parts)
        and not any(part.endswith(".egg-info") for part in path.parts)
        and path.suffix in {".py", ".toml", ".yml", ".yaml", ".ini", ".cfg", ".md", ".j2", ".js"}
    ]


def test_no_project_file_reaches_outside_the_repository() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}: {needle}"
        for path in _project_files()
        for needle in OUTSIDE
        if needle in path.read_text(encoding="utf-8", errors="replace")
    ]

    assert offenders == []


def test_the_search_covers_the_code_and_the_tests() -> None:
    found = {path.relative_to(ROOT).as_posix() for path in _project_files()}

    assert {"sandbox/stub/server.py", "tests/test_manifest.py", "README.md"} <= found
