"""What staff say to patients: approved scripts per lane and language, as Jinja2 templates.

A script reaches exactly three facts: the patient's first name, the practice's name and the
practice's callback number (`practice.callback_number`, the number a voicemail gives).
`render_script` passes nothing else, and the environment is strict, so a template (shipped or
a practice's override) that asks for a date of birth, the patient's phone number, the summary
or the item fails loudly instead of saying it on a voicemail.

Lookup, first found wins, each path checked in the practice's folder before the packaged
one: `scripts/<lane>/<language>/<name>.j2`, `scripts/default/<language>/<name>.j2`, then the
same two in the practice's default language. Folder names are lowercase: `spanish`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from jinja2 import Environment, TemplateNotFound

from bot.domain.call_scripts import Script

SCRIPTS_FOLDER = "scripts"
DEFAULT_FOLDER = "default"
DEFAULT_LANGUAGE = "English"

_NOT_A_FOLDER_CHARACTER = re.compile(r"[^a-z0-9_-]+")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


@dataclass(frozen=True)
class ScriptText:
    """A rendered script and the language it is written in: the patient's, or the practice's
    default when nobody has written this script in the patient's language yet."""

    text: str
    language: str


def folder_name(name: str) -> str:
    """The folder for a lane key or a language: `Spanish` -> `spanish`,
    `Haitian Creole` -> `haitian_creole`. Nothing in it can climb out of `scripts/`."""
    slug = _NOT_A_FOLDER_CHARACTER.sub("_", name.strip().casefold()).strip("_")
    return slug or "_"


def script_paths(name: str, *, lane: str, language: str) -> list[str]:
    """Where script `name` for `lane` in `language` may be, most specific first."""
    script = Script(name)
    lang = folder_name(language)
    return [
        f"{SCRIPTS_FOLDER}/{folder_name(lane)}/{lang}/{script.value}.j2",
        f"{SCRIPTS_FOLDER}/{DEFAULT_FOLDER}/{lang}/{script.value}.j2",
    ]


def first_name_of(full_name: str) -> str:
    """The name a script greets the patient by: `Jane Q. Doe` -> `Jane`, `Doe, Jane` -> `Jane`."""
    if "," in full_name:
        _, _, full_name = full_name.partition(",")
    words = full_name.split()
    return words[0] if words else ""


def find_script(
    env: Environment,
    name: str,
    *,
    lane: str,
    language: str,
    first_name: str,
    practice_name: str,
    callback_number: str = "",
    default_language: str = DEFAULT_LANGUAGE,
) -> ScriptText:
    """Render script `name` (a `Script` value) for `lane`, in the patient's `language` when it
    exists there, else in `default_language`.

    The template sees `first_name`, `practice_name` and `callback_number` (the practice's,
    empty when the practice file gives none) and nothing else. The text is raw
    (show it as plain_text, or escape it for mrkdwn); paragraphs are kept, and each
    paragraph's whitespace is collapsed so templates can be laid out for reading.
    Raises TemplateNotFound when neither language has the script, UndefinedError when a
    template asks for any other variable.
    """
    for candidate in dict.fromkeys([language, default_language]):
        try:
            template = env.select_template(script_paths(name, lane=lane, language=candidate))
        except TemplateNotFound:
            continue
        text = template.render(
            first_name=first_name, practice_name=practice_name, callback_number=callback_number
        )
        paragraphs = (" ".join(p.split()) for p in _PARAGRAPH_BREAK.split(text))
        return ScriptText(text="\n\n".join(p for p in paragraphs if p), language=candidate)
    raise TemplateNotFound(f"{SCRIPTS_FOLDER}/*/{folder_name(default_language)}/{name}.j2")


def render_script(
    env: Environment,
    name: str,
    *,
    lane: str,
    language: str,
    first_name: str,
    practice_name: str,
    callback_number: str = "",
    default_language: str = DEFAULT_LANGUAGE,
) -> str:
    """The text of script `name` for `lane` in `language` (see `find_script`)."""
    return find_script(
        env,
        name,
        lane=lane,
        language=language,
        first_name=first_name,
        practice_name=practice_name,
        callback_number=callback_number,
        default_language=default_language,
    ).text
