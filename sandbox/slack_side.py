"""What Slack sends to the app: signed requests with the payload shapes Slack really uses.

``SlackSide`` plays the Slack client and platform against a running app: a person types a
slash command, clicks a button on a message the app posted (read back from the
``SlackStub``), submits a modal, uses a shortcut. It signs each request like Slack
(``v0:{timestamp}:{body}``, HMAC-SHA256) and, for modals, applies the app's
``response_action`` to the views the stub holds.

With ``transport="socket"`` the same payloads travel as Socket Mode envelopes through the
stub to an app connected with an app-level token, and the ack comes back as the answer.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from datetime import time as clock_time
from typing import Any, Literal, Self
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

from sandbox.stub.records import APP_ID, BOT_USER_ID, TEAM_DOMAIN, TEAM_ID, fill_block_ids
from sandbox.stub.server import SlackStub
from sandbox.stub.socket_mode import SOCKET_ACK_TIMEOUT_SECONDS

logger = logging.getLogger(__name__)

FORM = "application/x-www-form-urlencoded"
VERIFICATION_TOKEN = "sandbox-verification-token"
"""The deprecated verification token Slack still puts in payloads; apps must ignore it."""
INTERACTIVE_KINDS = ("button", "static_select", "users_select", "overflow")
"""The element types a person can act on in a message, a modal or the App Home."""

Transport = Literal["http", "socket"]
"""How SlackSide reaches the app: signed HTTP POSTs, or Socket Mode envelopes via the stub."""
TRANSPORTS: tuple[Transport, ...] = ("http", "socket")

# element type -> (key in view.state.values, value when the person left it empty)
_STATE_SHAPES: dict[str, tuple[str, Any]] = {
    "plain_text_input": ("value", None),
    "email_text_input": ("value", None),
    "url_text_input": ("value", None),
    "number_input": ("value", None),
    "static_select": ("selected_option", None),
    "external_select": ("selected_option", None),
    "radio_buttons": ("selected_option", None),
    "multi_static_select": ("selected_options", []),
    "multi_external_select": ("selected_options", []),
    "checkboxes": ("selected_options", []),
    "users_select": ("selected_user", None),
    "multi_users_select": ("selected_users", []),
    "conversations_select": ("selected_conversation", None),
    "multi_conversations_select": ("selected_conversations", []),
    "channels_select": ("selected_channel", None),
    "multi_channels_select": ("selected_channels", []),
    "datepicker": ("selected_date", None),
    "timepicker": ("selected_time", None),
    "datetimepicker": ("selected_date_time", None),
    "rich_text_input": ("rich_text_value", None),
}

# state key -> the element field that holds its initial value (sent if the person
# does not touch the input, as Slack does)
_INITIAL_FIELDS: dict[str, str] = {
    "value": "initial_value",
    "selected_option": "initial_option",
    "selected_options": "initial_options",
    "selected_user": "initial_user",
    "selected_users": "initial_users",
    "selected_conversation": "initial_conversation",
    "selected_conversations": "initial_conversations",
    "selected_channel": "initial_channel",
    "selected_channels": "initial_channels",
    "selected_date": "initial_date",
    "selected_time": "initial_time",
    "selected_date_time": "initial_date_time",
    "rich_text_value": "initial_value",
}


@dataclass(frozen=True)
class SlackResponse:
    """The app's answer to one request from Slack.

    Over Socket Mode it is the ack: status 200, ``json`` the ack's payload (None without
    one) and ``body`` that payload as JSON, or empty, as Bolt answers a bare ``ack()``.
    """

    status: int
    body: str
    json: dict[str, Any] | None


class SlackSide:
    """Sends the app what Slack would send when people use it.

    ``app_url`` is the app's request URL (``http://127.0.0.1:PORT/slack/events``). Users
    are Slack user ids; channels may be ids or ``#names`` (resolved by the stub).
    Signatures use the real clock by default, since Bolt checks them against it.

    ``transport="socket"`` delivers every payload as a Socket Mode envelope through
    ``stub`` instead (``app_url`` and ``signing_secret`` are then unused): slash commands as
    ``slash_commands``, interactivity as ``interactive``, events as ``events_api``. An
    envelope the app does not ack within ``ack_timeout`` seconds raises TimeoutError.
    """

    def __init__(
        self,
        app_url: str = "",
        signing_secret: str = "",
        stub: SlackStub | None = None,
        team_id: str = TEAM_ID,
        *,
        team_domain: str = TEAM_DOMAIN,
        api_app_id: str = APP_ID,
        clock: Callable[[], float] = time.time,
        transport: Transport = "http",
        ack_timeout: float = SOCKET_ACK_TIMEOUT_SECONDS,
    ) -> None:
        if stub is None:
            raise TypeError("SlackSide needs the SlackStub the app calls (stub=...)")
        if transport not in TRANSPORTS:
            raise ValueError(f"transport must be one of {TRANSPORTS}, not {transport!r}")
        if transport == "http" and not (app_url and signing_secret):
            raise ValueError("the http transport needs app_url and signing_secret")
        self.app_url = app_url
        self.stub: SlackStub = stub
        self.transport: Transport = transport
        self.ack_timeout = ack_timeout
        self.team_id = team_id
        self.team_domain = team_domain
        self.api_app_id = api_app_id
        self._verifier = SignatureVerifier(signing_secret) if signing_secret else None
        self._clock = clock
        self._session: aiohttp.ClientSession | None = None
        self._event_serial = 0

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    # ------------------------------------------------------------------ transport

    def sign(self, body: str, timestamp: int | None = None) -> dict[str, str]:
        """Headers Slack signs a request with (``timestamp`` defaults to now)."""
        if self._verifier is None:
            raise ValueError("no signing_secret was given, so there is nothing to sign with")
        ts = str(int(self._clock()) if timestamp is None else timestamp)
        signature = self._verifier.generate_signature(timestamp=ts, body=body)
        if signature is None:  # only when the body is None
            raise ValueError("cannot sign an empty request")
        return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}

    async def post(
        self,
        body: str,
        *,
        content_type: str = FORM,
        headers: Mapping[str, str] | None = None,
        sign: bool = True,
    ) -> SlackResponse:
        """POST a raw body to the app, signed unless ``sign`` is False or headers say so.

        HTTP only: over Socket Mode there is no request to forge; RuntimeError then.
        """
        if self.transport != "http":
            raise RuntimeError("post() sends raw HTTP; this SlackSide uses Socket Mode")
        sent = {
            "Content-Type": content_type,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        }
        if sign:
            sent.update(self.sign(body))
        sent.update(headers or {})
        if self._session is None:
            self._session = aiohttp.ClientSession()
        async with self._session.post(self.app_url, data=body.encode(), headers=sent) as resp:
            text = await resp.text()
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = None
        logger.debug("app answered %s (%d bytes)", resp.status, len(text))
        return SlackResponse(resp.status, text, parsed if isinstance(parsed, dict) else None)

    async def post_payload(self, payload: Mapping[str, Any]) -> SlackResponse:
        """Deliver an interactivity payload as Slack does.

        Over HTTP: form field ``payload`` holding JSON. Over Socket Mode: an
        ``interactive`` envelope carrying the payload object.
        """
        if self.transport == "socket":
            return await self.send_envelope("interactive", payload)
        return await self.post(urlencode({"payload": json.dumps(payload)}))

    async def send_envelope(
        self,
        type: str,
        payload: Mapping[str, Any],
        *,
        accepts_response_payload: bool = True,
        retry_attempt: int | None = None,
        retry_reason: str | None = None,
    ) -> SlackResponse:
        """Send a Socket Mode envelope through the stub; the app's ack is the answer."""
        ack = await self.stub.send_envelope(
            type,
            payload,
            accepts_response_payload,
            retry_attempt=retry_attempt,
            retry_reason=retry_reason,
            timeout=self.ack_timeout,
        )
        answer = ack.get("payload")
        parsed = answer if isinstance(answer, dict) else None
        logger.debug("app acked %s envelope (%s)", type, "payload" if parsed else "empty")
        return SlackResponse(200, json.dumps(answer) if answer else "", parsed)

    # ------------------------------------------------------------------ slash commands

    async def slash_command(
        self, user: str, command: str, text: str = "", channel: str = "#general"
    ) -> SlackResponse:
        """``user`` types ``command text`` in ``channel``."""
        cid = self.stub.channel_id(channel)
        person = self.stub.ensure_user(user)
        form = {
            "token": VERIFICATION_TOKEN,
            "team_id": self.team_id,
            "team_domain": self.team_domain,
            "channel_id": cid,
            "channel_name": self.stub.channel_name(cid),
            "user_id": user,
            "user_name": person["name"],
            "command": command,
            "text": text,
            "api_app_id": self.api_app_id,
            "is_enterprise_install": "false",
            "response_url": self.stub.new_response_url(channel=cid, user=user),
            "trigger_id": self.stub.new_trigger_id(user),
        }
        if self.transport == "socket":
            return await self.send_envelope("slash_commands", form)
        return await self.post(urlencode(form))

    # ------------------------------------------------------------------ block actions

    async def click_button(
        self,
        user: str,
        channel: str,
        message_ts: str,
        action_id: str,
        value: str | None = None,
        block_id: str | None = None,
        *,
        as_last_seen: bool = False,
    ) -> SlackResponse:
        """``user`` clicks a button on a message (or ephemeral) the stub holds.

        The button must be there: ``value`` and ``block_id`` narrow the search when a
        message repeats an action_id; ValueError if no such button exists. With
        ``as_last_seen`` (a person whose screen has not refreshed yet, as Slack allows), a
        button no longer on the message is clicked as the person last saw it, from
        ``action_id``, ``block_id`` and ``value``.
        """
        try:
            container, block, element = self._find_in_message(
                channel, message_ts, action_id, block_id, value=value, kinds=("button",)
            )
        except (LookupError, ValueError):
            if not (as_last_seen and block_id and value is not None):
                raise
            container, _ = self._container(channel, message_ts)
            block = {"block_id": block_id}
            element = {"text": {"type": "plain_text", "text": action_id}, "value": value}
        action = self._button_action(action_id, block, element)
        return await self.post_payload(self._block_actions(user, container, action))

    async def select_user(
        self,
        user: str,
        channel: str,
        message_ts: str,
        action_id: str,
        selected_user: str,
        block_id: str | None = None,
    ) -> SlackResponse:
        """``user`` picks ``selected_user`` in a users_select on a message."""
        container, block, element = self._find_in_message(
            channel, message_ts, action_id, block_id, kinds=("users_select",)
        )
        action = self._element_action(block, element, selected_user)
        return await self.post_payload(self._block_actions(user, container, action))

    async def select_option(
        self,
        user: str,
        channel: str,
        message_ts: str,
        action_id: str,
        value: str,
        block_id: str | None = None,
    ) -> SlackResponse:
        """``user`` picks the option with ``value`` in a static_select or overflow menu."""
        container, block, element = self._find_in_message(
            channel, message_ts, action_id, block_id, kinds=("static_select", "overflow")
        )
        action = self._element_action(block, element, value)
        return await self.post_payload(self._block_actions(user, container, action))

    async def click_view_button(
        self,
        user: str,
        view_id: str,
        action_id: str,
        value: str | None = None,
        block_id: str | None = None,
    ) -> SlackResponse:
        """``user`` clicks a button in a modal or on their App Home."""
        return await self.act_in_view(user, view_id, action_id, value, block_id=block_id)

    async def act_in_view(
        self,
        user: str,
        view_id: str,
        action_id: str,
        value: str | None = None,
        *,
        kind: str = "button",
        block_id: str | None = None,
        values: Mapping[str, Any] | None = None,
    ) -> SlackResponse:
        """``user`` uses an interactive element in a modal or on their App Home.

        ``kind`` is the element's type: a button (``value`` narrows the search when a view
        repeats an action_id), or a static_select, users_select or overflow, where
        ``value`` is what the person picked. In a modal, ``values`` are what the person has
        entered so far (block_id -> value, as for submit_view): Slack sends them along as
        ``view.state.values``.
        """
        if kind not in INTERACTIVE_KINDS:
            raise ValueError(f"the sandbox cannot act on a {kind!r}; it knows {INTERACTIVE_KINDS}")
        view = self.stub.view(view_id)
        search_value = value if kind == "button" else None
        block, element = _find_element(view["blocks"], action_id, block_id, search_value, (kind,))
        if view.get("type") == "modal":
            view = {**view, "state": {"values": _state_values(view, dict(values or {}))}}
        payload = {
            **self._envelope("block_actions", user),
            "container": {"type": "view", "view_id": view_id},
            "trigger_id": self.stub.new_trigger_id(user),
            "view": view,
            "actions": [self._element_action(block, element, value)],
        }
        return await self.post_payload(payload)

    # ------------------------------------------------------------------ shortcuts

    async def global_shortcut(self, user: str, callback_id: str) -> SlackResponse:
        """``user`` runs a global shortcut (from the composer or search)."""
        payload = {
            **self._envelope("shortcut", user),
            "callback_id": callback_id,
            "trigger_id": self.stub.new_trigger_id(user),
            "action_ts": self._action_ts(),
        }
        return await self.post_payload(payload)

    async def message_shortcut(
        self, user: str, callback_id: str, channel: str, message_ts: str
    ) -> SlackResponse:
        """``user`` runs a message shortcut on a message the stub holds."""
        cid = self.stub.channel_id(channel)
        payload = {
            **self._envelope("message_action", user),
            "callback_id": callback_id,
            "trigger_id": self.stub.new_trigger_id(user),
            "action_ts": self._action_ts(),
            "message_ts": message_ts,
            "message": self.stub.message_payload(cid, message_ts),
            "channel": {"id": cid, "name": self.stub.channel_name(cid)},
            "response_url": self.stub.new_response_url(channel=cid, user=user),
        }
        return await self.post_payload(payload)

    # ------------------------------------------------------------------ modals

    async def submit_view(
        self, user: str, view_id: str, values: Mapping[str, Any] | None = None
    ) -> SlackResponse:
        """``user`` fills in the modal's inputs (block_id -> value) and presses submit.

        Inputs not named keep their initial value or stay empty. After the app answers,
        the stub's views change as Slack's would: ``errors`` keeps the modal open,
        ``update``/``push``/``clear`` apply, an empty 200 closes this view.
        """
        view = self._open_view_of(user, view_id)
        view["state"] = {"values": _state_values(view, dict(values or {}))}
        payload = {
            **self._envelope("view_submission", user),
            "trigger_id": self.stub.new_trigger_id(user),
            "view": view,
            "response_urls": [],
        }
        response = await self.post_payload(payload)
        self._apply_submission_answer(user, view, response)
        return response

    async def close_view(self, user: str, view_id: str) -> SlackResponse | None:
        """``user`` closes a modal; the app hears of it only if it set notify_on_close."""
        view = self._open_view_of(user, view_id)
        cleared = bool(view.get("clear_on_close"))
        if cleared:
            self.stub.clear_views(user)
        else:
            self.stub.close_view(view_id)
        if not view.get("notify_on_close"):
            return None
        payload = {**self._envelope("view_closed", user), "view": view, "is_cleared": cleared}
        return await self.post_payload(payload)

    # ------------------------------------------------------------------ Events API

    async def send_event(
        self,
        event: Mapping[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
    ) -> SlackResponse:
        """Deliver an Events API ``event_callback``; ``retry_num`` marks a redelivery.

        Over Socket Mode it is an ``events_api`` envelope (which accepts no response
        payload) with ``retry_attempt``/``retry_reason`` as Slack sets them.
        """
        self._event_serial += 1
        now = int(self._clock())
        envelope = {
            "token": VERIFICATION_TOKEN,
            "team_id": self.team_id,
            "api_app_id": self.api_app_id,
            "event": dict(event),
            "type": "event_callback",
            "event_id": event_id or f"Ev{now}{self._event_serial:04d}",
            "event_time": now,
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.team_id,
                    "user_id": BOT_USER_ID,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-{self._event_serial:08d}",
        }
        if self.transport == "socket":
            return await self.send_envelope(
                "events_api",
                envelope,
                accepts_response_payload=False,
                retry_attempt=retry_num or 0,
                retry_reason=retry_reason if retry_num else "",
            )
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        return await self.post(
            json.dumps(envelope), content_type="application/json", headers=headers
        )

    async def app_home_opened(self, user: str) -> SlackResponse:
        """``user`` opens the app's Home tab."""
        self.stub.ensure_user(user)
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": user,
            "channel": self.stub.channel_id(user),
            "tab": "home",
            "event_ts": self._action_ts(),
        }
        home = self.stub.home_view(user)
        if home is not None:
            event["view"] = home
        return await self.send_event(event)

    # ------------------------------------------------------------------ payload pieces

    def _envelope(self, kind: str, user: str) -> dict[str, Any]:
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

    def _open_view_of(self, user: str, view_id: str) -> dict[str, Any]:
        """The modal, which must be open for ``user`` (nobody can submit a closed one)."""
        for view in self.stub.open_views(user):
            if view["id"] == view_id:
                return view
        raise ValueError(f"view {view_id} is not open for {user}")

    def _action_ts(self) -> str:
        return f"{self._clock():.6f}"

    def _block_actions(
        self, user: str, container: dict[str, Any], action: dict[str, Any]
    ) -> dict[str, Any]:
        cid = container["channel_id"]
        ts = container["message_ts"]
        payload: dict[str, Any] = {
            **self._envelope("block_actions", user),
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

    def _find_in_message(
        self,
        channel: str,
        message_ts: str,
        action_id: str,
        block_id: str | None,
        *,
        kinds: tuple[str, ...],
        value: str | None = None,
    ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        container, blocks = self._container(channel, message_ts)
        block, element = _find_element(blocks, action_id, block_id, value, kinds)
        return container, block, element

    def _button_action(
        self, action_id: str, block: dict[str, Any], element: dict[str, Any]
    ) -> dict[str, Any]:
        """The `actions[0]` of a button click, as Slack sends it."""
        action = {
            "type": "button",
            "action_id": action_id,
            "block_id": block["block_id"],
            "text": element.get("text"),
            "action_ts": self._action_ts(),
        }
        for optional in ("value", "style"):
            if optional in element:
                action[optional] = element[optional]
        return action

    def _element_action(
        self, block: dict[str, Any], element: dict[str, Any], value: str | None
    ) -> dict[str, Any]:
        """The `actions[0]` Slack sends when a person uses ``element``: a button click, or
        the option (or user) ``value`` picked in a select or overflow menu."""
        kind = element["type"]
        if kind == "button":
            return self._button_action(element["action_id"], block, element)
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
            action["selected_option"] = _find_option(element, value)
        if "placeholder" in element:
            action["placeholder"] = element["placeholder"]
        action["action_ts"] = self._action_ts()
        return action

    def _container(
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

    def _apply_submission_answer(
        self, user: str, view: dict[str, Any], response: SlackResponse
    ) -> None:
        if response.status != 200:
            return  # Slack shows the person an error and keeps the modal open
        if not response.body.strip():
            self.stub.close_view(view["id"])
            return
        answer = response.json or {}
        action = answer.get("response_action")
        if action == "errors":
            inputs = {b.get("block_id") for b in view["blocks"] if b.get("type") == "input"}
            for block_id in answer.get("errors") or {}:
                if block_id not in inputs:
                    self.stub.add_problem(
                        f"view_submission errors name {block_id!r}, not an input block_id "
                        f"of view {view['callback_id']!r}"
                    )
        elif action == "update":
            self.stub.replace_view(view["id"], answer.get("view") or {})
        elif action == "push":
            self.stub.push_view(user, answer.get("view") or {})
        elif action == "clear":
            self.stub.clear_views(user)
        else:
            self.stub.add_problem(
                f"view_submission answered with unknown body keys {sorted(answer)}"
            )


# --------------------------------------------------------------------------- pure helpers


def _elements_of(block: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for key in ("elements", "accessory", "element"):
        value = block.get(key)
        if isinstance(value, dict):
            found.append(value)
        elif isinstance(value, list):
            found.extend(v for v in value if isinstance(v, dict))
    return found


def _find_element(
    blocks: list[dict[str, Any]],
    action_id: str,
    block_id: str | None,
    value: str | None,
    kinds: tuple[str, ...],
) -> tuple[dict[str, Any], dict[str, Any]]:
    available = []
    for block in blocks:
        for element in _elements_of(block):
            if element.get("type") not in kinds:
                continue
            available.append(f"{block.get('block_id')}/{element.get('action_id')}")
            if element.get("action_id") != action_id:
                continue
            if block_id is not None and block.get("block_id") != block_id:
                continue
            if value is not None and element.get("value") != value:
                continue
            return block, element
    raise ValueError(
        f"no {'/'.join(kinds)} with action_id={action_id!r}"
        f"{f' block_id={block_id!r}' if block_id else ''}"
        f"{f' value={value!r}' if value is not None else ''}; there are: {available or 'none'}"
    )


def _find_option(element: dict[str, Any], value: str) -> dict[str, Any]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    for option in options:
        if option.get("value") == value:
            return option
    offered = [o.get("value") for o in options]
    raise ValueError(f"no option with value {value!r} in {element.get('action_id')!r}: {offered}")


def _state_values(view: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """Build ``view.state.values`` as Slack does, from what the person entered."""
    inputs = {
        b["block_id"]: b
        for b in view.get("blocks", [])
        if b.get("type") == "input" and "element" in b
    }
    unknown = set(values) - set(inputs)
    if unknown:
        raise ValueError(f"no input blocks {sorted(unknown)} in the view; it has {sorted(inputs)}")
    state: dict[str, Any] = {}
    for block_id, block in inputs.items():
        element = block["element"]
        kind = element.get("type")
        if kind not in _STATE_SHAPES:
            raise ValueError(f"input {block_id!r} has an element type the sandbox lacks: {kind}")
        key, empty = _STATE_SHAPES[kind]
        if block_id in values:
            entered = _shape_value(element, key, values[block_id])
        else:
            entered = element.get(_INITIAL_FIELDS[key], empty)
        state[block_id] = {element["action_id"]: {"type": kind, key: entered}}
    return state


def _shape_value(element: dict[str, Any], key: str, value: Any) -> Any:
    if value is None:
        return _STATE_SHAPES[element["type"]][1]
    if key == "selected_option":
        return value if isinstance(value, dict) else _find_option(element, str(value))
    if key == "selected_options":
        return [v if isinstance(v, dict) else _find_option(element, str(v)) for v in value]
    if key in ("selected_users", "selected_conversations", "selected_channels"):
        return [str(v) for v in value]
    if key == "selected_date" and isinstance(value, date):
        return value.isoformat()
    if key == "selected_time" and isinstance(value, clock_time):
        return value.strftime("%H:%M")
    if key == "selected_date_time":
        return int(value)
    if key == "rich_text_value":
        return value
    return str(value)
