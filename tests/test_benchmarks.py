"""The benchmarks still run: each at a tiny scale, its printed counts read back."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_bench(script: str, *args: str) -> dict[str, str]:
    """Run bench/`script` with `args`; its printed `label: value` lines, by label."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = (re.match(r"^([^:]+):\s+(.*)$", line) for line in done.stdout.splitlines())
    return {m.group(1).strip(): m.group(2).strip() for m in lines if m is not None}


def test_outbox_bench_posts_every_card_once_then_edits_each_claimed_card_once() -> None:
    printed = run_bench(
        "outbox_drain.py", "--cards", "12", "--claims", "6", "--staff", "2", "--interval", "0.05"
    )

    assert printed["cards lost"] == "0"
    assert printed["cards posted twice"] == "0"
    assert printed["clicks answered non-200"] == "0"
    assert printed["items claimed in the database"] == "6"
    assert printed["cards edited"] == "6"
    assert printed["cards showing their owner"] == "6 of 6"
    assert printed["most edits of one card"] == "1"
    assert int(printed["most chat.update in 60 s, workspace"].split()[0]) <= 6


def test_intake_api_bench_stores_every_request_it_sends() -> None:
    printed = run_bench("intake_api.py", "--requests", "40", "--concurrency", "5")

    assert printed["items in the database"] == "90 (warm-up 50 + 40)"
    assert printed["CareQueue"].startswith("40 requests in ")
    assert printed["CareQueue"].endswith("not 201: 0")
    assert printed["bare"].endswith("not 201: 0")
    assert "loop: uvloop.Loop" in printed["store"]
    assert float(printed["CareQueue / bare"]) > 0
