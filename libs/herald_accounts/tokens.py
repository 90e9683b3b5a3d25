"""Connected accounts' credentials in Postgres, for any service that acts for the accounts.

:class:`TokenStore` (one per process, built at start-up) opens an account's stored
credentials and hands out a :class:`StoredTokens` keeper per account; adapters renew through
it (:mod:`herald_platforms.tokens`). A renewal:

1. takes the account's renewal lock (a Postgres advisory lock: every worker of every service
   waits its turn) in a transaction of its own;
2. reads the stored credentials again: if another worker renewed them meanwhile, or the user
   reconnected, those are used and the token endpoint is not called, so a single-use refresh
   token is never spent twice;
3. calls the token endpoint, writes its answer and commits, before the call that needed the
   renewal goes on, so the new credentials are kept whatever becomes of that call.

If the database cannot take the answer at that moment, it is written again on fresh
connections for a little while; the call goes on with it in any case.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_common.crypto import SecretBox, SecretBoxError
from herald_db.models import PublishingAccount
from herald_db.repositories import credentials as stored_credentials
from herald_db.session import session_scope
from herald_platforms.base import AccountRef, Credentials
from herald_platforms.errors import AuthFailed, Transient
from herald_platforms.tokens import Renew, same

log = logging.getLogger(__name__)

UNREADABLE = "its stored credentials can no longer be decrypted"
_DB_ERRORS = (SQLAlchemyError, OSError)


class UnreadableCredentials(Exception):
    """Stored credentials that no configured key decrypts (e.g. the key was removed)."""

    def __init__(self) -> None:
        super().__init__(UNREADABLE)
        self.reason = UNREADABLE


class TokenStore:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        box: SecretBox,
        *,
        lock_wait_seconds: float = 30.0,
        store_retry_seconds: float = 10.0,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.box = box
        # Longer than one token request takes, so a waiter outlasts the renewal it waits for.
        self.lock_wait_seconds = lock_wait_seconds
        self.store_retry_seconds = store_retry_seconds

    def credentials(self, encrypted: bytes) -> Credentials:
        """Decrypt stored credentials; :class:`UnreadableCredentials` if that cannot be done."""
        try:
            return Credentials.from_dict(self.box.decrypt_json(encrypted))
        except (SecretBoxError, ValueError, KeyError, TypeError) as exc:
            raise UnreadableCredentials() from exc

    def keeper(self, account_id: uuid.UUID, credentials: Credentials) -> StoredTokens:
        return StoredTokens(self, account_id, credentials)

    def account(self, account: PublishingAccount) -> AccountRef:
        """What an adapter needs to act for ``account``; :class:`UnreadableCredentials` if its
        credentials cannot be decrypted."""
        creds = self.credentials(account.credentials)
        return AccountRef(account.external_account_id, self.keeper(account.id, creds))

    async def renew(self, account_id: uuid.UUID, seen: Credentials, renew: Renew) -> Credentials:
        """Credentials newer than ``seen``: the stored ones if they are, else ``renew``'s."""
        new: Credentials | None = None
        replacing = b""
        try:
            async with session_scope(self.sessionmaker) as session:
                await stored_credentials.lock_for_renewal(
                    session, account_id, self.lock_wait_seconds
                )
                replacing, stored = await self._read(session, account_id)
                if not same(stored, seen):
                    return stored
                try:
                    new = await renew(stored)
                except AuthFailed:
                    # Refused: unless the user reconnected meanwhile, the grant is dead.
                    _, latest = await self._read(session, account_id)
                    if not same(latest, stored):
                        return latest
                    raise
                await stored_credentials.store(
                    session,
                    account_id,
                    self.box.encrypt_json(new.to_dict()),
                    new.expires_at,
                    replacing=replacing,
                )
            return new
        except _DB_ERRORS as exc:
            if new is None:
                raise Transient(
                    "Could not read the account's stored credentials; trying again later"
                ) from exc
            log.warning("storing renewed credentials of account %s failed; retrying", account_id)
            await self._store_again(account_id, new, replacing)
            return new

    async def _read(
        self, session: AsyncSession, account_id: uuid.UUID
    ) -> tuple[bytes, Credentials]:
        row = await stored_credentials.read(session, account_id)
        if row is None:
            raise AuthFailed("The account no longer exists")
        if not row.is_active:
            raise AuthFailed("The account was disconnected")
        try:
            creds = self.credentials(row.credentials)
        except UnreadableCredentials as exc:
            raise AuthFailed(exc.reason) from exc
        if row.needs_reconnect:
            raise AuthFailed(row.reconnect_reason or "The account needs reconnecting")
        return row.credentials, creds

    async def _store_again(self, account_id: uuid.UUID, new: Credentials, replacing: bytes) -> None:
        deadline = time.monotonic() + self.store_retry_seconds
        delay = 0.2
        encrypted = self.box.encrypt_json(new.to_dict())
        while True:
            try:
                async with session_scope(self.sessionmaker) as session:
                    await stored_credentials.store(
                        session, account_id, encrypted, new.expires_at, replacing=replacing
                    )
                return
            except _DB_ERRORS:
                if time.monotonic() + delay > deadline:
                    log.error("renewed credentials of account %s could not be stored", account_id)
                    return
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)


class StoredTokens:
    """One account's credentials as a service holds them while acting for it.

    Calls for the same account in one process share a keeper, so a renewal made by one is
    used by the others without asking the database or the platform again.
    """

    def __init__(self, store: TokenStore, account_id: uuid.UUID, credentials: Credentials):
        self._store = store
        self.account_id = account_id
        self._current = credentials
        self._lock = asyncio.Lock()

    @property
    def current(self) -> Credentials:
        return self._current

    async def refresh(self, seen: Credentials, renew: Renew) -> Credentials:
        async with self._lock:
            if not same(self._current, seen):
                return self._current
            self._current = await self._store.renew(self.account_id, seen, renew)
            return self._current
