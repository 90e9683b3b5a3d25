"""Connecting accounts: OAuth state bound to the user, code exchange, encrypted tokens."""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from herald_common.crypto import SecretBox
from herald_common.errors import AppError, NotFound, Unprocessable
from herald_db.enums import Platform
from herald_db.models import OAuthState, PublishingAccount, User
from herald_db.repositories import accounts as accounts_repo
from herald_platforms.base import PlatformAdapter
from herald_platforms.errors import PlatformError, Transient
from herald_post_api.accounts.schemas import AccountRead, ConnectStart

STATE_TTL = timedelta(minutes=10)
EXPIRY_WARNING = timedelta(days=7)


class AccountNotFound(NotFound):
    slug = "account-not-found"
    title = "Account not found"


class UnknownPlatform(NotFound):
    slug = "unknown-platform"
    title = "Unknown platform"


class InvalidState(Unprocessable):
    slug = "invalid-oauth-state"
    title = "The OAuth state is unknown, used or expired"


class AuthorizationDenied(Unprocessable):
    slug = "authorization-denied"
    title = "The platform did not authorize Herald"


class PlatformUnavailable(AppError):
    status = 502
    slug = "platform-unavailable"
    title = "The platform did not answer"


def parse_platform(slug: str) -> Platform:
    try:
        return Platform(slug.upper())
    except ValueError as exc:
        raise UnknownPlatform(
            f"'{slug}' is not a platform; use one of {', '.join(p.slug for p in Platform)}.",
            field="platform",
        ) from exc


def _hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def _pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(64)[:96]
    digest = hashlib.sha256(verifier.encode()).digest()
    challenge = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    return verifier, challenge


def redirect_uri(base: str, platform: Platform) -> str:
    return f"{base.rstrip('/')}/v1/accounts/{platform.slug}/callback"


async def start_connect(
    session: AsyncSession,
    user: User,
    platform: Platform,
    adapter: PlatformAdapter,
    box: SecretBox,
    redirect_base: str,
    now: datetime,
) -> ConnectStart:
    state = secrets.token_urlsafe(32)
    verifier, challenge = _pkce_pair()
    uri = redirect_uri(redirect_base, platform)
    session.add(
        OAuthState(
            state_hash=_hash(state),
            user_id=user.id,
            platform=platform,
            code_verifier=box.encrypt_str(verifier),
            redirect_uri=uri,
            expires_at=now + STATE_TTL,
        )
    )
    await session.flush()
    return ConnectStart(
        authorize_url=adapter.authorize_url(state, uri, challenge),
        state=state,
        expires_at=now + STATE_TTL,
    )


async def finish_connect(
    session: AsyncSession,
    user: User,
    platform: Platform,
    *,
    code: str,
    state: str,
    adapter: PlatformAdapter,
    http: httpx.AsyncClient,
    box: SecretBox,
    now: datetime,
) -> PublishingAccount:
    # Single use, and only by the user who started: anyone else bringing the state back
    # (the browser of someone who was sent the link) gets nothing, and the code is never
    # exchanged.
    row = await accounts_repo.use_oauth_state(session, _hash(state), user.id, now=now)
    if row is None or row.platform is not platform:
        raise InvalidState(
            "This authorization is unknown, was started by someone else, was already used or "
            "has expired; start connecting again.",
            field="state",
        )
    verifier = box.decrypt_str(row.code_verifier) if row.code_verifier else None
    try:
        grant = await adapter.exchange_code(http, code, row.redirect_uri, verifier)
    except Transient as exc:
        raise PlatformUnavailable(
            f"{platform.value} did not answer the token exchange: {exc.message}"
        ) from exc
    except PlatformError as exc:
        raise AuthorizationDenied(
            f"{platform.value} refused the authorization: {exc.message}", field="code"
        ) from exc
    existing = await accounts_repo.by_external_id(
        session, row.user_id, platform, grant.external_account_id
    )
    account = existing or PublishingAccount(
        user_id=row.user_id, platform=platform, external_account_id=grant.external_account_id
    )
    account.display_name = grant.display_name
    account.credentials = box.encrypt_json(grant.credentials.to_dict())
    account.token_expires_at = grant.credentials.expires_at
    account.access_ends_at = grant.access_ends_at
    account.is_active = True
    account.needs_reconnect = False
    account.reconnect_reason = None
    account.disconnected_at = None
    if existing is None:
        session.add(account)
    await session.flush()
    await session.refresh(account)
    return account


async def list_accounts(session: AsyncSession, user: User) -> Sequence[PublishingAccount]:
    return await accounts_repo.list_for_user(session, user.id)


async def disconnect(
    session: AsyncSession, user: User, account_id: uuid.UUID, box: SecretBox, now: datetime
) -> None:
    account = await accounts_repo.get_for_user(session, user.id, account_id)
    if account is None:
        raise AccountNotFound(f"No account {account_id}.")
    account.is_active = False
    account.disconnected_at = now
    # The tokens are dropped: a disconnected account keeps nothing it could post with.
    account.credentials = box.encrypt_json({"access_token": ""})
    account.token_expires_at = None
    await session.flush()


def to_read(account: PublishingAccount, now: datetime) -> AccountRead:
    if not account.is_active:
        state = "disconnected"
    elif account.needs_reconnect:
        state = "needs_reconnect"
    else:
        state = "active"
    ends = account.access_ends_at
    return AccountRead(
        id=account.id,
        platform=account.platform,
        external_account_id=account.external_account_id,
        display_name=account.display_name,
        state=state,  # type: ignore[arg-type]
        reconnect_reason=account.reconnect_reason,
        token_expires_at=account.token_expires_at,
        access_ends_at=ends,
        expiring_soon=bool(account.is_active and ends is not None and ends - now <= EXPIRY_WARNING),
        created_at=account.created_at,
        updated_at=account.updated_at,
    )
