"""A clone runs and tests with nothing beside it: no code or test reads the folder next door."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Tooling and caches, not the project; .ci/ may describe the machine it runs on.
SKIPPED_DIRS = {".git", ".venv", ".ci", "test-artifacts", "__pycache__", ".ruff_cache"}
# The shared folder beside the checkout, and its data folder, by the names people write
# (split here so that `git grep` for them finds only real uses, never this list).
QUOTE, FOLDER = chr(34), "sha" + "red"
OUTSIDE = (".." + "/" + FOLDER, "conformance" + "-data", QUOTE + FOLDER + QUOTE)


def _project_files() -> list[Path]:
    found: list[Path] = []
    # Skipped folders are pruned, not walked and filtered: .venv alone holds thousands of
    # files, and a parallel worker's caches may change under a walk.
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS and not d.endswith(".egg-info")]
        found += [
            path
            for path in (Path(folder) / name for name in files)
            if path.is_file()
            and path != Path(__file__).resolve()
            and path.suffix
            in {".py", ".toml", ".yml", ".yaml", ".ini", ".cfg", ".md", ".j2", ".js"}
        ]
    return found


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
