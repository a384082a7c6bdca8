"""conversations.*: channel and thread history, joining and opening conversations, and
listing them and their members."""

from __future__ import annotations

from typing import Any

from sandbox.stub.records import (
    BOT_USER_ID,
    USER_ID,
    SlackError,
    StoredChannel,
    StoredMessage,
    flag,
    page,
    short_hash,
    ts_key,
)
from sandbox.stub.state import Workspace


def history(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    cid = ws.resolve_channel(args.get("channel"), allow_names=False)
    visible = [m for m in ws.posted.get(cid, []) if not m.is_reply or m.reply_broadcast]
    newest_first = sorted(_window(visible, args), key=lambda m: ts_key(m.ts), reverse=True)
    taken, cursor = page(newest_first, args, default_limit=100)
    with_metadata = flag(args.get("include_all_metadata"))
    return {
        "ok": True,
        "messages": [ws.message_json(m, include_metadata=with_metadata) for m in taken],
        "has_more": bool(cursor),
        "pin_count": 0,
        "response_metadata": {"next_cursor": cursor},
    }


def replies(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    cid = ws.resolve_channel(args.get("channel"), allow_names=False)
    parent = ws.by_ts.get((cid, str(args.get("ts"))))
    if parent is None:
        raise SlackError("thread_not_found")
    if parent.is_reply:
        parent = ws.by_ts[(cid, str(parent.thread_ts))]
    # Slack answers the parent first, then the replies oldest first.
    thread = [parent, *ws.replies(parent)]
    taken, cursor = page(_window(thread, args), args, default_limit=1000)
    with_metadata = flag(args.get("include_all_metadata"))
    return {
        "ok": True,
        "messages": [ws.message_json(m, include_metadata=with_metadata) for m in taken],
        "has_more": bool(cursor),
        "response_metadata": {"next_cursor": cursor},
    }


def join(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    cid = ws.resolve_channel(args.get("channel"), allow_names=False)
    channel = ws.channels[cid]
    if channel.is_im or channel.is_mpim:
        raise SlackError("method_not_supported_for_channel_type")
    already = BOT_USER_ID in channel.members
    channel.members.add(BOT_USER_ID)
    answer: dict[str, Any] = {"ok": True, "channel": _channel_json(channel)}
    if already:
        answer["warning"] = "already_in_channel"
    return answer


def open_conversation(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    if args.get("channel"):
        cid = ws.resolve_channel(args["channel"], allow_names=False)
        return {"ok": True, "channel": {"id": cid}}
    users = args.get("users")
    if isinstance(users, str):
        users = [u.strip() for u in users.split(",") if u.strip()]
    if not users:
        raise SlackError("users_list_not_supplied")
    if any(not USER_ID.match(str(u)) for u in users):
        raise SlackError("user_not_found")
    if len(users) == 1:
        cid = ws.dm_channel(users[0])
    else:
        members = sorted({*users, BOT_USER_ID})
        cid = f"G{short_hash('mpim', *members)}"
        if cid not in ws.channels:
            ws.channels[cid] = StoredChannel(
                id=cid,
                name=f"mpdm-{'--'.join(members)}-1",
                created=int(ws.now()),
                is_mpim=True,
                is_private=True,
                members=set(members),
            )
            ws.posted.setdefault(cid, [])
    if flag(args.get("return_im")):
        return {"ok": True, "channel": _channel_json(ws.channels[cid])}
    return {"ok": True, "channel": {"id": cid}}


def info(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    cid = ws.resolve_channel(args.get("channel"), allow_names=False)
    return {"ok": True, "channel": _channel_json(ws.channels[cid])}


def list_conversations(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    types = str(args.get("types") or "public_channel").split(",")
    wanted = [_channel_json(channel) for channel in ws.channels.values() if _kind(channel) in types]
    taken, cursor = page(wanted, args, default_limit=100)
    return {"ok": True, "channels": taken, "response_metadata": {"next_cursor": cursor}}


def members(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    cid = ws.resolve_channel(args.get("channel"), allow_names=False)
    everyone = sorted(ws.channels[cid].members)
    taken, cursor = page(everyone, args, default_limit=100)
    return {"ok": True, "members": taken, "response_metadata": {"next_cursor": cursor}}


METHODS = {
    "conversations.history": history,
    "conversations.replies": replies,
    "conversations.join": join,
    "conversations.open": open_conversation,
    "conversations.info": info,
    "conversations.list": list_conversations,
    "conversations.members": members,
}


def _window(messages: list[StoredMessage], args: dict[str, Any]) -> list[StoredMessage]:
    """The messages between ``oldest`` and ``latest`` (``inclusive`` keeps the ends)."""
    inclusive = flag(args.get("inclusive"))
    oldest = args.get("oldest")
    latest = args.get("latest")
    out = []
    for m in messages:
        key = ts_key(m.ts)
        if oldest not in (None, "") and (
            key < ts_key(oldest) or (key == ts_key(oldest) and not inclusive)
        ):
            continue
        if latest not in (None, "") and (
            key > ts_key(latest) or (key == ts_key(latest) and not inclusive)
        ):
            continue
        out.append(m)
    return out


def _kind(channel: StoredChannel) -> str:
    """The ``types`` value conversations.list filters this conversation by."""
    if channel.is_im:
        return "im"
    if channel.is_mpim:
        return "mpim"
    return "private_channel" if channel.is_private else "public_channel"


def _channel_json(channel: StoredChannel) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": channel.id,
        "created": channel.created,
        "is_archived": False,
        "is_im": channel.is_im,
        "is_mpim": channel.is_mpim,
        "is_private": channel.is_private,
        "is_org_shared": False,
    }
    if channel.is_im:
        out["user"] = channel.user
        out["is_open"] = True
        return out
    out.update(
        {
            "name": channel.name,
            "name_normalized": channel.name,
            "is_channel": not channel.is_private and not channel.is_mpim,
            "is_group": channel.is_private and not channel.is_mpim,
            "is_general": channel.name == "general",
            "is_member": BOT_USER_ID in channel.members,
            "num_members": len(channel.members),
        }
    )
    return out
