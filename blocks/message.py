"""What a builder returns for a message: the notification text and the blocks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import Block


@dataclass(frozen=True)
class Message:
    """`text` is what lock screens show: it never carries patient data."""

    text: str
    blocks: list[Block] = field(default_factory=list)

    def to_payload(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": [block.to_dict() for block in self.blocks]}
