"""users.*, usergroups.* and auth.test: who is in the workspace, and who the app is."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sandbox.stub.records import (
    BOT_ID,
    BOT_USER_ID,
    TEAM_DOMAIN,
    TEAM_ID,
    SlackError,
    flag,
    page,
)
from sandbox.stub.state import Workspace


def auth_test(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    return {
        "ok": True,
        "url": f"https://{TEAM_DOMAIN}.slack.com/",
        "team": "CareQueue Practice",
        "user": ws.users[BOT_USER_ID]["name"],
        "team_id": TEAM_ID,
        "user_id": BOT_USER_ID,
        "bot_id": BOT_ID,
        "is_enterprise_install": False,
    }


def info(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    user = ws.users.get(str(args.get("user")))
    if user is None:
        raise SlackError("user_not_found")
    return {"ok": True, "user": _user_json(ws, user)}


def list_users(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    everyone = [_user_json(ws, u) for u in ws.users.values()]
    taken, cursor = page(everyone, args, default_limit=200)
    return {"ok": True, "members": taken, "response_metadata": {"next_cursor": cursor}}


def lookup_by_email(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    email = str(args.get("email", "")).lower()
    for user in ws.users.values():
        if user["email"] and user["email"].lower() == email:
            return {"ok": True, "user": _user_json(ws, user)}
    raise SlackError("users_not_found")


def usergroups_list(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    groups = []
    for group in ws.usergroups.values():
        if group["disabled"] and not flag(args.get("include_disabled")):
            continue
        entry = {"id": group["id"], "team_id": TEAM_ID, "handle": group["handle"]}
        entry["user_count"] = len(group["users"])
        if flag(args.get("include_users")):
            entry["users"] = list(group["users"])
        groups.append(entry)
    return {"ok": True, "usergroups": groups}


def usergroups_users_list(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """A group's member ids. A disabled group is found only with ``include_disabled``
    ("allow results that involve disabled User Groups")."""
    group = ws.usergroups.get(str(args.get("usergroup")))
    if group is None or (group["disabled"] and not flag(args.get("include_disabled"))):
        raise SlackError("no_such_subteam")
    return {"ok": True, "users": list(group["users"])}


METHODS = {
    "auth.test": auth_test,
    "users.info": info,
    "users.list": list_users,
    "users.lookupByEmail": lookup_by_email,
    "usergroups.list": usergroups_list,
    "usergroups.users.list": usergroups_users_list,
}


def _user_json(ws: Workspace, user: dict[str, Any]) -> dict[str, Any]:
    now = datetime.fromtimestamp(ws.now(), ZoneInfo(user["tz"]))
    offset = now.utcoffset()
    label = now.tzname() or user["tz"]
    if user["tz"] == "America/New_York":
        label = "Eastern Daylight Time" if now.dst() else "Eastern Standard Time"
    profile: dict[str, Any] = {
        "real_name": user["real_name"],
        "real_name_normalized": user["real_name"],
        "display_name": user["name"],
        "display_name_normalized": user["name"],
        "team": TEAM_ID,
    }
    if user["email"]:
        profile["email"] = user["email"]
    return {
        "id": user["id"],
        "team_id": TEAM_ID,
        "name": user["name"],
        "deleted": False,
        "real_name": user["real_name"],
        "tz": user["tz"],
        "tz_label": label,
        "tz_offset": int(offset.total_seconds()) if offset else 0,
        "is_admin": False,
        "is_owner": False,
        "is_bot": user["is_bot"],
        "is_app_user": False,
        "profile": profile,
    }
