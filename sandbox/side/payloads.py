"""The pieces of what Slack sends: the payload envelope with the person and the team, the
``container`` and ``actions`` of a block action, read from what the stub holds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sandbox.side.elements import find_element, find_option
from sandbox.stub.records import fill_block_ids
from sandbox.stub.server import SlackStub

VERIFICATION_TOKEN = "sandbox-verification-token"
"""The deprecated verification token Slack still puts in payloads; apps must ignore it."""


class Payloads:
    """Builds payload pieces for one team and app, dated by ``clock``."""

    def __init__(
        self,
        stub: SlackStub,
        *,
        team_id: str,
        team_domain: str,
        api_app_id: str,
        clock: Callable[[], float],
    ) -> None:
        self.stub = stub
        self.team_id = team_id
        self.team_domain = team_domain
        self.api_app_id = api_app_id
        self._clock = clock

    def envelope(self, kind: str, user: str) -> dict[str, Any]:
        """The fields every interactivity payload of ``kind`` starts with, for ``user``."""
        person = self.stub.ensure_user(user)
        return {
            "type": kind,
            "user": {
                "id": user,
                "username": person["name"],
                "name": person["name"],
                "team_id": self.team_id,
            },
            "api_app_id": self.api_app_id,
            "token": VERIFICATION_TOKEN,
            "team": {"id": self.team_id, "domain": self.team_domain},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    def open_view_of(self, user: str, view_id: str) -> dict[str, Any]:
        """The modal, which must be open for ``user`` (nobody can submit a closed one)."""
        for view in self.stub.open_views(user):
            if view["id"] == view_id:
                return view
        raise ValueError(f"view {view_id} is not open for {user}")

    def action_ts(self) -> str:
        """Now, as Slack writes an ``action_ts``."""
        return f"{self._clock():.6f}"

    def block_actions(
        self, user: str, container: dict[str, Any], action: dict[str, Any]
    ) -> dict[str, Any]:
        """The ``block_actions`` payload of ``user`` taking ``action`` on a message."""
        cid = container["channel_id"]
        ts = container["message_ts"]
        payload: dict[str, Any] = {
            **self.envelope("block_actions", user),
            "container": container,
            "trigger_id": self.stub.new_trigger_id(user),
            "channel": {"id": cid, "name": self.stub.channel_name(cid)},
        }
        if not container["is_ephemeral"]:
            payload["message"] = self.stub.message_payload(cid, ts)
        payload["state"] = {"values": {}}
        payload["response_url"] = self.stub.new_response_url(channel=cid, user=user, message_ts=ts)
        payload["actions"] = [action]
        return payload

    def find_in_message(
        self,
        channel: str,
        message_ts: str,
        action_id: str,
        block_id: str | None,
        *,
        kinds: tuple[str, ...],
        value: str | None = None,
    ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        """The container of a message, and its block and element a person acts on."""
        container, blocks = self.container(channel, message_ts)
        block, element = find_element(blocks, action_id, block_id, value, kinds)
        return container, block, element

    def button_action(
        self, action_id: str, block: dict[str, Any], element: dict[str, Any]
    ) -> dict[str, Any]:
        """The `actions[0]` of a button click, as Slack sends it."""
        action = {
            "type": "button",
            "action_id": action_id,
            "block_id": block["block_id"],
            "text": element.get("text"),
            "action_ts": self.action_ts(),
        }
        for optional in ("value", "style"):
            if optional in element:
                action[optional] = element[optional]
        return action

    def element_action(
        self, block: dict[str, Any], element: dict[str, Any], value: str | None
    ) -> dict[str, Any]:
        """The `actions[0]` Slack sends when a person uses ``element``: a button click, or
        the option (or user) ``value`` picked in a select or overflow menu."""
        kind = element["type"]
        if kind == "button":
            return self.button_action(element["action_id"], block, element)
        if value is None:
            raise ValueError(f"a {kind} needs the value picked")
        action: dict[str, Any] = {
            "type": kind,
            "action_id": element["action_id"],
            "block_id": block["block_id"],
        }
        if kind == "users_select":
            action["selected_user"] = value
        else:
            action["selected_option"] = find_option(element, value)
        if "placeholder" in element:
            action["placeholder"] = element["placeholder"]
        action["action_ts"] = self.action_ts()
        return action

    def container(
        self, channel: str, message_ts: str
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The `container` of a click on this message (or ephemeral), and its blocks."""
        cid = self.stub.channel_id(channel)
        container: dict[str, Any] = {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": cid,
            "is_ephemeral": False,
        }
        message = self.stub.message(cid, message_ts)
        if message is not None:
            blocks = self.stub.message_payload(cid, message_ts).get("blocks", [])
            if message.is_reply:
                container["thread_ts"] = message.thread_ts
            return container, blocks
        ephemeral = self.stub.ephemeral(cid, message_ts)
        if ephemeral is None:
            raise LookupError(f"no message {message_ts} in {channel}")
        container["is_ephemeral"] = True
        return container, fill_block_ids(ephemeral.blocks, f"{cid}:{message_ts}")
