"""The Language modal: the patient's preferred language, which follows them to every open item."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject, SectionBlock
from slack_sdk.models.views import View

from blocks.ids import FieldId, ViewId
from blocks.limits import (
    OPTION_VALUE_MAX,
    SELECT_OPTIONS_MAX,
)
from blocks.modals.form import (
    form_modal,
    option,
    select_input,
    selected_value,
    submitted_values,
)
from blocks.text import escape_within
from bot.domain.items import Item


def language_modal(item: Item, languages: Sequence[str], private_metadata: str) -> View:
    """The form that sets the patient's language, from the practice's list (current one chosen).

    `private_metadata` is the caller's (the item key; never patient data).
    """
    options = [
        option(language, language)
        for language in languages[:SELECT_OPTIONS_MAX]
        if len(language) <= OPTION_VALUE_MAX
    ]
    blocks: list[Block] = [
        SectionBlock(
            text=MarkdownTextObject(
                text=f"The language the patient of *{escape_within(item.key, 100)}* "
                "wants to be called back in.",
                verbatim=True,
            )
        ),
        select_input(
            FieldId.LANGUAGE_CHOICE,
            "Preferred language",
            "Choose a language",
            options,
            initial_value=item.patient.language,
        ),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text="It changes on this item and on the patient's other open items."
                )
            ]
        ),
    ]
    return form_modal(
        ViewId.LANGUAGE, f"Language: {item.key}", "Set language", blocks, private_metadata
    )


def language_from_view(view: Mapping[str, Any]) -> str:
    """Read the submitted Language modal: the chosen language, unchecked ("" when none)."""
    return selected_value(submitted_values(view), FieldId.LANGUAGE_CHOICE)


def language_errors(language: str, languages: Sequence[str]) -> dict[str, str]:
    """What is wrong with a Language submission; empty for a language the practice offers."""
    if not language:
        return {FieldId.LANGUAGE_CHOICE: "Choose the patient's language."}
    if language not in languages:
        return {FieldId.LANGUAGE_CHOICE: "Choose one of the languages the practice offers."}
    return {}
