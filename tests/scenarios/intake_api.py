"""An integration's side of the intake API, for scenario tests: real HTTP into the running app."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aiohttp

from tests.scenarios.conftest import Clinic

PHONE_SYSTEM_REQUEST: dict[str, Any] = {
    "patient_reference": "MRN-30412",
    "patient_name": "Jane Q. Doe",
    "callback_phone": "(555) 201-4477",
    "origin": "voicemail",
    "lane": "scheduling",
    "request_type": "reschedule",
    "summary": "Needs to move Tuesday's appointment to later in the week",
    "language": "English",
}


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    json: Any


@dataclass
class Integration:
    """A phone system or portal with its own token, posting to the clinic's intake API."""

    clinic: Clinic
    session: aiohttp.ClientSession
    token: str

    @property
    def root(self) -> str:
        return self.clinic.app_url.removesuffix("/slack/events")

    async def send(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        raw: bytes | None = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        sent = {"Authorization": f"Bearer {self.token if token is None else token}"}
        if token == "":
            sent = {}
        sent.update(headers or {})
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        if data is not None:
            sent.setdefault("Content-Type", "application/json")
        async with self.session.request(
            method, f"{self.root}{path}", data=data, headers=sent
        ) as response:
            text = await response.text()
            try:
                parsed = json.loads(text) if text else None
            except ValueError:
                parsed = text
            return Answer(response.status, dict(response.headers), parsed)

    async def post(self, body: Any = None, **kwargs: Any) -> Answer:
        return await self.send("POST", "/api/v1/requests", body=body, **kwargs)

    async def get(self, key: str, **kwargs: Any) -> Answer:
        return await self.send("GET", f"/api/v1/requests/{key}", **kwargs)


async def connect(clinic: Clinic, name: str = "Phone system") -> Integration:
    _, secret = await clinic.deps.intake_api.create_token(name)
    return Integration(clinic=clinic, session=aiohttp.ClientSession(), token=secret)
