"""The Language modal: the patient's preferred language, which follows them to every open item."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View as ModalView

from blocks.ids import Field, View
from blocks.modals.promise import input_state, submitted_values
from blocks.text import escape_within, truncate
from bot.domain.items import Item

TITLE_MAX = 24
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
OPTIONS_MAX = 100


def language_modal(item: Item, languages: Sequence[str], private_metadata: str) -> ModalView:
    """The form that sets the patient's language, from the practice's list (current one chosen).

    `private_metadata` is the caller's (the item key; never patient data).
    """
    options = [
        Option(text=truncate(language, OPTION_TEXT_MAX), value=language)
        for language in languages[:OPTIONS_MAX]
        if len(language) <= OPTION_VALUE_MAX
    ]
    initial = next((o for o in options if o.value == item.patient.language), None)
    return ModalView(
        type="modal",
        callback_id=View.LANGUAGE,
        title=truncate(f"Language: {item.key}", TITLE_MAX),
        submit="Set language",
        close="Cancel",
        private_metadata=private_metadata,
        blocks=[
            SectionBlock(
                text=MarkdownTextObject(
                    text=f"The language the patient of *{escape_within(item.key, 100)}* "
                    "wants to be called back in.",
                    verbatim=True,
                )
            ),
            InputBlock(
                block_id=Field.LANGUAGE_CHOICE,
                label="Preferred language",
                element=StaticSelectElement(
                    action_id=Field.LANGUAGE_CHOICE,
                    placeholder="Choose a language",
                    options=options,
                    initial_option=initial,
                ),
            ),
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text="It changes on this item and on the patient's other open items."
                    )
                ]
            ),
        ],
    )


def language_from_view(view: Mapping[str, Any]) -> str:
    """Read the submitted Language modal: the chosen language, unchecked ("" when none)."""
    option = input_state(submitted_values(view), Field.LANGUAGE_CHOICE).get("selected_option")
    value = option.get("value") if isinstance(option, Mapping) else None
    return value if isinstance(value, str) else ""


def language_errors(language: str, languages: Sequence[str]) -> dict[str, str]:
    """What is wrong with a Language submission; empty for a language the practice offers."""
    if not language:
        return {Field.LANGUAGE_CHOICE: "Choose the patient's language."}
    if language not in languages:
        return {Field.LANGUAGE_CHOICE: "Choose one of the languages the practice offers."}
    return {}
