"""Pieces every adapter uses: sorting transport errors, token expiry, safe messages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx

from herald_platforms.errors import OutcomeUnknown, Transient

T = TypeVar("T")


def expires_in(seconds: Any, now: datetime | None = None) -> datetime | None:
    if seconds in (None, ""):
        return None
    return (now or datetime.now(UTC)) + timedelta(seconds=float(seconds))


async def call(
    send: Callable[[], Awaitable[httpx.Response]], *, creates: bool = False
) -> httpx.Response:
    """Send one request, turning transport failures into our errors.

    For a request that creates something (``creates``), a failure after the request may
    have left means the outcome is unknown.
    """
    try:
        return await send()
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        raise Transient(f"Could not connect: {type(exc).__name__}") from exc
    except httpx.TimeoutException as exc:
        if creates:
            raise OutcomeUnknown("The platform did not answer in time") from exc
        raise Transient("The platform did not answer in time") from exc
    except httpx.TransportError as exc:
        if creates:
            raise OutcomeUnknown(f"The connection failed: {type(exc).__name__}") from exc
        raise Transient(f"The connection failed: {type(exc).__name__}") from exc


def body_of(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return {}


def retry_after(response: httpx.Response, default: float | None = None) -> float | None:
    value = response.headers.get("retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            return default
    return default


def safe(message: str, limit: int = 300) -> str:
    return message.replace("\n", " ")[:limit]
