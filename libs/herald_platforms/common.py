"""Pieces every adapter uses: sorting transport errors, token freshness, safe messages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx

from herald_platforms.base import Credentials
from herald_platforms.errors import AuthFailed, OutcomeUnknown, Transient

T = TypeVar("T")

# Refresh a token that expires within this long before using it.
REFRESH_AHEAD = timedelta(minutes=5)


def expiring(expires_at: datetime | None, now: datetime | None = None) -> bool:
    if expires_at is None:
        return False
    now = now or datetime.now(UTC)
    return expires_at - now <= REFRESH_AHEAD


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


class TokenSession:
    """The credentials of one adapter call: refreshed ahead of expiry, or once after a 401.

    ``new`` holds refreshed credentials for the caller to store.
    """

    def __init__(
        self,
        adapter: Any,
        client: httpx.AsyncClient,
        creds: Credentials,
        ahead: timedelta = REFRESH_AHEAD,
    ) -> None:
        self.adapter = adapter
        self.client = client
        self.creds = creds
        self.ahead = ahead
        self.new: Credentials | None = None
        self.refreshed = False

    def can_refresh(self) -> bool:
        return bool(self.creds.refresh_token) and not self.refreshed

    async def refresh(self) -> None:
        self.creds = self.new = await self.adapter.refresh(self.client, self.creds)
        self.refreshed = True

    async def fresh(self) -> None:
        exp = self.creds.expires_at
        if exp is not None and exp - datetime.now(UTC) <= self.ahead and self.can_refresh():
            await self.refresh()

    async def run(self, action: Callable[[], Awaitable[T]]) -> T:
        try:
            return await action()
        except AuthFailed:
            if not self.can_refresh():
                raise
            await self.refresh()
            return await action()


def safe(message: str, limit: int = 300) -> str:
    return message.replace("\n", " ")[:limit]


def id_of_text(items: Any, field: str, text: str) -> str | None:
    """The id of the first listed post whose ``field`` is exactly ``text`` (reconciliation)."""
    for item in items or []:
        if (item.get(field) or "") == text:
            return str(item["id"])
    return None
