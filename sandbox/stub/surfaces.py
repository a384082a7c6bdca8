"""Modals and App Home as the stub holds them: views, each user's modal stack, the Home
view per user, and the trigger_ids that let an app open a modal (once, within 3 s)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from blocks.validate import view_problems
from sandbox.stub.records import (
    APP_ID,
    BOT_ID,
    TEAM_ID,
    SlackError,
    fill_block_ids,
    json_copy,
    short_hash,
)
from sandbox.stub.state import Workspace

TRIGGER_TTL_SECONDS = 3.0
MAX_MODAL_STACK = 3


class Surfaces:
    """Views by id, who each belongs to, and which are open now."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.views: dict[str, dict[str, Any]] = {}
        self.view_user: dict[str, str] = {}
        self.modal_stacks: dict[str, list[str]] = {}
        """Each user's open modals, root first."""
        self.home: dict[str, str] = {}
        """Each user's App Home view id."""
        self.external_ids: dict[str, str] = {}
        self._triggers: dict[str, tuple[float, str | None]] = {}
        self._used_triggers: set[str] = set()

    # ------------------------------------------------------------------ reading, for tests

    def open_views(self, user: str | None = None) -> list[dict[str, Any]]:
        """Modals currently open (root first), for one user or everyone."""
        users = [user] if user is not None else list(self.modal_stacks)
        return [json_copy(self.views[v]) for u in users for v in self.modal_stacks.get(u, [])]

    def view(self, view_id: str) -> dict[str, Any]:
        """The full view (modal or home) as Slack holds it; KeyError if unknown."""
        return json_copy(self.views[view_id])

    def view_owner(self, view_id: str) -> str:
        """The user a view was opened for."""
        return self.view_user[view_id]

    def home_view(self, user: str) -> dict[str, Any] | None:
        """The App Home view last published for ``user``."""
        view_id = self.home.get(user)
        return None if view_id is None else self.view(view_id)

    # ------------------------------------------------------------------ what Slack issues

    def new_trigger_id(self, user: str | None = None) -> str:
        """Issue a trigger_id (valid 3 s, once) as Slack does with each interaction."""
        serial = next(self.workspace.serials)
        secret = short_hash("trigger", str(serial), length=32).lower()
        trigger_id = f"{int(self.workspace.now())}{serial:03d}.{serial}.{secret}"
        self._triggers[trigger_id] = (self.workspace.now(), user)
        return trigger_id

    def use_trigger(self, trigger_id: object) -> str:
        """Spend a trigger_id; the user it was issued for, or SlackError as Slack answers."""
        key = str(trigger_id)
        issued = self._triggers.get(key)
        if issued is None or key in self._used_triggers:
            raise SlackError("invalid_trigger_id")
        issued_at, user = issued
        if self.workspace.now() - issued_at > TRIGGER_TTL_SECONDS:
            raise SlackError("expired_trigger_id")
        self._used_triggers.add(key)
        return user or "U0UNKNOWN"

    # ------------------------------------------------------------------ view changes a user causes

    def close_view(self, view_id: str) -> None:
        """Close one modal (the user pressed Close, or a submission answered empty)."""
        user = self.view_user.get(view_id)
        stack = self.modal_stacks.get(user or "", [])
        if view_id in stack:
            del stack[stack.index(view_id) :]

    def clear_views(self, user: str) -> None:
        """Close every modal the user has open."""
        self.modal_stacks.pop(user, None)

    def replace_view(self, view_id: str, view: Mapping[str, Any]) -> dict[str, Any] | None:
        """Apply ``response_action: update``: the view keeps its id; None if it is invalid."""
        problems = view_problems(dict(view), expected_type=self.views[view_id]["type"])
        if problems:
            for p in problems:
                self.workspace.add_problem(f"response_action update: {p}")
            return None
        return json_copy(self.replace(view_id, dict(view)))

    def push_view(self, user: str, view: Mapping[str, Any]) -> dict[str, Any] | None:
        """Apply ``response_action: push`` on the user's open modal; None if refused."""
        problems = view_problems(dict(view), expected_type="modal")
        if problems:
            for p in problems:
                self.workspace.add_problem(f"response_action push: {p}")
            return None
        try:
            return json_copy(self.push_modal(user, dict(view)))
        except SlackError as exc:
            self.workspace.add_problem(f"response_action push: {exc.error}")
            return None

    # ------------------------------------------------------------------ for the views.* methods

    def new_view(
        self,
        view: dict[str, Any],
        user: str,
        *,
        previous_view_id: str | None = None,
        root_view_id: str | None = None,
    ) -> dict[str, Any]:
        """Store a new view for ``user`` with a fresh id; its full form as Slack holds it."""
        external_id = view.get("external_id") or ""
        if external_id and external_id in self.external_ids:
            raise SlackError("duplicate_external_id")
        view_id = f"V{short_hash('view', str(next(self.workspace.serials)))}"
        full = self._view_json(
            view,
            view_id=view_id,
            previous_view_id=previous_view_id,
            root_view_id=root_view_id or view_id,
            state={"values": {}},
        )
        self.views[view_id] = full
        self.view_user[view_id] = user
        if external_id:
            self.external_ids[external_id] = view_id
        return full

    def _view_json(
        self,
        view: dict[str, Any],
        *,
        view_id: str,
        previous_view_id: str | None,
        root_view_id: str,
        state: dict[str, Any],
    ) -> dict[str, Any]:
        kind = view["type"]
        serial = next(self.workspace.serials)
        view_hash = f"{int(self.workspace.now())}.{short_hash('hash', str(serial), length=8)}"
        return {
            "id": view_id,
            "team_id": TEAM_ID,
            "type": kind,
            "blocks": fill_block_ids(json_copy(view.get("blocks") or []), view_id),
            "private_metadata": view.get("private_metadata") or "",
            "callback_id": view.get("callback_id") or "",
            "state": state,
            "hash": view_hash,
            "title": json_copy(view.get("title")),
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "close": json_copy(view.get("close")),
            "submit": json_copy(view.get("submit")),
            "previous_view_id": previous_view_id,
            "root_view_id": root_view_id,
            "app_id": APP_ID,
            "external_id": view.get("external_id") or "",
            "app_installed_team_id": TEAM_ID,
            "bot_id": BOT_ID,
        }

    def replace(self, view_id: str, view: dict[str, Any]) -> dict[str, Any]:
        """Put ``view`` in place of the view ``view_id``, keeping the state of kept inputs."""
        old = self.views[view_id]
        new_ids = {b.get("block_id") for b in view.get("blocks") or [] if isinstance(b, dict)}
        kept = {k: v for k, v in old["state"]["values"].items() if k in new_ids}
        full = self._view_json(
            view,
            view_id=view_id,
            previous_view_id=old["previous_view_id"],
            root_view_id=old["root_view_id"],
            state={"values": kept},
        )
        if old["external_id"] and old["external_id"] != full["external_id"]:
            self.external_ids.pop(old["external_id"], None)
        if full["external_id"]:
            self.external_ids[full["external_id"]] = view_id
        self.views[view_id] = full
        return full

    def push_modal(self, user: str, view: dict[str, Any]) -> dict[str, Any]:
        """Open ``view`` on top of the user's modal stack (at most three deep)."""
        stack = self.modal_stacks.get(user)
        if not stack:
            raise SlackError("not_found")
        if len(stack) >= MAX_MODAL_STACK:
            raise SlackError("push_limit_reached")
        full = self.new_view(view, user, previous_view_id=stack[-1], root_view_id=stack[0])
        stack.append(full["id"])
        return full
