"""Render every error as RFC 9457 problem+json."""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from herald_common.errors import PROBLEM_CONTENT_TYPE, AppError, problem_body
from herald_common.logging import current_context, redact
from herald_common.requests import HEADER as REQUEST_ID_HEADER
from herald_post_api.middleware import security_headers

log = logging.getLogger(__name__)

_STATUS_SLUGS = {
    401: ("unauthorized", "Not authenticated"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    413: ("payload-too-large", "Payload too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
}


def problem_response(body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        body, status_code=body["status"], media_type=PROBLEM_CONTENT_TYPE, headers=headers
    )


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "form"):
        parts = parts[1:] or parts
    return ".".join(parts)


_TEMPLATE_PARAM = re.compile(r"\\\{[^}]*\\\}")


def _path_table(app: Any) -> list[tuple[re.Pattern[str], int, set[str]]]:
    """Each path template of the OpenAPI document as a pattern, its parameter count and its
    methods (made once per app)."""
    table: list[tuple[re.Pattern[str], int, set[str]]] | None = getattr(
        app.state, "allow_table", None
    )
    if table is None:
        table = []
        for template, operations in app.openapi()["paths"].items():
            pattern = re.compile(_TEMPLATE_PARAM.sub("[^/]+", re.escape(template)))
            table.append((pattern, template.count("{"), {m.upper() for m in operations}))
        app.state.allow_table = table
    return table


def allowed_methods(request: Request) -> list[str]:
    """The methods the request's path answers to, as the OpenAPI document lists them.

    Starlette's own 405 names only the first route whose path matched; a path such as
    ``/v1/posts`` has one route per method, and ``/v1/posts/batch`` also fits the template
    ``/v1/posts/{post_id}``: the most literal templates that match decide.
    """
    path = request.url.path
    fits = [
        (params, methods)
        for pattern, params, methods in _path_table(request.app)
        if pattern.fullmatch(path)
    ]
    if not fits:
        return []
    fewest = min(params for params, _ in fits)
    return sorted(set().union(*(methods for params, methods in fits if params == fewest)))


def _instance(request: Request) -> str:
    """The path the problem is about, without secrets (a calendar feed's path holds one)."""
    return redact(request.url.path)


def install(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def app_error(request: Request, exc: AppError) -> JSONResponse:
        return problem_response(exc.problem(_instance(request)), exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for err in exc.errors():
            msg = str(err.get("msg", "invalid"))
            errors.append({"field": _field(err.get("loc", ())), "message": msg})
        first = errors[0] if errors else {"field": None, "message": "invalid request"}
        detail = (
            f"{first['field']}: {first['message']}" if first["field"] else str(first["message"])
        )
        body = problem_body(
            422,
            "validation-error",
            "Invalid request",
            detail,
            instance=_instance(request),
            field=first["field"],
            errors=errors,
        )
        return problem_response(body)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        slug, title = _STATUS_SLUGS.get(exc.status_code, ("error", "Error"))
        body = problem_body(
            exc.status_code, slug, title, str(exc.detail), instance=_instance(request)
        )
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request))
        return problem_response(body, headers or None)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        body = problem_body(
            500,
            "internal-error",
            "Internal error",
            "An unexpected error occurred.",
            instance=_instance(request),
        )
        # This answer is made outside the middlewares (Starlette's last-resort handler), so
        # it carries the security headers itself, and the request id the request-id
        # middleware bound (still current).
        settings = getattr(request.app.state, "settings", None)
        hsts = settings is not None and not settings.is_dev
        secured = {n.decode(): v.decode() for n, v in security_headers(request.url.path, hsts=hsts)}
        request_id = current_context().get("request_id")
        if request_id:
            secured[REQUEST_ID_HEADER] = request_id
        return problem_response(body, secured)
