"""Slack's Block Kit limits, written once: every builder, the validator and the stub use these.

Figures as Slack documents them (docs.slack.dev/reference/block-kit/...), in characters
unless a name says items; where slack_sdk.models checks the same limit it uses the same figure
(tests/blocks/test_limits.py proves it).
"""

from __future__ import annotations

# Surfaces: https://docs.slack.dev/reference/block-kit/blocks
MESSAGE_BLOCKS_MAX = 50
VIEW_BLOCKS_MAX = 100  # a modal or the App Home tab
# Undocumented: Slack answers `msg_blocks_too_long` at about 13,000 characters of blocks JSON.
MESSAGE_BLOCKS_JSON_MAX = 12_000
# chat.postMessage `text`: https://docs.slack.dev/reference/methods/chat.postMessage
MESSAGE_TEXT_MAX = 40_000
# Slack truncates longer messages; the notification text is kept well under it.
NOTIFICATION_TEXT_MAX = 4_000

# Text object: https://docs.slack.dev/reference/block-kit/composition-objects/text-object
TEXT_OBJECT_MAX = 3_000
# Section block: https://docs.slack.dev/reference/block-kit/blocks/section-block
SECTION_TEXT_MAX = 3_000
SECTION_FIELDS_MAX = 10
SECTION_FIELD_TEXT_MAX = 2_000
# Header block: https://docs.slack.dev/reference/block-kit/blocks/header-block
HEADER_TEXT_MAX = 150
# Context block: https://docs.slack.dev/reference/block-kit/blocks/context-block (its text
# elements are text objects, so each holds what a text object holds)
CONTEXT_ELEMENTS_MAX = 10
CONTEXT_TEXT_MAX = TEXT_OBJECT_MAX
# Actions block: https://docs.slack.dev/reference/block-kit/blocks/actions-block
ACTIONS_ELEMENTS_MAX = 25
# Input block: https://docs.slack.dev/reference/block-kit/blocks/input-block
INPUT_LABEL_MAX = 2_000
INPUT_HINT_MAX = 2_000
# Any block's block_id: https://docs.slack.dev/reference/block-kit/blocks
BLOCK_ID_MAX = 255

# Button: https://docs.slack.dev/reference/block-kit/block-elements/button-element
BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2_000
# Any interactive element's action_id: https://docs.slack.dev/reference/block-kit/block-elements
ACTION_ID_MAX = 255
PLACEHOLDER_MAX = 150
# Plain-text input: https://docs.slack.dev/reference/block-kit/block-elements/plain-text-input-element
PLAIN_TEXT_INPUT_MAX_LENGTH = 3_000
# Static select: https://docs.slack.dev/reference/block-kit/block-elements/select-menu-element
SELECT_OPTIONS_MAX = 100
SELECT_OPTION_GROUPS_MAX = 100
# Overflow menu: https://docs.slack.dev/reference/block-kit/block-elements/overflow-menu-element
OVERFLOW_OPTIONS_MIN = 2
OVERFLOW_OPTIONS_MAX = 5
# Option and option group: https://docs.slack.dev/reference/block-kit/composition-objects/option-object
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
OPTION_GROUP_LABEL_MAX = 75

# Modal view: https://docs.slack.dev/reference/views
MODAL_TITLE_MAX = 24
MODAL_BUTTON_TEXT_MAX = 24  # submit and close
PRIVATE_METADATA_MAX = 3_000
CALLBACK_ID_MAX = 255
