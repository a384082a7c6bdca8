"""chat.*: posting, updating and deleting messages, ephemerals and permalinks."""

from __future__ import annotations

from typing import Any

from sandbox.stub.records import (
    TEAM_DOMAIN,
    USER_ID,
    SlackError,
    StoredEphemeral,
    StoredMessage,
    flag,
    json_copy,
)
from sandbox.stub.state import Workspace


def post_message(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    cid = ws.resolve_channel(args.get("channel"))
    text, blocks = args.get("text") or "", args.get("blocks") or []
    if not text and not blocks and not args.get("attachments"):
        raise SlackError("no_text")
    metadata = _checked_metadata(ws, args.get("metadata"))
    message = StoredMessage(
        channel=cid,
        ts=ws.next_ts(),
        text=text,
        blocks=json_copy(blocks),
        thread_ts=args.get("thread_ts") or None,
        metadata=metadata,
        reply_broadcast=flag(args.get("reply_broadcast")),
    )
    ws.store(message)
    return {
        "ok": True,
        "channel": cid,
        "ts": message.ts,
        "message": ws.message_json(message, include_metadata=True),
    }


def _checked_metadata(ws: Workspace, metadata: object) -> dict[str, Any] | None:
    if metadata in (None, ""):
        return None
    if (
        not isinstance(metadata, dict)
        or not isinstance(metadata.get("event_type"), str)
        or not isinstance(metadata.get("event_payload"), dict)
    ):
        ws.add_problem("metadata needs a string event_type and an object event_payload")
        raise SlackError("invalid_metadata_format")
    return json_copy(metadata)


def _find_message(ws: Workspace, args: dict[str, Any], ts_arg: str = "ts") -> StoredMessage:
    cid = ws.resolve_channel(args.get("channel"), allow_names=False)
    message = ws.by_ts.get((cid, str(args.get(ts_arg))))
    if message is None:
        raise SlackError("message_not_found")
    return message


def update(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    message = _find_message(ws, args)
    if not any(k in args for k in ("text", "blocks", "attachments", "metadata")):
        raise SlackError("no_text")
    metadata = _checked_metadata(ws, args["metadata"]) if "metadata" in args else message.metadata
    message.history.append(
        {
            "text": message.text,
            "blocks": message.blocks,
            "metadata": message.metadata,
            "edited_ts": message.edited_ts,
        }
    )
    if "text" in args:
        message.text = args["text"] or ""
    if "blocks" in args:
        message.blocks = json_copy(args["blocks"] or [])
    message.metadata = metadata
    message.edited += 1
    message.edited_ts = ws.next_ts()
    return {
        "ok": True,
        "channel": message.channel,
        "ts": message.ts,
        "text": message.text,
        "message": ws.message_json(message, include_metadata=True),
    }


def delete(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    message = _find_message(ws, args)
    ws.posted[message.channel].remove(message)
    del ws.by_ts[(message.channel, message.ts)]
    return {"ok": True, "channel": message.channel, "ts": message.ts}


def post_ephemeral(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    cid = ws.resolve_channel(args.get("channel"))
    user = str(args.get("user") or "")
    if not USER_ID.match(user):
        raise SlackError("user_not_found")
    text, blocks = args.get("text") or "", args.get("blocks") or []
    if not text and not blocks and not args.get("attachments"):
        raise SlackError("no_text")
    ephemeral = StoredEphemeral(
        channel=cid,
        user=user,
        ts=ws.next_ts(),
        text=text,
        blocks=json_copy(blocks),
        thread_ts=args.get("thread_ts") or None,
    )
    ws.ephemeral_messages.append(ephemeral)
    return {"ok": True, "message_ts": ephemeral.ts}


def get_permalink(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    message = _find_message(ws, args, ts_arg="message_ts")
    link = (
        f"https://{TEAM_DOMAIN}.slack.com/archives/{message.channel}/p{message.ts.replace('.', '')}"
    )
    if message.is_reply:
        link += f"?thread_ts={message.thread_ts}&cid={message.channel}"
    return {"ok": True, "channel": message.channel, "permalink": link}


METHODS = {
    "chat.postMessage": post_message,
    "chat.update": update,
    "chat.delete": delete,
    "chat.postEphemeral": post_ephemeral,
    "chat.getPermalink": get_permalink,
}
