"""/api/v1: POST /requests (log a patient request), GET /requests/{key} (where it stands),
GET /openapi.json (the contract). Each integration authenticates with its own bearer token.

Errors are JSON: `{"error": code, "message": …}`, and for a 422 `problems`, every one by
field. Nothing is written unless the whole request is valid (one unit of work). Logs carry
item keys, token ids and field names, never a value from the body.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.api.body import TEXT_FIELDS, Problem, parse_json, read_delivery, read_idempotency_key
from bot.api.limits import RateLimiter, retry_after
from bot.deps import Deps
from bot.domain.intake import unstorable
from bot.domain.integrations import ApiToken
from bot.services.intake_api import Delivered, Standing, TokenRevoked

log = logging.getLogger(__name__)

OPENAPI_PATH = Path(__file__).with_name("openapi.json")
# The names a problem may stand under: the body's fields, the body itself, the header.
KNOWN_FIELDS = frozenset({*TEXT_FIELDS, "", "Idempotency-Key"})
PREFIX = "/api/v1"
_DEPS = web.AppKey("api_deps", Deps)
_LIMITER = web.AppKey("api_limiter", RateLimiter)
_OPENAPI = web.AppKey("api_openapi", bytes)

Handler = Callable[[web.Request, ApiToken], Awaitable[web.Response]]


def add_routes(web_app: web.Application, deps: Deps) -> None:
    """Serve the intake API on `web_app` (the app's one aiohttp server)."""
    limits = deps.practice.intake_api
    web_app[_DEPS] = deps
    web_app[_LIMITER] = RateLimiter(per_minute=limits.per_minute, burst=limits.burst)
    web_app[_OPENAPI] = OPENAPI_PATH.read_bytes()
    web_app.router.add_post(f"{PREFIX}/requests", _authenticated(_post_request))
    web_app.router.add_get(f"{PREFIX}/requests/{{key}}", _authenticated(_get_request))
    web_app.router.add_get(f"{PREFIX}/openapi.json", _openapi)


def error(status: int, code: str, message: str, **more: Any) -> web.Response:
    """An error answer: `{"error": code, "message": message, ...more}`."""
    return web.json_response({"error": code, "message": message, **more}, status=status)


def _authenticated(handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Refuse a missing, unknown or revoked token (401); then the token's rate (429)."""

    async def checked(request: web.Request) -> web.Response:
        deps = request.app[_DEPS]
        scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
        token = None
        if scheme.lower() == "bearer" and secret.strip():
            token = await deps.intake_api.authenticate(secret.strip())
        if token is None:
            return _unauthorized()
        wait = request.app[_LIMITER].take(token.id, deps.clock.now())
        if wait > 0:
            log.warning("intake API: token=%s over its rate", token.id)
            response = error(429, "rate_limited", "Too many requests for this token: slow down.")
            response.headers["Retry-After"] = retry_after(wait)
            return response
        try:
            return await handler(request, token)
        except TokenRevoked:  # revoked after it was checked: nothing was stored
            return _unauthorized()

    return checked


def _unauthorized() -> web.Response:
    log.warning("intake API: refused a request without a valid token")
    response = error(
        401,
        "unauthorized",
        "Send a valid token: Authorization: Bearer <token> (carequeue tokens create).",
    )
    response.headers["WWW-Authenticate"] = "Bearer"
    return response


async def _body(request: web.Request, limit: int) -> bytes | None:
    """The body, or None when it is over `limit` bytes (read no further than that)."""
    if request.content_length is not None and request.content_length > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def _post_request(request: web.Request, token: ApiToken) -> web.Response:
    deps = request.app[_DEPS]
    limit = deps.practice.intake_api.max_body_bytes
    raw = await _body(request, limit)
    if raw is None:
        return error(413, "too_large", f"The body is over {limit:,} bytes.")
    try:
        body = parse_json(raw)
    except ValueError:
        return error(400, "invalid_json", "The body is not JSON text (UTF-8).")
    now = deps.clock.now()
    delivery = read_delivery(body, deps.practice, now)
    key = read_idempotency_key(request.headers.get("Idempotency-Key"))
    problems = [*(delivery if isinstance(delivery, list) else []), *_problem(key)]
    if problems:
        log.info(
            "intake API: token=%s sent an invalid request (%s)",
            token.id,
            ", ".join(sorted({_loggable(p.field) for p in problems})),
        )
        return error(
            422,
            "invalid_request",
            f"The request has {len(problems)} problem(s); nothing was stored.",
            problems=[p.as_json() for p in problems],
        )
    assert not isinstance(delivery, list) and isinstance(key, str)
    delivered = await deps.intake_api.deliver(
        token,
        delivery.request,
        received_at=delivery.contacted_at,
        idempotency_key=key,
        source_id=delivery.source_id,
        fingerprint=delivery.fingerprint,
    )
    if not delivered.same_request:
        return _key_reused(token, delivered, "Idempotency-Key" if key else "source_id")
    if not delivered.created:  # a new item has its line already: "item logged … by=api:<id>"
        log.info("intake API: token=%s repeated delivery of key=%s", token.id, delivered.item.key)
    return await _created(deps, delivered)


def _key_reused(token: ApiToken, delivered: Delivered, field: str) -> web.Response:
    """A key used before for a different request: refused, nothing stored. Answering the
    earlier item (200) would lose this request without a word."""
    earlier = delivered.item.key
    log.warning(
        "intake API: token=%s sent a different request under the key of key=%s; nothing was stored",
        token.id,
        earlier,
    )
    message = (
        f"This {field} was used before for a different request ({earlier}); nothing was"
        " stored. Send a new request with a new key, or a retry with the same body."
    )
    return error(
        422,
        "key_reused",
        message,
        problems=[Problem(field, message).as_json()],
        earlier=earlier,
    )


def _loggable(field: str) -> str:
    """A problem's field as the log may name it: one of the API's own names, never a name
    the sender made up (an unknown field's name is the sender's text: it could hold a
    patient's name, or a line break that forges a log line)."""
    return field if field in KNOWN_FIELDS else "an unknown field"


def _problem(key: str | Problem) -> list[Problem]:
    return [key] if isinstance(key, Problem) else []


async def _created(deps: Deps, delivered: Delivered) -> web.Response:
    item = delivered.item
    location = f"{PREFIX}/requests/{item.key}"
    # A new item stands where it is; a repeat's may have been merged since.
    standing = Standing(item, item) if delivered.created else await deps.intake_api.standing(item)
    return web.json_response(
        {**status_of(deps, standing), "created": delivered.created},
        status=201 if delivered.created else 200,
        headers={"Location": location},
    )


async def _get_request(request: web.Request, token: ApiToken) -> web.Response:
    deps = request.app[_DEPS]
    key = request.match_info["key"]
    # No key holds a NUL or a lone surrogate, and the database refuses one even in a query:
    # not found, not a 500.
    standing = None if unstorable(key) else await deps.intake_api.status(token, key)
    if standing is None:
        return error(404, "not_found", "No request with that key was delivered with this token.")
    return web.json_response(status_of(deps, standing))


def status_of(deps: Deps, standing: Standing) -> dict[str, Any]:
    """Where a request stands, with no patient detail: what a portal may show the patient
    ("your message is with the scheduling team"). A request merged into the patient's other
    open item stands where that item stands (merged is not resolved): its status, lane,
    owner, next action and due time, and `merged_into` its key."""
    request, item = standing.request, standing.now_in
    answer: dict[str, Any] = {
        "key": request.key,
        "status": item.status.value,
        "lane": item.lane,
        "lane_name": deps.practice.lane(item.lane).name,
        "owner": item.owner,
        "next_action": item.next_action,
        "received_at": _utc(request.received_at),
        "due_at": _utc(item.due_at),
    }
    if item is not request:
        answer["merged_into"] = item.key
    return answer


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


async def _openapi(request: web.Request) -> web.Response:
    return web.Response(body=request.app[_OPENAPI], content_type="application/json")
