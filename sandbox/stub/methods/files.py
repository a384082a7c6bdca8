"""files.*: Slack's external upload, as slack_sdk's `files_upload_v2` drives it.

`files.getUploadURLExternal` reserves a file id and answers an upload URL on the stub
itself; the client POSTs (or PUTs) the bytes there; `files.completeUploadExternal` checks
that every file named was uploaded with the length announced and, with a `channel_id`,
shares them in one message whose text is `initial_comment` (in `thread_ts` if given).
Uploaded files stay in `Files.stored` for tests to read.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from sandbox.stub.records import SlackError, StoredMessage, to_int
from sandbox.stub.state import Workspace

MAX_FILE_BYTES = 1024 * 1024 * 1024  # Slack's limit for one file (1 GB)


@dataclass
class StoredFile:
    id: str
    filename: str
    length: int
    alt_txt: str = ""
    title: str = ""
    data: bytes | None = None
    channels: list[str] = field(default_factory=list)
    shared_ts: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.filename,
            "title": self.title or self.filename,
            "size": self.length,
            "channels": list(self.channels),
            "url_private": f"/files/{self.id}",
        }


class Files:
    """The workspace's uploaded files. `upload_url(file_id)` names where bytes go."""

    def __init__(self, workspace: Workspace, upload_url: Callable[[str], str]) -> None:
        self.workspace = workspace
        self.upload_url = upload_url
        self.stored: dict[str, StoredFile] = {}

    def shared_in(self, channel: str) -> list[StoredFile]:
        """The files shared in a channel (name or id), oldest first."""
        cid = self.workspace.channel_id(channel)
        return [f for f in self.stored.values() if cid in f.channels]

    def get_upload_url(self, args: dict[str, Any]) -> dict[str, Any]:
        length = to_int(args.get("length"), -1)
        if length <= 0 or length > MAX_FILE_BYTES:
            raise SlackError("invalid_arguments")
        file_id = f"F{len(self.stored) + 1:08d}"
        self.stored[file_id] = StoredFile(
            id=file_id,
            filename=str(args["filename"]),
            length=length,
            alt_txt=str(args.get("alt_txt") or ""),
        )
        return {"ok": True, "upload_url": self.upload_url(file_id), "file_id": file_id}

    async def handle_upload(self, request: web.Request) -> web.Response:
        """The upload URL: the bytes of one reserved file, once."""
        found = self.stored.get(request.match_info["file_id"])
        if found is None or found.data is not None:
            return web.Response(status=404, text="unknown or already uploaded file")
        if request.content_type == "multipart/form-data":
            form = await request.post()
            part = next(iter(form.values()), None)
            data = part.file.read() if isinstance(part, web.FileField) else b""
        else:
            data = await request.read()
        found.data = data
        return web.Response(status=200, text=f"OK - {len(data)}")

    async def handle_download(self, request: web.Request) -> web.Response:
        """A shared file's bytes (Slack's url_private), for the sandbox page to show."""
        found = self.stored.get(request.match_info["file_id"])
        if found is None or found.data is None or not found.channels:
            return web.Response(status=404, text="file_not_found")
        kind = "image/png" if found.filename.endswith(".png") else "application/octet-stream"
        return web.Response(body=found.data, content_type=kind)

    def complete(self, args: dict[str, Any]) -> dict[str, Any]:
        named = args.get("files")
        if isinstance(named, str):
            try:
                named = json.loads(named)
            except ValueError:
                raise SlackError("invalid_arguments") from None
        if not isinstance(named, list) or not named:
            raise SlackError("invalid_arguments")
        files: list[StoredFile] = []
        for entry in named:
            found = self.stored.get(str(entry.get("id"))) if isinstance(entry, dict) else None
            if found is None:
                raise SlackError("file_not_found")
            if found.data is None or len(found.data) != found.length:
                raise SlackError("file_upload_size_mismatch")
            found.title = str(entry.get("title") or found.filename)
            files.append(found)
        channel = args.get("channel_id") or args.get("channels")
        if channel:
            cid = self.workspace.resolve_channel(str(channel).split(",")[0], allow_names=False)
            message = StoredMessage(
                channel=cid,
                ts=self.workspace.next_ts(),
                text=str(args.get("initial_comment") or ""),
                blocks=[],
                thread_ts=args.get("thread_ts") or None,
                files=[f.as_json() for f in files],
            )
            self.workspace.store(message)
            for f in files:
                f.channels.append(cid)
                f.shared_ts = message.ts
        return {"ok": True, "files": [f.as_json() for f in files]}


METHODS: dict[str, Callable[[Files, dict[str, Any]], dict[str, Any]]] = {
    "files.getUploadURLExternal": Files.get_upload_url,
    "files.completeUploadExternal": Files.complete,
}
