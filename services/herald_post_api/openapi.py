"""Helpers that declare an endpoint's problem+json errors in the OpenAPI document."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

_DESCRIPTIONS = {
    400: "Bad request",
    401: "Missing, invalid or expired bearer token",
    404: "Not found, or not the caller's",
    409: "Conflict with the resource's current state",
    413: "Request body over 1 MiB",
    422: "Invalid input; `field` names the offending field",
}


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    field: str | None = None
    errors: list[dict[str, Any]] | None = None


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {
        code: {
            "model": Problem,
            "description": _DESCRIPTIONS.get(code, "Error"),
            "content": {"application/problem+json": {}},
        }
        for code in codes
    }
