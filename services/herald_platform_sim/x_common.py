"""What every X endpoint shares: problem answers, the caller's token and its scopes, faults."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from herald_platform_sim import faults, x_openapi
from herald_platform_sim.common import bearer, json_response, state_of
from herald_platform_sim.state import Token

P = "TWITTER"
INVALID = "https://api.x.com/2/problems/invalid-request"


def problem(
    status: int,
    title: str,
    detail: str,
    kind: str = "about:blank",
    headers: dict[str, str] | None = None,
) -> Response:
    return json_response(
        {"title": title, "detail": detail, "type": kind, "status": status}, status, headers
    )


def invalid(detail: str) -> Response:
    return problem(400, "Invalid Request", detail, INVALID)


def invalid_parameters(errors: list[dict[str, Any]]) -> Response:
    return json_response(
        {
            "errors": errors,
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": INVALID,
        },
        400,
    )


def unauthorized() -> Response:
    return problem(401, "Unauthorized", "Unauthorized")


def forbidden() -> Response:
    # What X answers a user token that lacks a scope the endpoint needs.
    return problem(403, "Forbidden", "Forbidden")


def token_of(request: Request) -> Token | None:
    return state_of(request).check(bearer(request), ("access",))


def allowed(request: Request, path: str, tok: Token | None) -> Token | Response:
    """``tok`` if it may use ``path`` (the scopes X's OpenAPI names), else the answer."""
    if tok is None:
        return unauthorized()
    if not tok.has(*x_openapi.scopes(path, request.method)):
        return forbidden()
    return tok


def caller(request: Request, path: str) -> Token | Response:
    """The caller's token if it may use ``path``, else the answer."""
    return allowed(request, path, token_of(request))


def limit_headers(limit: int, remaining: int, reset: float) -> dict[str, str]:
    return {
        "x-rate-limit-limit": str(limit),
        "x-rate-limit-remaining": str(remaining),
        "x-rate-limit-reset": str(int(reset)),
    }


ANSWERS = faults.Answers(
    error=lambda p: problem(p.status, "Service Unavailable", "Service Unavailable"),
    rate_limit=lambda p: problem(
        429,
        "Too Many Requests",
        "Too Many Requests",
        headers={"retry-after": str(int(p.retry_after))},
    ),
    unknown=lambda p: problem(503, "Service Unavailable", "Service Unavailable"),
)


def usage_capped() -> Response:
    """X's monthly product cap (a 429 typed ``usage-capped``): no retry helps before the
    period ends."""
    return json_response(
        {
            "title": "UsageCapExceeded",
            "detail": "Usage cap exceeded: Monthly product cap",
            "type": "https://api.x.com/2/problems/usage-capped",
            "period": "Monthly",
            "scope": "Product",
        },
        429,
    )
