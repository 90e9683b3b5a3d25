"""Request ids and one log line per answered request, for the HTTP servers.

Each request gets an id: the caller's ``X-Request-ID`` when it is a sane one (1 to 128
letters, digits and ``._:-``), else a new one. Every line logged while the request is
handled carries it (``request_id``), the answer returns it in ``X-Request-ID``, and a line
``METHOD /route/{template} STATUS in N ms`` is logged when the answer is sent. Route
templates, never raw paths: a path can hold a secret (a calendar feed's address).
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from herald_common.logging import pop_context, push_context
from herald_common.metrics import route_template

HEADER = "X-Request-ID"
_SANE = re.compile(r"[A-Za-z0-9._:-]{1,128}")
QUIET_ROUTES = {"/healthz", "/readyz", "/metrics"}
log = logging.getLogger("herald.http")


def request_id_from(value: str | None) -> str:
    """The caller's id when it is sane, else a new one."""
    if value is not None and _SANE.fullmatch(value):
        return value
    return uuid.uuid4().hex


class RequestContext:
    """ASGI middleware: the request id in the log context and the answer's headers."""

    def __init__(self, app: ASGIApp, *, access_log: bool = True) -> None:
        self.app = app
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = None
        for name, value in scope.get("headers", []):
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        request_id = request_id_from(incoming)
        started = time.perf_counter()
        status = 500

        async def with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [(n, v) for n, v in message.get("headers", []) if n != b"x-request-id"]
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        token = push_context(request_id=request_id)
        try:
            await self.app(scope, receive, with_id)
        except BaseException:
            # Left bound: the app's handler for unexpected errors runs outside this
            # middleware, and its line (and its answer's header) keep the request's id.
            self._log(scope, status, started)
            raise
        self._log(scope, status, started)
        pop_context(token)

    def _log(self, scope: Scope, status: int, started: float) -> None:
        if not self.access_log:
            return
        route = route_template(scope)
        # Probes and scrapes come every few seconds: only at DEBUG.
        level = logging.DEBUG if route in QUIET_ROUTES else logging.INFO
        log.log(
            level,
            "%s %s %d in %.1f ms",
            scope.get("method", "?"),
            route,
            status,
            (time.perf_counter() - started) * 1000,
        )
