"""ASGI middleware: a cap on request body size (413 past it), large bodies taking turns, NUL
characters refused (422), security headers."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from herald_common.errors import PROBLEM_CONTENT_TYPE, problem_body
from herald_common.logging import redact


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    too_big = int(value) > self.max_bytes
                except ValueError:
                    too_big = False
                if too_big:
                    await self._reject(scope, send)
                    return
        seen = 0
        started = False
        rejected = False

        async def limited_receive() -> Message:
            nonlocal seen, rejected
            if rejected:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    # Answer 413 now; the app sees a client that went away and its own
                    # answer is dropped.
                    rejected = True
                    if not started:
                        await self._reject(scope, send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if rejected:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not rejected:
                raise

    async def _reject(self, scope: Scope, send: Send) -> None:
        body = problem_body(
            413,
            "payload-too-large",
            "Payload too large",
            f"The request body is over the limit of {self.max_bytes} bytes.",
            instance=redact(scope.get("path", "")),
            limit_bytes=self.max_bytes,
        )
        data = json.dumps(body).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", PROBLEM_CONTENT_TYPE.encode()),
                    (b"content-length", str(len(data)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": data})


# The API answers JSON only: nothing it sends may be framed, sniffed, cached or run.
_API_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
_API_CSP = b"default-src 'none'; frame-ancestors 'none'"
# The interactive docs: Swagger UI and ReDoc with their assets served by the API itself
# (herald_post_api.docs); nothing is loaded from another origin. ReDoc runs its search in a
# blob worker.
_DOCS_CSP = (
    b"default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    b"font-src 'self' data:; img-src 'self' data:; connect-src 'self'; worker-src blob:; "
    b"frame-ancestors 'none'"
)
_DOCS_PATHS = ("/docs", "/redoc")


def security_headers(path: str, *, hsts: bool) -> list[tuple[bytes, bytes]]:
    """The security headers of an answer to ``path``."""
    docs = path.startswith(_DOCS_PATHS)
    extra = list(_API_HEADERS)
    extra.append((b"content-security-policy", _DOCS_CSP if docs else _API_CSP))
    if not docs:
        # Answers carry one user's data: no shared or browser cache keeps them.
        extra.append((b"cache-control", b"no-store"))
    if hsts:
        extra.append((b"strict-transport-security", b"max-age=63072000"))
    return extra


class SecurityHeaders:
    """Security headers on every response the app makes (HSTS too, outside dev)."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                extra = security_headers(path, hsts=self.hsts)
                headers.extend((n, v) for n, v in extra if n not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


def _nul_in_json(value: Any, path: list[str]) -> str | None:
    """The dotted path of the first string (or key) in ``value`` holding a NUL."""
    if isinstance(value, str):
        return ".".join(path) if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                return ".".join([*path, key])
            found = _nul_in_json(item, [*path, key])
            if found is not None:
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = _nul_in_json(item, [*path, str(i)])
            if found is not None:
                return found
    return None


def _nul_in_form(raw: bytes) -> str | None:
    for name, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
        if "\x00" in name or "\x00" in value:
            return name.replace("\x00", "")
    return None


class RefuseNul:
    """422 for a NUL character in a query parameter or a JSON or form body.

    (A path's parameters are the routes' own: an id that is not a UUID answers 422, a
    calendar address that is not one answers 404.)

    Postgres text cannot hold U+0000 and no field of the API has a use for it: the request is
    refused before any handler sees it, naming the field (``content``, ``posts.3.content``,
    ``cursor``). A body is only parsed here when its bytes hold a NUL escape.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query: bytes = scope.get("query_string", b"")
        if b"%00" in query or b"\x00" in query:
            field = _nul_in_form(query)
            if field is not None:
                await self._reject(scope, send, field)
                return
        content_type = b""
        for name, value in scope.get("headers", []):
            if name == b"content-type":
                content_type = value.split(b";", 1)[0].strip().lower()
        is_json = content_type == b"application/json" or content_type.endswith(b"+json")
        is_form = content_type == b"application/x-www-form-urlencoded"
        if not (is_json or is_form) or scope.get("method") in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        chunks: list[bytes] = []
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        field = None
        if is_json and b"\\u0000" in body:
            try:
                field = _nul_in_json(json.loads(body), [])
            except (ValueError, RecursionError):
                field = None  # not JSON (or nested past reading): the handler says so
        elif is_form and (b"%00" in body or b"\x00" in body):
            field = _nul_in_form(body)
        if field is not None:
            await self._reject(scope, send, field)
            return
        replay = iter(messages)

        async def replayed() -> Message:
            try:
                return next(replay)
            except StopIteration:
                return await receive()

        await self.app(scope, replayed, send)

    async def _reject(self, scope: Scope, send: Send, field: str) -> None:
        body = problem_body(
            422,
            "validation-error",
            "Invalid request",
            f"{field or 'body'}: the NUL character (U+0000) is not allowed",
            instance=redact(scope.get("path", "").replace("\x00", "")),
            field=field or None,
            errors=[{"field": field, "message": "the NUL character (U+0000) is not allowed"}],
        )
        data = json.dumps(body).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 422,
                "headers": [
                    (b"content-type", PROBLEM_CONTENT_TYPE.encode()),
                    (b"content-length", str(len(data)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": data})


class LargeBodyGate:
    """Requests with large bodies take turns: at most ``concurrency`` at once.

    Reading, parsing and checking a body of hundreds of kilobytes takes the event loop for
    milliseconds at a time; several at once would take it from everyone else. Small
    requests never wait here, so a flood of large ones slows only itself. A request whose
    size is not announced (chunked) counts as large.
    """

    def __init__(self, app: ASGIApp, *, threshold: int, concurrency: int = 1) -> None:
        self.app = app
        self.threshold = threshold
        self._turns = asyncio.Semaphore(concurrency)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        length: int | None = None
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    length = None
        if length is not None and length <= self.threshold:
            await self.app(scope, receive, send)
            return
        async with self._turns:
            await self.app(scope, receive, send)
