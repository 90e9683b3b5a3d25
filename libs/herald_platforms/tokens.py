"""Where an adapter call gets fresh credentials from, without keeping any itself.

Adapters are stateless: each call acts for an :class:`~herald_platforms.base.AccountRef`
whose ``tokens`` (a :class:`TokenKeeper`) hold the account's credentials. When a call must
renew them (ahead of expiry, or once after a 401), it asks the keeper, handing it the
adapter's own token request. The keeper decides whether that request is needed at all (another
call may have renewed the credentials meanwhile), runs it, and records the answer the moment
the token endpoint gives it, whatever happens to the call afterwards: authlib's
``update_token`` hook, with the serialization a single-use refresh token needs.

:class:`MemoryTokens` keeps them in memory (tests, one-off calls); the services use a keeper
that stores them in Postgres (``herald_accounts``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import httpx

from herald_platforms.errors import AuthFailed, Transient

if TYPE_CHECKING:
    from herald_platforms.base import AccountRef, Credentials

T = TypeVar("T")
log = logging.getLogger(__name__)

# Renew a token that expires within this long before using it.
REFRESH_AHEAD = timedelta(minutes=5)

Renew = Callable[["Credentials"], Awaitable["Credentials"]]
OnUpdate = Callable[["Credentials"], Awaitable[None]]


def same(a: Credentials, b: Credentials) -> bool:
    """Whether two credentials are the same grant (so neither is newer than the other)."""
    return a.access_token == b.access_token and a.refresh_token == b.refresh_token


class TokenKeeper(Protocol):
    """The credentials of one account, and the one way to renew them."""

    @property
    def current(self) -> Credentials:
        """The newest credentials this keeper knows of."""
        ...

    async def refresh(self, seen: Credentials, renew: Renew) -> Credentials:
        """Credentials newer than ``seen``.

        If newer ones exist already, those; otherwise ``renew(seen)``'s answer, recorded before
        it is returned. At most one renewal of an account runs at a time.
        """
        ...


class MemoryTokens:
    """Credentials held in memory. ``on_update`` hears of each renewal as it happens."""

    def __init__(self, credentials: Credentials, on_update: OnUpdate | None = None) -> None:
        self._current = credentials
        self._lock = asyncio.Lock()
        self.on_update = on_update
        self.renewals = 0

    @property
    def current(self) -> Credentials:
        return self._current

    async def refresh(self, seen: Credentials, renew: Renew) -> Credentials:
        async with self._lock:
            if not same(self._current, seen):
                return self._current
            self._current = await renew(self._current)
            self.renewals += 1
            if self.on_update is not None:
                await self.on_update(self._current)
            return self._current


class TokenSession:
    """The credentials of one adapter call: renewed ahead of expiry, or once after a 401."""

    def __init__(
        self,
        adapter: Any,
        client: httpx.AsyncClient,
        account: AccountRef,
        ahead: timedelta = REFRESH_AHEAD,
    ) -> None:
        self.adapter = adapter
        self.client = client
        self.tokens = account.tokens
        self.creds = account.credentials
        self.ahead = ahead
        self.renewed = False

    def can_refresh(self) -> bool:
        return bool(self.creds.refresh_token) and not self.renewed

    async def refresh(self) -> None:
        self.renewed = True
        self.creds = await self.tokens.refresh(
            self.creds, partial(self.adapter.refresh, self.client)
        )

    async def fresh(self) -> None:
        """Renew credentials that expire within ``ahead``.

        A renewal ahead of time that cannot happen now (the token endpoint is down or
        throttled) does not stop a call while the current token still works.
        """
        exp = self.creds.expires_at
        now = datetime.now(UTC)
        if exp is None or exp - now > self.ahead or not self.can_refresh():
            return
        try:
            await self.refresh()
        except Transient as exc:
            if exp <= now:
                raise
            log.warning("token renewal put off, the current token still works: %s", exc.message)
            self.renewed = False

    async def run(self, action: Callable[[], Awaitable[T]]) -> T:
        try:
            return await action()
        except AuthFailed:
            if not self.can_refresh():
                raise
            await self.refresh()
            return await action()
