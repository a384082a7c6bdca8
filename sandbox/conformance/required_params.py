"""Write the stub Web API's table of required parameters from Slack's full OpenAPI spec.

Run: ``python sandbox/conformance/required_params.py PATH/TO/slack_web_openapi_v2.json``
(writes ``web_api_required_params.json`` beside this script; ``--output`` to write elsewhere).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

TABLE = Path(__file__).with_name("web_api_required_params.json")


def required_params(spec: Mapping[str, Any]) -> dict[str, list[str]]:
    """Method name -> the parameters the spec marks required, sorted; ``token`` left out.

    Every method in the spec is kept, even with nothing required: the stub also uses the
    table to tell a known method from a typo. Descriptions, types and examples are dropped.
    """
    table: dict[str, list[str]] = {}
    for path, operations in sorted(spec.get("paths", {}).items()):
        names: set[str] = set()
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for param in operation.get("parameters", []):
                name = param.get("name")
                # The token travels in the Authorization header; the stub checks it apart.
                if param.get("required") and name and name != "token":
                    names.add(name)
        table[path.lstrip("/")] = sorted(names)
    return table


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("spec", type=Path, help="Slack's slack_web_openapi_v2.json")
    parser.add_argument("--output", type=Path, default=TABLE)
    args = parser.parse_args(argv)
    spec = json.loads(args.spec.read_text(encoding="utf-8"))
    table = required_params(spec)
    args.output.write_text(as_json(table), encoding="utf-8")


def as_json(table: Mapping[str, list[str]]) -> str:
    """One method a line, so a regenerated table diffs method by method."""
    lines = [f"  {json.dumps(method)}: {json.dumps(params)}" for method, params in table.items()]
    return "{\n" + ",\n".join(lines) + "\n}\n"


if __name__ == "__main__":
    main()
