"""What Slack sends to the app when people use it, with the payload shapes Slack really uses.

``SlackSide`` plays the Slack client and platform against a running app: a person types a
slash command, clicks a button on a message the app posted (read back from the
``SlackStub``), submits a modal, uses a shortcut. Each request is signed like Slack
(``wire``) and, for modals, the app's ``response_action`` is applied to the views the stub
holds.

With ``transport="socket"`` the same payloads travel as Socket Mode envelopes through the
stub to an app connected with an app-level token, and the ack comes back as the answer.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any, Self
from urllib.parse import urlencode

from sandbox.side.elements import find_element, state_values
from sandbox.side.payloads import VERIFICATION_TOKEN, Payloads
from sandbox.side.wire import TRANSPORTS, SlackResponse, Transport, Wire
from sandbox.stub.records import APP_ID, BOT_USER_ID, TEAM_DOMAIN, TEAM_ID
from sandbox.stub.server import SlackStub
from sandbox.stub.socket_mode import SOCKET_ACK_TIMEOUT_SECONDS

INTERACTIVE_KINDS = ("button", "static_select", "users_select", "overflow")
"""The element types a person can act on in a message, a modal or the App Home."""


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
        self._clock = clock
        self._event_serial = 0
        self._wire = Wire(
            app_url=app_url,
            signing_secret=signing_secret,
            stub=stub,
            transport=transport,
            ack_timeout=ack_timeout,
            clock=clock,
        )
        self._payloads = Payloads(
            stub, team_id=team_id, team_domain=team_domain, api_app_id=api_app_id, clock=clock
        )
        # How requests reach the app is the wire's; SlackSide offers it as its own API.
        self.close = self._wire.close
        self.sign = self._wire.sign
        self.post = self._wire.post
        self.post_payload = self._wire.post_payload
        self.send_envelope = self._wire.send_envelope

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

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
            container, block, element = self._payloads.find_in_message(
                channel, message_ts, action_id, block_id, value=value, kinds=("button",)
            )
        except (LookupError, ValueError):
            if not (as_last_seen and block_id and value is not None):
                raise
            container, _ = self._payloads.container(channel, message_ts)
            block = {"block_id": block_id}
            element = {"text": {"type": "plain_text", "text": action_id}, "value": value}
        action = self._payloads.button_action(action_id, block, element)
        return await self.post_payload(self._payloads.block_actions(user, container, action))

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
        container, block, element = self._payloads.find_in_message(
            channel, message_ts, action_id, block_id, kinds=("users_select",)
        )
        action = self._payloads.element_action(block, element, selected_user)
        return await self.post_payload(self._payloads.block_actions(user, container, action))

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
        container, block, element = self._payloads.find_in_message(
            channel, message_ts, action_id, block_id, kinds=("static_select", "overflow")
        )
        action = self._payloads.element_action(block, element, value)
        return await self.post_payload(self._payloads.block_actions(user, container, action))

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
        block, element = find_element(view["blocks"], action_id, block_id, search_value, (kind,))
        if view.get("type") == "modal":
            view = {**view, "state": {"values": state_values(view, dict(values or {}))}}
        payload = {
            **self._payloads.envelope("block_actions", user),
            "container": {"type": "view", "view_id": view_id},
            "trigger_id": self.stub.new_trigger_id(user),
            "view": view,
            "actions": [self._payloads.element_action(block, element, value)],
        }
        return await self.post_payload(payload)

    # ------------------------------------------------------------------ shortcuts

    async def global_shortcut(self, user: str, callback_id: str) -> SlackResponse:
        """``user`` runs a global shortcut (from the composer or search)."""
        payload = {
            **self._payloads.envelope("shortcut", user),
            "callback_id": callback_id,
            "trigger_id": self.stub.new_trigger_id(user),
            "action_ts": self._payloads.action_ts(),
        }
        return await self.post_payload(payload)

    async def message_shortcut(
        self, user: str, callback_id: str, channel: str, message_ts: str
    ) -> SlackResponse:
        """``user`` runs a message shortcut on a message the stub holds."""
        cid = self.stub.channel_id(channel)
        payload = {
            **self._payloads.envelope("message_action", user),
            "callback_id": callback_id,
            "trigger_id": self.stub.new_trigger_id(user),
            "action_ts": self._payloads.action_ts(),
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
        view = self._payloads.open_view_of(user, view_id)
        view["state"] = {"values": state_values(view, dict(values or {}))}
        payload = {
            **self._payloads.envelope("view_submission", user),
            "trigger_id": self.stub.new_trigger_id(user),
            "view": view,
            "response_urls": [],
        }
        response = await self.post_payload(payload)
        self._apply_submission_answer(user, view, response)
        return response

    async def close_view(self, user: str, view_id: str) -> SlackResponse | None:
        """``user`` closes a modal; the app hears of it only if it set notify_on_close."""
        view = self._payloads.open_view_of(user, view_id)
        cleared = bool(view.get("clear_on_close"))
        if cleared:
            self.stub.clear_views(user)
        else:
            self.stub.close_view(view_id)
        if not view.get("notify_on_close"):
            return None
        payload = {
            **self._payloads.envelope("view_closed", user),
            "view": view,
            "is_cleared": cleared,
        }
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
            "event_ts": self._payloads.action_ts(),
        }
        home = self.stub.home_view(user)
        if home is not None:
            event["view"] = home
        return await self.send_event(event)

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
