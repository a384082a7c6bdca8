"""Wording of refusals, notifications and thread entries: Jinja2 templates a practice can override.

Templates are sandboxed and strict (a misspelt variable is an error, not an empty string).
Autoescape is off because Slack's escaping is not HTML's: templates apply the `slack`
filter to raw text, while builders pass ready-made Slack markup (mentions, `<!date^…>`)
as it is. Patient free text never goes through a template; builders show it as plain_text.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jinja2 import BaseLoader, ChoiceLoader, Environment, FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from blocks.text import escape

PACKAGED_TEMPLATES = Path(__file__).parent / "templates"


def build_environment(overrides_dir: Path | None) -> Environment:
    """A sandboxed, strict environment; templates in `overrides_dir` win over the packaged ones."""
    loaders: list[BaseLoader] = []
    if overrides_dir is not None:
        loaders.append(FileSystemLoader(overrides_dir))
    loaders.append(FileSystemLoader(PACKAGED_TEMPLATES))
    env = SandboxedEnvironment(
        loader=ChoiceLoader(loaders),
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["slack"] = escape
    return env


def render(env: Environment, name: str | Sequence[str], **context: Any) -> str:
    """Render template `name` (or the first of several names that exists) as one line.

    Every text rendered here is a single line (a notification, a thread entry, a refusal),
    so runs of whitespace, newlines included, become one space: templates can be laid
    out for reading.
    """
    template = env.get_template(name) if isinstance(name, str) else env.select_template(name)
    return " ".join(template.render(**context).split())
