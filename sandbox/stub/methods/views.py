"""views.*: opening and pushing modals with a trigger_id, updating views, publishing Home."""

from __future__ import annotations

from typing import Any

from sandbox.stub.records import USER_ID, SlackError, json_copy
from sandbox.stub.surfaces import Surfaces


def open_view(surfaces: Surfaces, args: dict[str, Any]) -> dict[str, Any]:
    user = surfaces.use_trigger(args.get("trigger_id"))
    full = surfaces.new_view(args["view"], user)
    surfaces.modal_stacks[user] = [full["id"]]
    return {"ok": True, "view": json_copy(full)}


def push(surfaces: Surfaces, args: dict[str, Any]) -> dict[str, Any]:
    user = surfaces.use_trigger(args.get("trigger_id"))
    return {"ok": True, "view": json_copy(surfaces.push_modal(user, args["view"]))}


def update(surfaces: Surfaces, args: dict[str, Any]) -> dict[str, Any]:
    view_id = args.get("view_id") or surfaces.external_ids.get(str(args.get("external_id")))
    if not args.get("view_id") and not args.get("external_id"):
        raise SlackError("invalid_arguments")
    if not isinstance(args.get("view"), dict):
        raise SlackError("invalid_arguments")
    if view_id not in surfaces.views:
        raise SlackError("not_found")
    old = surfaces.views[view_id]
    user = surfaces.view_user[view_id]
    is_open = view_id in surfaces.modal_stacks.get(user, []) or surfaces.home.get(user) == view_id
    if not is_open:
        raise SlackError("not_found")
    if args.get("hash") and args["hash"] != old["hash"]:
        raise SlackError("hash_conflict")
    if args["view"].get("type") != old["type"]:
        raise SlackError("invalid_arguments")
    return {"ok": True, "view": json_copy(surfaces.replace(view_id, args["view"]))}


def publish(surfaces: Surfaces, args: dict[str, Any]) -> dict[str, Any]:
    user = str(args.get("user_id"))
    if not USER_ID.match(user):
        raise SlackError("user_not_found")
    surfaces.workspace.ensure_user(user)
    view_id = surfaces.home.get(user)
    if view_id is None:
        full = surfaces.new_view(args["view"], user)
        surfaces.home[user] = full["id"]
    else:
        if args.get("hash") and args["hash"] != surfaces.views[view_id]["hash"]:
            raise SlackError("hash_conflict")
        full = surfaces.replace(view_id, args["view"])
    return {"ok": True, "view": json_copy(full)}


METHODS = {
    "views.open": open_view,
    "views.push": push,
    "views.update": update,
    "views.publish": publish,
}
